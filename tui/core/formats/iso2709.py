"""MARC 21 ISO 2709 (``.mrc``): indexed, parsed one record at a time, written byte for byte.

Reading
    The file is mapped (``mmap``; files up to 16 MiB are simply read, so that another program
    truncating them cannot hurt) and *indexed*: record start and end offsets in two
    ``array('q')``, found by looking for each record terminator (0x1D) (``segment``). Every
    terminator ends a slot, and a record whose leader length disagrees with it is read up to the
    terminator (STRUCT-RECORD-LENGTH); line ends, NUL, blanks and DOS end-of-file bytes between
    records are skipped and reported from the gaps they leave (``filler``, STRUCT-FILLER). A
    file that ends inside a record makes that slot a ``BrokenRecord``; a file can be cut after any terminator and its
    parts indexed apart (``tui.core.batch.parallel``). No Python object is made per record beyond the two
    offsets. A mapped file is indexed a window at a time with ``read_span`` (``pread``), not
    through the mapping: the page cache holds the file, not this process (under 200 MB
    with a 1M-record file open); so is a record read to be shown or parsed (``raw``).
    ``index_step()`` indexes a chunk and may be called from a worker thread: the arrays are only
    ever appended to, under a lock, so ``len()`` grows while the first records are already shown;
    ``open_source`` indexes the first 2000 records before it returns, and ``entry(i)`` past the
    index indexes up to ``i``. ``iter_entries`` reads slots a window at a time for batch work.

    Each record is parsed when asked for, by our own tolerant parser (pymarc's drops text before
    the first subfield delimiter; we keep it as ``Subfield(ORPHAN, ...)``). It reads what
    yaz-marcdump and pymarc read, and then some (``locate``): a leader with bytes that are not
    printable (STRUCT-LEADER-BYTES), a base address that does not point past the directory, a
    directory ended by 0x1F, a directory whose entries are not whole or do not point at their
    fields (oversize fields, lengths or positions written with too many digits): the fields are
    found by their terminators and given the tags of the entries that fit them
    (STRUCT-DIRECTORY). Each recovery is a warning with its byte offset in the file, which
    ``validate`` reports; a record stays broken only where no tags can be found for its fields. The usual record
    (UTF-8, numeric tags, fields in directory order, nothing to flag) takes a fast path of
    C-level splits (``_parse_standard``, about twice pymarc's speed); anything else the general
    one (``_parse_slow``); a test holds the two together. Encoding: leader/09
    ``a`` is UTF-8, blank is MARC-8; a leader/09 that lies is detected and flagged
    (``ENC-LEADER09``: blank but the data is valid multi-byte UTF-8, read as UTF-8;
    ``ENC-INVALID-UTF8``: ``a`` but the bytes are not UTF-8, shown as U+FFFD). MARC-8 is
    converted with pymarc's MARC-8 tables (``ENC-MARC8`` flags what they cannot map).

Writing
    Byte-exact: a record read by the general parser remembers its bytes (``IsoRecord``) and,
    while its leader and fields are unchanged, is written back as read: directory order, leader
    blanks, lengths that lie and all. Every field read from ISO 2709 remembers its bytes
    (``IsoField``) and, unless it has been changed since, is written back with exactly those
    bytes; in an edited record the directory is rebuilt in field order, the record length and
    base address are recomputed, and blank leader/10-11 and 20-23 become ``22`` and ``4500``
    (STRUCT-LEADER-BLANK). So a record read and written without edits gives identical bytes,
    whether UTF-8, MARC-8, or with invalid bytes. A changed
    field is encoded as UTF-8; in a MARC-8 record a changed field that is not plain ASCII turns
    the whole record into UTF-8 (leader/09 ``a``), since we have no Unicode-to-MARC-8 encoder and
    never write mixed encodings.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate, chain
from operator import itemgetter
from typing import BinaryIO

from pymarc import Leader, marc8_mapping
from pymarc.field import Indicators

from tui.core.formats.common import WriteError, record_issues
from tui.core.formats.registry import ISO2709
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Entry,
    Field,
    LibrisRecord,
    ReadIssue,
    Record,
    Subfield,
)
from tui.core.model.textsafe import visible
from tui.core.sources.base import Progress
from tui.core.sources.indexed import IndexedSource

FORMAT = ISO2709.id

RT = 0x1D  # record terminator
FT = 0x1E  # field terminator
SD = 0x1F  # subfield delimiter
RT_B, FT_B, SD_B = b"\x1d", b"\x1e", b"\x1f"

#: bytes allowed between records (line ends some exporters add, DOS end-of-file)
_BETWEEN = frozenset(b"\r\n\x00\x1a ")
_HOLDINGS_TYPES = frozenset(b"uvxy")
_HIGH = re.compile(rb"[\x80-\xff]")
_NEEDS_MARC8 = re.compile(rb"[\x1b\x80-\xff]")
_DIR_STD = re.compile(rb"(?:[\x20-\x7e]{3}[0-9]{9})*")
_TAG_STRUCT = struct.Struct("3s9x")
_LEADER_OK = re.compile(rb"[\x20-\x7e]{24}")
_first = itemgetter(0)
_plus_one = (1).__add__


# -- fields that remember their bytes ---------------------------------------------------------


class IsoField(Field):
    """A field read from ISO 2709: ``raw`` is its bytes (with the field terminator) and
    ``snapshot`` its content when read, so that an unchanged field is written back as read."""

    __slots__ = ("body", "snapshot", "encoding", "lead09")

    def __init__(self, *args, raw: bytes = b"", encoding: str = "utf-8", lead09: str = "a", **kwargs):
        super().__init__(*args, **kwargs)
        self.raw = raw
        self.encoding = encoding  # how the bytes were decoded ("utf-8" or "marc-8")
        self.lead09 = lead09  # leader/09 of the record they were read from
        self.snapshot = content(self)

    # the bytes are kept without their terminator (one copy less per field while reading);
    # ``body`` None: no bytes (``raw`` is empty)
    @property
    def raw(self) -> bytes:
        body = self.body
        return b"" if body is None else body + FT_B

    @raw.setter
    def raw(self, value: bytes) -> None:
        self.body = (value[:-1] if value.endswith(FT_B) else value) if value else None


_new = object.__new__
_init_field = Field.__init__
_tnew = tuple.__new__


def _control_field(tag: str, data: str, raw: bytes, encoding: str, lead09: str) -> IsoField:
    """An ``IsoField`` control field (pymarc's ``Field.__init__``, without our own ``__init__``'s
    snapshot work); ``raw`` ends with its terminator."""
    f = _new(IsoField)
    _init_field(f, tag, data=data)
    f.body = raw[:-1]
    f.encoding = encoding
    f.lead09 = lead09
    f.snapshot = (tag, data)
    return f


def _data_field(tag: str, inds: str, subfields: list, raw: bytes, encoding: str, lead09: str) -> IsoField:
    """An ``IsoField`` data field; ``inds`` is the two indicator characters. Made attribute by
    attribute, the indicators through pymarc's public setter (``Field.__init__`` would copy the
    indicators into a new tuple: this is the reader's hot path)."""
    f = _new(IsoField)
    f.tag = tag
    f.control_field = False
    f.data = None
    f.indicators = ind = _tnew(Indicators, inds)
    f.subfields = subfields
    f.body = raw[:-1]
    f.encoding = encoding
    f.lead09 = lead09
    f.snapshot = (tag, ind, tuple(subfields))
    return f


def content(f: Field) -> tuple:
    """What a field says, for comparing: tag, then data or indicators and subfields.

    Cheap (no copy of the subfields beyond one tuple): subfields are immutable tuples, so a
    field whose list was changed in place compares unequal to its snapshot."""
    if f.is_control_field():
        return (f.tag, f.data)
    return (f.tag, tuple(f.indicators or ("", "")), tuple(f.subfields))


def _deep(c: tuple) -> tuple:
    """``content`` with every subfield as a plain tuple (lists and tuples compare alike)."""
    if len(c) == 2:
        return c
    return (c[0], tuple(c[1]), tuple(tuple(sf) for sf in c[2]))


def unchanged_raw(f: Field, lead09: str | None = None) -> bytes | None:
    """The bytes a field was read from, if it has not been changed since (and, given the
    record's leader/09 now, if the record still declares the encoding it was read under)."""
    if not isinstance(f, IsoField) or f.body is None:
        return None
    snap = f.snapshot
    now = content(f)
    if snap != now and (len(snap) != len(now) or _deep(snap) != _deep(now)):
        return None
    raw = f.raw
    if lead09 is None or f.lead09 == lead09 or (raw.isascii() and b"\x1b" not in raw):
        return raw
    return None


# -- MARC-8 -----------------------------------------------------------------------------------

_BASIC_LATIN, _ANSEL, _CJK = 0x42, 0x45, 0x31
_CODESETS = marc8_mapping.CODESETS
_ODD = marc8_mapping.ODD_MAP


def marc8_to_unicode(data: bytes) -> tuple[str, int]:
    """MARC-8 bytes -> (text, number of characters that could not be mapped).

    pymarc's ``MARC8ToUnicode`` with its own tables, but it never writes to stderr, keeps
    control characters and trailing combining marks (pymarc drops them) and puts U+FFFD where
    a byte cannot be mapped (pymarc puts a space), so that the reader can say so.
    """
    g0, g1 = _BASIC_LATIN, _ANSEL
    out: list[str] = []
    combining: list[str] = []
    bad = 0
    pos, n = 0, len(data)
    while pos < n:
        b = data[pos]
        if b == 0x1B:  # escape sequence: designate G0 or G1
            nxt = data[pos + 1 : pos + 2]
            if nxt in (b"(", b",", b"$") and pos + 2 < n:
                if nxt == b"$" and data[pos + 2 : pos + 3] == b",":
                    pos += 1
                if pos + 2 < n:
                    g0 = data[pos + 2]
                    pos += 3
                    continue
            elif nxt in (b")", b"-") and pos + 2 < n:
                g1 = data[pos + 2]
                pos += 3
                continue
            elif nxt and nxt[0] in _CODESETS:  # technique 2: ESC g, ESC b, ESC p
                g0 = nxt[0]
                pos += 2
                continue
            elif nxt == b"s":
                g0 = _BASIC_LATIN
                pos += 2
                continue
            out.append("\x1b")  # an escape we do not understand stays visible as data
            bad += 1
            pos += 1
            continue
        if g0 == _CJK:  # multibyte: three bytes a character
            if pos + 3 > n:
                out.append("\ufffd")
                bad += 1
                break
            cp = (data[pos] << 16) | (data[pos + 1] << 8) | data[pos + 2]
            pos += 3
            table = _CODESETS.get(g0, {})
        else:
            cp = b
            pos += 1
            if cp < 0x20 or cp == 0x7F:
                out.append(chr(cp))
                continue
            table = _CODESETS.get(g1 if cp >= 0x80 else g0, {})
        hit = table.get(cp)
        if hit is None:
            odd = _ODD.get(cp)
            if odd is not None:
                out.append(chr(odd))
                continue
            if 0x80 <= cp < 0xA0:  # C1 controls with no mapping: keep as data
                out.append(chr(cp))
                continue
            out.append("\ufffd")
            bad += 1
            continue
        uni, is_combining = hit
        if is_combining:
            combining.append(chr(uni))
        else:
            out.append(chr(uni))
            if combining:
                out.extend(combining)
                combining = []
    out.extend(combining)
    return unicodedata.normalize("NFC", "".join(out)), bad


# -- structure --------------------------------------------------------------------------------


class _Broken(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def leader_reason(buf: bytes) -> str | None:
    """Why a record's leader cannot be used at all, or None (a leader with bytes that are not
    printable ASCII is read, and flagged by ``locate``: STRUCT-LEADER-BYTES)."""
    if len(buf) < 25:
        return f"the record is only {len(buf)} bytes long, shorter than a leader"
    return None


#: what ``locate`` recovered: (rule id, sentence key, the sentence's fields); ``at`` is a byte
#: position in the record (the reader adds the record's offset in the file)
Mend = tuple[str, str, dict]


def locate(buf: bytes) -> tuple[int, list[tuple[bytes, int, int]], list[Mend]]:
    """Check a record's structure: (base address, [(tag, start, end)], mends) with ``start:end``
    the field's bytes including its terminator. Raises ``_Broken`` with a reason for the user.

    Lenient where yaz-marcdump and pymarc are, and then some; each recovery is one ``Mend``
    (the parser makes it a warning with its byte position):

    * a leader with bytes that are not printable ASCII is read as it is (STRUCT-LEADER-BYTES);
    * a base address that is not a number, or does not point just past the directory, is replaced
      by the end of the directory (the first field terminator), and a directory ended by a
      subfield delimiter (0x1F) instead of a field terminator is read (STRUCT-DIRECTORY);
    * when the directory's entries do not each point at one field (bytes inside the record whose
      only field terminator is their last byte), the fields are found by their terminators, in
      order, and each is given the tag of the directory entry that gives its length and position
      (entries of the wrong width, lengths over 9999 or positions over 99999 written with more
      digits), or else of the entry where the next one should stand (STRUCT-DIRECTORY).

    A record stays broken when no leader, no directory end or no tags for its fields can be found.
    Gaps and out-of-order data are tolerated."""
    why = leader_reason(buf)
    if why:
        raise _Broken(why)
    mends: list[Mend] = []
    if not _LEADER_OK.match(buf):
        bad = [k for k in range(24) if not 0x20 <= buf[k] <= 0x7E]
        mends.append(("STRUCT-LEADER-BYTES", "read", {"positions": ", ".join(f"{k:02d}" for k in bad), "at": bad[0]}))
    size = len(buf)
    base_b = buf[12:17]
    base = int(base_b) if base_b.isdigit() else -1
    if not (25 <= base <= size - 1 and buf[base - 1] in (FT, SD)):
        ft, sd = buf.find(FT_B, 24, size - 1), buf.find(SD_B, 24, size - 1)
        end = min(ft, sd) if ft >= 0 and sd >= 0 else max(ft, sd)
        if end < 0:
            raise _Broken(
                f"bad base address {base_b.decode('latin-1')!r}, and no field terminator ends a directory"
                f" (record is {size} bytes)"
            )
        mends.append(("STRUCT-DIRECTORY", "base", {"value": base_b.decode("latin-1"), "base": end + 1, "at": 12}))
        base = end + 1
    if buf[base - 1] == SD:
        mends.append(("STRUCT-DIRECTORY", "delimiter", {"at": base - 1}))
    len_len, start_len = _entry_map(buf)
    width = 3 + len_len + start_len
    directory = buf[24 : base - 1]
    limit = size - 1  # fields end before the record terminator
    entries: list[tuple[bytes, int, int]] = []
    problem = None
    whole = len(directory) % width == 0
    if whole:
        for k in range(0, len(directory), width):
            tag = directory[k : k + 3]
            ln_b = directory[k + 3 : k + 3 + len_len]
            st_b = directory[k + 3 + len_len : k + width]
            if not (ln_b.isdigit() and st_b.isdigit()) or any(c < 0x20 or c > 0x7E for c in tag):
                problem = f"bad directory entry {k // width + 1}: {directory[k : k + width].decode('latin-1')!r}"
                whole = False
                break
            start = base + int(st_b)
            end = start + int(ln_b)
            if problem is None:
                if end <= start or end > limit:
                    problem = f"field {tag.decode('ascii')} (entry {k // width + 1}) points outside the record"
                elif buf[end - 1] != FT:
                    problem = (
                        f"field {tag.decode('ascii')} (entry {k // width + 1}) does not end with a field terminator"
                    )
                elif buf.find(FT_B, start, end - 1) >= 0:
                    problem = f"field {tag.decode('ascii')} (entry {k // width + 1}) runs over a field terminator"
            entries.append((tag, start, end))
        if problem is None:
            return base, entries, mends
    else:
        problem = f"{len(directory)} bytes is not a whole number of {width}-byte entries"
    pieces = buf[base:limit].split(FT_B)
    if pieces[-1] != b"":
        raise _Broken(f"bad directory: {problem}, and the data does not end with a field terminator")
    pieces.pop()
    if whole and len(pieces) == len(entries):
        # whole entries, one per field: the fields in order, with the directory's tags
        fields, pos = [], base
        for (tag, _s, _e), piece in zip(entries, pieces):
            fields.append((tag, pos, pos + len(piece) + 1))
            pos += len(piece) + 1
        mends.append(("STRUCT-DIRECTORY", "mismatch", {"at": 24}))
        return base, fields, mends
    tags = _realign(directory, pieces, len_len, start_len, width)
    if tags is None:
        raise _Broken(
            f"bad directory: {problem}, and the data does not hold one field per directory entry "
            f"({len(directory) // width} entries, {len(pieces)} field terminators)"
        )
    fields, pos = [], base
    for tag, piece in zip(tags, pieces):
        fields.append((tag, pos, pos + len(piece) + 1))
        pos += len(piece) + 1
    mends.append(("STRUCT-DIRECTORY", "realigned", {"problem": problem, "at": 24}))
    return base, fields, mends


#: bytes a realigned directory entry may start before or after where the one before it ended
_STRAY = 2


def _realign(directory: bytes, pieces: list[bytes], len_len: int, start_len: int, width: int) -> list[bytes] | None:
    """The tag of each field (``pieces``, in the order of the data) from a directory that cannot
    be read as whole entries: the 3 bytes before the digits that give the field's length and
    position (written with as many digits as they need, a byte or two from where the entry
    before ended), else the 3 bytes where the next entry should start. A tag that lost a byte
    (the entry before it ends where it should start) is filled with ``?`` in front, which the
    reader flags as a bad tag. None when a tag is not printable ASCII, the directory runs out
    of entries, or more than an entry's worth of it is left over."""
    tags: list[bytes] = []
    cursor, solid, pos, n = 0, 0, 0, len(directory)
    for piece in pieces:
        length = len(piece) + 1
        pattern = b"%0*d%0*d" % (len_len, length, start_len, pos)
        lo = max(solid + 1, cursor + 3 - _STRAY)
        j = directory.find(pattern, lo, cursor + 3 + _STRAY + len(pattern))
        if j >= 0:  # at most a few stray or missing bytes before it (an entry is never skipped)
            tag = directory[max(j - 3, solid) : j]
            tag = b"?" * (3 - len(tag)) + tag
            cursor = solid = j + len(pattern)
        else:
            tag = directory[cursor : cursor + 3]
            cursor += width
        if len(tag) != 3 or any(c < 0x20 or c > 0x7E for c in tag):
            return None
        tags.append(tag)
        pos += length
    if n - cursor >= width:
        return None
    return tags


def _entry_map(buf: bytes) -> tuple[int, int]:
    """Leader/20-21: digits of the field length and of the starting position (4 and 5)."""
    lf, sf = buf[20:21], buf[21:22]
    return (int(lf) if lf.isdigit() and lf != b"0" else 4, int(sf) if sf.isdigit() and sf != b"0" else 5)


def structure_reason(buf: bytes) -> str | None:
    """Why ``parse_record`` would make this record a ``BrokenRecord``, or None; mostly C-level.

    For the usual record (4500 entry map, digits where digits belong) a readable leader, base
    address and directory shape, plus one field terminator per directory entry at the end of the
    data, already settle it: either every entry points at its field, or the fields are read in
    order. Anything else goes through ``locate``.
    """
    return structure_verdict(buf)[0]


def structure_verdict(buf: bytes) -> tuple[str | None, bool]:
    """``(structure_reason(buf), mended)``: ``mended`` when the record is readable only as
    ``locate`` mends it (a base address, directory or leader that is not as it should be)."""
    size = len(buf)
    if size >= 26 and buf[20:22] == b"45" and _LEADER_OK.match(buf):
        b = buf[12:17]
        if b.isdigit():
            base = int(b)
            if (
                25 <= base <= size - 1
                and buf[base - 1] == FT
                and (base - 25) % 12 == 0
                and _DIR_STD.fullmatch(buf, 24, base - 1)
                and buf.count(FT_B, base, size - 1) == (base - 25) // 12
                and buf[size - 2] == FT
            ):
                return None, False
    try:
        _base, _entries, mends = locate(buf)
    except _Broken as exc:
        return exc.reason, False
    return None, bool(mends)


def is_standard(buf: bytes) -> bool:
    """For a record that is not broken: are its fields stored in directory order, one after the
    other, each entry pointing exactly at its field? (Then the k-th field terminator ends the
    k-th field.) The directory is rebuilt from the field terminators with C-level operations
    and compared with the real one."""
    size = len(buf)
    if buf[20:22] != b"45" or not buf[12:17].isdigit():
        return False
    base = int(buf[12:17])
    if size - base >= 100000 or buf[base - 1 : base] != FT_B:
        return False
    directory = buf[24 : base - 1]
    pieces = buf[base : size - 1].split(FT_B)
    if pieces[-1] != b"" or len(pieces) * 12 != len(directory) + 12:
        return False
    pieces.pop()
    lens = list(map(_plus_one, map(len, pieces)))
    if lens and max(lens) >= 10000:
        return False
    d4, d5 = digit_tables()
    rebuilt = b"".join(
        chain.from_iterable(
            zip(
                map(_first, _TAG_STRUCT.iter_unpack(directory)),
                map(d4.__getitem__, lens),
                map(d5.__getitem__, accumulate(lens, initial=0)),
            )
        )
    )
    return rebuilt == directory


_DIGITS: tuple[list[bytes], list[bytes]] | None = None


def digit_tables() -> tuple[list[bytes], list[bytes]]:
    """``%04d`` and ``%05d`` of every directory length and start, made once (about 10 ms): the
    directory entries of a record can be rebuilt with C-level joins and compared."""
    global _DIGITS
    if _DIGITS is None:
        _DIGITS = ([b"%04d" % i for i in range(10000)], [b"%05d" % i for i in range(100000)])
    return _DIGITS


def field_bytes(buf: bytes, tag: bytes) -> list[bytes]:
    """The bytes (without terminator) of every field ``tag`` of a structurally sound record."""
    _base, entries, _mends = locate(buf)
    return [buf[s : e - 1] for t, s, e in entries if t == tag]


# -- parsing ----------------------------------------------------------------------------------


def _choose_encoding(leader: str, area: bytes) -> tuple[str, list[ReadIssue]]:
    lead09 = leader[9]
    if lead09 == "a":
        return "utf-8", []
    high = _HIGH.search(area) is not None
    valid_utf8 = False
    if high:
        try:
            area.decode("utf-8")
            valid_utf8 = True
        except UnicodeDecodeError:
            pass
    if lead09 == " ":
        if valid_utf8:
            return "utf-8", [ReadIssue.of("ENC-LEADER09", "utf8-data")]
        return "marc-8", []
    enc = "utf-8" if valid_utf8 or not high else "marc-8"
    return enc, [ReadIssue.of("ENC-LEADER09", "unknown", value=lead09, encoding=enc.upper())]


def _decode_utf8(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), False


def parse_record(buf: bytes, path: str = "", number: int = 0, offset: int | None = None) -> Entry:
    """One record's bytes (leader to record terminator) -> ``LibrisRecord`` or ``BrokenRecord``.

    The usual record (UTF-8, numeric tags, fields stored in directory order, nothing a reader
    flags) is read by ``_parse_standard`` with C-level splits; everything else by
    ``_parse_slow``. Both give the same record (tests/unit/test_parse_paths.py)."""
    got = _parse_standard(buf)
    if got is None:
        return _parse_slow(buf, path, number, offset)
    fields, valid = got
    # LibrisRecord(marc=..., path=..., ...) without the dataclass __init__ (the reader's hot path)
    rec = _new(LibrisRecord)
    rec.__dict__.update(
        marc=_record(buf[:24].decode("ascii"), fields),
        path=path,
        number=number,
        offset=offset,
        source_format=FORMAT,
        issues=[],
        holdings=[],
        origin=None,
        valid_fields=valid,
    )
    return rec


class IsoRecord(Record):
    """A record read by the general parser: it remembers the bytes it was read from, its leader
    and its fields (``iso_source``), so that ``record_bytes`` writes it back as read while none
    of them has changed (a directory out of order, blanks in the leader, lengths that lie)."""

    __slots__ = ("iso_source",)
    iso_source: tuple[bytes, str, tuple]


def _record(leader: str, fields: list, cls: type = Record):
    """A pymarc ``Record`` with this leader and these fields (``Record(leader=...)`` would set
    leader/10-11 and 20-23 to ``22`` and ``4500``: what was read is kept)."""
    rec = cls()
    rec.leader = Leader(leader)
    rec.fields = fields
    return rec


#: data fields with nothing ``record_issues`` would flag: two valid indicators, then subfields
#: each with a printable ASCII code and a value (no orphan text, no empty subfield or delimiter)
_CLEAN_DATA_FIELDS = re.compile(rb"(?:[0-9a-z| ]{2}(?:\x1f[!-~][^\x1d\x1e\x1f]+)*\x1e)*")
#: stricter: nothing the validator's structure checks would flag either (blank, digit or lowercase
#: indicators; at least one subfield; codes a digit or lowercase letter; every value with a
#: visible ASCII character, so not blank)
_VALID_DATA_FIELDS = re.compile(rb"(?:[0-9a-z ]{2}(?:\x1f[0-9a-z][^\x1d\x1e\x1f!-~]*[!-~][^\x1d\x1e\x1f]*)+\x1e)*")

#: the usual leader: UTF-8, indicator and subfield code counts 22, entry map 4500 (a leader with
#: blanks there is read by the slow path, which keeps the record's bytes to write it back as read)
_LEADER_STD = re.compile(rb"[0-9]{5}[\x20-\x7e]{4}a22[0-9]{5}[\x20-\x7e]{3}4500")
_CTRL_LIMIT = b"010"


def _parse_standard(buf: bytes) -> tuple[list, bool] | None:
    """The fields of a record in the usual layout, and whether its data fields match
    ``_VALID_DATA_FIELDS``; or None when ``_parse_slow`` must read it:
    leader/09 ``a`` (UTF-8) and valid UTF-8, numeric tags, control fields first, each directory
    entry pointing exactly at the next field (the k-th field terminator ends the k-th field),
    and data fields ``record_issues`` has nothing to say about."""
    size = len(buf)
    if size < 27 or buf[size - 1] != RT or buf[size - 2] != FT or _LEADER_STD.match(buf) is None:
        return None
    if size >= 100000 or buf[:5] != (_DIGITS or digit_tables())[1][size]:
        return None  # the leader's record length is not the record's: the slow path says so
    base = int(buf[12:17])
    if base < 37 or base >= size - 1 or buf[base - 1] != FT or (base - 25) % 12:
        return None
    directory = buf[24 : base - 1]
    if not directory.isdigit():
        return None
    pieces = buf[base : size - 2].split(FT_B)
    n = len(pieces)
    if n * 12 != base - 25:
        return None
    lens = list(map(_plus_one, map(len, pieces)))
    if max(lens) >= 10000 or size - base >= 100000:
        return None
    d4, d5 = _DIGITS or digit_tables()
    tags = list(map(_first, _TAG_STRUCT.iter_unpack(directory)))
    if (
        b"".join(
            chain.from_iterable(zip(tags, map(d4.__getitem__, lens), map(d5.__getitem__, accumulate(lens, initial=0))))
        )
        != directory
    ):
        return None
    m = 0
    while m < n and tags[m] < _CTRL_LIMIT:
        m += 1
    valid = True
    if m < n:
        if min(tags[m:]) < _CTRL_LIMIT:
            return None
        first = base + sum(lens[:m])
        if _VALID_DATA_FIELDS.fullmatch(buf, first, size - 1) is None:
            if _CLEAN_DATA_FIELDS.fullmatch(buf, first, size - 1) is None:
                return None
            valid = False
    fields: list[Field] = []
    append = fields.append
    new, tnew, cls, sub, ind_cls, init_field = _new, _tnew, IsoField, Subfield, Indicators, _init_field
    stags = directory.decode("ascii")
    try:
        for k in range(n):
            piece = pieces[k]
            tag = stags[12 * k : 12 * k + 3]
            if k < m:
                data = piece.decode("utf-8")
                f = new(cls)
                init_field(f, tag, data=data)  # pymarc's own: control fields are few
                f.snapshot = (tag, data)
            else:
                parts = piece.decode("utf-8").split("\x1f")
                f = new(cls)
                f.tag = tag
                f.control_field = False
                f.data = None
                f.subfields = subs = [tnew(sub, (p[0], p[1:])) for p in parts[1:]]
                f.indicators = ind = tnew(ind_cls, parts[0])
                f.snapshot = (tag, ind, tuple(subs))
            f.body = piece
            f.encoding = "utf-8"
            f.lead09 = "a"
            append(f)
    except UnicodeDecodeError:
        return None
    return fields, valid


def _parse_slow(buf: bytes, path: str, number: int, offset: int | None) -> Entry:
    """The general parser: any layout ``locate`` accepts, MARC-8, invalid UTF-8, odd fields."""
    try:
        base, entries, mends = locate(buf)
    except _Broken as exc:
        return BrokenRecord(path, number, offset, exc.reason, raw=bytes(buf))
    leader = buf[:24].decode("latin-1")
    encoding, issues = _choose_encoding(leader, buf[base : len(buf) - 1])
    first = offset or 0
    declared = buf[:5]
    if not (declared.isdigit() and int(declared) == len(buf)):
        issues.append(
            ReadIssue.of(
                "STRUCT-RECORD-LENGTH", "terminator", value=declared.decode("latin-1"), length=len(buf), at=first
            )
        )
    for code, key, fields_ in mends:
        issues.append(ReadIssue.of(code, key, **{**fields_, "at": first + fields_["at"]}))
    fields: list[Field] = []
    seen: dict[str, int] = {}
    for tag_b, start, end in entries:
        tag = tag_b.decode("ascii")
        seen[tag] = seen.get(tag, 0) + 1
        occ = seen[tag]
        raw = bytes(buf[start:end])
        body = raw[:-1]
        bad_utf8 = False
        marc8_bad = 0
        if tag < "010" and tag.isdigit():
            if encoding == "utf-8":
                data, ok = _decode_utf8(body)
                bad_utf8 = not ok
            elif _NEEDS_MARC8.search(body):
                data, marc8_bad = marc8_to_unicode(body)
            else:
                data = body.decode("ascii")
            f = _control_field(tag, data, raw, encoding, leader[9])
        else:
            parts = body.split(SD_B)
            head = parts[0]
            if len(head) < 2:
                issues.append(ReadIssue.of("STRUCT-NO-INDICATORS", "assumed", tag, occ))
            inds = (head[:2].decode("latin-1") + "  ")[:2]
            subfields: list[Subfield] = []
            chunks = [head[2:]] + parts[1:]
            for k, chunk in enumerate(chunks):
                if k == 0:
                    if not chunk:
                        continue
                    code, value_b = ORPHAN, chunk
                elif not chunk:  # a delimiter with no code: kept (as an empty orphan) and flagged
                    subfields.append(Subfield(ORPHAN, ""))
                    continue
                elif encoding == "utf-8":
                    text, ok = _decode_utf8(chunk)
                    bad_utf8 = bad_utf8 or not ok
                    subfields.append(Subfield(text[0], text[1:]))
                    continue
                else:
                    code, value_b = chr(chunk[0]), chunk[1:]
                if encoding == "utf-8":
                    value, ok = _decode_utf8(value_b)
                    bad_utf8 = bad_utf8 or not ok
                elif _NEEDS_MARC8.search(value_b):
                    value, nbad = marc8_to_unicode(value_b)
                    marc8_bad += nbad
                else:
                    value = value_b.decode("ascii")
                subfields.append(Subfield(code, value))
            f = _data_field(tag, inds, subfields, raw, encoding, leader[9])
        if bad_utf8:
            issues.append(ReadIssue.of("ENC-INVALID-UTF8", "shown", tag, occ))
        if marc8_bad:
            issues.append(ReadIssue.of("ENC-MARC8", "unconverted", tag, occ, n=marc8_bad))
        fields.append(f)
    rec = _record(leader, fields, IsoRecord)
    # what was read, to be written back byte for byte while nothing changes (``record_bytes``)
    rec.iso_source = (bytes(buf), leader, tuple(fields))
    issues.extend(record_issues(rec))
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=FORMAT, issues=issues)


# -- the indexed source -----------------------------------------------------------------------

#: bytes read at a time while indexing or scanning a mapped file
WINDOW = 4 << 20


def segment(
    window: bytes,
    wbase: int,
    p: int,
    at_eof: bool,
    slot: int,
    stop: int,
    starts: array,
    ends: array,
    bad: dict[int, str],
    holdings: array,
) -> tuple[int, int, bool]:
    """Find record slots in ``window`` (the file's bytes from offset ``wbase``) from ``p`` on,
    until slot ``stop``; append their offsets to ``starts``/``ends`` (and broken ones' reasons to
    ``bad``, holdings records' slots to ``holdings``). Returns ``(p, slot, more)``: where it
    stopped, the next slot number, and whether it stopped because a record runs past the window.

    Every record terminator ends a slot, so slots found from any offset just after a terminator
    are the slots a scan from the start of the file finds there (what lets a file be split
    between processes). Bytes between records (``_BETWEEN``: line ends, NUL, DOS end-of-file,
    blanks before a record length) are skipped; the gaps they leave between slots are what
    ``filler`` reports. A record's length in its leader is not checked here: every slot ends at
    its record terminator, and the parser flags a length that disagrees."""
    n = len(window)
    find = window.find
    starts_append, ends_append, hold_append = starts.append, ends.append, holdings.append
    between, holdings_types = _BETWEEN, _HOLDINGS_TYPES
    while p < n and slot < stop:
        if window[p] in between:
            q = p + 1
            while q < n and window[q] in between:
                q += 1
            if q >= n and not at_eof:
                return p, slot, True
            if q >= n or window[p:q].strip(b"\r\n\x00\x1a") == b"" or window[q : q + 5].isdigit():
                p = q  # filler (STRUCT-FILLER: found from the gaps between slots, ``filler``)
                continue
            # blanks that do not stand before a record length: the record starts here
        t = find(RT_B, p)
        if t < 0:
            if not at_eof:
                return p, slot, True
            end = n
            reason = f"truncated: the file ends {n - p} bytes into this record, before its record terminator"
        else:
            if p + 5 > n and not at_eof:
                return p, slot, True
            end = t + 1
            # a leader whose record length is not the record's is read up to its terminator
            # (the parser says so: STRUCT-RECORD-LENGTH)
            reason = None
        starts_append(wbase + p)
        if reason is not None:
            bad[slot] = reason
        elif end - p > 6 and window[p + 6] in holdings_types:
            hold_append(slot)
        ends_append(wbase + end)
        slot += 1
        p = end
    return p, slot, False


def raw_linked_bib(buf: bytes):
    """For the bytes of one ISO 2709 record: the ``004`` it links to (stripped), ``None`` when it
    is not a readable holdings record or has no ``004``, or ``Ellipsis`` when the bytes alone
    cannot say (a non-ASCII ``004``: the caller parses the record). Agrees with
    ``LibrisRecord.linked_bib`` of the parsed record."""
    if len(buf) < 7 or buf[6] not in b"uvxy":
        return None
    try:
        _base, entries, _mends = locate(buf)
    except _Broken:
        return None
    for tag, start, end in entries:
        if tag == b"004":
            body = buf[start : end - 1]
            if not body.isascii() or b"\x1b" in body:
                return Ellipsis
            return body.decode("ascii").strip() or None
    return None


def filler_issue(src, start: int, end: int, last: bool) -> ReadIssue:
    """The STRUCT-FILLER warning for the bytes ``start:end`` of ``src`` (anything with
    ``read_span``) before a record, or after the last one: line ends alone are only noted (info)."""
    gap = src.read_span(start, end)
    what = visible(repr(gap[:8])[2:-1]) + ("..." if len(gap) > 8 else "")
    key = "line-end" if gap.strip(b"\r\n") == b"" else "between"
    return ReadIssue.of("STRUCT-FILLER", key + ("-last" if last else ""), n=end - start, at=start, bytes=what)


def filler_edge(src, pos: int, forward: bool) -> int:
    """Where the run of bytes ``segment`` skips (``_BETWEEN``) that ends (or, ``forward``,
    starts) at ``pos`` begins (ends): for a worker that has a shard of the file but not the
    index, the end of the record before its first one, or whether only filler follows its last.
    A record never ends with such a byte (it ends with its terminator), so the run is exactly
    the gap between the two slots."""
    size, step = src.size, 4096
    while (pos > 0) if not forward else (pos < size):
        lo, hi = (pos, min(size, pos + step)) if forward else (max(0, pos - step), pos)
        chunk = src.read_span(lo, hi)
        if forward:
            k = 0
            while k < len(chunk) and chunk[k] in _BETWEEN:
                k += 1
            pos += k
        else:
            k = len(chunk)
            while k > 0 and chunk[k - 1] in _BETWEEN:
                k -= 1
            pos -= len(chunk) - k
        if k != (len(chunk) if forward else 0):
            break
    return pos


class Iso2709Source(IndexedSource):
    """An ISO 2709 file: an index of record offsets over the mapped bytes."""

    format = FORMAT

    def __init__(self, path: str, data: bytes | None = None):
        super().__init__(path, data)
        self._win: tuple[bytes, int] | None = None

    # -- indexing ---------------------------------------------------------------------------
    def _index(self, stop: int) -> None:
        """Slots up to ``stop`` (``segment``). A mapped file is read a window at a time
        (``read_span``), not through the mapping, so that indexing a large file does not leave it
        all resident in this process."""
        size = self.size
        pos = self._pos
        slot = len(self.ends)
        want = WINDOW
        while pos < size and slot < stop:
            window, wbase = self._window(pos, want)
            p, slot, more = segment(
                window,
                wbase,
                pos - wbase,
                wbase + len(window) >= size,
                slot,
                stop,
                self.starts,
                self.ends,
                self.bad,
                self.holdings_slots,
            )
            new_pos = wbase + p
            want = want * 2 if more and new_pos == pos else WINDOW  # a record longer than the window
            pos = new_pos
        self._pos = pos
        if pos >= size:
            self.complete = True
            self._win = None

    def _window(self, pos: int, length: int) -> tuple[bytes, int]:
        """Bytes from ``pos`` on (at least ``length`` of them, or to the end), and where they start."""
        if not self.mapped:
            return self.buf, 0  # type: ignore[return-value]  # in memory: the whole file, no copy
        win = self._win
        if win is not None and win[1] <= pos:
            end = win[1] + len(win[0])
            if pos + length <= end or end >= self.size:
                return win
        win = (self.read_span(pos, min(self.size, pos + length)), pos)
        self._win = win
        return win

    def iter_entries(self, lo: int = 0, hi: int | None = None, progress: Progress | None = None) -> Iterator[Entry]:
        """Slots ``lo:hi`` (of the index built so far) in order, as ``entry`` gives them but read a
        window at a time and not cached: batch work over a whole file (validate, export)."""
        hi = len(self) if hi is None else min(hi, len(self))
        link = len(self.holdings_slots) > 0
        starts, ends, bad, path = self.starts, self.ends, self.bad, self.path
        size, last = self.size, (len(self) - 1 if self.complete else -1)
        total = ends[hi - 1] - starts[lo] if hi > lo else 0
        edits = self.has_edits
        i = lo
        while i < hi:
            first = starts[i]
            j = max(i + 1, bisect_right(ends, first + WINDOW, i, hi))
            if self.mapped:
                data, base = self.read_span(first, ends[j - 1]), first
            else:
                data, base = self.buf, 0  # type: ignore[assignment]
            for k in range(i, j):
                if edits:
                    edited = self.edited(k)
                    if edited is not None:
                        yield edited
                        continue
                a, e = starts[k] - base, ends[k] - base
                reason = bad.get(k)
                if reason is not None:
                    yield BrokenRecord(path, k + 1, starts[k], reason, raw=bytes(data[a:e]))
                    continue
                rec = parse_record(data[a:e], path, k + 1, starts[k])
                if (starts[k] != (ends[k - 1] if k else 0) or (k == last and ends[k] < size)) and type(
                    rec
                ) is LibrisRecord:
                    self._add_filler(rec, k)
                if link and type(rec) is LibrisRecord and rec.kind == "bib":
                    rec.holdings = self.holdings_for(rec)
                yield rec
            i = j
            if progress is not None:
                progress(ends[j - 1] - starts[lo], total)

    def parse_slot(self, i: int) -> Entry:
        e = parse_record(self.raw(i), self.path, i + 1, self.starts[i])
        if isinstance(e, LibrisRecord):
            self._add_filler(e, i)
        return e

    def _add_filler(self, e: LibrisRecord, i: int) -> None:
        """STRUCT-FILLER on record ``i`` for the bytes skipped before it (and, on the last record,
        after it), first among its issues."""
        before = self.ends[i - 1] if i else 0
        gaps = []
        if self.starts[i] != before:
            gaps.append(filler_issue(self, before, self.starts[i], False))
        if self.complete and i == len(self) - 1 and self.ends[i] < self.size:
            gaps.append(filler_issue(self, self.ends[i], self.size, True))
        if gaps:
            e.issues[:0] = gaps

    # -- filler between records: the gaps between slots ------------------------------------------
    def filler(self) -> list[tuple[int, int, int | None]]:
        """``(start, end, slot)`` of each run of bytes between records that indexing skipped
        (``segment``): before slot ``slot``, or after the last record (``None``). The usual
        file has none, and that is one C-level comparison of the offsets."""
        n = len(self)
        starts, ends = self.starts, self.ends
        out: list[tuple[int, int, int | None]] = []
        if n and (starts[0] != 0 or starts[1:n] != ends[: n - 1]):
            out += [(ends[i - 1] if i else 0, starts[i], i) for i in range(n) if starts[i] != (ends[i - 1] if i else 0)]
        last = ends[n - 1] if n else 0
        if last < self.size and self.complete:
            out.append((last, self.size, None))
        return out

    # -- holdings: found by leader/06 while indexing, linked by a raw read of 004 ---------------
    def linked_bib_of(self, j: int) -> str | None:
        key = raw_linked_bib(self.raw(j))
        if key is Ellipsis:  # not decidable from the bytes: parse
            return super().linked_bib_of(j)
        return key


def open_source(path: str) -> Iso2709Source:
    src = Iso2709Source(path)
    src.index_step(Iso2709Source.FIRST_STEP)
    return src


def read_bytes(data: bytes, path: str = "<bytes>") -> Iso2709Source:
    """An indexed source over bytes in memory (tests, conversions)."""
    src = Iso2709Source(path, data=data)
    src.build_index()
    return src


# -- writing ----------------------------------------------------------------------------------


def _leader_text(rec: Record) -> str:
    ld = str(rec.leader) if rec.leader is not None else ""
    return (ld + " " * 24)[:24]


def _encode_field(f: Field) -> bytes:
    """A field's bytes from its text (UTF-8), with the field terminator."""
    if f.is_control_field():
        return (f.data or "").encode("utf-8") + FT_B
    i1, i2 = (tuple(f.indicators or ()) + (" ", " "))[:2]
    parts = [((i1 or " ")[:1] + (i2 or " ")[:1]).encode("utf-8")]
    for sf in f.subfields:
        if sf.code == ORPHAN:
            # orphan text is written with no delimiter; an empty one is a delimiter with no code
            parts.append(sf.value.encode("utf-8") if sf.value else SD_B)
        else:
            parts.append(SD_B + sf.code.encode("utf-8") + sf.value.encode("utf-8"))
    return b"".join(parts) + FT_B


def source_bytes(rec: Record) -> bytes | None:
    """The bytes a record was read from, if it was read by the ISO 2709 reader's general parser
    and nothing in it has changed since: the same leader, the same field objects in the same
    order, each with its content as read."""
    src = getattr(rec, "iso_source", None)
    if src is None:
        return None
    raw, leader, fields = src
    now = rec.fields
    if len(now) != len(fields) or _leader_text(rec) != leader:
        return None
    for f, g in zip(now, fields):
        if f is not g or unchanged_raw(f) is None:
            return None
    return raw


def record_bytes(rec: Record, force_utf8: bool = False) -> bytes:
    """One record as ISO 2709 bytes. A record read from ISO 2709 and not changed since is written
    back as read, byte for byte (its directory order, leader blanks, lengths and all); otherwise
    unchanged fields keep their bytes and the rest is canonical: the directory in field order,
    the record length and base address recomputed, leader/10-11 ``22`` and 20-23 ``4500``."""
    if not force_utf8:
        raw = source_bytes(rec)
        if raw is not None:
            return raw
    leader = _leader_text(rec)
    if leader[10:12] == "  ":
        leader = leader[:10] + "22" + leader[12:]  # STRUCT-LEADER-BLANK, fixed on a canonical write
    marc8 = leader[9] != "a"
    bodies: list[bytes] = []
    fresh: list[bool] = []
    for f in rec.fields:
        raw = None if force_utf8 else unchanged_raw(f, leader[9])
        bodies.append(raw if raw is not None else _encode_field(f))
        fresh.append(raw is None)
    if force_utf8 or (marc8 and any(fr and not b.isascii() for fr, b in zip(fresh, bodies))):
        # new non-ASCII text cannot go into a MARC-8 record: the record becomes UTF-8, from text
        bodies = [_encode_field(f) for f in rec.fields]
        leader = leader[:9] + "a" + leader[10:]
    directory = []
    pos = 0
    for f, body in zip(rec.fields, bodies):
        tag = f.tag.encode("utf-8")
        if len(tag) != 3:
            raise WriteError(f"field tag {visible(repr(f.tag))} is not three characters; ISO 2709 cannot hold it")
        if len(body) > 9999:
            raise WriteError(f"field {visible(f.tag)} is {len(body)} bytes; ISO 2709 allows at most 9999")
        directory.append(b"%s%04d%05d" % (tag, len(body), pos))
        pos += len(body)
    base = 24 + 12 * len(directory) + 1
    total = base + pos + 1
    if total > 99999:
        raise WriteError(f"the record would be {total} bytes; ISO 2709 allows at most 99999")
    if leader[20:24] != "4500":
        leader = leader[:20] + "4500"
    head = f"{total:05d}{leader[5:12]}{base:05d}{leader[17:]}"
    return head.encode("ascii", "replace") + b"".join(directory) + FT_B + b"".join(bodies) + RT_B


def write(records: Iterable[Record], out: BinaryIO, force_utf8: bool = False, **options) -> None:
    """Write records as ISO 2709. ``force_utf8``: re-encode every record as UTF-8."""
    for n, rec in enumerate(records, 1):
        try:
            out.write(record_bytes(rec, force_utf8=force_utf8))
        except WriteError as exc:
            cn = rec.get("001")
            ident = f" [{visible(cn.data)}]" if cn is not None and cn.data else ""  # record text is data
            raise WriteError(f"record {n}{ident}: {exc}") from None
