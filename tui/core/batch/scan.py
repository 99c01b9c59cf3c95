"""Whole-file facts from raw bytes over a source's index: what ``stats`` counts and filters use.

For each record slot the scan says whether it is broken, a holdings or authority record, and for
bibliographic records whether it is an e-plikt record, a channel record or suppressed, with the
*same* verdicts as a full parse with ``detect.py`` (a test holds the two together), but without
parsing every record:

* ISO 2709: the file is cut into byte ranges at record terminators, one a core
  (``tui.core.batch.engine``); each range is read a window at a time (``pread``) and cut into the
  slots the index has (``iso2709.segment``). Each slot's structure is checked from its bytes (a
  readable leader, a directory of whole digit entries, one field terminator per entry: then the
  parser reads it whichever way its directory points; anything else goes to
  ``iso2709.structure_reason``, the parser's own verdict). One regular-expression search per
  window finds the markers (``$9 ...EPLK``/``DIGI``, ``$5``/``$b ...APIS``, ``$h ...channel
  record`` in any ASCII case); a record whose directory has a 599 is searched for ``$a ...record``
  (SUPPRESSRECORD). Each hit is mapped to its field through the directory (the k-th field
  terminator ends the k-th field): a hit whose subfield value is plain ASCII is decided from the
  bytes; anything else (non-ASCII text, MARC-8 escapes, an unusual record layout) is decided by
  parsing that one record. The markers are chosen so that every value ``detect.py`` would
  accept contains them (``str.upper``/``lower`` map no non-ASCII letter onto the letters of
  ``RECORD`` or ``channel record``).
* MARCXML: records are checked for well-formedness (lxml, hardened) and only those whose bytes
  could hold a marker (or a character reference) are converted and run through ``detect.py``.
* Formats parsed whole (MARC-in-JSON, MARCMaker, notation, JSON-LD): ``detect.py`` on each.

E-plikt needs the holdings too (EPL-DETECT: an APIS holding and no DIGI): embedded ``$5 APIS``
is a marker like the others; a MARC 21 holdings record whose ``852 $b`` is APIS marks the bib
whose ``001`` its ``004`` names, as ``RecordSource.holdings_for`` links them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field

from tui.core.formats.iso2709 import FT_B, RT_B, SD_B
from tui.core.model.holdings import EMBEDDED_TAGS
from tui.core.model.record import BrokenRecord, LibrisRecord, Record
from tui.core.rules import detect
from tui.core.sources.base import Progress, RecordSource

# slot flags (OTHER: a classification or community information record, leader/06 w or q)
BROKEN, HOLDINGS, AUTHORITY, EPLIKT, CHANNEL, SUPPRESSED, PARSED, OTHER = 1, 2, 4, 8, 16, 32, 64, 128

_HOLD_TYPES = frozenset(b"uvxy")
_AUTH_TYPES = frozenset(b"z")
_OTHER_TYPES = frozenset(b"wq")
#: leader/06 byte -> its kind's flag (0: bibliographic)
_KIND_FLAGS = bytes(
    HOLDINGS if b in _HOLD_TYPES else AUTHORITY if b in _AUTH_TYPES else OTHER if b in _OTHER_TYPES else 0
    for b in range(256)
)
_V = rb"[^\x1d\x1e\x1f]*?"  # the rest of a subfield value, lazily
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
        """Bibliographic records: readable slots that are not holdings, authority or other records."""
        return len(self.flags) - self.count(BROKEN) - self.count(HOLDINGS) - self.count(AUTHORITY) - self.count(OTHER)

    def counts(self) -> dict:
        return {
            "path": self.path,
            "records": self.records,
            "eplikt": self.count(EPLIKT),
            "channel": self.count(CHANNEL),
            "suppressed": self.count(SUPPRESSED),
            "holdings": self.count(HOLDINGS),
            "authority": self.count(AUTHORITY),
            "other": self.count(OTHER),
            "broken": self.count(BROKEN),
        }


_BIT_TABLES = {
    f: bytes(1 if b & f else 0 for b in range(256))
    for f in (BROKEN, HOLDINGS, AUTHORITY, EPLIKT, CHANNEL, SUPPRESSED, PARSED, OTHER)
}
_BIT_PATTERNS = {
    f: re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in range(256) if b & f) + b"]") for f in _BIT_TABLES
}


def flags_of(e, linked_apis: bool | None = None) -> int:
    """The flags of one parsed slot, by ``detect.py`` (the reference the raw scans agree with)."""
    if isinstance(e, BrokenRecord):
        return BROKEN
    kind = e.kind
    if kind == "holdings":
        return HOLDINGS
    if kind == "authority":
        return AUTHORITY
    if str(e.marc.leader)[6:7] in ("w", "q"):
        return OTHER
    f = 0
    if detect.is_eplikt(e):
        f |= EPLIKT
    if detect.is_channel(e):
        f |= CHANNEL
    if detect.is_suppressed(e):
        f |= SUPPRESSED
    return f


def scan_source(src: RecordSource, progress: Progress | None = None, engine=None) -> ScanResult:
    """Scan a whole source. ISO 2709 is scanned straight from its bytes (the source's own index
    is not needed), in shards on ``engine`` (``tui.core.batch.engine``; by default local
    processes when the file is large); other formats finish their index first."""
    from tui.core.formats.iso2709 import Iso2709Source
    from tui.core.formats.marcxml import MarcXmlSource

    if not src.complete and not isinstance(src, Iso2709Source):
        src.build_index(progress)

    if isinstance(src, Iso2709Source):
        return _scan_iso(src, progress, engine)
    if isinstance(src, MarcXmlSource):
        return _scan_xml(src)
    return _scan_parsed(src)


def scan_file(path: str, progress: Progress | None = None, engine=None) -> ScanResult:
    """Open any record file and scan it. Raises ``UnreadableFile`` when it cannot be read at all."""
    from tui.core.formats import open_source

    src = open_source(path)
    try:
        return scan_source(src, progress, engine)
    finally:
        src.close()


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


def _flags_for(b: int) -> int:
    """The flags of a bib slot from its marker bits (EPL-DETECT without linked holdings)."""
    f = 0
    if detect.eplikt_by(bool(b & _Bits.EPLK), bool(b & _Bits.APIS), bool(b & _Bits.DIGI)):
        f |= EPLIKT
    if b & _Bits.CHANNEL:
        f |= CHANNEL
    if b & _Bits.SUPPRESS:
        f |= SUPPRESSED
    return f


_BITS_TO_FLAGS = bytes(_flags_for(b) for b in range(256))
_DIGI_BIT = re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in range(256) if b & _Bits.DIGI) + b"]")


def _scan_iso(src, progress: Progress | None = None, engine=None) -> ScanResult:
    """Scan an ISO 2709 source: its bytes are cut into shards at record boundaries, scanned on the
    ``engine``'s workers (local processes on every core by default, for a file large enough for
    that to pay); each shard is segmented into slots exactly as the index does it."""
    from tui.core.batch import engine as engines

    size = src.size
    if engine is None:
        n = engines.workers() if size >= PARALLEL_MIN_BYTES and src.mapped else 1
        engine = engines.LocalEngine(n) if n > 1 else engines.InlineEngine()
    with engines.shared_source(src) as key:
        if engine.workers > 1 or not isinstance(engine, (engines.LocalEngine, engines.InlineEngine)):
            shards = engines.byte_shards(src, key, engine.workers, smallest=SHARD_MIN_BYTES, largest=SHARD_MAX_BYTES)
        else:
            shards = [engines.Shard(key, 0, size)]
        finished = [0]

        def done(k: int) -> None:
            finished[0] += shards[k].hi - shards[k].lo
            if progress is not None:
                progress(min(size, finished[0]), size)

        if len(shards) == 1 and isinstance(engine, (engines.LocalEngine, engines.InlineEngine)):
            parts = [_IsoPart(src, 0, size).run(progress)]  # here, with a progress line that moves
        else:
            parts = engine.run(_scan_iso_part, [(s,) for s in shards], done=done)
        flags = bytearray()
        res = ScanResult(src.path, src.format, flags)
        offsets = []
        for part in parts:
            offsets.append(len(flags))
            flags += part.flags
            res.parsed += part.parsed
            for br in part.broken:
                br.number += offsets[-1]
                res.broken_records.append(br)
        links = set().union(*(part.apis_links for part in parts))
        if links:  # bibs linked by 004 -> 001 from a holdings record with 852 $b APIS (EPL-DETECT)
            linked = engine.run(_linked_part, [(s, bytes(part.flags)) for s, part in zip(shards, parts)], links)
            for off, part, (found, parsed) in zip(offsets, parts, linked):
                for i in found:
                    if i not in part.digi:
                        flags[off + i] |= EPLIKT
                for i in parsed:
                    flags[off + i] |= PARSED
                res.parsed += len(parsed - part.parsed_slots)
    if progress is not None:
        progress(size, size)
    return res


#: files smaller than this are scanned in one process (forking costs more than it saves)
PARALLEL_MIN_BYTES = 32 << 20
#: the smallest and largest shard of a file scanned on several workers
SHARD_MIN_BYTES = 4 << 20
SHARD_MAX_BYTES = 64 << 20


@dataclass
class _Part:
    """What one byte range of an ISO 2709 file gave (slots numbered from 0 in the range)."""

    flags: bytearray
    broken: list
    parsed: int
    parsed_slots: set
    apis_links: set
    digi: set


_LEADER45 = re.compile(rb"[\x20-\x7e]{20}45[\x20-\x7e]{2}")
_START = re.Match.start
#: leader/12-16 -> (base address, field terminators in the record) for addresses a directory of
#: whole 12-byte entries can end at; False for any other five bytes
_BASES: dict[bytes, tuple[int, int] | bool] = {}
#: what may stand before the term in a 245 $h that ``detect.media_term`` reads as "channel record"
#: (it strips white space and "[" from the front): ASCII white space, "[", any non-ASCII byte
#: (Unicode white space), or a MARC-8 escape (a record with escapes is parsed anyway, below)
_MEDIA_LEAD = rb"(?:[\t\n\x0b\x0c\r\x1c \[\x80-\xff]|\x1b[^\x1d\x1e\x1f]{1,3})*"
#: one search for the markers decided per record: $9 EPLK/DIGI, $5 APIS and $h channel record
#: (bibs), $b APIS (holdings); SUPPRESSRECORD is looked for in records with a 599 (directory)
_M_MARK = re.compile(
    rb"\x1f(?:9" + _V + rb"(?:EPLK|DIGI)|[5b]" + _V + rb"APIS|h" + _MEDIA_LEAD + rb"(?i:channel record))"
)


#: leader/05-23 -> (base address, field terminators) for a leader that is printable ASCII with
#: entry map 45 and a base address a directory of whole entries can end at; False otherwise
#: (leader/00-04, the length, is checked apart)
_LEADERS: dict[bytes, tuple[int, int] | bool] = {}


def _leader_info(key: bytes) -> tuple[int, int] | bool:
    info: tuple[int, int] | bool = False
    if _LEADER45.fullmatch(b"00000" + key):
        info = _base_info(key[7:12])
    if len(_LEADERS) < 100000:
        _LEADERS[key] = info
    return info


def _base_info(key: bytes) -> tuple[int, int] | bool:
    info: tuple[int, int] | bool = False
    if key.isdigit():
        b = int(key)
        if b >= 37 and (b - 25) % 12 == 0:
            info = (b, (b - 25) // 12 + 1)
    if len(_BASES) < 100000:
        _BASES[key] = info
    return info


def _windows(src, lo: int, hi: int):
    """``(window, wbase)``: the bytes of ``lo:hi`` a window at a time (all of it for a file in
    memory). The caller says how far it got with ``send(pos)`` (it may ask for more bytes)."""
    from tui.core.formats.iso2709 import WINDOW

    if not src.mapped:  # in memory: the range at once (a shard's range, as a copy)
        yield (src.buf, 0) if lo == 0 and hi >= len(src.buf) else (src.buf[lo:hi], lo)
        return
    pos, want = lo, WINDOW
    while pos < hi:
        got = yield src.read_span(pos, min(hi, pos + want)), pos
        if got is None:
            return
        want = want * 2 if got == pos else WINDOW
        pos = got


def _walk_windows(src, lo: int, hi: int, step, progress: Progress | None = None) -> None:
    """Feed ``lo:hi`` to ``step(window, wbase, p, at_eof) -> (p, more)`` a window at a time
    (``_windows``): ``p`` is where in ``window`` to go on from and how far the step got; ``more``
    that a record runs past the window."""
    gen = _windows(src, lo, hi)
    window, wbase = next(gen)
    pos = lo
    while True:
        p, more = step(window, wbase, pos - wbase, wbase + len(window) >= hi)
        pos = wbase + p
        if progress is not None:
            progress(pos - lo, hi - lo)
        if pos >= hi or (not more and wbase + len(window) >= hi):
            return
        try:
            window, wbase = gen.send(pos)
        except StopIteration:
            return


class _IsoPart:
    """The scan of one byte range ``lo:hi`` (record boundaries) of an ISO 2709 source."""

    def __init__(self, src, lo: int, hi: int):
        from array import array

        self.src, self.lo, self.hi = src, lo, hi
        self.starts, self.ends, self.hold = array("q"), array("q"), array("q")
        self.bad: dict[int, str] = {}
        self.flags = bytearray()
        self.bits = bytearray()
        self.undecided: set[int] = set()
        self.negative: set[int] = set()
        self.parsed: dict[int, LibrisRecord] = {}
        self.broken: list[int] = []
        self.apis_links: set[str] = set()

    # -- the pass over the range ----------------------------------------------------------------
    def run(self, progress: Progress | None) -> _Part:
        slot = 0

        def step(window: bytes, wbase: int, p: int, at_eof: bool) -> tuple[int, bool]:
            nonlocal slot
            p, slot, more = self._window(window, wbase, p, at_eof, slot)
            return p, more

        _walk_windows(self.src, self.lo, self.hi, step, progress)
        return self._finish()

    def _window(self, window: bytes, wbase: int, p: int, at_eof: bool, slot: int) -> tuple[int, int, bool]:
        """The slots found in ``window`` (the file's bytes from ``wbase``) from ``p`` on: their
        structure, kind, and ``$9`` EPLK/DIGI, ``$5``/``$b`` APIS and ``$h`` channel markers,
        found with one search over the window. Returns ``(p, slot, more)`` like ``segment``.

        A record whose leader gives its length right (the usual case) is taken as the index takes
        it; anything else (bytes between records, a wrong length, a record running past the
        window) goes through ``segment``, the index's own code, one slot at a time."""
        from tui.core.formats.iso2709 import segment, structure_verdict

        starts, ends, bad, flags = self.starts, self.ends, self.bad, self.flags
        starts_append, ends_append, flags_append = starts.append, ends.append, flags.append
        bases, leaders, lead = _BASES, _LEADERS, _LEADER45.match
        count, rfind, find = window.count, window.rfind, window.find
        hold_types, auth_types, other_types = _HOLD_TYPES, _AUTH_TYPES, _OTHER_TYPES
        d4, d5 = _DIGITS or _digits()
        bits, eplk = self.bits, b"EPLK\x1e"
        bits_append = bits.append
        hits = list(map(_START, _M_MARK.finditer(window, p)))
        hits.append(1 << 62)
        h = 0
        nxt = hits[0]
        n = len(window)
        while p < n:
            t = find(RT_B, p)
            if t >= 0 and t + 1 - p < 100000 and window[p : p + 5] == d5[t + 1 - p]:
                a = p
                e = p = t + 1
                i = slot
                slot += 1
                starts_append(wbase + a)
                ends_append(wbase + e)
                usual = True  # leader/00-04: the record's length, in digits
            else:
                s0 = slot
                p, slot, more = segment(window, wbase, p, at_eof, slot, slot + 1, starts, ends, bad, self.hold)
                if slot == s0:
                    return p, slot, more
                i = s0
                a, e = starts[i] - wbase, ends[i] - wbase
                usual = False
            flags_append(0)
            bits_append(0)
            while nxt < a:
                h += 1
                nxt = hits[h]
            if i in bad:
                flags[i] = BROKEN
                self.broken.append(i)
                while nxt < e:
                    h += 1
                    nxt = hits[h]
                continue
            if usual:
                key = window[a + 5 : a + 24]
                info = leaders.get(key)
                if info is None:
                    info = _leader_info(key)
            else:
                key = window[a + 12 : a + 17]
                info = bases.get(key)
                if info is None:
                    info = _base_info(key)
                if info and lead(window, a) is None:
                    info = False
            ok = False
            if info:
                b, nft = info
                if (
                    e - a > b
                    and window[a + b - 1] == 0x1E
                    and window[e - 2] == 0x1E
                    and window[a + 24 : a + b - 1].isdigit()
                ):
                    if nxt < e:  # the count up to the first marker also says which field it is in
                        before = count(FT_B, a, nxt)
                        ok = before + count(FT_B, nxt, e) == nft
                    else:
                        before = -1
                        ok = count(FT_B, a, e) == nft
            if ok:
                base = a + b
            else:  # anything unusual: exactly what the parser says
                reason, mended = structure_verdict(window[a:e])
                if reason is not None or mended:
                    while nxt < e:
                        h += 1
                        nxt = hits[h]
                if reason is not None:
                    flags[i] = BROKEN
                    self.broken.append(i)
                    continue
                if mended:  # readable only as the parser mends it: the parser decides, from its record
                    t = window[a + 6]
                    flags[i] = _KIND_FLAGS[t]
                    if flags[i] == HOLDINGS:
                        self._holdings_apis(i, window[a:e])
                    elif flags[i] == 0:
                        self.undecided.add(i)
                    continue
                base = before = -1
            t = window[a + 6]
            if t in hold_types:
                flags[i] = HOLDINGS
            elif t in auth_types:
                flags[i] = AUTHORITY
            elif t in other_types:
                flags[i] = OTHER
            elif window[a + 9] != 0x61 and find(b"\x1b", a, e) >= 0:
                # MARC-8 escapes vanish when read ("EP<ESC>(BLK" is EPLK): the parser decides
                self.undecided.add(i)
            if (
                nxt < e
                and base >= 0
                and window[nxt + 1] == 0x39
                and window[nxt + 2 : nxt + 7] == eplk
                and flags[i] == 0
                and e - a < 10000
            ):
                # the usual 042 $9 EPLK, in the usual layout: the (before-1)-th entry must point at it
                fs = rfind(FT_B, base - 1, nxt) + 1
                d = a + 12 + 12 * before
                if window[d : d + 12] == b"042" + d4[nxt + 7 - fs] + d5[fs - base]:
                    bits[i] |= _Bits.EPLK
                    h += 1
                    nxt = hits[h]
                    before = -1
            while nxt < e:
                if flags[i] == 0:
                    if window[nxt + 1] != 0x62:  # $b APIS only counts in holdings records
                        self._marker(window, i, a, e, nxt, base, before - 1 if before > 0 else -1)
                elif flags[i] == HOLDINGS and window[nxt + 1] == 0x62:
                    self._holdings_apis(i, window[a:e])
                before = -1
                h += 1
                nxt = hits[h]
            if flags[i] == 0:  # a 599 in the directory (at an entry boundary): SUPPRESSRECORD?
                dir_end = (base if base >= 0 else a + int(window[a + 12 : a + 17])) - 1
                q = find(b"599", a + 24, dir_end)
                while q >= 0 and (q - a - 24) % 12:
                    q = find(b"599", q + 1, dir_end)
                if q >= 0:
                    self._suppressed(window, i, a, e)
        return p, slot, False

    def _marker(self, window: bytes, i: int, a: int, e: int, p: int, base: int, k: int) -> None:
        """The marker at ``p`` in bib slot ``i``: ``$9`` EPLK/DIGI in 042 (EPL-DETECT), ``$5``
        APIS in an embedded holding, ``$h`` channel record in 245 (CHN-DETECT). ``base``/``k``
        (base address, field terminators from the base to ``p``) when known, else -1."""
        code = window[p + 1]
        word = window[p + 2 : p + 7]
        if code == 0x39 and (word == b"EPLK\x1e" or word == b"DIGI\x1e"):  # the usual 042 $9 EPLK
            fe = p + 6
            value = word[:4]
        else:
            fe = window.find(FT_B, p, e)
            if fe < 0:
                self.undecided.add(i)
                return
            nx = window.find(SD_B, p + 1, fe)
            value = window[p + 2 : fe if nx < 0 else nx]
        tag = _tag_at(window, a, e, p, fe, base, k)
        if tag is None or not value.isascii() or b"\x1b" in value:
            self.undecided.add(i)
            return
        verdict = (_sigel_9 if code == 0x39 else _apis5 if code == 0x35 else _channel)(tag, value.decode("ascii"))
        if verdict:
            self.bits[i] |= verdict
        else:
            self.negative.add(i)

    def _suppressed(self, window: bytes, i: int, a: int, e: int) -> None:
        """Bib slot ``i`` has a 599: its ``$a`` subfields holding ``record`` in any case
        (``599 $a SUPPRESSRECORD``)."""
        for p, code in _record_subfields(window, start=a, end=e):
            if code == 0x61:
                self._decide(window, i, a, e, p, _suppress)

    def _decide(self, window: bytes, i: int, a: int, e: int, p: int, decide: Callable[[bytes, str], int]) -> None:
        """A positive verdict from the bytes is final (the field holds exactly these bytes, with
        this tag, however the rest of the record is laid out). A negative one is final only if
        no other directory entry can point into the same field: checked later, once a record."""
        fe = window.find(FT_B, p, e)
        tag = _tag_at(window, a, e, p, fe) if fe >= 0 else None
        if tag is None:
            self.undecided.add(i)
            return
        nxt = window.find(SD_B, p + 1, fe)
        value = window[p + 2 : fe if nxt < 0 else nxt]
        if not value.isascii() or b"\x1b" in value:
            self.undecided.add(i)
            return
        verdict = decide(tag, value.decode("ascii"))
        if verdict:
            self.bits[i] |= verdict
        else:
            self.negative.add(i)

    def _holdings_apis(self, i: int, raw: bytes) -> None:
        """A holdings record whose 852 $b may be APIS: parsed (they are small), linked by 004."""
        if i in self.parsed:
            return
        h = self._parse(i, raw)
        if detect.holding_sigel(h.marc) == detect.APIS and h.linked_bib:
            self.apis_links.add(h.linked_bib)

    def _parse(self, i: int, raw: bytes | None = None) -> LibrisRecord:
        r = self.parsed.get(i)
        if r is None:
            from tui.core.formats.iso2709 import parse_record

            if raw is None:
                raw = self.src.read_span(self.starts[i], self.ends[i])
            r = parse_record(raw, self.src.path, i + 1, self.starts[i])  # never broken here
            self.parsed[i] = r
        return r

    # -- verdicts ---------------------------------------------------------------------------------
    def _finish(self) -> _Part:
        from tui.core.formats.iso2709 import is_standard

        flags, bits = self.flags, self.bits
        # a negative hit is final when the record has the standard layout
        for i in self.negative - self.undecided:
            if not is_standard(self.src.read_span(self.starts[i], self.ends[i])):
                self.undecided.add(i)
        for i in self.undecided:
            r = self._parse(i)
            b = 0
            b |= _Bits.EPLK if detect.has_eplk(r.marc) else 0
            b |= _Bits.DIGI if detect.has_digi(r.marc) else 0
            b |= _Bits.APIS if detect.APIS in detect.embedded_holding_sigels(r.marc) else 0
            b |= _Bits.CHANNEL if detect.is_channel(r.marc) else 0
            b |= _Bits.SUPPRESS if detect.is_suppressed(r.marc) else 0
            bits[i] = b
        digi = {m.start() for m in _DIGI_BIT.finditer(bits)}
        delta = bits.translate(_BITS_TO_FLAGS)  # bits are only ever set on bib slots (flags 0)
        if delta.count(0) != len(delta):
            n = len(flags)
            flags[:] = (int.from_bytes(flags, "little") | int.from_bytes(delta, "little")).to_bytes(n, "little")
        for i in self.parsed:
            flags[i] |= PARSED
        broken = []
        for i in self.broken:
            reason = self.bad.get(i)
            raw = self.src.read_span(self.starts[i], self.ends[i])
            if reason is None:
                from tui.core.formats.iso2709 import structure_reason

                reason = structure_reason(raw)
            broken.append(BrokenRecord(self.src.path, i + 1, self.starts[i], reason or "", raw=raw))
        return _Part(flags, broken, len(self.parsed), set(self.parsed), self.apis_links, digi)


def _scan_iso_part(_common, shard) -> _Part:
    """One shard of an ISO 2709 file scanned, in a worker (slots numbered from 0 in the shard)."""
    from tui.core.batch.engine import shard_source

    return _IsoPart(shard_source(shard.file), shard.lo, shard.hi).run(None)


def _linked_part(links: set[str], shard, flags: bytes) -> tuple[set[int], set[int]]:
    """Bib slots of the shard (not yet e-plikt) whose 001 is in ``links``; and the slots parsed."""
    from tui.core.batch.engine import shard_source
    from tui.core.formats.iso2709 import field_bytes, parse_record

    src = shard_source(shard.file)
    lo, hi = shard.lo, shard.hi
    part = _IsoPart(src, lo, hi)
    from tui.core.formats.iso2709 import segment

    slot = 0
    found: set[int] = set()
    parsed: set[int] = set()

    def step(window: bytes, wbase: int, p: int, at_eof: bool) -> tuple[int, bool]:
        nonlocal slot
        s0 = slot
        p, slot, more = segment(window, wbase, p, at_eof, slot, 1 << 62, part.starts, part.ends, part.bad, part.hold)
        for i in range(s0, slot):
            if flags[i] & (BROKEN | HOLDINGS | AUTHORITY | OTHER | EPLIKT):
                continue
            raw = window[part.starts[i] - wbase : part.ends[i] - wbase]
            first = field_bytes(raw, b"001")[:1]
            if first and (not first[0].isascii() or b"\x1b" in first[0]):
                cn = parse_record(raw, src.path, i + 1, part.starts[i]).control_number
                parsed.add(i)
            else:
                cn = first[0].decode("ascii") if first else None
            if cn and cn.strip() in links:
                found.add(i)
        return p, more

    _walk_windows(src, lo, hi, step)
    return found, parsed


def _tag_at(window: bytes, a: int, e: int, p: int, fe: int, base: int = -1, k: int = -1) -> bytes | None:
    """The tag of the field holding the subfield delimiter at ``p`` (the field ends with the
    terminator at ``fe``) of the record ``a:e``, when the directory entry of the field it
    stands in (the k-th entry for the k-th field) points exactly at that field (else None).
    ``base``: the record's base address in ``window``, ``k`` the field terminators from there to
    ``p``, when already known (else -1)."""
    if base < 0:
        if window[a + 20 : a + 22] != b"45":
            return None
        base = a + int(window[a + 12 : a + 17])
        k = -1
    if k < 0:
        k = window.count(FT_B, base, p)
    d = a + 24 + 12 * k
    if d + 12 > base - 1:
        return None
    fstart = window.rfind(FT_B, base - 1, p) + 1
    length, where = fe + 1 - fstart, fstart - base
    if length >= 10000 or where >= 100000:
        return None
    d4, d5 = _DIGITS or _digits()
    if window[d + 3 : d + 7] != d4[length] or window[d + 7 : d + 12] != d5[where]:
        return None
    return window[d : d + 3]


_DIGITS = None


def _digits():
    global _DIGITS
    from tui.core.formats.iso2709 import digit_tables

    _DIGITS = digit_tables()
    return _DIGITS


def _sigel_9(tag: bytes, v: str) -> int:
    if tag != b"042":
        return 0
    v = v.strip()
    return _Bits.EPLK if v == detect.EPLK else _Bits.DIGI if v == detect.DIGI else 0


def _channel(tag: bytes, v: str) -> int:
    return _Bits.CHANNEL if tag == b"245" and detect.media_term(v).lower() == detect.CHANNEL_TERM else 0


def _suppress(tag: bytes, v: str) -> int:
    return _Bits.SUPPRESS if tag == b"599" and v.strip().upper() == detect.SUPPRESS else 0


def _apis5(tag: bytes, v: str) -> int:
    return _Bits.APIS if tag.decode("ascii") in EMBEDDED_TAGS and v.strip() == detect.APIS else 0


def _record_subfields(buf, chunk: int = 1 << 24, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(delimiter offset, code)`` of every ``$a`` subfield whose bytes contain ``record`` and
    every ``$h`` whose bytes contain ``channel record``, in any ASCII case, in ``buf[start:end]``.
    The bytes are lowered a chunk at a time (C speed) and searched with ``find``; each hit is
    walked back to its subfield delimiter."""
    out: list[tuple[int, int]] = []
    n = len(buf) if end is None else end
    pos = start
    seen = -1
    while pos < n:
        stop = min(n, pos + chunk)
        lo = max(start, pos - 8)  # room for "channel " before a "record" at the start of the chunk
        part = buf[lo : min(n, stop + 5)].lower()
        j = part.find(b"record", pos - lo)
        while j >= 0 and lo + j < stop:
            q = lo + j
            d = buf.rfind(SD_B, max(start, q - 10000), q)  # a field is at most 9999 bytes
            if d >= 0 and buf.find(FT_B, d, q) < 0 and buf.find(RT_B, d, q) < 0:
                code = buf[d + 1]
                if code == 0x61 and d != seen:
                    out.append((d, code))
                    seen = d
                elif code == 0x68 and q - 8 >= d + 2 and part[j - 8 : j] == b"channel " and d != seen:
                    out.append((d, code))
                    seen = d
            j = part.find(b"record", j + 1)
        pos = stop
    return out


# -- MARCXML ----------------------------------------------------------------------------------


def _xml_leader6(el) -> str:
    from tui.core.formats.marcxml import local_name

    for child in el:
        if isinstance(child.tag, str) and local_name(child.tag) == "leader":
            text = "".join(child.itertext())
            return (text + " " * 24)[6]
    return "a"  # no leader: the reader makes a bibliographic one


def _scan_xml(src) -> ScanResult:
    from tui.core.formats.marcxml import element_to_record

    n = len(src)
    flags = bytearray(n)
    res = ScanResult(src.path, src.format, flags)
    records: dict[int, LibrisRecord] = {}
    light: dict[int, object] = {}
    for i in range(n):
        el = src.parse_element(i)
        if isinstance(el, str):
            flags[i] = BROKEN
            res.broken_records.append(src.broken_slot(i, el))
            continue
        t = _xml_leader6(el)
        if t in "uvxy" and t:
            flags[i] = HOLDINGS
        elif t == "z":
            flags[i] = AUTHORITY
        elif t in ("w", "q"):
            flags[i] = OTHER
        low = src.raw(i).lower()
        if any(marker in low for marker in _XML_MARKERS):
            records[i] = element_to_record(el, src.path, i + 1, src.starts[i])
        elif not flags[i]:
            light[i] = el
    # holdings links, as RecordSource.holdings_for makes them
    apis_links = {
        r.linked_bib
        for i, r in records.items()
        if flags[i] == HOLDINGS and r.linked_bib and detect.holding_sigel(r.marc) == detect.APIS
    }
    for i, r in records.items():
        if flags[i]:
            continue
        f = 0
        apis = detect.APIS in detect.embedded_holding_sigels(r.marc) or (
            bool(r.control_number) and r.control_number.strip() in apis_links
        )
        if detect.eplikt_by(detect.has_eplk(r.marc), apis, detect.has_digi(r.marc)):
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
