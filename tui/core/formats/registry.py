"""The record formats: one table that everything else is made from.

Each ``Format`` says what it is called (its id on the command line and in the config, its name
for people), which module reads and writes it, its file extensions, how its content is
recognised, and what it can carry (holdings records, embedded holdings, every MARC field,
unedited records byte for byte). The command line's ``--to`` choices and help, the app's export
dialog, detection by content, the message for a file of no known format and the README's formats
table all come from ``FORMATS``; a test holds the README to ``markdown_table()`` and renames a
format here to show that everything follows.

Each module named here has ``open_source(path) -> RecordSource`` when the format is read and
``write(records, out, **options)`` when it is written (``records``: ``LibrisRecord`` or pymarc
``Record``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Carries:
    """What a format can hold of a Libris record."""

    #: MARC 21 holdings records (leader/06 u v x y), each a record of its own
    holdings_records: bool
    #: holdings embedded in the bibliographic record (``852``/``856``... with ``$5 <sigel>``)
    embedded_holdings: bool
    #: every MARC field, also those the Libris mapping does not cover
    every_field: bool
    #: an unedited record read from this format is written back byte for byte
    byte_exact: bool
    #: for people: what is lost or changed on the way, when something is
    limits: str = ""


MARC = Carries(holdings_records=True, embedded_holdings=True, every_field=True, byte_exact=False)


@dataclass(frozen=True)
class Format:
    #: the id: ``--to``, the config, ``RecordSource.format``
    id: str
    #: the name people read (help, the export dialog, messages, the README)
    name: str
    #: the module that reads and writes it
    module: str
    #: file extensions, the one written first
    extensions: tuple[str, ...]
    #: how it is read / written, for the README ("" = not written)
    read: str
    write: str
    carries: Carries
    notes: str = ""
    #: offered by ``export`` and the export dialog
    exportable: bool = True
    #: recognises the format from the first bytes (BOM removed) and those bytes without leading
    #: white space; tried in ``sniff_rank`` order
    sniff: Callable[[bytes, bytes], bool] | None = None
    sniff_rank: int = 100

    @property
    def writable(self) -> bool:
        return bool(self.write)

    @property
    def extension(self) -> str:
        """The extension an output file of this format gets."""
        return self.extensions[0]

    @property
    def label(self) -> str:
        """``MARCXML (.xml)``: the name with the extension written."""
        return f"{self.name} ({self.extension})"


# -- recognising content ----------------------------------------------------------------------

_ISO_LEADER = re.compile(rb"^[0-9 ]{5}[\x20-\x7e]{7}[0-9 ]{5}[\x20-\x7e]{3}[0-9 ]{4}")
_MRK_LINE = re.compile(rb"^=(LDR|\d{3}|[A-Z]{3})  ")
_TURTLE = re.compile(rb"^(@prefix|@base|PREFIX|BASE)\s", re.I)
_NOTATION_LINE = re.compile(rb"^\s*(?:(?:\xe2\x80\xa2|[*\xb7-])\s+)?(?:LDR|\d{3}) ")
_LD_KEYS = (b'"@graph"', b'"@context"', b'"@id"')


def _is_xml(head: bytes, s: bytes) -> bool:
    return s[:1] == b"<"


_TURBOMARC_NS = re.compile(rb"""\sxmlns(?::[A-Za-z_][\w.\-]*)?\s*=\s*["']http://www\.indexdata\.com/turbomarc["']""")


#: yaz's shape without the namespace: an ``<r>`` whose first element is ``<l>``
_TURBOMARC_SHAPE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?r(?:\s[^>]*)?>\s*<(?:[A-Za-z_][\w.\-]*:)?l>")


def _is_turbomarc(head: bytes, s: bytes) -> bool:
    if s[:1] != b"<":
        return False
    first = s[:65536]
    return _TURBOMARC_NS.search(first) is not None or (
        b"http://www.loc.gov/MARC21/slim" not in first and _TURBOMARC_SHAPE.search(first) is not None
    )


def _is_jsonld(head: bytes, s: bytes) -> bool:
    return s[:1] in (b"{", b"[") and any(k in s[:65536] for k in _LD_KEYS)


def _is_json(head: bytes, s: bytes) -> bool:
    return s[:1] in (b"{", b"[")


def _is_turtle(head: bytes, s: bytes) -> bool:
    return _TURTLE.match(s) is not None


def _is_mrk(head: bytes, s: bytes) -> bool:
    return _MRK_LINE.match(s) is not None


def _is_iso2709(head: bytes, s: bytes) -> bool:
    # five digits of record length, then a leader; or a leader with spaces for the length (some
    # exporters); the directory starts at 24
    return len(head) >= 24 and _ISO_LEADER.match(head[:24]) is not None


def _is_notation(head: bytes, s: bytes) -> bool:
    lines = [ln for ln in s.splitlines()[:20] if ln.strip()]
    return bool(lines) and sum(1 for ln in lines if _NOTATION_LINE.match(ln)) >= max(1, len(lines) // 2)


# -- the table ----------------------------------------------------------------------------------

ISO2709 = Format(
    id="iso2709",
    name="MARC21 ISO 2709",
    module="tui.core.formats.iso2709",
    extensions=(".mrc", ".marc", ".iso", ".dat", ".iso2709"),
    read="indexed by record offsets, parsed per record",
    write="byte-exact for unedited records",
    carries=Carries(holdings_records=True, embedded_holdings=True, every_field=True, byte_exact=True),
    notes="UTF-8 and MARC-8; a leader/09 that lies is flagged",
    sniff=_is_iso2709,
    sniff_rank=60,
)
MARCXML = Format(
    id="marcxml",
    name="MARCXML",
    module="tui.core.formats.marcxml",
    extensions=(".xml", ".marcxml"),
    read="indexed by a raw scan, lxml per record; with or without the namespace, any prefix, inside OAI-PMH and SRU responses",
    write="yes",
    carries=MARC,
    notes="no DTDs, no entities, no network; XML that is not MARC is refused in one line (FORMAT-NOT-MARC), a document cut short before `</collection>` is an error with its line (XML-UNCLOSED)",
    sniff=_is_xml,
    sniff_rank=10,
)
TURBOMARC = Format(
    id="turbomarc",
    name="TurboMARC",
    module="tui.core.formats.turbomarc",
    extensions=(".turbomarc",),
    read="as MARCXML: indexed by a raw scan, lxml per record",
    write="byte for byte as `yaz-marcdump -o turbomarc`",
    carries=MARC,
    notes="Index Data's XML form (`<c001>`, `<d245 i1 i2>`, `<sa>`), recognised by its namespace or its shape",
    sniff=_is_turbomarc,
    sniff_rank=9,
)
MARC_JSON = Format(
    id="marc-json",
    name="MARC-in-JSON",
    module="tui.core.formats.marcjson",
    extensions=(".json", ".marcjson", ".ndjson", ".jsonl"),
    read="pymarc's and Libris's `application/x-marc-json`; a list, one record, or one record a line (NDJSON)",
    write="pymarc's shape",
    carries=MARC,
    notes="repeated keys, numbers, raw control characters and bytes that are not UTF-8 are reported with byte and line; at most 256 levels of nesting (JSON-DEPTH); JSON of another shape is refused in one line (FORMAT-NOT-MARC)",
    sniff=_is_json,
    sniff_rank=30,
)
MRK = Format(
    id="mrk",
    name="MARCMaker",
    module="tui.core.formats.mrk",
    extensions=(".mrk", ".mrk8"),
    read="yes",
    write="yes",
    carries=MARC,
    notes="`{dollar}` and other mnemonics",
    sniff=_is_mrk,
    sniff_rank=50,
)
NOTATION = Format(
    id="notation",
    name="MARC view notation",
    module="tui.core.formats.notation",
    extensions=(".txt", ".marc21"),
    read="yes",
    write="yes",
    carries=Carries(
        holdings_records=True,
        embedded_holdings=True,
        every_field=True,
        byte_exact=False,
        limits="control fields are written before data fields",
    ),
    notes="the seed's `245 1/0 #a ... #h [channel record]`; text before the first `#` is kept",
    sniff=_is_notation,
    sniff_rank=70,
)
JSONLD = Format(
    id="jsonld",
    name="Libris XL JSON-LD",
    module="tui.core.formats.jsonld",
    extensions=(".jsonld", ".json-ld"),
    read="rdflib, offline (the context is shipped); at most 256 levels of nesting (deeper: refused, with line and column)",
    write="Libris's shape",
    carries=Carries(
        holdings_records=True,
        embedded_holdings=False,
        every_field=True,
        byte_exact=False,
        limits="through the label view's mapping; fields it does not cover are kept in `_marcUncompleted`",
    ),
    notes="through the same mapping as the label view",
    sniff=_is_jsonld,
    sniff_rank=20,
)
TURTLE = Format(
    id="turtle",
    name="Turtle (RDF)",
    module="tui.core.formats.turtle",
    extensions=(".ttl",),
    read="rdflib, as JSON-LD in Libris's context",
    write="the JSON-LD as RDF",
    carries=Carries(
        holdings_records=True,
        embedded_holdings=False,
        every_field=False,
        byte_exact=False,
        limits="only what is RDF: the fields the mapping does not cover are left out",
    ),
    notes="the `kbv:` and `marc:` prefixes",
    sniff=_is_turtle,
    sniff_rank=40,
)

#: every format, in the order they are listed (help, dialog, README)
FORMATS: tuple[Format, ...] = (ISO2709, MARCXML, TURBOMARC, MARC_JSON, MRK, NOTATION, JSONLD, TURTLE)
#: what export writes when neither ``--to``, the output's extension nor the input's format says
DEFAULT_EXPORT = ISO2709


class UnknownFormat(ValueError):
    """A format id that is not in the table (the message lists those that are)."""


def get(fmt_id: str) -> Format:
    for f in FORMATS:
        if f.id == fmt_id:
            return f
    raise UnknownFormat(f"unknown format {fmt_id!r}; known: {', '.join(ids())}")


def ids() -> list[str]:
    return [f.id for f in FORMATS]


def exportable() -> list[Format]:
    """The formats ``export`` and the export dialog offer."""
    return [f for f in FORMATS if f.exportable and f.writable]


def exportable_ids() -> list[str]:
    return [f.id for f in exportable()]


def for_extension(path_or_ext: str | Path) -> Format | None:
    """The format a file name's extension suggests (only a hint: the content decides on reading)."""
    text = str(path_or_ext)
    ext = Path(text).suffix.lower() or (text.lower() if text.startswith(".") else "")
    for f in FORMATS:
        if ext in f.extensions:
            return f
    return None


def sniff(head: bytes, path: str = "") -> Format | None:
    """The format of a file from its first bytes; the extension only where content cannot tell."""
    h = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    s = h.lstrip()
    if not s:
        return None
    for f in sorted(FORMATS, key=lambda f: f.sniff_rank):
        if f.sniff is not None and f.sniff(h, s):
            return f
    return for_extension(path) if path else None


def names() -> str:
    """``MARC21 ISO 2709, MARCXML, ...``: every format this program reads, for messages."""
    return ", ".join(f.name for f in FORMATS)


def choices_help() -> str:
    """``iso2709 (MARC21 ISO 2709), marcxml (MARCXML), ...``: the export formats for ``--help``."""
    return ", ".join(f"{f.id} ({f.name})" for f in exportable())


def markdown_table() -> str:
    """The README's formats table."""
    rows = ["| format | id | read | write | can carry | notes |", "|---|---|---|---|---|---|"]
    for f in FORMATS:
        exts = ", ".join(f"`{e}`" for e in f.extensions)
        rows.append(
            f"| {f.name} ({exts}) | `{f.id}` | {f.read or 'no'} | {f.write or 'no'} | {_carries(f.carries)} | {f.notes} |"
        )
    return "\n".join(rows) + "\n"


def _carries(c: Carries) -> str:
    parts = []
    if c.holdings_records:
        parts.append("holdings records")
    if c.embedded_holdings:
        parts.append("embedded holdings")
    parts.append("every MARC field" if c.every_field else "mapped fields only")
    if c.byte_exact:
        parts.append("unedited records byte for byte")
    text = ", ".join(parts)
    return f"{text}; {c.limits}" if c.limits else text
