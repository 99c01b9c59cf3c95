"""The record model: pymarc's Record/Field/Subfield, wrapped where Libris needs more.

We build on pymarc rather than beside it (STYLE.md). What Libris adds:

* ``LibrisRecord``: a pymarc ``Record`` plus where it came from (file, record number, byte
  offset), what the reader noticed about it (``ReadIssue``), and the holdings linked to it.
* ``BrokenRecord``: a record slot that could not be read, with the reason; the rest of the file
  stays usable.
* Orphan text: the seed's channel record has ``856 4/2 http://... #z publisher``, text before the
  first subfield code. It is kept as a ``Subfield(code="", value=...)`` (``ORPHAN``) so that it
  survives display and round trips exactly; writers emit it with no subfield delimiter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Literal

from pymarc import Field, Leader, Record, Subfield
from pymarc.field import Indicators

from tui.core.rules import table

#: Subfield code used for text that stands before the first subfield delimiter.
ORPHAN = ""

#: leader/06 values of MARC21 holdings records.
HOLDINGS_TYPES = frozenset("uvxy")
#: leader/06 value of MARC21 authority records.
AUTHORITY_TYPES = frozenset("z")

Severity = Literal["error", "warning", "info"]


class NotationField(Field):
    """A Field read from the seed's notation, remembering how blank indicators were written.

    The seed writes a blank indicator as ``-`` and once as ``_`` (``024 8/_``); the MARC view
    shows what was read so that a record is displayed exactly as given.
    """

    __slots__ = ("blank_glyphs",)

    def __init__(self, *args, blank_glyphs: tuple[str, str] = ("-", "-"), **kwargs):
        super().__init__(*args, **kwargs)
        self.blank_glyphs = blank_glyphs


def blank_glyphs(f: Field) -> tuple[str, str]:
    """How the two blank indicators of ``f`` are shown: as read from the notation, else ``-``."""
    return f.blank_glyphs if isinstance(f, NotationField) else ("-", "-")


@dataclass(frozen=True)
class ReadIssue:
    """Something a reader noticed about a record that it could still read.

    ``code`` is a stable id (e.g. ``ENC-LEADER09``, ``ENC-INVALID-UTF8``, ``STRUCT-ORPHAN-TEXT``,
    ``STRUCT-EMPTY-SUBFIELD``); ``tag``/``occurrence`` (1-based among fields with that tag) locate
    it where it belongs to a field.
    """

    code: str
    message: str
    severity: Severity = "warning"
    tag: str | None = None
    occurrence: int | None = None

    def describe(self) -> str:
        where = f" {self.tag}" + (f"[{self.occurrence}]" if self.occurrence else "") if self.tag else ""
        return f"{self.severity}{where}: {self.message} ({self.code})"

    @classmethod
    def of(cls, code: str, key: str, tag: str | None = None, occurrence: int | None = None, /, **fields) -> ReadIssue:
        """The issue ``code`` saying the rule table's sentence ``key`` (its severity too)."""
        return cls(code, table.say(code, key, **fields), table.severity(code, key), tag, occurrence)  # type: ignore[arg-type]


class LibrisError(Exception):
    """Base of the project's own errors: their str() is a message for the cataloguer."""


class UnreadableFile(LibrisError):
    """A file that cannot be read at all (missing, unknown format, not MARC)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class RecordError(LibrisError):
    """One record that cannot be read: names the file, record number and byte offset."""

    def __init__(self, path: str, number: int, offset: int | None, reason: str):
        where = f"record {number}" + (f" at byte {offset}" if offset is not None else "")
        super().__init__(f"{path}: {where}: {reason}")
        self.path = path
        self.number = number
        self.offset = offset
        self.reason = reason


@dataclass
class BrokenRecord:
    """A record slot that could not be parsed. ``number`` is 1-based, ``offset`` in bytes."""

    path: str
    number: int
    offset: int | None
    reason: str
    raw: bytes = b""
    line: int | None = None

    @property
    def error(self) -> RecordError:
        return RecordError(self.path, self.number, self.offset, self.reason)

    def describe(self) -> str:
        msg = str(self.error)
        if self.line is not None:
            msg += f" (line {self.line})"
        return msg


@dataclass
class LibrisRecord:
    """A readable record: the pymarc ``Record`` and its provenance."""

    marc: Record
    path: str = ""
    number: int = 0  # 1-based position in the file
    offset: int | None = None  # byte offset in the file, where the format has one
    source_format: str = ""
    issues: list[ReadIssue] = dc_field(default_factory=list)
    #: holdings records (kind == "holdings") linked to this bib: by 004 = 001 in the same file
    holdings: list[LibrisRecord] = dc_field(default_factory=list)
    #: JSON-LD or other source document this record was converted from, when there was one
    origin: object | None = None
    #: the reader found every data field's indicators, codes and values valid (a fact for the
    #: validator about the record as read; it checks them again once the record is changed)
    valid_fields: bool = False

    # -- identity ---------------------------------------------------------------------------
    @property
    def leader(self) -> str:
        return str(self.marc.leader)

    @property
    def kind(self) -> Literal["bib", "holdings", "authority"]:
        t = self.leader[6:7]
        if t in HOLDINGS_TYPES:
            return "holdings"
        if t in AUTHORITY_TYPES:
            return "authority"
        return "bib"

    @property
    def control_number(self) -> str | None:
        f = self.marc.get("001")
        return f.data if f is not None and f.data is not None else None

    @property
    def linked_bib(self) -> str | None:
        """For a holdings record: the 001 of its bib (from 004)."""
        f = self.marc.get("004")
        return f.data.strip() if f is not None and f.data else None

    @property
    def title(self) -> str:
        f = self.marc.get("245")
        if f is None or f.is_control_field():
            return ""
        parts = [sf.value for sf in f.subfields if sf.code in ("a", "b", "n", "p")]
        return " ".join(p.strip() for p in parts if p).strip(" /:;,.") or ""

    def describe(self) -> str:
        ident = self.control_number or "(no 001)"
        return f"{self.path}: record {self.number} [{ident}]"

    def fields(self, *tags: str) -> list[Field]:
        return self.marc.get_fields(*tags)


Entry = LibrisRecord | BrokenRecord


def field_occurrence(record: Record, field: Field) -> int:
    """1-based occurrence of ``field`` among the fields of its tag (by identity)."""
    n = 0
    for f in record.fields:
        if f.tag == field.tag:
            n += 1
            if f is field:
                return n
    raise ValueError("field is not in record")


def new_leader(record_type: str = "a", bib_level: str = "m", utf8: bool = True) -> Leader:
    """A sensible leader for a record read from a format that has none (the seed notation)."""
    return Leader(f"00000n{record_type}{bib_level} {'a' if utf8 else ' '}2200000 i 4500")


def iter_records(entries: Iterable[Entry]) -> Iterator[LibrisRecord]:
    for e in entries:
        if isinstance(e, LibrisRecord):
            yield e


__all__ = [
    "ORPHAN",
    "Field",
    "Subfield",
    "Indicators",
    "Record",
    "Leader",
    "NotationField",
    "blank_glyphs",
    "ReadIssue",
    "LibrisError",
    "UnreadableFile",
    "RecordError",
    "BrokenRecord",
    "LibrisRecord",
    "Entry",
    "field_occurrence",
    "new_leader",
    "iter_records",
]
