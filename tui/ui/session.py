"""The open file and the edits made to it: one place between the screens and the core.

Every edit goes through the core's command objects and ``History`` (``tui.core.editing.commands``); this
class only keeps the bookkeeping the UI needs around them:

* the working copy of each edited record is pinned in the source (``RecordSource.replace``), and
  a deep copy of it as read is kept as the *original* (validation compares against it, and the
  views mark changed lines with it);
* ``_report`` is the one place where every applied, undone and redone command is reported: to
  the crash journal and to whoever listens (the main screen redraws).

Thread-safety: the indexing worker reads the source while the UI does; ``lock`` guards it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tui.core.batch.taskcmd  # noqa: F401  (the journal replays RunTasks)
import tui.core.editing.replace  # noqa: F401  (the journal replays FindReplace)
from tui.core.editing.commands import (
    Advice,
    EditCommand,
    EditContext,
    History,
    Refusal,
    Refused,
    command_from_json,
)
from tui.core.editing.register import Register
from tui.core.formats.notation import field_line
from tui.core.model.record import BrokenRecord, Entry, LibrisRecord
from tui.core.rules import eplikt as rules
from tui.core.rules import table
from tui.core.rules.profile import Profile
from tui.core.sources.base import RecordSource


@dataclass(frozen=True)
class Change:
    """What ``_report`` tells listeners: ``event`` is apply / undo / redo."""

    event: str
    slot: int
    command: EditCommand


Listener = Callable[[Change], None]


class Session:
    def __init__(
        self,
        source: RecordSource,
        *,
        profile: Profile,
        sigel: str | None = None,
        journal=None,
        stamp=None,
        register: Register | None = None,
    ) -> None:
        self.source = source
        self.path = source.path
        self.profile = profile
        self.sigel = sigel or None
        self.history = History()
        self.lock = threading.RLock()
        self.journal = journal
        #: FileStamp of the file as read (a file changed on disk meanwhile is never written over)
        self.stamp = stamp
        self.journal_problem: str | None = None
        self._originals: dict[int, LibrisRecord] = {}
        #: slot -> {id(field): (field, text as first edited)}: the fields as read
        self._baseline: dict[int, dict[int, tuple[object, str]]] = {}
        self._slot_of: dict[int, int] = {}  # id(command) -> slot
        self._contexts: dict[int, EditContext] = {}
        self._changed_cache: dict[int, tuple[int, bool]] = {}
        self.generation = 0
        self.listeners: list[Listener] = []
        #: how many history entries each undo step takes back (a dialog's edits are one step)
        self._steps: list[int] = []
        self._redo_steps: list[int] = []
        #: slots of new records (after the file's): slot -> what undo took away, to put back on redo
        self._added: set[int] = set()
        self._taken: dict[int, tuple] = {}
        #: the yanked fields (shared with libris-tui on other files through the state directory)
        self.register = register if register is not None else Register.shared()

    # -- records -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.source)

    def entry(self, slot: int) -> Entry:
        with self.lock:
            return self.source.entry(slot)

    def raw(self, slot: int) -> bytes:
        with self.lock:
            return self.source.raw(slot)

    def original(self, slot: int) -> Entry:
        """The record as read from the file (before any edit in this session)."""
        return self._originals.get(slot) or self.entry(slot)

    def edited_slots(self) -> list[int]:
        return sorted(self._originals)

    def entries(self) -> Iterator[Entry]:
        """Every entry, with the edited working copies (for validate, export, save)."""
        with self.lock:
            if not self.source.complete:
                self.source.build_index()
            n = len(self.source)
        for i in range(n):
            yield self.entry(i)

    def originals(self) -> Iterator[Entry]:
        with self.lock:
            n = len(self.source)
        for i in range(n):
            yield self.original(i)

    # -- editing -----------------------------------------------------------------------------
    def context(self, slot: int) -> EditContext:
        ctx = self._contexts.get(slot)
        if ctx is None:
            rec = self.entry(slot)
            if not isinstance(rec, LibrisRecord):
                raise Refused(Refusal.of("EDIT-TARGET", "unreadable"))
            ctx = EditContext(rec, self.profile, self.sigel, self.source)
            self._contexts[slot] = ctx
        ctx.profile, ctx.sigel = self.profile, self.sigel
        return ctx

    def check(self, slot: int, cmd: EditCommand) -> Refusal | None:
        """May ``cmd`` be done on record ``slot``? (the command's own check: rules and profile)"""
        try:
            ctx = self.context(slot)
        except Refused as exc:
            return exc.refusal
        return cmd.check(ctx)

    def precheck(
        self,
        slot: int | None,
        tag: str | None = None,
        occurrence: int | None = None,
        code: str | None = None,
        action: str = "edit",
    ) -> Refusal | None:
        """Before asking the cataloguer for a new value: may this part be changed at all?

        The rules' own answer (``rules.protection``: CHN-READONLY, EPL-PROTECT, ...) and the
        profile's, in the commands' order. The command's full check runs again when applied.
        """
        if slot is None:
            return Refusal.of("EDIT-TARGET", "no-record")
        e = self.entry(slot)
        if not isinstance(e, LibrisRecord):
            return Refusal.of("EDIT-TARGET", "unreadable")
        st = rules.record_state(e, self.source)
        p = rules.protection(e, tag or "245", occurrence, code, state=st) if (tag or st.channel) else None
        if p is not None:
            where = (f"{tag}[{occurrence}]" if occurrence else tag or table.phrase("this-record")) + (
                f" ${code}" if code else ""
            )
            return p.refusal(where)
        return self.profile.refusal(action)  # type: ignore[arg-type]

    def preview(self, slot: int, cmd: EditCommand) -> list[tuple[str, str]] | Refusal:
        """What ``cmd`` would change in record ``slot``, without changing it: (before, after) lines
        of each field that differs, from a dry run on a copy (URI-MOVE shows the change first)."""
        ctx = self.context(slot)
        refusal = cmd.check(ctx)
        if refusal is not None:
            return refusal
        dry = copy.deepcopy(ctx.record)
        before = [field_line(f) for f in dry.marc.fields]
        probe = copy.deepcopy(cmd)
        probe.apply(EditContext(dry, self.profile, self.sigel, self.source))
        after = [field_line(f) for f in dry.marc.fields]
        if len(before) == len(after):
            return [(b, a) for b, a in zip(before, after) if b != a]
        return [("", a) for a in after if a not in before] + [(b, "") for b in before if b not in after]

    def _pin(self, slot: int) -> None:
        if slot in self._originals:
            return
        with self.lock:
            rec = self.source.entry(slot)
            if not isinstance(rec, LibrisRecord):
                return
            self._originals[slot] = copy.deepcopy(rec)
            self._baseline[slot] = self._snapshot(rec)
            self.source.replace(slot, rec)  # never evicted from the cache: it holds the edits

    def do(self, slot: int, cmd: EditCommand) -> list[Advice]:
        """Apply ``cmd`` to record ``slot`` through the history, as one undo step. Raises ``Refused``."""
        return self.do_all(slot, [cmd])

    def do_all(self, slot: int, commands: list[EditCommand]) -> list[Advice]:
        """Apply ``commands`` as ONE undo step: all of them, or (on a refusal or an error) none."""
        before = len(self.history)
        advice: list[Advice] = []
        try:
            for cmd in commands:
                advice += self._do(slot, cmd)
        except Exception:
            while len(self.history) > before:
                self._undo_one()
            raise
        n = len(self.history) - before
        if n:
            self._steps.append(n)
            self._redo_steps.clear()
        return advice

    def _do(self, slot: int, cmd: EditCommand) -> list[Advice]:
        ctx = self.context(slot)
        refusal = cmd.check(ctx)
        if refusal is not None:
            raise Refused(refusal)
        self._pin(slot)
        if not self.history.do(cmd, ctx):
            return []
        self._slot_of[id(cmd)] = slot
        self._report("apply", slot, cmd)
        return cmd.advice(ctx)

    # -- new records -----------------------------------------------------------------------------
    def new_record(self, cmd: EditCommand) -> tuple[int, list[Advice]]:
        """A new record after the file's last one, filled by ``cmd`` (``CreateRecord``) as one
        undo step; undoing it takes the slot away again. Returns the slot and the advice."""
        from pymarc import Leader, Record

        with self.lock:
            marc = Record()
            marc.leader = Leader(getattr(cmd, "leader", "") or "00000nam a2200000 i 4500")
            marc.fields = []
            rec = LibrisRecord(marc=marc, path=self.path, number=len(self.source) + 1, source_format=self.source.format)
            slot = self.source.append(rec)
        self._added.add(slot)
        try:
            return slot, self.do(slot, cmd)
        except Exception:
            self._take_slot(slot)
            raise

    def is_new(self, slot: int) -> bool:
        return slot in self._added

    def _take_slot(self, slot: int) -> None:
        """Undo of a new record: its slot leaves the file (kept aside for a redo)."""
        with self.lock:
            self._taken[slot] = (
                self.source.entry(slot),
                self._originals.pop(slot, None),
                self._baseline.pop(slot, None),
            )
            self.source.pop_appended(slot)
        self._added.discard(slot)
        self._changed_cache.pop(slot, None)

    def _give_slot(self, slot: int) -> None:
        taken = self._taken.pop(slot, None)
        if taken is None or slot != len(self.source):
            return
        rec, orig, base = taken
        with self.lock:
            self.source.append(rec)
            if orig is not None:
                self._originals[slot] = orig
            if base is not None:
                self._baseline[slot] = base
        self._added.add(slot)

    def _undo_one(self) -> Change | None:
        cmd = self.history.undo()
        if cmd is None:
            return None
        slot = self._slot_of.get(id(cmd), -1)
        if cmd.op == "create-record" and slot in self._added:
            self._take_slot(slot)
        return self._report("undo", slot, cmd)

    def _redo_one(self) -> Change | None:
        if self.history.can_redo:
            _, nxt, _ = self.history._undone[-1]
            slot = self._slot_of.get(id(nxt), -1)
            if nxt.op == "create-record" and slot in self._taken:
                self._give_slot(slot)
        cmd = self.history.redo()
        if cmd is None:
            return None
        return self._report("redo", self._slot_of.get(id(cmd), -1), cmd)

    def undo(self) -> Change | None:
        """Undo the last step (all the edits of one dialog). Returns the last change undone."""
        n = self._steps.pop() if self._steps else 1
        last = None
        for _ in range(n):
            change = self._undo_one()
            if change is None:
                break
            last = change
        if last is not None:
            self._redo_steps.append(n)
        return last

    def redo(self) -> Change | None:
        """Redo the last step undone. Raises ``Refused`` when the record no longer allows it."""
        n = self._redo_steps.pop() if self._redo_steps else 1
        last = None
        for _ in range(n):
            change = self._redo_one()
            if change is None:
                break
            last = change
        if last is not None:
            self._steps.append(n)
        return last

    def undo_plan(self, step: int) -> list[EditCommand]:
        """The commands that ``undo_to(step)`` takes back, latest last: whole undo steps (a
        dialog's edits go together) until at most ``step`` applied commands remain."""
        commands = self.history.commands()
        keep, groups = len(commands), list(self._steps)
        while keep > step:
            keep -= groups.pop() if groups else 1
        return commands[max(keep, 0) :]

    def undo_to(self, step: int) -> list[Change]:
        """Undo, step by step, until at most ``step`` applied commands remain (undoing from the
        changes screen: the edit at ``step`` and every later one). Returns the changes undone."""
        undone: list[Change] = []
        while len(self.history) > step:
            change = self.undo()
            if change is None:
                break
            undone.append(change)
        return undone

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    def _report(self, event: str, slot: int, cmd: EditCommand) -> Change:
        """THE seam: every applied / undone / redone command passes here, once."""
        self.generation += 1
        self._changed_cache.pop(slot, None)
        if self.journal is not None and slot >= 0:
            try:
                self.journal.record(event, slot + 1, cmd.to_json())
                self.journal_problem = None
            except Exception as exc:  # a full disk must not lose the edit itself
                self.journal_problem = str(exc)
        change = Change(event, slot, cmd)
        for listener in list(self.listeners):
            listener(change)
        return change

    # -- what changed --------------------------------------------------------------------------
    @staticmethod
    def _snapshot(rec: LibrisRecord) -> dict[int, tuple[object, str]]:
        snap: dict[int, tuple[object, str]] = {id(f): (f, field_line(f)) for f in rec.marc.fields}
        for h in rec.holdings:
            snap[id(h)] = (h, "holding")
        return snap

    def changed_field_ids(self, slot: int) -> set[int]:
        """ids of the fields of record ``slot`` that are new or differ from when first edited."""
        base = self._baseline.get(slot)
        if base is None:
            return set()
        rec = self.entry(slot)
        if not isinstance(rec, LibrisRecord):
            return set()
        out = set()
        for f in rec.marc.fields:
            b = base.get(id(f))
            if b is None or b[0] is not f or b[1] != field_line(f):
                out.add(id(f))
        for h in rec.holdings:  # holdings added in this session (HOLD-ADD)
            b = base.get(id(h))
            if b is None or b[0] is not h:
                out.add(id(h))
        return out

    def is_changed(self, slot: int) -> bool:
        """Does record ``slot`` differ from the file (any edit in effect)?"""
        if slot not in self._originals:
            return False
        hit = self._changed_cache.get(slot)
        if hit is not None and hit[0] == self.generation:
            return hit[1]
        rec, orig = self.entry(slot), self._originals[slot]
        changed = bool(self.changed_field_ids(slot)) or (
            isinstance(rec, LibrisRecord)
            and (
                len(rec.marc.fields) != len(orig.marc.fields)
                or str(rec.marc.leader) != str(orig.marc.leader)
                or len(rec.holdings) != len(orig.holdings)
            )
        )
        self._changed_cache[slot] = (self.generation, changed)
        return changed

    def changed_count(self) -> int:
        return sum(1 for s in self._originals if self.is_changed(s))

    # -- validation, export, save ----------------------------------------------------------------
    def changes(self, context: int = 0) -> list:
        """The records that differ from the file as read, as MARC view lines removed and added,
        each with the command (and rule id) that made it: ``tui.core.editing.changes``'s
        ``RecordChange`` list, in file order. ``Cause.step`` indexes ``history.commands()``."""
        from tui.core.editing.changes import session_changes

        applied = [(self._slot_of.get(id(c), -1), c) for c in self.history.commands()]
        return session_changes(
            self._originals,
            self.original,
            self.entry,
            applied,
            profile=self.profile,
            sigel=self.sigel,
            context=context,
        )

    def validate(self) -> list:
        """Findings for every record, checked against the file as read (``tui.core.validation.validate``)."""
        from tui.core.validation.validate import validate

        entries = list(self.entries())
        originals = list(self.originals()) if self._originals else None
        return validate(entries, originals)

    def changed_slots(self) -> set[int]:
        """Slots whose records differ from the file (any edit in effect)."""
        return {s for s in self._originals if self.is_changed(s)}

    def _original_of(self, slot: int):
        return self._originals.get(slot)

    def export(self, out: str, fmt: str, holdings: str = "keep", *, overwrite: bool = False, broken=None):
        """Validated export to another file (``tui.core.files.export``, streaming: refuses on
        errors, writes atomically with a report beside it, replaces an existing file only with
        ``overwrite``: ask first, ``output_exists``). ``broken``: ``BrokenPolicy`` or keep / drop /
        refuse. Returns its ``ExportResult``."""
        from tui.core.files.export import export

        with self.lock:
            if not self.source.complete:
                self.source.build_index()
        return export(
            self.source,
            out,
            fmt,
            holdings=holdings,
            overwrite=overwrite,
            inputs=[self.path],
            source_name=self.path,
            sigel=self.sigel,
            broken=broken,
            edited=self.changed_slots(),
            originals=self._original_of,
            embed_new=holdings == "keep" and self.holdings_mode() == "embedded",
        )

    def output_exists(self, out: str):
        """What an export to ``out`` would replace (``ExistingFile``: path, size, mtime), or None."""
        from tui.core.files.atomic import existing_file

        return existing_file(out)

    def default_output(self, fmt: str):
        """Where an export goes unless the user says otherwise: never the input, never a file that exists."""
        from tui.core.files.export import default_output

        return default_output(self.path, fmt)

    def broken_records(self) -> list:
        """The records of the file that cannot be read (for the keep / drop question)."""
        from tui.core.files.save import find_broken

        with self.lock:
            if not self.source.complete:
                self.source.build_index()
            return find_broken(self.source)

    def holdings_mode(self) -> str:
        """How the file holds its holdings: embedded ``$5`` fields (Libris export) or records."""
        from tui.core.rules.detect import embedded_holding_sigels

        with self.lock:
            n = min(len(self.source), 200)
        for i in range(n):
            e = self.entry(i)
            if isinstance(e, LibrisRecord) and embedded_holding_sigels(e):
                return "embedded"
        return "records"

    def save(self, broken=None):
        """Write the edits over the opened file (``tui.core.files.save``): everything the user did
        not touch stays as it is (order, holdings records and their 001s, unedited records byte for
        byte); validated, checked against the file on disk first (a file changed since it was
        opened is never written over), atomic, with a backup of the old file. ``broken``: what to do
        with unreadable records (``BrokenPolicy``, keep / drop / refuse). Then the file is read
        again."""
        from tui.core.files.filestamp import FileStamp
        from tui.core.files.save import save_source
        from tui.core.formats import open_source

        with self.lock:
            if not self.source.complete:
                self.source.build_index()
            result = save_source(
                self.source,
                edited=self.changed_slots(),
                originals=self._original_of,
                unchanged_since=self.stamp,
                broken=broken,
                sigel=self.sigel,
                embed_new=self.holdings_mode() == "embedded",
            )
        self.stamp = FileStamp.take(self.path)
        self.mark_saved()
        self.reload(open_source(self.path, self.source.format))
        return result

    def reload(self, source: RecordSource) -> None:
        """Work on ``source`` (the file as saved) from here on; the undo history starts afresh."""
        with self.lock:
            self.source = source
            self.history = History()
            self._steps.clear()
            self._redo_steps.clear()
            self._originals.clear()
            self._baseline.clear()
            self._slot_of.clear()
            self._contexts.clear()
            self._added.clear()
            self._taken.clear()
            self._changed_cache.clear()
            self.generation += 1

    # -- saving and recovery -------------------------------------------------------------------
    def mark_saved(self, path: str | None = None) -> None:
        """The edits are in a file now (over the opened one, or ``path``)."""
        if path is None or Path(path).resolve() == Path(self.path).resolve():
            self.history.mark_saved()
            # the file now holds the working copies: they are the new originals
            for slot in list(self._originals):
                rec = self.entry(slot)
                if isinstance(rec, LibrisRecord):
                    self._originals[slot] = copy.deepcopy(rec)
                    self._baseline[slot] = self._snapshot(rec)
            self._changed_cache.clear()
            self.generation += 1
            if self.journal is not None:
                try:
                    self.journal.saved()
                except Exception as exc:
                    self.journal_problem = str(exc)
        elif self.journal is not None:
            try:
                self.journal.saved(path)
            except Exception as exc:
                self.journal_problem = str(exc)

    def close(self, clean: bool = True) -> None:
        if self.journal is not None:
            try:
                self.journal.close(clean=clean)
            except Exception:
                pass
            self.journal = None

    def replay_event(self, event) -> None:
        """Apply one journal event (``tui.core.editing.journal.JournalEvent``) through the history."""
        # event by event: the steps of the old session are not journalled, each edit is its own
        if event.kind == "apply":
            cmd = command_from_json(event.command)
            if cmd.op == "create-record" and event.record_number - 1 == len(self.source):
                self.new_record(cmd)  # a new record of the old session: its slot again
            else:
                self.do(event.record_number - 1, cmd)
        elif event.kind == "undo":
            if self._undo_one() is None:
                raise Refused(Refusal.of("JOURNAL", "undo"))
            self._redo_steps.append(1)
            if self._steps:
                self._steps.pop()
        elif event.kind == "redo":
            if self._redo_one() is None:
                raise Refused(Refusal.of("JOURNAL", "redo"))
            if self._redo_steps:
                self._redo_steps.pop()
            self._steps.append(1)


def is_broken(entry: Entry) -> bool:
    return isinstance(entry, BrokenRecord)
