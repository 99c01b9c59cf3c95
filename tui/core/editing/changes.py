"""What changed: records compared as the lines of the MARC view, each change with what made it.

Two uses, one model:

* **Before a save or an export** (the app's changes screen): the session's edited records
  against the file as read, every line removed or added carrying the edit command that made it
  (its description, rule id and place in the history), found by replaying that record's commands
  on a copy of the record as read (``record_changes(..., commands=...)``).
* **Two files** (``libris-tui diff A B``): ``diff_sources(a, b)``; records paired by ``001``
  (the k-th record with a 001 in A with the k-th record with that 001 in B), then by position
  among the records left; the rest are removed (only in A) or added (only in B). A record whose
  bytes are the same at the same position in both files is not parsed at all.

The API the UI relies on (all of it plain data, no Textual):

``RecordChange``
    One record that differs: ``status`` (``changed`` / ``added`` / ``removed`` / ``unreadable``),
    ``before`` / ``after`` (``RecordId``: ``slot`` 0-based, ``number`` 1-based, ``control_number``,
    ``title``, ``kind``; ``None`` for the side the record is missing from), ``lines``
    (``LineChange``, in the order of the MARC view: a removed line just before what replaced it),
    and the summaries ``removed`` / ``added`` (counts) and ``causes`` (the commands, oldest first).
``LineChange``
    ``sign``: ``"-"`` removed, ``"+"`` added, ``" "`` context (only with ``context > 0``);
    ``text``: the MARC view line exactly (record text is data: pass it through
    ``textsafe.visible`` before it reaches a terminal); ``ref``: the ``SourceRef`` of the line in
    the record it belongs to (``before`` for ``-``, ``after`` for ``+`` and context; ``ref.holding``
    names a linked holding); ``cause``: a ``Cause`` or ``None`` when unknown (two files).
``Cause``
    ``description`` (``EditCommand.describe()``), ``rule`` (a rule id such as ``URI-MOVE``,
    ``HOLD-ADD``, ``SUP-CLEAR``, ``EPL-UPGRADE``; ``None`` for an edit of an ordinary record),
    ``op`` (the command's op), ``step`` (0-based index into the session's applied commands,
    ``History.commands()``: undoing back to it takes the change away).

Leader positions that a writer recomputes (record length 00-04, base address 12-16) are not
compared: a record edited and written is not "changed" in its leader for that alone.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tui.core.model.record import BrokenRecord, Entry, LibrisRecord
from tui.core.views.lines import SourceRef
from tui.core.views.marcview import MarcLine, leader_is_made_up, marc_view

Sign = Literal["-", "+", " "]
Status = Literal["changed", "added", "removed", "unreadable"]

#: the rule id that a command's op stands for (an edit of an e-plikt record that is none of
#: these is the completion EPL-UPGRADE allows; an edit of an ordinary record has no rule)
OP_RULES = {
    "add-holding": "HOLD-ADD",
    "move-restricted-uris": "URI-MOVE",
    "fix-uri": "URI-FIX",
    "add-uri": "URI-ADD",
    "clear-suppress": "SUP-CLEAR",
}


@dataclass(frozen=True)
class Cause:
    """The edit that made a change (see the module docstring)."""

    description: str
    rule: str | None
    op: str
    step: int | None = None


@dataclass(frozen=True)
class LineChange:
    sign: Sign
    text: str
    ref: SourceRef | None = None
    cause: Cause | None = None


@dataclass(frozen=True)
class RecordId:
    """Which record: ``slot`` 0-based in its file or session, ``number`` 1-based."""

    slot: int
    number: int
    control_number: str | None = None
    title: str = ""
    kind: str = "bib"

    def describe(self) -> str:
        return f"record {self.number}" + (f" [{self.control_number}]" if self.control_number else "")


@dataclass
class RecordChange:
    status: Status
    before: RecordId | None
    after: RecordId | None
    lines: list[LineChange] = field(default_factory=list)

    @property
    def removed(self) -> int:
        return sum(1 for ln in self.lines if ln.sign == "-")

    @property
    def added(self) -> int:
        return sum(1 for ln in self.lines if ln.sign == "+")

    @property
    def causes(self) -> list[Cause]:
        seen: dict[Cause, None] = {}
        for ln in self.lines:
            if ln.cause is not None:
                seen.setdefault(ln.cause, None)
        return sorted(seen, key=lambda c: (c.step is None, c.step or 0))

    @property
    def record(self) -> RecordId:
        """The record as it is now (``after``), else as it was."""
        return self.after or self.before  # type: ignore[return-value]

    def describe(self) -> str:
        """``record 3 [001]`` (and ``record 4`` on the other side when the numbers differ)."""
        a, b = self.before, self.after
        if a is not None and b is not None and (a.number != b.number or a.control_number != b.control_number):
            return f"{a.describe()} -> {b.describe()}"
        return (b or a).describe()  # type: ignore[union-attr]

    def to_json(self) -> dict:
        def rid(r: RecordId | None):
            if r is None:
                return None
            return {"number": r.number, "001": r.control_number, "title": r.title, "kind": r.kind}

        return {
            "status": self.status,
            "before": rid(self.before),
            "after": rid(self.after),
            "removed": self.removed,
            "added": self.added,
            "lines": [
                {
                    "sign": ln.sign,
                    "text": ln.text,
                    "tag": ln.ref.tag if ln.ref else None,
                    "occurrence": ln.ref.occurrence if ln.ref else None,
                    "holding": ln.ref.holding if ln.ref else None,
                    "command": ln.cause.description if ln.cause else None,
                    "rule": ln.cause.rule if ln.cause else None,
                    "step": ln.cause.step if ln.cause else None,
                }
                for ln in self.lines
            ],
        }


# -- lines -------------------------------------------------------------------------------------


def record_lines(record: LibrisRecord, holdings: bool = True) -> list[MarcLine]:
    """The MARC view lines of ``record`` (with its linked holdings when ``holdings``): what is
    compared. The leader is shown as the view shows it (not when the reader made it up)."""
    return marc_view(record, holdings=holdings)


def _key(line: MarcLine) -> str:
    t = line.text
    tag = line.ref.tag
    if tag == "000":
        # 000 + space + leader: record length (00-04) and base address (12-16) are the writer's
        return t[:4] + "00000" + t[9:16] + "00000" + t[21:]
    if not tag.startswith("00") and t[5:6] == "/":
        # a blank indicator is a blank however the notation wrote it (``-`` or ``_``)
        return t[:4] + t[4:7].replace("_", "-") + t[7:]
    return t


def _ident(e: Entry, slot: int) -> RecordId:
    if isinstance(e, LibrisRecord):
        return RecordId(slot, e.number or slot + 1, e.control_number, e.title, e.kind)
    return RecordId(slot, e.number or slot + 1, None, "", "unreadable")


def command_rule(cmd, record: LibrisRecord | None = None) -> str | None:
    """The rule id behind an edit command (see ``OP_RULES``)."""
    rule = getattr(cmd, "rule", None)
    if isinstance(rule, str) and rule:
        return rule
    rule = OP_RULES.get(getattr(cmd, "op", ""))
    if rule is None and record is not None:
        from tui.core.rules.eplikt import record_state

        try:
            if record_state(record).eplikt:
                return "EPL-UPGRADE"
        except Exception:
            return None
    return rule


def _line_diff(before: list[MarcLine], after: list[MarcLine], context: int) -> list[LineChange]:
    a, b = [_key(x) for x in before], [_key(x) for x in after]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[LineChange] = []
    ops = sm.get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            if context <= 0:
                continue
            idx = list(range(j1, j2))
            first, last = k == 0, k == len(ops) - 1
            keep = set()
            if not first:
                keep.update(idx[:context])
            if not last:
                keep.update(idx[-context:])
            out.extend(LineChange(" ", after[j].text, after[j].ref) for j in idx if j in keep)
            continue
        out.extend(LineChange("-", before[i].text, before[i].ref) for i in range(i1, i2))
        out.extend(LineChange("+", after[j].text, after[j].ref) for j in range(j1, j2))
    return out


# -- attribution: replay the record's commands on a copy of it as read -------------------------


def _attribute(
    before: LibrisRecord,
    lines: list[LineChange],
    commands: Sequence[tuple[int, object]],
    *,
    profile=None,
    sigel: str | None = None,
    holdings: bool = True,
) -> list[LineChange]:
    from tui.core.editing.commands import EditContext, command_from_json
    from tui.core.rules.profile import FULL

    causes: list[Cause] = []
    for step, cmd in commands:
        causes.append(
            Cause(
                cmd.describe(),  # type: ignore[attr-defined]
                command_rule(cmd, before),
                getattr(cmd, "op", ""),
                step,
            )
        )
    if not causes:
        return lines
    if len(causes) == 1:
        return [ln if ln.sign == " " else LineChange(ln.sign, ln.text, ln.ref, causes[0]) for ln in lines]
    # which step last added / removed each line text
    added_by: dict[str, Cause] = {}
    removed_by: dict[str, Cause] = {}
    work = copy.deepcopy(before)
    ctx = EditContext(work, profile or FULL, sigel, None)
    prev = [_key(x) for x in record_lines(work, holdings)]
    for (_step, cmd), cause in zip(commands, causes):
        try:
            clone = command_from_json(cmd.to_json())  # type: ignore[attr-defined]
            clone.apply(ctx)
        except Exception:
            break  # the rest stays unattributed rather than wrongly attributed
        now = [_key(x) for x in record_lines(work, holdings)]
        sm = difflib.SequenceMatcher(None, prev, now, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                continue
            for t in prev[i1:i2]:
                removed_by[t] = cause
            for t in now[j1:j2]:
                added_by[t] = cause
        prev = now
    out = []
    for ln in lines:
        if ln.sign == " ":
            out.append(ln)
            continue
        key = _key(MarcLine(ln.text, ln.ref)) if ln.ref is not None else ln.text
        found = (added_by if ln.sign == "+" else removed_by).get(key)
        out.append(LineChange(ln.sign, ln.text, ln.ref, found))
    return out


# -- one record --------------------------------------------------------------------------------


def record_changes(
    before: Entry | None,
    after: Entry | None,
    *,
    before_slot: int | None = None,
    after_slot: int | None = None,
    commands: Sequence[tuple[int, object]] = (),
    profile=None,
    sigel: str | None = None,
    holdings: bool = True,
    context: int = 0,
) -> RecordChange | None:
    """How ``after`` differs from ``before`` (either may be ``None``: added / removed), or ``None``
    when they show the same lines.

    ``commands``: ``(step, EditCommand)`` applied to this record, oldest first (the session's
    history): each changed line gets the ``Cause`` that made it. ``holdings``: compare the linked
    holdings too (the session: a holding added with HOLD-ADD is part of its bib's change); two
    files compare each holdings record on its own. ``context``: unchanged lines around a change.
    A record that cannot be read is compared by its bytes (``unreadable``)."""
    bslot = before_slot if before_slot is not None else (before.number - 1 if before is not None else 0)
    aslot = after_slot if after_slot is not None else (after.number - 1 if after is not None else 0)
    bid = _ident(before, bslot) if before is not None else None
    aid = _ident(after, aslot) if after is not None else None
    if isinstance(before, BrokenRecord) or isinstance(after, BrokenRecord):
        if isinstance(before, BrokenRecord) and isinstance(after, BrokenRecord) and before.raw == after.raw:
            return None
        lines = []
        for sign, e in (("-", before), ("+", after)):
            if isinstance(e, BrokenRecord):
                lines.append(LineChange(sign, f"(unreadable: {e.reason})"))  # type: ignore[arg-type]
            elif isinstance(e, LibrisRecord):
                lines += [LineChange(sign, x.text, x.ref) for x in record_lines(e, holdings)]  # type: ignore[arg-type]
        return RecordChange("unreadable", bid, aid, lines)
    bl = record_lines(before, holdings) if isinstance(before, LibrisRecord) else []
    al = record_lines(after, holdings) if isinstance(after, LibrisRecord) else []
    if (isinstance(before, LibrisRecord) and leader_is_made_up(before)) or (
        isinstance(after, LibrisRecord) and leader_is_made_up(after)
    ):
        # a format without a leader (the seed notation) against one with: leaders are not compared
        bl = [x for x in bl if x.ref.tag != "000"]
        al = [x for x in al if x.ref.tag != "000"]
    if before is not None and after is not None and [_key(x) for x in bl] == [_key(x) for x in al]:
        return None
    lines = _line_diff(bl, al, context)
    if commands and isinstance(before, LibrisRecord):
        lines = _attribute(before, lines, commands, profile=profile, sigel=sigel, holdings=holdings)
    status: Status = (
        "changed" if before is not None and after is not None else ("added" if before is None else "removed")
    )
    return RecordChange(status, bid, aid, lines)


# -- the session's edits -----------------------------------------------------------------------


def session_changes(
    slots: Iterable[int],
    before: Callable[[int], Entry],
    after: Callable[[int], Entry],
    applied: Sequence[tuple[int, object]],
    *,
    profile=None,
    sigel: str | None = None,
    context: int = 0,
) -> list[RecordChange]:
    """The changes of an editing session, one ``RecordChange`` per record that differs, in file
    order. ``slots``: the records edited; ``before(slot)`` / ``after(slot)``: the record as read
    and as it is now; ``applied``: ``(slot, command)`` for every command in effect, oldest first
    (its index there is the ``Cause.step``). Records edited and edited back are left out."""
    by_slot: dict[int, list[tuple[int, object]]] = {}
    for step, (slot, cmd) in enumerate(applied):
        by_slot.setdefault(slot, []).append((step, cmd))
    out = []
    for slot in sorted(set(slots)):
        ch = record_changes(
            before(slot),
            after(slot),
            before_slot=slot,
            after_slot=slot,
            commands=by_slot.get(slot, ()),
            profile=profile,
            sigel=sigel,
            context=context,
        )
        if ch is not None:
            out.append(ch)
    return out


# -- two files ---------------------------------------------------------------------------------


def _cn(e: Entry) -> str:
    return (e.control_number or "").strip() if isinstance(e, LibrisRecord) else ""


def pair_records(
    a_keys: Sequence[str], b_keys: Sequence[str], same: Iterable[int] = ()
) -> list[tuple[int | None, int | None]]:
    """Pair the records of two files: ``a_keys`` / ``b_keys`` are their 001s (``""`` for none).

    ``same``: positions already known to hold the same record on both sides. Then by 001 (the
    k-th unpaired record with a 001 in A with the k-th in B), then by position among the records
    left. Returns ``(a, b)`` pairs (``None``: the record is only on the other side), in the order
    of B, a record only in A placed after what precedes it in A."""
    pair_of_a: dict[int, int] = {}
    taken_b: set[int] = set()
    for i in same:
        pair_of_a[i] = i
        taken_b.add(i)
    by_cn: dict[str, list[int]] = {}
    for j, k in enumerate(b_keys):
        if k and j not in taken_b:
            by_cn.setdefault(k, []).append(j)
    for lst in by_cn.values():
        lst.reverse()  # pop() takes them in file order
    for i, k in enumerate(a_keys):
        if i in pair_of_a or not k:
            continue
        cands = by_cn.get(k)
        if cands:
            j = cands.pop()
            pair_of_a[i] = j
            taken_b.add(j)
    for i in range(min(len(a_keys), len(b_keys))):
        if i not in pair_of_a and i not in taken_b:
            pair_of_a[i] = i
            taken_b.add(i)
    a_of_b = {j: i for i, j in pair_of_a.items()}
    only_a = [i for i in range(len(a_keys)) if i not in pair_of_a]
    out: list[tuple[int | None, int | None]] = []
    # B's order; a record only in A goes after the last paired record that precedes it in A
    pending = iter(only_a)
    nxt = next(pending, None)
    for j in range(len(b_keys)):
        ia = a_of_b.get(j)
        if ia is not None:
            while nxt is not None and nxt < ia:
                out.append((nxt, None))
                nxt = next(pending, None)
            out.append((ia, j))
        else:
            out.append((None, j))
    while nxt is not None:
        out.append((nxt, None))
        nxt = next(pending, None)
    return out


def diff_sources(a, b, *, context: int = 0, progress=None) -> Iterator[RecordChange]:
    """The records that differ between two ``RecordSource``s (see the module docstring), in the
    order of ``b``. Each holdings record is compared on its own (``holdings=False``)."""
    for src in (a, b):
        if not src.complete:
            src.build_index()
    na, nb = len(a), len(b)
    same: list[int] = []
    for i in range(min(na, nb)):
        ra = a.raw(i)
        if ra and ra == b.raw(i):
            same.append(i)
    same_set = set(same)
    a_keys = ["" if i in same_set else _cn(a.entry(i)) for i in range(na)]
    b_keys = ["" if j in same_set else _cn(b.entry(j)) for j in range(nb)]
    pairs = pair_records(a_keys, b_keys, same)
    total = len(pairs)
    for k, (pa, pb) in enumerate(pairs):
        if progress is not None and not k % 2000:
            progress(k, total)
        if pa is not None and pa == pb and pa in same_set:
            continue
        ea = a.entry(pa) if pa is not None else None
        eb = b.entry(pb) if pb is not None else None
        ch = record_changes(ea, eb, before_slot=pa, after_slot=pb, holdings=False, context=context)
        if ch is not None:
            yield ch


def render_unified(changes: Iterable[RecordChange], a_name: str, b_name: str) -> Iterator[str]:
    """A unified-diff-like listing: ``--- A`` / ``+++ B``, then per record an ``@@ ... @@`` line
    and its ``-`` / ``+`` lines (a known cause after the line, in brackets). Record text is
    given as it is: the caller makes it terminal-safe."""
    first = True
    for ch in changes:
        if first:
            yield f"--- {a_name}"
            yield f"+++ {b_name}"
            first = False
        a = ch.before.describe() if ch.before else "(none)"
        b = ch.after.describe() if ch.after else "(none)"
        title = ch.record.title
        yield f"@@ -{a} +{b} @@ {ch.status}" + (f": {title}" if title else "")
        for ln in ch.lines:
            why = ""
            if ln.cause is not None:
                why = f"    [{ln.cause.description}" + (f"; {ln.cause.rule}" if ln.cause.rule else "") + "]"
            yield f"{ln.sign}{ln.text}{why}"


__all__ = [
    "Cause",
    "LineChange",
    "RecordId",
    "RecordChange",
    "OP_RULES",
    "command_rule",
    "record_lines",
    "record_changes",
    "session_changes",
    "pair_records",
    "diff_sources",
    "render_unified",
]
