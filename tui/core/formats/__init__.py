"""Readers and writers, chosen by content (the file extension is only a hint).

``open_source(path)`` -> ``RecordSource``; ``write_records(records, out, fmt)``.

Format ids (used on the command line and in the config): ``iso2709``, ``marcxml``, ``marc-json``,
``mrk``, ``notation``, ``jsonld``, ``turtle``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from tui.core.model.record import LibrisRecord, Record, UnreadableFile
from tui.core.sources.base import RecordSource

#: format id -> module (each module has ``open_source(path) -> RecordSource`` and
#: ``write(records: Iterable[pymarc.Record], out: BinaryIO, **options)``)
MODULES = {
    "iso2709": "tui.core.formats.iso2709",
    "marcxml": "tui.core.formats.marcxml",
    "marc-json": "tui.core.formats.marcjson",
    "mrk": "tui.core.formats.mrk",
    "notation": "tui.core.formats.notation_io",
    "jsonld": "tui.core.formats.jsonld",
    "turtle": "tui.core.formats.turtle",
}

EXTENSIONS = {
    ".mrc": "iso2709",
    ".marc": "iso2709",
    ".iso": "iso2709",
    ".dat": "iso2709",
    ".iso2709": "iso2709",
    ".xml": "marcxml",
    ".marcxml": "marcxml",
    ".json": "marc-json",
    ".marcjson": "marc-json",
    ".mrk": "mrk",
    ".mrk8": "mrk",
    ".txt": "notation",
    ".marc21": "notation",
    ".jsonld": "jsonld",
    ".json-ld": "jsonld",
    ".ttl": "turtle",
}

WRITE_EXTENSIONS = {
    "iso2709": ".mrc",
    "marcxml": ".xml",
    "marc-json": ".json",
    "mrk": ".mrk",
    "notation": ".txt",
    "jsonld": ".jsonld",
    "turtle": ".ttl",
}

_NOTATION_LINE = re.compile(rb"^\s*(?:(?:\xe2\x80\xa2|[*\xb7-])\s+)?(?:LDR|\d{3}) ")


def sniff(head: bytes, path: str = "") -> str | None:
    """Guess the format from the first bytes of a file; ``None`` if it is no format we know."""
    h = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    s = h.lstrip()
    if not s:
        return None
    if s[:1] == b"<":
        return "marcxml"
    if s[:1] in (b"{", b"["):
        probe = s[:65536]
        if b'"@graph"' in probe or b'"@context"' in probe or b'"@id"' in probe:
            return "jsonld"
        return "marc-json"
    if re.match(rb"^(@prefix|@base|PREFIX|BASE)\s", s, re.I):
        return "turtle"
    if re.match(rb"^=(LDR|\d{3}|[A-Z]{3})  ", s):
        return "mrk"
    # ISO 2709: five digits of record length, then a leader; or a leader with spaces for the
    # length (some exporters); the directory starts at 24.
    if len(h) >= 24 and re.match(rb"^[0-9 ]{5}[\x20-\x7e]{7}[0-9 ]{5}[\x20-\x7e]{3}[0-9 ]{4}", h[:24]):
        return "iso2709"
    first_lines = [ln for ln in s.splitlines()[:20] if ln.strip()]
    if first_lines and sum(1 for ln in first_lines if _NOTATION_LINE.match(ln)) >= max(1, len(first_lines) // 2):
        return "notation"
    ext = Path(path).suffix.lower()
    return EXTENSIONS.get(ext)


def detect(path: str | Path) -> str:
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536)
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(str(path), "is a directory, not a record file") from None
    except PermissionError:
        raise UnreadableFile(str(path), "permission denied") from None
    except OSError as exc:
        raise UnreadableFile(str(path), exc.strerror or str(exc)) from None
    if not head.strip():
        raise UnreadableFile(str(path), "the file is empty")
    fmt = sniff(head, str(path))
    if fmt is None:
        raise UnreadableFile(
            str(path),
            "not a record file this program reads (ISO 2709, MARCXML, "
            "MARC-in-JSON, MARCMaker, the MARC notation or Libris JSON-LD)",
        )
    return fmt


def _module(fmt: str):
    if fmt not in MODULES:
        raise UnreadableFile("", f"unknown format {fmt!r}; known: {', '.join(MODULES)}")
    try:
        return importlib.import_module(MODULES[fmt])
    except ModuleNotFoundError as exc:
        if exc.name == MODULES[fmt]:
            raise UnreadableFile("", f"the {fmt} format is not available in this build") from None
        raise


def open_source(path: str | Path, fmt: str | None = None) -> RecordSource:
    """Open a record file of any supported format. Raises ``UnreadableFile`` only when nothing
    in it can be read; a broken record is a ``BrokenRecord`` slot in the source."""
    fmt = fmt or detect(path)
    return _module(fmt).open_source(str(path))


def write_records(records: Iterable[Record | LibrisRecord], out: BinaryIO, fmt: str, **options) -> None:
    recs = (r.marc if isinstance(r, LibrisRecord) else r for r in records)
    _module(fmt).write(recs, out, **options)


def format_for_output(path: str | Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    ext = Path(path).suffix.lower()
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise UnreadableFile(
            str(path), f"cannot tell the output format from {ext or 'no extension'!r}; use --to ({', '.join(MODULES)})"
        )
    return fmt
