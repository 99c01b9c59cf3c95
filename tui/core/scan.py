"""Whole-file facts from raw bytes over a source's index: what ``stats`` counts and filters use.

For each record slot the scan says whether it is broken, a holdings or authority record, and for
bibliographic records whether it is an e-plikt record, a channel record or suppressed, with the
*same* verdicts as a full parse with ``detect.py`` (a test holds the two together), but without
parsing every record:

* ISO 2709: the index gives record offsets; each record's structure is checked from its bytes
  (``iso2709.structure_reason``: C-level for the usual record); then the whole file is searched once per
  marker (``\\x1f9...EPLK``/``DIGI``; ``channel record`` in a ``$h`` and ``record`` in an
  ``$a``, in any ASCII case; ``\\x1f5...APIS``; ``\\x1fb...APIS`` in holdings records) with
  ``find``/``re`` over the whole mapping, and each hit is mapped to its record by bisection
  over the offsets and to its field by the directory. A hit whose subfield value is plain ASCII
  is decided from the bytes; anything else (non-ASCII text, MARC-8 escapes, an unusual record
  layout) is decided by parsing that one record. The markers are chosen so that
  every value ``detect.py`` would accept contains them (``str.upper``/``lower`` map no
  non-ASCII letter onto the letters of ``RECORD`` or ``channel record``).
* MARCXML: records are checked for well-formedness (lxml, hardened) and only those whose bytes
  could hold a marker (or a character reference) are converted and run through ``detect.py``.
* Formats parsed whole (MARC-in-JSON, MARCMaker, notation, JSON-LD): ``detect.py`` on each.

E-plikt needs the holdings too (EPL-DETECT: an APIS holding and no DIGI): embedded ``$5 APIS``
is a marker like the others; a MARC 21 holdings record whose ``852 $b`` is APIS marks the bib
whose ``001`` its ``004`` names, as ``RecordSource.holdings_for`` links them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field as dc_field
from typing import Callable

from . import detect
from .holdings import EMBEDDED_TAGS
from .model import BrokenRecord, LibrisRecord, Record
from .formats.iso2709 import FT_B, RT_B, SD_B
from .source import Progress, RecordSource

# slot flags
BROKEN, HOLDINGS, AUTHORITY, EPLIKT, CHANNEL, SUPPRESSED, PARSED = 1, 2, 4, 8, 16, 32, 64

_HOLD_TYPES = frozenset(b"uvxy")
_AUTH_TYPES = frozenset(b"z")
_V = rb"[^\x1d\x1e\x1f]*?"  # the rest of a subfield value, lazily
_M_EPLK = re.compile(rb"\x1f9" + _V + rb"(?:EPLK|DIGI)")
_M_APIS5 = re.compile(rb"\x1f5" + _V + rb"APIS")
_M_APISB = re.compile(rb"\x1fb" + _V + rb"APIS")
# MARCXML: bytes that may hold a marker (SUPPRESSRECORD's "UPP" cannot come from non-ASCII
# letters either), or a character reference that may spell one
_XML_MARKERS = (b"upp", b"channel record", b"eplk", b"digi", b"apis", b"&#")


@dataclass
class ScanResult:
    """Per-slot flags for one file, and the counts ``stats`` prints."""

    path: str
    format: str
    flags: bytearray
    #: records that had to be parsed because the bytes alone could not decide
    parsed: int = 0
    broken_records: list[BrokenRecord] = dc_field(default_factory=list)

    def count(self, flag: int) -> int:
        return self.flags.translate(_BIT_TABLES[flag]).count(1)

    def slots(self, flag: int) -> list[int]:
        """Slots that have ``flag`` (ascending)."""
        return [m.start() for m in _BIT_PATTERNS[flag].finditer(self.flags)]

    @property
    def slot_count(self) -> int:
        return len(self.flags)

    @property
    def records(self) -> int:
        """Bibliographic records: readable slots that are neither holdings nor authority."""
        return len(self.flags) - self.count(BROKEN) - self.count(HOLDINGS) - self.count(AUTHORITY)

    def counts(self) -> dict:
        return {"path": self.path, "records": self.records, "eplikt": self.count(EPLIKT),
                "channel": self.count(CHANNEL), "suppressed": self.count(SUPPRESSED),
                "holdings": self.count(HOLDINGS), "broken": self.count(BROKEN)}


_BIT_TABLES = {f: bytes(1 if b & f else 0 for b in range(256))
               for f in (BROKEN, HOLDINGS, AUTHORITY, EPLIKT, CHANNEL, SUPPRESSED, PARSED)}
_BIT_PATTERNS = {f: re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in range(256) if b & f) + b"]")
                 for f in _BIT_TABLES}


def flags_of(e, linked_apis: bool | None = None) -> int:
    """The flags of one parsed slot, by ``detect.py`` (the reference the raw scans agree with)."""
    if isinstance(e, BrokenRecord):
        return BROKEN
    kind = e.kind
    if kind == "holdings":
        return HOLDINGS
    if kind == "authority":
        return AUTHORITY
    f = 0
    if detect.is_eplikt(e):
        f |= EPLIKT
    if detect.is_channel(e):
        f |= CHANNEL
    if detect.is_suppressed(e):
        f |= SUPPRESSED
    return f


def scan_source(src: RecordSource, progress: Progress | None = None) -> ScanResult:
    """Scan a whole source (finishing its index first)."""
    if not src.complete:
        src.build_index(progress)
    from .formats.iso2709 import Iso2709Source
    from .formats.marcxml import MarcXmlSource

    if isinstance(src, Iso2709Source):
        return _scan_iso(src)
    if isinstance(src, MarcXmlSource):
        return _scan_xml(src)
    return _scan_parsed(src)


def scan_file(path: str, progress: Progress | None = None) -> ScanResult:
    """Open any record file and scan it. Raises ``UnreadableFile`` when it cannot be read at all."""
    from .formats import open_source

    src = open_source(path)
    try:
        return scan_source(src, progress)
    finally:
        close = getattr(src, "close", None)
        if close is not None:
            close()


# -- formats parsed whole -----------------------------------------------------------------------

def _scan_parsed(src: RecordSource) -> ScanResult:
    flags = bytearray(len(src))
    res = ScanResult(src.path, src.format, flags)
    for i in range(len(src)):
        e = src.entry(i)
        flags[i] = flags_of(e)
        if isinstance(e, BrokenRecord):
            res.broken_records.append(e)
    res.parsed = len(src)
    return res


# -- ISO 2709 ---------------------------------------------------------------------------------

class _Bits:
    EPLK, DIGI, APIS, CHANNEL, SUPPRESS = 1, 2, 4, 8, 16


def _scan_iso(src) -> ScanResult:
    from .formats.iso2709 import _digit_tables, is_standard, structure_reason

    d4, d5 = _digit_tables()

    n = len(src)
    buf, starts, ends, bad = src.buf, src.starts, src.ends, src.bad
    flags = bytearray(n)
    res = ScanResult(src.path, src.format, flags)
    # 1. structure and kind of every slot (C-level checks for the usual record)
    hold_types, auth_types = _HOLD_TYPES, _AUTH_TYPES
    for i in range(n):
        if i in bad:
            flags[i] = BROKEN
            continue
        rec = buf[starts[i]:ends[i]]
        if structure_reason(rec) is not None:
            flags[i] = BROKEN
            continue
        t = rec[6]
        if t in hold_types:
            flags[i] = HOLDINGS
        elif t in auth_types:
            flags[i] = AUTHORITY
    parsed: dict[int, LibrisRecord] = {}

    def parse(i: int) -> LibrisRecord:
        r = parsed.get(i)
        if r is None:
            r = src._parse(i)  # never broken here: the structure check agreed with the parser
            parsed[i] = r
        return r

    # 2. marker hits -> bits of positive verdicts; records with a hit the bytes cannot decide
    # (undecided) or with a negative verdict (negative) are looked at again below
    bits = bytearray(n)
    undecided: set[int] = set()
    negative: set[int] = set()

    def field_and_value(i: int, p: int) -> tuple[bytes, bytes] | None:
        """The tag and value bytes of the subfield whose delimiter is at ``p``, when the
        directory entry of the field it stands in points exactly at that field (else None)."""
        s = starts[i]
        if buf[s + 20:s + 22] != b"45":
            return None
        base = int(buf[s + 12:s + 17])
        k = buf[s + base:p].count(FT_B)  # (mmap has no count() before Python 3.13)
        d = s + 24 + 12 * k
        if d + 12 > s + base - 1:
            return None
        entry = buf[d:d + 12]
        fstart = buf.rfind(FT_B, s + base - 1, p) + 1
        fend = buf.find(FT_B, p, ends[i])
        length, where = fend + 1 - fstart, fstart - s - base
        if length >= 10000 or where >= 100000 or entry[3:7] != d4[length] or entry[7:] != d5[where]:
            return None
        nxt = buf.find(SD_B, p + 1, fend)
        return entry[:3], buf[p + 2:fend if nxt < 0 else nxt]

    def hits(found, want_flags: int, decide: Callable[[bytes, str], int]) -> None:
        """A positive verdict from the bytes is final (the field holds exactly these bytes, with
        this tag, however the rest of the record is laid out). A negative one is final only if
        no other directory entry can point into the same field: checked later, once a record."""
        nslots = n
        for p in found:
            i = bisect_right(starts, p, 0, nslots) - 1
            if i < 0 or p >= ends[i] or flags[i] & (BROKEN | HOLDINGS | AUTHORITY) != want_flags:
                continue
            got = field_and_value(i, p)
            if got is None:
                undecided.add(i)
                continue
            tag, value = got
            if not value.isascii() or b"\x1b" in value:
                undecided.add(i)
                continue
            verdict = decide(tag, value.decode("ascii"))
            if verdict:
                bits[i] |= verdict
            else:
                negative.add(i)

    def sigel_9(tag: bytes, v: str) -> int:
        if tag != b"042":
            return 0
        v = v.strip()
        return _Bits.EPLK if v == detect.EPLK else _Bits.DIGI if v == detect.DIGI else 0

    def channel(tag: bytes, v: str) -> int:
        return _Bits.CHANNEL if tag == b"245" and detect.media_term(v).lower() == detect.CHANNEL_TERM else 0

    def suppress(tag: bytes, v: str) -> int:
        return _Bits.SUPPRESS if tag == b"599" and v.strip().upper() == detect.SUPPRESS else 0

    def apis5(tag: bytes, v: str) -> int:
        return _Bits.APIS if tag.decode("ascii") in EMBEDDED_TAGS and v.strip() == detect.APIS else 0

    hits((m.start() for m in _M_EPLK.finditer(buf)), 0, sigel_9)
    found = _record_subfields(buf)
    hits((d for d, code in found if code == 0x68), 0, channel)
    hits((d for d, code in found if code == 0x61), 0, suppress)
    hits((m.start() for m in _M_APIS5.finditer(buf)), 0, apis5)

    # holdings records whose 852 $b may be APIS: parsed (they are small), linked by 004
    apis_links: set[str] = set()
    seen_h: set[int] = set()
    for m in _M_APISB.finditer(buf):
        p = m.start()
        i = bisect_right(starts, p, 0, n) - 1
        if i < 0 or p >= ends[i] or flags[i] != HOLDINGS or i in seen_h:
            continue
        seen_h.add(i)
        h = parse(i)
        if detect.holding_sigel(h.marc) == detect.APIS and h.linked_bib:
            apis_links.add(h.linked_bib)

    linked: set[int] = set()
    if apis_links:
        from .formats.iso2709 import field_bytes

        for i in range(n):
            if flags[i] & (BROKEN | HOLDINGS | AUTHORITY):
                continue
            s, e = starts[i], ends[i]
            first = field_bytes(buf[s:e], b"001")[:1]
            if first and (not first[0].isascii() or b"\x1b" in first[0]):
                cn = parse(i).control_number
            else:
                cn = first[0].decode("ascii") if first else None
            if cn and cn.strip() in apis_links:
                linked.add(i)

    # 3. verdicts: a negative hit is final when the record has the standard layout
    for i in negative - undecided:
        if not is_standard(buf[starts[i]:ends[i]]):
            undecided.add(i)
    for i in undecided:
        r = parse(i)
        b = 0
        b |= _Bits.EPLK if detect.has_eplk(r.marc) else 0
        b |= _Bits.DIGI if detect.has_digi(r.marc) else 0
        b |= _Bits.APIS if detect.APIS in detect.embedded_holding_sigels(r.marc) else 0
        b |= _Bits.CHANNEL if detect.is_channel(r.marc) else 0
        b |= _Bits.SUPPRESS if detect.is_suppressed(r.marc) else 0
        bits[i] = b
    for i in _nonzero(bits) | linked:
        b = bits[i]
        apis = bool(b & _Bits.APIS) or i in linked
        f = flags[i]
        if b & _Bits.EPLK or (apis and not b & _Bits.DIGI):
            f |= EPLIKT
        if b & _Bits.CHANNEL:
            f |= CHANNEL
        if b & _Bits.SUPPRESS:
            f |= SUPPRESSED
        flags[i] = f
    for i in parsed:
        flags[i] |= PARSED
    res.parsed = len(parsed)
    for i in (m.start() for m in _BIT_PATTERNS[BROKEN].finditer(flags)):
        res.broken_records.append(src._parse(i))
    return res


def _record_subfields(buf, chunk: int = 1 << 24) -> list[tuple[int, int]]:
    """``(delimiter offset, code)`` of every ``$a`` subfield whose bytes contain ``record`` and
    every ``$h`` whose bytes contain ``channel record``, in any ASCII case. The file is lowered
    a chunk at a time (C speed) and searched with ``find``; each hit is walked back to its
    subfield delimiter."""
    out: list[tuple[int, int]] = []
    n = len(buf)
    pos = 0
    seen = -1
    while pos < n:
        end = min(n, pos + chunk)
        lo = max(0, pos - 8)  # room for "channel " before a "record" at the start of the chunk
        part = buf[lo:min(n, end + 5)].lower()
        j = part.find(b"record", pos - lo)
        while j >= 0 and lo + j < end:
            q = lo + j
            d = buf.rfind(SD_B, max(0, q - 10000), q)  # a field is at most 9999 bytes
            if d >= 0 and buf.find(FT_B, d, q) < 0 and buf.find(RT_B, d, q) < 0:
                code = buf[d + 1]
                if code == 0x61 and d != seen:
                    out.append((d, code))
                    seen = d
                elif code == 0x68 and q - 8 >= d + 2 and part[j - 8:j] == b"channel " and d != seen:
                    out.append((d, code))
                    seen = d
            j = part.find(b"record", j + 1)
        pos = end
    return out


def _nonzero(b: bytearray) -> set[int]:
    return {m.start() for m in re.finditer(rb"[^\x00]", b)}


# -- MARCXML ----------------------------------------------------------------------------------

def _xml_leader6(el) -> str:
    from .formats.marcxml import _local_name

    for child in el:
        if isinstance(child.tag, str) and _local_name(child.tag) == "leader":
            text = "".join(child.itertext())
            return (text + " " * 24)[6]
    return "a"  # no leader: the reader makes a bibliographic one


def _scan_xml(src) -> ScanResult:
    from .formats.marcxml import element_to_record

    n = len(src)
    flags = bytearray(n)
    res = ScanResult(src.path, src.format, flags)
    records: dict[int, LibrisRecord] = {}
    light: dict[int, object] = {}
    for i in range(n):
        el = src.parse_element(i)
        if isinstance(el, str):
            flags[i] = BROKEN
            res.broken_records.append(src._parse(i))
            continue
        t = _xml_leader6(el)
        if t in "uvxy" and t:
            flags[i] = HOLDINGS
        elif t == "z":
            flags[i] = AUTHORITY
        low = src.raw(i).lower()
        if any(marker in low for marker in _XML_MARKERS):
            records[i] = element_to_record(el, src.path, i + 1, src.starts[i])
        elif not flags[i]:
            light[i] = el
    # holdings links, as RecordSource.holdings_for makes them
    apis_links = {r.linked_bib for i, r in records.items()
                  if flags[i] == HOLDINGS and r.linked_bib and detect.holding_sigel(r.marc) == detect.APIS}
    for i, r in records.items():
        if flags[i]:
            continue
        f = 0
        apis = detect.APIS in detect.embedded_holding_sigels(r.marc) or (
            bool(r.control_number) and r.control_number.strip() in apis_links)
        if detect.has_eplk(r.marc) or (apis and not detect.has_digi(r.marc)):
            f |= EPLIKT
        if detect.is_channel(r.marc):
            f |= CHANNEL
        if detect.is_suppressed(r.marc):
            f |= SUPPRESSED
        flags[i] = f | PARSED
    if apis_links:
        # bibs without any marker can still hold an APIS holding by 004 -> 001; no marker
        # means no DIGI either
        for i, el in light.items():
            r = element_to_record(el, src.path, i + 1, src.starts[i])
            records[i] = r
            cn = r.control_number
            if cn and cn.strip() in apis_links:
                flags[i] |= EPLIKT
            flags[i] |= PARSED
    res.parsed = len(records)
    return res


def record_flags(rec: Record | LibrisRecord) -> int:
    """Flags of a single record in memory (no file): for callers that hold an edited record."""
    if isinstance(rec, Record):
        rec = LibrisRecord(marc=rec)
    return flags_of(rec)
