"""The seed's MARC display notation (KB's "E-plikt i Libris" page).

One field a line, records separated by blank lines::

     • 024 7/- #a 1bafa057193a3d64c83391139f78e0b3 #2 kbse-mimer
     • 245 1/0 #a Statens medieråd, löpande #h [channel record]
     • 856 4/2 http://id.kb.se/organisations/SE2021006396 #z publisher

Tag, indicator 1 ``/`` indicator 2 (blank as ``-``, ``_`` or ``#``), then ``#c value`` per
subfield. An optional leading bullet. The leader is ``000`` (or ``LDR``) and control fields are
``TAG value``; when a record has no leader a sensible one is made (and said so).

The seed's channel record is malformed on purpose and must survive exactly: text before the first
``#`` (kept as an orphan subfield, ``model.ORPHAN``), an empty ``#u``, a URI in ``#a``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from tui.core.formats.common import record_issues
from tui.core.formats.registry import NOTATION
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Entry,
    Field,
    LibrisRecord,
    NotationField,
    ReadIssue,
    Record,
    Subfield,
    blank_glyphs,
    new_leader,
)
from tui.core.sources.base import ListSource, read_file_bytes

FORMAT = NOTATION.id

_BULLET = "•*·–-"
_LINE = re.compile(r"^\s*(?:[•*·–-]\s+)?(LDR|[0-9A-Za-z]{3})(?: (.*))?$")
_INDS = re.compile(r"^(\S)/(\S)(?:\s(.*))?$|^(\S)/(\S)$")
# a subfield marker: '#' and a code, standing alone (start or after white space, then white
# space or the end)
_MARK = re.compile(r"(?:(?<=\s)|^)#([0-9a-zA-Z])(?=\s|$)")
_BLANKS = "-_# "


class NotationError(ValueError):
    pass


def parse_field_line(line: str) -> Field | _LeaderLine:
    m = _LINE.match(line.rstrip("\r\n"))
    if not m:
        raise NotationError(f"not a field line: {line.strip()[:60]!r}")
    tag, rest = m.group(1), m.group(2) or ""
    if tag in ("LDR", "000"):
        return _LeaderLine(rest)
    if tag < "010" and tag.isdigit():
        return Field(tag=tag, data=rest)
    im = _INDS.match(rest)
    if not im:
        raise NotationError(f"{tag}: indicators missing (expected e.g. '{tag} 1/0 #a ...')")
    i1, i2, body = (im.group(1), im.group(2), im.group(3)) if im.group(1) else (im.group(4), im.group(5), "")
    body = body or ""
    glyphs = (i1 if i1 in _BLANKS else "-", i2 if i2 in _BLANKS else "-")
    inds = []
    for raw in (i1, i2):
        if raw in _BLANKS:
            inds.append(" ")
        else:
            inds.append(raw)
    subfields: list[Subfield] = []
    marks = list(_MARK.finditer(body))
    head = body[: marks[0].start()] if marks else body
    if head.strip():
        subfields.append(Subfield(ORPHAN, head.strip()))
    for k, mk in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(body)
        value = body[mk.end() : end]
        if value.startswith(" "):
            value = value[1:]
        subfields.append(Subfield(mk.group(1), value.rstrip()))
    return NotationField(tag=tag, indicators=inds, subfields=subfields, blank_glyphs=glyphs)


class _LeaderLine(str):
    pass


def parse_block(lines: list[str], path: str, number: int, offset: int, line_no: int) -> Entry:
    rec = Record(force_utf8=True)
    rec.leader = None  # type: ignore[assignment]
    leader = None
    issues: list[ReadIssue] = []
    for k, line in enumerate(lines):
        try:
            f = parse_field_line(line)
        except NotationError as exc:
            return BrokenRecord(
                path,
                number,
                offset,
                f"line {line_no + k}: {exc}",
                "\n".join(lines).encode("utf-8", "surrogateescape"),
                line=line_no + k,
            )
        if isinstance(f, _LeaderLine):
            leader = str(f)
            continue
        rec.fields.append(f)
    tags = {f.tag for f in rec.fields}
    if leader is not None and len(leader) == 24:
        from pymarc import Leader

        rec.leader = Leader(leader)
    else:
        if leader is not None:
            issues.append(ReadIssue.of("LDR-LENGTH", "remade", length=len(leader)))
        if "004" in tags and "245" not in tags:
            from pymarc import Leader

            rec.leader = Leader("00000nx  a2200000un 4500")
        else:
            rec.leader = new_leader()
        issues.append(ReadIssue.of("LDR-MADE", "notation"))
    issues.extend(record_issues(rec))
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=FORMAT, issues=issues)


def read_notation(path: str | Path, data: bytes | None = None) -> ListSource:
    path = str(path)
    if data is None:
        data = read_file_bytes(path)
    entries: list[Entry] = []
    raws: list[bytes] = []
    block: list[str] = []
    block_raw: list[bytes] = []
    block_offset = 0
    block_line = 1
    offset = 0
    bad_utf8 = False

    def flush():
        nonlocal block, block_raw, bad_utf8
        if block:
            e = parse_block(block, path, len(entries) + 1, block_offset, block_line)
            if bad_utf8 and isinstance(e, LibrisRecord):
                e.issues.insert(0, ReadIssue.of("ENC-INVALID-UTF8", "replaced"))
            entries.append(e)
            raws.append(b"".join(block_raw))
        block, block_raw, bad_utf8 = [], [], False

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        offset = 3
    for line_no, raw in enumerate(data.splitlines(keepends=True), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            bad_utf8 = True if raw.strip() else bad_utf8
        if not text.strip():
            flush()
        else:
            if not block:
                block_offset, block_line = offset, line_no
            block.append(text.rstrip("\r\n"))
            block_raw.append(raw)
        offset += len(raw)
    flush()
    return ListSource(path, entries, raws, FORMAT)


# -- writing ----------------------------------------------------------------------------------


def _ind(ind: str, glyph: str) -> str:
    return glyph if ind in (" ", "", None) else ind


def field_line(f: Field) -> str:
    """A field in the seed's notation (no bullet)."""
    if f.is_control_field():
        return f"{f.tag} {f.data}"
    g1, g2 = blank_glyphs(f)
    i1, i2 = (tuple(f.indicators or ()) + (" ", " "))[:2]
    out = [f"{f.tag} {_ind(i1, g1)}/{_ind(i2, g2)}"]
    for sf in f.subfields:
        if sf.code == ORPHAN:
            out.append(f" {sf.value}")
        else:
            out.append(f" #{sf.code}" + (f" {sf.value}" if sf.value else ""))
    return "".join(out)


def record_lines(rec: Record, with_leader: bool = True) -> list[str]:
    """Leader, control fields, then data fields, as the MARC view shows them."""
    lines = [f"000 {rec.leader}"] if with_leader and rec.leader is not None else []
    lines += [field_line(f) for f in rec.fields if f.is_control_field()]
    lines += [field_line(f) for f in rec.fields if not f.is_control_field()]
    return lines


def write_notation(records: Iterable[Record], out: TextIO) -> None:
    first = True
    for rec in records:
        if not first:
            out.write("\n")
        first = False
        for line in record_lines(rec):
            out.write(line + "\n")


# -- the registry's reader and writer -------------------------------------------------------------


def open_source(path: str) -> ListSource:
    return read_notation(path)


def write(records: Iterable[Record], out: BinaryIO, **options) -> None:
    buf = io.StringIO()
    write_notation(records, buf)
    out.write(buf.getvalue().encode("utf-8"))
