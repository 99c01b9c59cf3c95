"""One field as one line of MARC text, the way MarcEdit's editor shows it: ``=245  10$aTitle$bSub``.

The line form is MARCMaker's (``tui.core.formats.mrk``: the tag, two spaces, the indicators with a
blank written ``\\``, ``$`` before each subfield code, ``{dollar}`` for a literal ``$`` and the
other mnemonics); this module parses and writes it with that reader's and writer's own functions,
and checks a line the cataloguer typed before it becomes a field, so that a mistake is told at its
column and the line stays open:

* ``LineProblem(column, rule, message)``: 1-based column in the line as typed;
* ``parse_line(text)`` -> ``pymarc.Field`` or raises ``LineError`` (the first problem);
* ``check_line(text)`` -> every problem, in column order;
* ``parse_lines(text)`` -> the fields of a pasted block (one line each; blank lines skipped),
  ``LineError`` naming the line and column of the first problem;
* ``field_line(field)`` -> the line form of a field (what the line editor opens with).

What is checked is what a field must be to be written: a tag of three letters or digits
(STRUCT-TAG), two indicators that are blank, a digit or a lowercase letter (STRUCT-INDICATOR),
no text before the first subfield code (STRUCT-ORPHAN-TEXT), subfield codes that are one digit or
lowercase letter (STRUCT-SUBFIELD-CODE), no empty subfield and at least one (STRUCT-EMPTY-SUBFIELD),
no unknown mnemonic (MRK-MNEMONIC), a leader of 24 characters (STRUCT-LEADER). ``known`` (from
the MARC 21 definitions) adds: the tag is defined (STRUCT-TAG) and each indicator value is one
the tag defines (STRUCT-INDICATOR).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pymarc import Field

from tui.core.formats import mrk
from tui.core.model.record import LibrisError, ReadIssue

__all__ = [
    "LineProblem",
    "LineError",
    "Known",
    "field_line",
    "leader_line",
    "check_line",
    "parse_line",
    "parse_lines",
    "LEADER",
]

#: the tag of the leader in the line form
LEADER = "LDR"

_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_IND = re.compile(r"^[0-9a-z ]$")
_CODE = re.compile(r"^[0-9a-z]$")


@dataclass(frozen=True)
class LineProblem:
    """What is wrong in a line, and where: ``column`` is 1-based in the line as typed."""

    column: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"column {self.column}: {self.message} ({self.rule})"


class LineError(LibrisError):
    """A line that is not a field (the first problem; ``line`` is 1-based in a pasted block)."""

    def __init__(self, problem: LineProblem, line: int | None = None, text: str = ""):
        where = f"line {line}, " if line is not None else ""
        super().__init__(f"{where}{problem}")
        self.problem = problem
        self.line = line
        self.text = text


class Known:
    """What the MARC 21 definitions say of a tag, for the checks that need them.

    ``tag_name(tag)`` -> the tag's name, or None when the format does not define it;
    ``indicator_values(tag, position)`` -> the values defined for indicator 1 or 2 (blank as
    ``" "``), or None when any value goes (undefined indicators are blank)."""

    def __init__(
        self,
        tag_name: Callable[[str], str | None],
        indicator_values: Callable[[str, int], dict[str, str] | None],
    ) -> None:
        self.tag_name = tag_name
        self.indicator_values = indicator_values


def field_line(f: Field) -> str:
    """The line form of ``f`` (MARCMaker's writer, one field)."""
    return mrk.field_line(f)


def leader_line(leader: str) -> str:
    return mrk.leader_line(leader)


def _local(tag: str) -> bool:
    """9XX and X9X are local fields in MARC 21: any library may define them."""
    return tag[0] == "9" or (tag[1] == "9" and tag >= "010")


def _controls(text: str, shift: int) -> list[LineProblem]:
    return [
        LineProblem(
            i + 1 + shift,
            "EDIT-VALUE",
            f"a control character (U+{ord(c):04X}) in the line; write {{U+{ord(c):04X}}} if it is meant",
        )
        for i, c in enumerate(text)
        if unicodedata.category(c) == "Cc" or c in "\u2028\u2029"
    ]


def _shown(c: str) -> str:
    return "blank" if c in (" ", "\\") else repr(c)


def check_line(text: str, known: Known | None = None) -> list[LineProblem]:
    """Every problem of ``text`` as the line form of one field, in column order (empty: it is one).

    A line may leave out the leading ``=`` (it is added) and have one or two spaces after the tag.
    """
    problems: list[LineProblem] = []
    shift = 0
    if not text.startswith("="):
        text, shift = "=" + text, -1
    parts = mrk.split_line(text)
    if parts is None or not text[1:].strip():
        return [LineProblem(1, "STRUCT-TAG", "a field line starts with its tag, e.g. =245  10$aTitle")]
    tag, body, at = parts
    col0 = at + 1 + shift  # the 1-based column of body[0]
    bad = _controls(text, shift)
    if bad:
        return bad

    def add(offset: int, rule: str, message: str) -> None:
        problems.append(LineProblem(col0 + offset, rule, message))

    if tag == LEADER:
        leader = mrk.decode_mnemonics(body.replace("\\", " "))
        for off, m in mrk.unknown_mnemonics(body):
            add(off, "MRK-MNEMONIC", f"unknown mnemonic {m}; write {{lcub}} for a literal {{")
        if len(leader) != 24:
            add(min(len(body), 24), "STRUCT-LEADER", f"a leader has 24 characters, not {len(leader)}")
        elif not leader.isascii():
            add(0, "STRUCT-LEADER", "a leader holds ASCII characters only")
        return sorted(problems, key=lambda p: p.column)
    tag_col = 2 + shift
    if not _TAG.match(tag):
        problems.append(LineProblem(tag_col, "STRUCT-TAG", f"tag {tag!r} is not three digits or letters"))
        return problems
    if known is not None and not _local(tag) and known.tag_name(tag) is None:
        problems.append(LineProblem(tag_col, "STRUCT-TAG", f"tag {tag} is not defined in MARC 21 (nor by Libris)"))
    if Field(tag=tag, data="").is_control_field():
        for off, m in mrk.unknown_mnemonics(body):
            add(off, "MRK-MNEMONIC", f"unknown mnemonic {m}; write {{lcub}} for a literal {{")
        if not body.strip("\\ "):
            add(0, "STRUCT-EMPTY-SUBFIELD", f"control field {tag} has no value")
        return sorted(problems, key=lambda p: p.column)
    if len(body) < 2:
        add(len(body), "STRUCT-INDICATOR", "a data field starts with its two indicators (blank as \\)")
        return problems
    for pos in (1, 2):
        c = body[pos - 1]
        ind = " " if c == "\\" else c
        if not _IND.match(ind):
            if c == "$":
                add(pos - 1, "STRUCT-INDICATOR", f"indicator {pos} is missing: give two indicators (blank as \\)")
                return problems
            add(pos - 1, "STRUCT-INDICATOR", f"indicator {pos} {c!r} is not blank (\\), a digit or a lowercase letter")
            continue
        defined = known.indicator_values(tag, pos) if known is not None else None
        if defined is not None and ind not in defined:
            values = ", ".join(_shown(v) for v in sorted(defined)) or "blank"
            add(pos - 1, "STRUCT-INDICATOR", f"indicator {pos} of {tag} is {_shown(ind)}; defined: {values}")
    chunks = mrk.subfield_chunks(body)
    orphan_at, orphan = chunks[0]
    if orphan:
        add(orphan_at, "STRUCT-ORPHAN-TEXT", f"text before the first subfield code: {orphan[:20]!r}; start with $a")
    if len(chunks) == 1 and not orphan:
        add(len(body), "STRUCT-EMPTY-SUBFIELD", f"{tag} needs at least one subfield, e.g. $a")
    for off, chunk in chunks[1:]:
        dollar = off - 1  # the $ before the chunk
        if not chunk:
            add(dollar, "STRUCT-EMPTY-SUBFIELD", "a $ with no subfield code; write {dollar} for a literal $")
            continue
        if not _CODE.match(chunk[0]):
            add(off, "STRUCT-SUBFIELD-CODE", f"subfield code {chunk[0]!r} is not a digit or a lowercase letter")
        elif not chunk[1:].strip():
            add(dollar, "STRUCT-EMPTY-SUBFIELD", f"${chunk[0]} is empty: give it a value or delete it")
        for m_off, m in mrk.unknown_mnemonics(chunk[1:]):
            add(off + 1 + m_off, "MRK-MNEMONIC", f"unknown mnemonic {m}; write {{lcub}} for a literal {{")
    for m_off, m in mrk.unknown_mnemonics(orphan):
        add(orphan_at + m_off, "MRK-MNEMONIC", f"unknown mnemonic {m}; write {{lcub}} for a literal {{")
    return sorted(problems, key=lambda p: p.column)


def parse_line(text: str, known: Known | None = None) -> Field:
    """The field a line stands for; ``LineError`` with the first problem when it is not one.
    (For the leader line, ``=LDR  ...``, use ``parse_leader``.)"""
    problems = check_line(text, known)
    if problems:
        raise LineError(problems[0], text=text)
    parts = mrk.split_line(text if text.startswith("=") else "=" + text)
    assert parts is not None  # check_line said it is a line
    tag, body, _ = parts
    if tag == LEADER:
        raise LineError(LineProblem(2, "EDIT-TARGET", "this is the leader, not a field"), text=text)
    issues: list[ReadIssue] = []
    return mrk.parse_field(tag, body, issues)


def parse_leader(text: str) -> str:
    """The leader a ``=LDR  ...`` line stands for (``LineError`` when it is not one)."""
    problems = check_line(text)
    if problems:
        raise LineError(problems[0], text=text)
    parts = mrk.split_line(text if text.startswith("=") else "=" + text)
    assert parts is not None
    tag, body, _ = parts
    if tag != LEADER:
        raise LineError(LineProblem(2, "EDIT-TARGET", f"this is field {tag}, not the leader"), text=text)
    return mrk.decode_mnemonics(body.replace("\\", " "))


def parse_lines(text: str, known: Known | None = None) -> list[Field]:
    """The fields of a block of lines (a paste): one field a line, blank lines skipped. Raises
    ``LineError`` naming the first bad line (1-based in ``text``) and its column."""
    out = []
    for n, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if not line.strip():
            continue
        try:
            out.append(parse_line(line.rstrip("\n"), known))
        except LineError as exc:
            raise LineError(exc.problem, n, line) from None
    return out
