"""Find and replace: one edit command that changes every value a regular expression finds, in a
chosen tag and subfield or in all of them.

``FindReplace(pattern, replacement, tag="245", code="a")`` is an ``EditCommand`` like every other
(check / apply / undo / describe / to_json), so the app's find-and-replace and the batch task
lists go through the same rules. Each value it would change is changed by the commands that own
that kind of change (``SetSubfield`` for a subfield, ``SetControlField`` for a control field), so
the e-plikt rules decide line by line exactly as they do for a hand edit: a protected line
(EPL-PROTECT, CHN-READONLY, another library's holding, an EPL-DETECT marker ...) is skipped, not
changed, and counted under its rule id (``skipped``); the others are changed. The command is
refused only when the pattern or the replacement is not valid, or when there were matches and
every one of them was refused (then with the rule of the first, so the cataloguer sees why).

The pattern is a Python regular expression over the value of each subfield (or the data of a
control field); the replacement may use its groups (``\\1``, ``\\g<name>``), as ``re.sub`` does.
Tags: one tag (``245``), a list (``100,700``), a pattern with ``X`` for any digit (``6XX``), or
``*`` / none for every field. The leader is never searched.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from tui.core.editing.commands import COMMANDS, EditCommand, EditContext, SetControlField, SetSubfield
from tui.core.model.record import ORPHAN
from tui.core.rules import table
from tui.core.rules.eplikt import RecordState, Refusal

#: regular-expression flags a command may carry (letters as in Python's inline flags)
FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


class TagSpec:
    """Which tags a command or a condition looks at: ``245``, ``100,700``, ``6XX``, ``*``."""

    __slots__ = ("text", "_exact", "_patterns", "_all")

    def __init__(self, text: str | None):
        self.text = (text or "*").strip() or "*"
        parts = [p.strip() for p in self.text.split(",") if p.strip()]
        self._all = "*" in parts
        self._exact = frozenset(p for p in parts if "X" not in p.upper() and p != "*")
        self._patterns = tuple(re.compile(p.upper().replace("X", "[0-9]")) for p in parts if "X" in p.upper())

    @staticmethod
    def problem(text: str | None) -> str | None:
        """Why ``text`` is no tag specification (None when it is one)."""
        for p in (text or "*").split(","):
            p = p.strip()
            if p != "*" and not re.fullmatch(r"[0-9A-Za-z]{3}", p):
                return f"{p!r} is not a tag (three digits or letters, X for any digit, or *)"
        return None

    def __call__(self, tag: str) -> bool:
        if self._all or tag in self._exact:
            return True
        return any(p.fullmatch(tag) for p in self._patterns)

    @property
    def every(self) -> bool:
        return self._all

    def __str__(self) -> str:
        return "every field" if self._all else self.text


def compile_pattern(pattern: str, flags: str = "") -> re.Pattern[str]:
    """The pattern compiled with ``flags`` (letters of ``FLAGS``); ``re.error`` when it is not valid."""
    bits = 0
    for ch in flags or "":
        if ch not in FLAGS:
            raise re.error(f"unknown flag {ch!r} (flags: {', '.join(FLAGS)})")
        bits |= FLAGS[ch]
    return re.compile(pattern, bits)


def replacement_problem(rx: re.Pattern[str], replacement: str) -> str | None:
    """Why ``replacement`` cannot be used with ``rx`` (a group it does not have, a stray
    backslash), or None; checked without needing a match."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        _parser.parse_template(replacement, rx)
    except (re.error, IndexError) as exc:
        return str(exc)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another re layout
        return None
    return None


@dataclass
class FindReplace(EditCommand):
    """Replace what ``pattern`` finds by ``replacement`` in the values of the chosen fields and
    subfields (see the module's text). ``count``: replacements per value (0: all);
    ``occurrence``: only that field of the tag (1-based; ``tag`` must then be one tag)."""

    pattern: str
    replacement: str
    tag: str | None = None
    code: str | None = None
    flags: str = ""
    count: int = 0
    occurrence: int | None = None
    op: ClassVar[str] = "find-replace"

    def __post_init__(self):
        super().__post_init__()
        #: rule id -> matching lines the rules kept unchanged (last check or apply)
        self.skipped: Counter[str] = Counter()
        #: values changed by the last apply
        self.replaced = 0
        self._done: list[EditCommand] = []

    # -- what it would do -----------------------------------------------------------------------
    def _regex(self) -> tuple[re.Pattern[str] | None, Refusal | None]:
        try:
            rx = compile_pattern(self.pattern, self.flags)
        except re.error as exc:
            return None, Refusal.of("EDIT-VALUE", "bad-pattern", pattern=self.pattern, problem=str(exc))
        problem = replacement_problem(rx, self.replacement)
        if problem:
            return None, Refusal.of("EDIT-VALUE", "bad-replacement", replacement=self.replacement, problem=problem)
        return rx, None

    def plan(self, ctx: EditContext) -> tuple[list[EditCommand], Counter[str], Refusal | None]:
        """The commands that would make the change, each of which the rules allow; the matching
        lines they refuse, counted by rule id; and a refusal of the whole (bad pattern or
        replacement: nothing is planned)."""
        rx, bad = self._regex()
        if bad is not None or rx is None:
            return [], Counter(), bad
        tags = TagSpec(self.tag)
        code = None if self.code in (None, "", "*") else self.code
        cmds: list[EditCommand] = []
        skipped: Counter[str] = Counter()
        first: Refusal | None = None
        seen: dict[str, int] = {}
        for f in ctx.record.marc.fields:
            occ = seen[f.tag] = seen.get(f.tag, 0) + 1
            if not tags(f.tag) or (self.occurrence is not None and occ != self.occurrence):
                continue
            values: list[tuple[int | None, str]]
            if f.is_control_field():
                if code is not None or f.tag == "000":
                    continue
                values = [(None, f.data or "")]
            else:
                values = [(i, sf.value) for i, sf in enumerate(f.subfields) if code is None or sf.code == code]
            for index, value in values:
                if not value or rx.search(value) is None:
                    continue
                try:
                    new = rx.sub(self.replacement, value, count=self.count)
                except (re.error, IndexError) as exc:
                    return (
                        [],
                        Counter(),
                        Refusal.of("EDIT-VALUE", "bad-replacement", replacement=self.replacement, problem=str(exc)),
                    )
                if new == value:
                    continue
                cmd: EditCommand
                if index is None:
                    cmd = SetControlField(f.tag, new, occ)
                elif f.subfields[index].code == ORPHAN:
                    skipped["EDIT-VALUE"] += 1  # text outside any subfield: give it a code by hand
                    continue
                else:
                    cmd = SetSubfield(f.tag, occ, index, new)
                r = cmd.check(ctx)
                if r is not None:
                    skipped[r.rule] += 1
                    first = first or r
                    continue
                cmds.append(cmd)
        if not cmds and first is not None:
            n = sum(skipped.values())
            return (
                [],
                skipped,
                Refusal(first.rule, table.say("EDIT-VALUE", "none-may-change", n=n, why=first.message)),
            )
        return cmds, skipped, None

    # -- the protocol ---------------------------------------------------------------------------
    def check(self, ctx: EditContext) -> Refusal | None:
        _, self.skipped, r = self.plan(ctx)
        return r

    def _check(self, ctx: EditContext, st: RecordState) -> Refusal | None:  # pragma: no cover - check() is whole
        return None

    def _apply(self, ctx: EditContext) -> bool:
        cmds, self.skipped, _ = self.plan(ctx)
        done: list[EditCommand] = []
        try:
            for cmd in cmds:  # one value each: the others' positions do not move
                cmd.apply(ctx)
                done.append(cmd)
        except BaseException:
            for cmd in reversed(done):
                cmd.undo(ctx)
            raise
        self._done = done
        self.replaced = sum(1 for c in done if c.changed)
        return self.replaced > 0

    def _undo(self, ctx: EditContext) -> None:
        for cmd in reversed(self._done):
            cmd.undo(ctx)
        self._done = []

    def describe(self) -> str:
        where = str(TagSpec(self.tag)) + ("" if self.code in (None, "", "*") else f" ${self.code}")
        text = f"Replace /{self.pattern}/ with {self.replacement!r} in {where}"
        if self._applied:
            text += f": {self.replaced} value{'s' if self.replaced != 1 else ''} changed"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{rule} {n}" for rule, n in sorted(self.skipped.items()))
        return text


COMMANDS.setdefault(FindReplace.op, FindReplace)  # the journal replays it like the others

__all__ = ["FindReplace", "TagSpec", "compile_pattern", "replacement_problem", "FLAGS"]


# -- over a whole file ---------------------------------------------------------------------------


@dataclass
class FilePlan:
    """What a find and replace would do over a file: the records it would change (``slots``,
    with their ``RecordChange`` for the changes screen), the values it would change, and the
    matching lines the rules keep unchanged, counted by rule id over every record."""

    slots: list[int]
    changes: list
    replaced: int
    skipped: Counter[str]
    refusal: Refusal | None = None


def plan_over(
    entries,
    make: Callable[[], FindReplace],
    context: Callable[[int, object], EditContext],
) -> FilePlan:
    """Dry-run ``make()`` on a copy of every record of ``entries`` (``(slot, entry)`` pairs): the
    records themselves are not touched. ``context(slot, record)`` gives the edit context (profile,
    sigel, source). A pattern or replacement that is not valid refuses the whole at once."""
    import copy

    from tui.core.editing.changes import record_changes
    from tui.core.model.record import LibrisRecord

    probe = make()
    _, bad = probe._regex()
    if bad is not None:
        return FilePlan([], [], 0, Counter(), bad)
    slots: list[int] = []
    changes: list = []
    skipped: Counter[str] = Counter()
    replaced = 0
    for slot, e in entries:
        if not isinstance(e, LibrisRecord):
            continue
        cmd = make()
        cmds, skip, _ = cmd.plan(context(slot, e))
        skipped.update(skip)
        if not cmds:
            continue
        dry = copy.deepcopy(e)
        cmd.apply(context(slot, dry))
        replaced += cmd.replaced
        ch = record_changes(e, dry, before_slot=slot, after_slot=slot, commands=[(0, cmd)])
        if ch is not None:
            slots.append(slot)
            changes.append(ch)
    return FilePlan(slots, changes, replaced, skipped)


__all__ += ["FilePlan", "plan_over"]
