"""MARCMaker mnemonic text (``.mrk``, as LC's MARCMaker and MarcEdit write it).

::

    =LDR  00000nam\\a2200000\\i\\4500
    =001  p71d9v910183nz2
    =008  190320s2019\\\\sw\\\\\\\\\\o\\\\\\000\\0\\swe\\d
    =245  10$aKönsnormer i bildspråket - Fördjupning$h[Elektronisk resurs]

One field a line: ``=``, the tag, two spaces, then the data. In the leader and control fields
a space is written ``\\``; in data fields the two indicators come first (blank as ``\\``) and
``$`` starts each subfield. Records are separated by blank lines (a new ``=LDR`` also starts a
record). Text is UTF-8.

Mnemonics (``{name}``): ``{dollar}`` ``$``, ``{bsol}`` ``\\``, ``{lcub}`` ``{``, ``{rcub}`` ``}``,
``{esc}`` ESC, ``{joiner}`` / ``{nonjoin}`` (ZWJ / ZWNJ), and ``{U+XXXX}`` for any character by
its code point (how this module writes control characters, which would otherwise break lines
or reach a terminal raw). An unknown mnemonic is kept as written and flagged (``MRK-MNEMONIC``).
Text before the first ``$`` is orphan text (``model.ORPHAN``), a ``$`` with no code an empty
delimiter, both kept and flagged as in the other readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

from tui.core.formats.common import record_issues
from tui.core.formats.registry import MRK
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Entry,
    Field,
    Indicators,
    Leader,
    LibrisRecord,
    ReadIssue,
    Record,
    Subfield,
    UnreadableFile,
    new_leader,
)
from tui.core.sources.base import ListSource, read_file_bytes

FORMAT = MRK.id

# the tag is any three characters (ISO 2709 tags can hold a space: pymarc's bad_indicator.dat)
_LINE = re.compile(r"^=(LDR|[^=\n]{3}) {1,2}(.*)$", re.DOTALL)
_TAG_ONLY = re.compile(r"^=(LDR|[^=\n]{3})$")
_MNEMONIC = re.compile(r"\{([^{}\s]{1,12})\}")
NAMED = {"dollar": "$", "bsol": "\\", "lcub": "{", "rcub": "}", "esc": "\x1b", "joiner": "\u200d", "nonjoin": "\u200c"}
_BY_CHAR = {"$": "{dollar}", "\\": "{bsol}", "{": "{lcub}", "}": "{rcub}", "\x1b": "{esc}"}
# what must not be written plainly: the mnemonic syntax, controls, and line separators
_UNSAFE = re.compile("[$\\\\{}\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _mnemonic(name: str) -> str | None:
    """The character a mnemonic's name stands for (``dollar``, ``U+00E5``), or None."""
    hit = NAMED.get(name.lower())
    if hit is not None:
        return hit
    if name[:2] in ("U+", "u+"):
        try:
            return chr(int(name[2:], 16))
        except (ValueError, OverflowError):
            pass
    return None


def decode_mnemonics(text: str, issues: list[ReadIssue] | None = None, tag: str | None = None) -> str:
    def sub(m: re.Match[str]) -> str:
        hit = _mnemonic(m.group(1))
        if hit is not None:
            return hit
        if issues is not None:
            issues.append(ReadIssue.of("MRK-MNEMONIC", "unknown", tag, mnemonic=m.group(0)))
        return m.group(0)

    return _MNEMONIC.sub(sub, text) if "{" in text else text


def unknown_mnemonics(text: str) -> list[tuple[int, str]]:
    """(offset, mnemonic as written) of each ``{name}`` in ``text`` that stands for nothing."""
    if "{" not in text:
        return []
    return [(m.start(), m.group(0)) for m in _MNEMONIC.finditer(text) if _mnemonic(m.group(1)) is None]


def encode_mnemonics(text: str, space: str = " ") -> str:
    def sub(m: re.Match[str]) -> str:
        c = m.group(0)
        return _BY_CHAR.get(c) or f"{{U+{ord(c):04X}}}"

    out = _UNSAFE.sub(sub, text)
    return out.replace(" ", space) if space != " " else out


def _line_parts(m: re.Match[str]) -> tuple[str, str]:
    return m.group(1), (m.group(2) if m.lastindex and m.lastindex >= 2 else "")


def split_line(text: str) -> tuple[str, str, int] | None:
    """``=TAG  data`` -> (tag, data, offset of the data in ``text``), or None when ``text`` is not
    a MARCMaker field line. The tag is ``LDR`` for the leader."""
    m = _LINE.match(text) or _TAG_ONLY.match(text)
    if not m:
        return None
    tag, body = _line_parts(m)
    return tag, body, (m.start(2) if m.lastindex and m.lastindex >= 2 else len(text))


def subfield_chunks(body: str) -> list[tuple[int, str]]:
    """The data of a data field after its indicators, cut at each ``$``: (offset in ``body``,
    chunk). The first chunk is the text before the first ``$`` (orphan text; often empty); each
    other chunk starts after its ``$`` with the code."""
    out = []
    at = 2
    for chunk in body[2:].split("$"):
        out.append((at, chunk))
        at += len(chunk) + 1
    return out


def parse_field(tag: str, body: str, issues: list[ReadIssue]) -> Field:
    """One field from its tag and the data after ``=TAG  `` (a blank written as ``\\``)."""
    if Field(tag=tag, data="").is_control_field():
        return Field(tag=tag, data=decode_mnemonics(body.replace("\\", " "), issues, tag))
    if len(body) < 2:
        issues.append(ReadIssue.of("STRUCT-NO-INDICATORS", "assumed", tag))
    inds = [(c if c != "\\" else " ") for c in (body[:2] + "  ")[:2]]
    chunks = subfield_chunks(body)
    subfields: list[Subfield] = []
    if chunks[0][1]:
        subfields.append(Subfield(ORPHAN, decode_mnemonics(chunks[0][1], issues, tag)))
    for _at, chunk in chunks[1:]:
        if not chunk:
            subfields.append(Subfield(ORPHAN, ""))
            continue
        subfields.append(Subfield(chunk[0], decode_mnemonics(chunk[1:], issues, tag)))
    return Field(tag=tag, indicators=Indicators(*inds), subfields=subfields)


def _parse_block(lines: list[tuple[int, int, str]], path: str, number: int) -> Entry:
    """``lines``: (line number, byte offset, text) of one record."""
    offset = lines[0][1]
    issues: list[ReadIssue] = []
    leader: str | None = None
    fields: list[Field] = []
    for line_no, _off, text in lines:
        m = _LINE.match(text) or _TAG_ONLY.match(text)
        if not m:
            raw = "\n".join(t for _, _, t in lines).encode("utf-8", "surrogateescape")
            return BrokenRecord(
                path,
                number,
                offset,
                f"line {line_no}: not a MARCMaker field line (expected '=TAG  data'): {text[:60]!r}",
                raw=raw,
                line=line_no,
            )
        tag, body = _line_parts(m)
        if tag == "LDR":
            if leader is not None:
                issues.append(ReadIssue.of("LDR-REPEATED", "mrk"))
                continue
            leader = decode_mnemonics(body.replace("\\", " "), issues)
            continue
        fields.append(parse_field(tag, body, issues))
    rec = Record()
    if leader is None:
        rec.leader = new_leader()
        issues.append(ReadIssue.of("LDR-MADE", "mrk"))
    else:
        if len(leader) != 24:
            issues.append(ReadIssue.of("LDR-LENGTH", "padded", length=len(leader)))
        rec.leader = Leader((leader + " " * 24)[:24])
    rec.fields = fields
    issues.extend(record_issues(rec))
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=FORMAT, issues=issues)


def read_mrk(path: str, data: bytes | None = None) -> ListSource:
    path = str(path)
    if data is None:
        data = read_file_bytes(path)
    offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    entries: list[Entry] = []
    raws: list[bytes] = []
    block: list[tuple[int, int, str]] = []
    block_raw: list[bytes] = []
    bad_utf8 = False

    def flush() -> None:
        nonlocal block, block_raw, bad_utf8
        if block:
            e = _parse_block(block, path, len(entries) + 1)
            if bad_utf8 and isinstance(e, LibrisRecord):
                e.issues.insert(0, ReadIssue.of("ENC-INVALID-UTF8", "shown"))
            entries.append(e)
            raws.append(b"".join(block_raw))
        block, block_raw, bad_utf8 = [], [], False

    # lines end at \n only: record text may hold other separators (they are data)
    for line_no, raw in enumerate(data[offset:].split(b"\n"), 1):
        size = len(raw) + 1
        line = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("utf-8", "replace")
            bad_utf8 = True
        if not text.strip():
            flush()
        else:
            if text.startswith("=LDR") and block:
                flush()
            block.append((line_no, offset, text))
            block_raw.append(raw + b"\n")
        offset += size
    flush()
    if not entries:
        raise UnreadableFile(path, "no MARCMaker records in the file")
    return ListSource(path, entries, raws, FORMAT)


def open_source(path: str) -> ListSource:
    return read_mrk(path)


# -- writing ----------------------------------------------------------------------------------


def leader_line(leader: str) -> str:
    return f"=LDR  {encode_mnemonics(str(leader), space=chr(92))}"


def field_line(f: Field) -> str:
    """One field as a MARCMaker line (``=245  10$aTitle$bSub``)."""
    if f.is_control_field():
        return f"={f.tag}  {encode_mnemonics(f.data or '', space=chr(92))}"
    a, b = (tuple(f.indicators or ()) + (" ", " "))[:2]
    # indicators and codes are read by position, so they are written as the character itself
    # (a blank as \\); only a control character, which cannot stand on a line, becomes blank
    inds = "".join("\\" if not c or c == " " or not c[:1].isprintable() else c[:1] for c in (a, b))
    parts = [f"={f.tag}  {inds}"]
    for sf in f.subfields:
        if sf.code == ORPHAN:
            parts.append("$" if sf.value == "" else encode_mnemonics(sf.value))
        else:
            parts.append("$" + sf.code + encode_mnemonics(sf.value))
    return "".join(parts)


def record_lines(rec: Record) -> list[str]:
    lines = [leader_line(str(rec.leader))] if rec.leader is not None else []
    return lines + [field_line(f) for f in rec.fields]


def write(records: Iterable[Record], out: BinaryIO, **options) -> None:
    """MARCMaker text, UTF-8, records separated by a blank line."""
    first = True
    for rec in records:
        if not first:
            out.write(b"\n")
        first = False
        out.write(("\n".join(record_lines(rec)) + "\n").encode("utf-8", "backslashreplace"))
