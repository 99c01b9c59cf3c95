"""Matching a library's own catalogue against Libris, and its holdings added in bulk.

``match_files(own, libris, sigel, holdings_out, report_out)`` pairs each bibliographic record of
the library's own export with Libris records by Libris's batch-import match keys, tried in this
order (``KEYS``); the first key that finds a Libris record of the same kind decides:

* ``libris-id``: ``035 $a (LIBRIS)<id>`` or ``(SE-LIBR)<id>`` in the own record (and its 001 when
  its 003 is ``SE-LIBR``) against the 001 of the Libris records;
* ``isbn`` then ``isbn-z``: 020 $a, then 020 $z of the own record against 020 $a and $z of
  Libris. ISBN-10 and ISBN-13 are one form (ISBN-13, digits only); hyphens, spaces and
  qualifiers such as ``(inb.)`` are ignored; a number whose check digit is wrong is no key;
* ``issn`` then ``issn-z``: 022 $a, then 022 $z, against 022 $a and $z (``NNNN-NNNC``, checked);
* ``ean``: 024 with first indicator 3, $a (EAN-13, a 12-digit UPC read as EAN-13; checked);
* ``035``: 035 $a system numbers (white space removed, the ``(prefix)`` in capitals; the
  LIBRIS ones are the first key);
* ``uri``: 856 $u (not the 856 of an embedded holding, ``$5``): a URN (``urn:nbn:...``, also
  inside a resolver address) in small letters, else the address without its scheme, with the
  host in small letters and no trailing ``/``.

The instance-type guard (``instance_type``): print and electronic records never match each
other. A record's type is the first of these that says something: the first 338 $b (carrier:
``c...`` electronic, any other code print), the first 337 $b (``c`` electronic, any other print);
then electronic if 007/00 is ``c`` or the 008's form of item (008/23, 008/29 for maps and visual
material) is ``o``, ``q`` or ``s``, or leader/06 is ``m``; then print if the form of item is
another code (blank: regular print) or a 007 names another kind; else unknown, which matches
either. A key whose hits are all of the other type does not decide: the next key is tried (the
report's note says how many records the guard left out).

Several Libris records for the key that decides: the lowest Libris id (numeric ids by number,
before other ids, by text) is chosen and the row is ``ambiguous``, with every candidate listed.

Each chosen Libris record gets a holding for the sigel through the app's own edit command
(``AddHolding``, HOLD-ADD: one per sigel and title, so a Libris record that already has the
sigel's holding, embedded ``$5`` or a holdings record of the Libris file, gets none, and two own
records matching one title give one holding); ``clear_suppress`` also clears ``599 $a
SUPPRESSRECORD`` (``ClearSuppress``, SUP-CLEAR) and writes the bib before its holding. The
holdings go out as MARC 21 holdings records (``holdings="records"``) or embedded in the bib
(``"embedded"``), in Libris file order.

How it scales: the Libris file is never held whole. A compact key index is built (lookup key ->
record slot(s); per slot its 001 and type): ISO 2709 is cut into record-offset shards
(``engine.slot_shards``) and each worker reads its keys straight from the record bytes
(``raw_info``, the same answer as from a parsed record: a test holds the two together; a record
it cannot read that way is parsed); other formats are read record by record in this process.
The own file is read the same way, a shard at a time, and each shard's rows are decided and
written as they come. Only the chosen Libris records are parsed and edited, again in shards,
each read with just the fields HOLD-ADD reads (``hold_view``: leader, control fields, 042, 245,
506, 599, the embedded-holding fields; a test holds its verdicts to the whole record's) unless
the bib itself is written (embedded holdings, SUP-CLEAR). Cyclic garbage collection is off
meanwhile (``quiet_gc``: what is made is acyclic, and the collector would walk the index again
and again).
Every engine gives the same files byte for byte (results come back in shard order).
"""

from __future__ import annotations

import gc
import os
import re
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord, Record

#: the own record's keys, in the order they are tried
KEYS = ("libris-id", "isbn", "isbn-z", "issn", "issn-z", "ean", "035", "uri")
#: the Libris index each key looks in
_KIND = {"libris-id": 0, "isbn": 1, "isbn-z": 1, "issn": 2, "issn-z": 2, "ean": 3, "035": 4, "uri": 5}
STATUSES = ("matched", "ambiguous", "unmatched", "unreadable")
#: the report's columns
COLUMNS = ("own", "own_001", "status", "key", "value", "libris_id", "candidates", "holding", "note")
#: the fields the keys and the type come from
WANTED = frozenset({"001", "003", "007", "008", "020", "022", "024", "035", "337", "338", "856"})
_K = 10**15
_LIBRIS_PREFIX = re.compile(r"^\s*\((?:LIBRIS|SE-LIBR)\)\s*(\S+)\s*$", re.I)
SHARD_MIN_BYTES = 4 << 20
SHARD_MAX_BYTES = 32 << 20
#: broken records named, at most (all are counted)
NAMED_BROKEN = 200


# -- normalising the keys ---------------------------------------------------------------------------

_ISBN_RUN = re.compile(r"[0-9][0-9\- ]{8,20}[0-9Xx]|[0-9]{9}[0-9Xx]")


def isbn(value: str) -> str | None:
    """ISBN-13 (digits) for an ISBN-10 or -13 written any way (hyphens, spaces, ``ISBN`` before
    it, a qualifier after it); None when there is none or its check digit is wrong."""
    if len(value) == 13 and value.isdigit():  # the usual form, quickly
        return value if value[:3] in ("978", "979") and _ean_check(value[:12]) == value[12] else None
    for m in _ISBN_RUN.finditer(value):
        d = m.group().replace("-", "").replace(" ", "").upper()
        if len(d) == 10 and d[:9].isdigit():
            s = sum((10 - k) * int(c) for k, c in enumerate(d[:9]))
            check = (11 - s % 11) % 11
            if d[9] != ("X" if check == 10 else str(check)):
                return None
            d = "978" + d[:9]
            return d + _ean_check(d)
        if len(d) == 13 and d.isdigit() and d[:3] in ("978", "979"):
            return d if _ean_check(d[:12]) == d[12] else None
        return None
    return None


def _ean_check(d12: str) -> str:
    s = sum(map(int, d12[0::2])) + 3 * sum(map(int, d12[1::2]))
    return str((10 - s % 10) % 10)


_ISSN = re.compile(r"([0-9]{4})\s*-?\s*([0-9]{3}[0-9Xx])")


def issn(value: str) -> str | None:
    """``NNNN-NNNC`` with a valid check character, or None."""
    m = _ISSN.search(value)
    if m is None:
        return None
    d = (m.group(1) + m.group(2)).upper()
    s = sum((8 - k) * int(c) for k, c in enumerate(d[:7]))
    check = (11 - s % 11) % 11
    if d[7] != ("X" if check == 10 else str(check)):
        return None
    return f"{d[:4]}-{d[4:]}"


def ean(value: str) -> str | None:
    """EAN-13 digits (a 12-digit UPC-A gets its leading 0), check digit valid; or None."""
    m = re.match(r"\s*([0-9][0-9 \-]*[0-9])", value)
    if m is None:
        return None
    d = m.group(1).replace(" ", "").replace("-", "")
    if len(d) == 12:
        d = "0" + d
    if len(d) != 13 or _ean_check(d[:12]) != d[12]:
        return None
    return d


def libris_id_of_035(value: str) -> str | None:
    m = _LIBRIS_PREFIX.match(value)
    return m.group(1) if m else None


def system_number(value: str) -> str | None:
    """A 035 $a normalised: no white space, the ``(prefix)`` in capitals; None for LIBRIS ones."""
    v = "".join(value.split())
    if not v or libris_id_of_035(v) is not None:
        return None
    if v.startswith("(") and ")" in v:
        p = v.index(")")
        v = v[: p + 1].upper() + v[p + 1 :]
    return v


_URN = re.compile(r"urn:nbn:[^\s&#?]+", re.I)


def uri(value: str) -> str | None:
    v = value.strip()
    if not v:
        return None
    m = _URN.search(v)
    if m is not None:
        return m.group().lower()
    try:
        parts = urlsplit(v)
    except ValueError:
        return v
    if not parts.netloc:
        return v
    host = parts.netloc.lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if parts.scheme.lower() == scheme and host.endswith(port):
            host = host[: -len(port)]
    path = parts.path.rstrip("/")
    return "//" + host + path + (("?" + parts.query) if parts.query else "")


# -- what a record says --------------------------------------------------------------------------

#: a record's fields reduced to what matching reads: tag -> [control data (str) or
#: (indicator 1, [(code, value)])], in field order
Lite = dict


def lite_of(marc: Record) -> Lite:
    out: Lite = {}
    for f in marc.fields:
        tag = f.tag
        if tag not in WANTED:
            continue
        item: object
        if f.is_control_field():
            item = f.data or ""
        else:
            item = ((f.indicators[0] if f.indicators else " ") or " ", [(sf.code, sf.value) for sf in f.subfields])
        out.setdefault(tag, []).append(item)
    return out


def _subs(lite: Lite, tag: str, code: str) -> list[str]:
    return [v for item in lite.get(tag, ()) if not isinstance(item, str) for c, v in item[1] if c == code]


_FORM_AT_29 = frozenset("efgkor")


def instance_type(leader: str, lite: Lite) -> str:
    """``e`` electronic, ``p`` print (any physical carrier), ``""`` unknown (see the module text)."""
    for item in lite.get("338", ()):
        if isinstance(item, str):
            continue
        for c, v in item[1]:
            if c == "b" and v.strip():
                return "e" if v.strip().lower().startswith("c") else "p"
        break
    for item in lite.get("337", ()):
        if isinstance(item, str):
            continue
        for c, v in item[1]:
            if c == "b" and v.strip():
                return "e" if v.strip().lower() == "c" else "p"
        break
    t6 = leader[6:7]
    c008 = lite.get("008")
    form = ""
    if c008 and isinstance(c008[0], str):
        pos = 29 if t6 in _FORM_AT_29 else 23
        form = c008[0][pos : pos + 1]
    c007 = [x[:1].lower() for x in lite.get("007", ()) if isinstance(x, str) and x[:1].strip()]
    if "c" in c007 or form in ("o", "q", "s") or t6 == "m":
        return "e"
    if form and form in " abcdfr" or c007:
        return "p"
    return ""


def own_keys(lite: Lite) -> list[tuple[str, str, object]]:
    """``(key, value, lookup)`` of an own record, in the order they are tried."""
    out: list[tuple[str, str, object]] = []
    seen: set = set()

    def add(key: str, value: str | None) -> None:
        if value is None:
            return
        lk = lookup(_KIND[key], value)
        if (key, lk) not in seen:
            seen.add((key, lk))
            out.append((key, value, lk))

    for v in _subs(lite, "035", "a"):
        add("libris-id", libris_id_of_035(v))
    c003 = lite.get("003")
    if c003 and isinstance(c003[0], str) and c003[0].strip().upper() == "SE-LIBR":
        c001 = lite.get("001")
        if c001 and isinstance(c001[0], str) and c001[0].strip():
            add("libris-id", c001[0].strip())
    for key, tag, code, norm in (
        ("isbn", "020", "a", isbn),
        ("isbn-z", "020", "z", isbn),
        ("issn", "022", "a", issn),
        ("issn-z", "022", "z", issn),
    ):
        for v in _subs(lite, tag, code):
            add(key, norm(v))
    for item in lite.get("024", ()):
        if not isinstance(item, str) and item[0] == "3":
            for c, v in item[1]:
                if c == "a":
                    add("ean", ean(v))
    for v in _subs(lite, "035", "a"):
        add("035", system_number(v))
    for v in _856_uris(lite):
        add("uri", uri(v))
    return out


def _856_uris(lite: Lite) -> list[str]:
    out: list[str] = []
    for item in lite.get("856", ()):
        if isinstance(item, str) or any(c == "5" for c, _ in item[1]):
            continue  # an embedded holding's link is the library's, not the title's
        out.extend(v for c, v in item[1] if c == "u")
    return out


def libris_lookups(lite: Lite) -> set:
    """The lookup keys a Libris record is found by."""
    out: set = set()
    c001 = lite.get("001")
    if c001 and isinstance(c001[0], str) and c001[0].strip():
        out.add(lookup(0, c001[0].strip()))
    for tag, norm, kind in (("020", isbn, 1), ("022", issn, 2)):
        for item in lite.get(tag, ()):
            if not isinstance(item, str):
                for c, v in item[1]:
                    if c in ("a", "z"):
                        n = norm(v)
                        if n is not None:
                            out.add(lookup(kind, n))
    for item in lite.get("024", ()):
        if not isinstance(item, str) and item[0] == "3":
            for c, v in item[1]:
                if c == "a":
                    n = ean(v)
                    if n is not None:
                        out.add(lookup(3, n))
    for v in _subs(lite, "035", "a"):
        n = system_number(v)
        if n is not None:
            out.add(lookup(4, n))
    for v in _856_uris(lite):
        n = uri(v)
        if n is not None:
            out.add(lookup(5, n))
    return out


def lookup(kind: int, value: str) -> object:
    """The index key of a normalised value: an int for the numbers (smaller in memory), else text."""
    if kind in (1, 3):
        return kind * _K + int(value)
    if kind == 2:
        return kind * _K + int(value[:4] + value[5:8]) * 11 + (10 if value[8] == "X" else int(value[8]))
    if kind == 0:
        return int(value) if value.isdigit() and len(value) < 15 and value[0] != "0" else "L" + value
    return "S" + value if kind == 4 else "U" + value


def id_order(libris_id: str) -> tuple:
    """Sort key of Libris ids: numeric ids by number first, then the others by text."""
    return (0, int(libris_id), "") if libris_id.isdigit() else (1, 0, libris_id) if libris_id else (2, 0, "")


# -- from the bytes of an ISO 2709 record ------------------------------------------------------

_WANT_ENTRY = re.compile(rb"(?:[0-9]{12})*?(00[1378]|02[024]|035|33[78]|856)([0-9]{4})([0-9]{5})")
_CTRL = frozenset({"001", "003", "007", "008"})


def raw_info(buf: bytes) -> tuple[str, Lite] | None:
    """``(leader, lite)`` from the bytes of a UTF-8 ISO 2709 record whose directory points at
    its fields; None when it must be parsed (then ``lite_of`` of the parsed record)."""
    from tui.core.formats.iso2709 import structure_reason

    if len(buf) < 26 or buf[9] != 0x61 or buf[20:22] != b"45":
        return None
    if structure_reason(buf) is not None:
        return None
    base = int(buf[12:17])
    lite: Lite = {}
    try:
        pos, stop, want = 24, base - 1, _WANT_ENTRY.match
        while True:
            m = want(buf, pos, stop)  # anchored: entries are read at 12-byte steps only
            if m is None:
                break
            pos = m.end()
            start = base + int(m.group(3))
            end = start + int(m.group(2)) - 1
            if end >= len(buf) or buf[end] != 0x1E or buf.find(b"\x1e", start, end) >= 0:
                return None
            tag = m.group(1).decode("ascii")
            text = buf[start:end].decode("utf-8")
            if tag in _CTRL:
                item: object = text
            else:
                parts = text.split("\x1f")
                if len(parts[0]) != 2 or any(not p for p in parts[1:]):
                    return None
                item = (parts[0][0], [(p[0], p[1:]) for p in parts[1:]])
            lite.setdefault(tag, []).append(item)
        return buf[:24].decode("ascii"), lite
    except (UnicodeDecodeError, ValueError):
        return None


def _kind_of(leader: str) -> str:
    t = leader[6:7]
    return "holdings" if t in "uvxy" and t else "authority" if t == "z" else "bib"


def entry_info(buf: bytes, path: str, number: int, offset: int) -> tuple[str, Lite] | BrokenRecord:
    """``(leader, lite)`` of the record in ``buf``, from its bytes or parsed; or the BrokenRecord."""
    got = raw_info(buf)
    if got is not None:
        return got
    from tui.core.formats.iso2709 import parse_record

    rec = parse_record(buf, path, number, offset)
    if isinstance(rec, BrokenRecord):
        return rec
    return str(rec.marc.leader), lite_of(rec.marc)


def record_info(rec: LibrisRecord) -> tuple[str, Lite]:
    return str(rec.marc.leader), lite_of(rec.marc)


# -- the Libris side: the key index -------------------------------------------------------------


@dataclass
class IndexPart:
    """What one shard of the Libris file gave: slots numbered in the file."""

    index: dict
    ids: list
    types: bytearray
    bibs: int = 0
    broken: list = field(default_factory=list)


_TYPE_CODE = {"e": 1, "p": 2, "": 3}  # 0: no bibliographic record in the slot


def _index_one(part: IndexPart, slot: int, info) -> None:
    if isinstance(info, BrokenRecord):
        part.broken.append(info)
        part.ids.append("")
        part.types.append(0)
        return
    leader, lite = info
    if _kind_of(leader) != "bib":
        part.ids.append("")
        part.types.append(0)
        return
    part.bibs += 1
    c001 = lite.get("001")
    part.ids.append(c001[0].strip() if c001 and isinstance(c001[0], str) else "")
    part.types.append(_TYPE_CODE[instance_type(leader, lite)])
    index = part.index
    for lk in libris_lookups(lite):
        got = index.get(lk)
        if got is None:
            index[lk] = slot
        elif isinstance(got, int):
            index[lk] = (got, slot)
        else:
            index[lk] = got + (slot,)


def _index_part(shard) -> IndexPart:
    """Keys of the records of one shard of an ISO 2709 Libris file (in a worker)."""
    from tui.core.batch.engine import shard_source
    from tui.core.batch.shards import iter_slots

    src = shard_source(shard.file)
    part = IndexPart({}, [], bytearray())
    for number, start, _end, data, a, e, reason in iter_slots(src, shard.lo, shard.hi, shard.first):
        if reason is not None:
            info: object = BrokenRecord(src.path, number, start, reason)
        else:
            info = entry_info(data[a:e], src.path, number, start)
        _index_one(part, number - 1, info)
    return part


@dataclass
class LibrisIndex:
    path: str
    format: str
    index: dict
    ids: list
    types: bytearray
    bibs: int
    broken: list

    def merge(self, part: IndexPart) -> None:
        base, new = self.index, part.index
        both = base.keys() & new.keys()
        for k in both:
            a, b = base[k], new.pop(k)
            base[k] = (a if isinstance(a, tuple) else (a,)) + (b if isinstance(b, tuple) else (b,))
        base.update(new)
        self.ids.extend(part.ids)
        self.types += part.types
        self.bibs += part.bibs
        self.broken.extend(part.broken)


def _iso_shards(src, key, engine):
    from tui.core.batch import engine as engines

    if engine.workers > 1 or not isinstance(engine, (engines.LocalEngine, engines.InlineEngine)):
        return engines.slot_shards(src, key, engine.workers, smallest=SHARD_MIN_BYTES, largest=SHARD_MAX_BYTES)
    return [engines.Shard(key, 0, src.size, 0, len(src))] if len(src) else []


def _entries(src) -> Iterator[tuple[int, object]]:
    """Any source, record by record in this process: ``(slot, info or BrokenRecord)``."""
    for i in range(len(src)):
        e = src.read_entry(i)
        yield i, e if isinstance(e, BrokenRecord) else record_info(e)


# -- the own side ---------------------------------------------------------------------------------

#: an own bib: (number, 001, type, [(key, value, lookup)]); a broken one: the BrokenRecord
OwnRow = tuple


def _own_one(out: list, number: int, info) -> None:
    if isinstance(info, BrokenRecord):
        out.append(info)
        return
    leader, lite = info
    if _kind_of(leader) != "bib":
        out.append(None)
        return
    c001 = lite.get("001")
    cn = c001[0].strip() if c001 and isinstance(c001[0], str) else ""
    out.append((number, cn, instance_type(leader, lite), own_keys(lite)))


def _own_part(shard) -> tuple[str, list]:
    from tui.core.batch.engine import shard_source
    from tui.core.batch.shards import iter_slots

    src = shard_source(shard.file)
    out: list = []
    for number, start, _end, data, a, e, reason in iter_slots(src, shard.lo, shard.hi, shard.first):
        if reason is not None:
            info: object = BrokenRecord(src.path, number, start, reason)
        else:
            info = entry_info(data[a:e], src.path, number, start)
        _own_one(out, number, info)
    return _pack(out)


def _pack(rows: list) -> tuple[str, list]:
    """Own rows of an ISO 2709 shard as one text (quick to send from a worker): rows split by
    GS, fields by RS, key and value by US (an ISO 2709 value holds none of them); the broken
    records apart, marked by their place. Lookups are made again by the parent."""
    lines: list[str] = []
    broken: list = []
    for row in rows:
        if row is None:
            continue
        if isinstance(row, BrokenRecord):
            lines.append(f"B\x1e{len(broken)}")
            broken.append(row)
            continue
        number, cn, kind, keys = row
        lines.append("\x1e".join([str(number), cn, kind, *(f"{k}\x1f{v}" for k, v, _lk in keys)]))
    return "\x1d".join(lines), broken


def _unpack(packed: tuple[str, list]) -> list:
    text, broken = packed
    out: list = []
    if not text:
        return out
    for line in text.split("\x1d"):
        cols = line.split("\x1e")
        if cols[0] == "B":
            out.append(broken[int(cols[1])])
            continue
        keys = []
        for kv in cols[3:]:
            k, v = kv.split("\x1f", 1)
            keys.append((k, v, lookup(_KIND[k], v)))
        out.append((int(cols[0]), cols[1], cols[2], keys))
    return out


# -- holdings ---------------------------------------------------------------------------------------

ADDED, HELD, REFUSED = 1, 2, 3
SUPPRESSED, CLEARED = 4, 8


@dataclass(frozen=True)
class HoldOptions:
    sigel: str
    holdings: str = "records"
    clear_suppress: bool = False


def hold_one(rec: LibrisRecord, source, opts: HoldOptions) -> tuple[int, str, list[Record]]:
    """HOLD-ADD (and SUP-CLEAR when asked) on one Libris record: (outcome bits, refusing rule,
    the records to write)."""
    from tui.core.editing.commands import AddHolding, ClearSuppress, EditContext, Refused
    from tui.core.rules import detect

    ctx = EditContext(rec, sigel=opts.sigel, source=source)
    add = AddHolding(opts.sigel)
    try:
        add.apply(ctx)
    except Refused as exc:
        return REFUSED, exc.refusal.rule, []
    code = ADDED if add.changed else HELD
    bib_changed = False
    if detect.is_suppressed(rec):
        code |= SUPPRESSED
        if opts.clear_suppress and add.changed:
            clear = ClearSuppress()
            try:
                clear.apply(ctx)
                bib_changed = clear.changed
                code |= CLEARED if clear.changed else 0
            except Refused:
                pass
    if not add.changed:
        return code, "", []
    new = [h.marc for h in rec.holdings if h is add._h]
    if opts.holdings == "embedded":
        from tui.core.model.holdings import embed

        return code, "", [embed(rec.marc, new)]
    return code, "", ([rec.marc] if bib_changed else []) + new


#: what HOLD-ADD reads of a bib (its state: 042, 245, 506, 599 and the embedded holdings' fields;
#: its 001 and leader), so what a bib is read with when only its holding is written
_HOLD_TAGS: frozenset[str] | None = None
_HOLD_ENTRY: re.Pattern | None = None


def _hold_entry() -> re.Pattern:
    global _HOLD_TAGS, _HOLD_ENTRY
    if _HOLD_ENTRY is None:
        from tui.core.rules.detect import EMBEDDED_HOLDING_TAGS

        _HOLD_TAGS = frozenset({"001", "003", "004", "005", "008", "042", "245", "506", "599"} | EMBEDDED_HOLDING_TAGS)
        alts = "|".join(sorted(_HOLD_TAGS)).encode()
        _HOLD_ENTRY = re.compile(rb"(?:[0-9]{12})*?(" + alts + rb")([0-9]{4})([0-9]{5})")
    return _HOLD_ENTRY


def hold_view(buf: bytes) -> bytes | None:
    """The bytes of a record with only the fields HOLD-ADD reads (``_HOLD_TAGS``), in their order,
    for a UTF-8 record whose directory points at its fields; None: read the whole record."""
    from tui.core.formats.iso2709 import structure_reason

    if len(buf) < 26 or buf[9] != 0x61 or buf[20:22] != b"45" or structure_reason(buf) is not None:
        return None
    want = _hold_entry().match
    base = int(buf[12:17])
    pos, stop = 24, base - 1
    directory: list[bytes] = []
    data: list[bytes] = []
    at = 0
    while True:
        m = want(buf, pos, stop)
        if m is None:
            break
        pos = m.end()
        start = base + int(m.group(3))
        n = int(m.group(2))
        if start + n > len(buf) - 1 or buf[start + n - 1] != 0x1E or buf.find(b"\x1e", start, start + n - 1) >= 0:
            return None
        directory.append(b"%s%04d%05d" % (m.group(1), n, at))
        data.append(buf[start : start + n])
        at += n
    new_base = 24 + 12 * len(directory) + 1
    body = b"".join(directory) + b"\x1e" + b"".join(data) + b"\x1d"
    return b"%05d" % (24 + len(body)) + buf[5:12] + b"%05d" % new_base + buf[17:24] + body


def _hold_part(common, shard, wanted: bytes) -> tuple[bytes, list]:
    """The chosen records of one Libris shard, each given its holding: (ISO 2709 bytes to write,
    [(slot, outcome, rule)])."""
    from tui.core.batch.engine import shard_source
    from tui.core.batch.shards import LinkedHoldings, iter_slots
    from tui.core.formats.iso2709 import parse_record, record_bytes

    opts, links = common
    whole = opts.holdings == "embedded"  # the bib is written: read all of it
    slots = array("q")
    slots.frombytes(wanted)
    want = set(slots)
    src = shard_source(shard.file)
    linked = LinkedHoldings(src, links)
    out: list[bytes] = []
    outcomes: list = []
    lo, hi = min(want), max(want)
    for number, start, _end, data, a, e, _reason in iter_slots(src, shard.lo, shard.hi, shard.first):
        slot = number - 1
        if slot < lo or slot not in want:
            if slot > hi:
                break
            continue
        raw = data[a:e]
        view = None if whole else hold_view(raw)
        rec = parse_record(raw if view is None else view, src.path, number, start)
        if not isinstance(rec, LibrisRecord):
            outcomes.append((slot, REFUSED, "STRUCT"))
            continue
        if links:
            rec.holdings = linked.holdings_for(rec)
        code, rule, recs = hold_one(rec, linked, opts)
        if view is not None and code & SUPPRESSED and opts.clear_suppress:  # the whole bib is written
            rec = parse_record(raw, src.path, number, start)
            assert isinstance(rec, LibrisRecord)  # it was read from these bytes above
            if links:
                rec.holdings = linked.holdings_for(rec)
            code, rule, recs = hold_one(rec, linked, opts)
        outcomes.append((slot, code, rule))
        out.extend(record_bytes(r) for r in recs)
    return b"".join(out), outcomes


# -- the shard functions (what the engine runs) ----------------------------------------------------


@contextmanager
def quiet_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile (what is made here is acyclic: records, keys, the
    index; a collection would only walk it again and again), and what is left over collected at
    the end; the collector's state as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        if was:
            gc.enable()


def _index_shard(_common, shard) -> IndexPart:
    """The keys of one shard of an ISO 2709 Libris file (in a worker)."""
    with quiet_gc():
        return _index_part(shard)


def _own_shard(_common, shard) -> tuple[str, list]:
    """The own rows of one shard of an ISO 2709 file, packed (in a worker)."""
    with quiet_gc():
        return _own_part(shard)


def _hold_shard(common, shard, wanted: bytes) -> tuple[bytes, list]:
    """The chosen records of one shard of the Libris file given their holdings (in a worker)."""
    with quiet_gc():
        return _hold_part(common, shard, wanted)


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class MatchReport:
    own_path: str = ""
    libris_path: str = ""
    own_records: int = 0
    libris_records: int = 0
    statuses: Counter = field(default_factory=Counter)
    keys: Counter = field(default_factory=Counter)
    holdings_added: int = 0
    already_held: int = 0
    same_title: int = 0
    refused: Counter = field(default_factory=Counter)
    suppressed: int = 0
    cleared: int = 0
    guarded: int = 0
    #: seconds per phase: index (Libris keys), own (own keys, decided), holdings, report
    timings: dict = field(default_factory=dict)
    broken: list = field(default_factory=list)
    broken_count: int = 0
    written: int = 0

    def note_broken(self, b: BrokenRecord) -> None:
        self.broken_count += 1
        if len(self.broken) < NAMED_BROKEN:
            self.broken.append(b)


def _decide(row, idx: LibrisIndex) -> tuple[str, str, str, int, list[int], int]:
    """(status, key, value, chosen slot, candidate slots, left out by the guard)."""
    _n, _cn, own_type, keys = row
    ids, types, index = idx.ids, idx.types, idx.index
    ot = _TYPE_CODE.get(own_type, 3)
    left_out = 0
    k = 0
    while k < len(keys):
        key = keys[k][0]
        hits: dict[int, str] = {}  # slot -> the own value that found it
        j = k
        while j < len(keys) and keys[j][0] == key:
            _key, value, lk = keys[j]
            got = index.get(lk)
            if got is not None:
                for s in got if isinstance(got, tuple) else (got,):
                    if s not in hits:
                        hits[s] = value
            j += 1
        if hits:
            kept = [s for s in hits if ot == 3 or types[s] == 3 or types[s] == ot]
            left_out += len(hits) - len(kept)
            if kept:
                kept.sort(key=lambda s: (id_order(ids[s]), s))
                chosen = kept[0]
                status = "matched" if len(kept) == 1 else "ambiguous"
                return status, key, hits[chosen], chosen, kept, left_out
        k = j
    return "unmatched", "", "", -1, [], left_out


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def match_files(
    own: str,
    libris: str,
    sigel: str,
    holdings_out: str,
    report_out: str,
    *,
    fmt: str | None = None,
    holdings: str = "records",
    clear_suppress: bool = False,
    engine=None,
    overwrite: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> MatchReport:
    """Match ``own`` against ``libris``; write the holdings to ``holdings_out`` and the TSV to
    ``report_out``. Raises ``LibrisError`` for a file that cannot be read or written."""
    from tui.core.batch import engine as engines
    from tui.core.editing.commands import AddHolding, EditContext
    from tui.core.files.export import check_output
    from tui.core.formats import detect, format_for_output
    from tui.core.model.record import LibrisRecord as LR

    check = AddHolding(sigel)._check(EditContext(LR(marc=_bib()), sigel=sigel), None)
    if check is not None and check.rule == "HOLD-ADD":
        raise LibrisError(f"--sigel {sigel!r}: {check}")
    out_fmt = format_for_output(holdings_out, fmt)
    for path in (holdings_out, report_out):
        check_output(path, [own, libris], overwrite)
    if os.path.realpath(holdings_out) == os.path.realpath(report_out):
        raise LibrisError("the holdings file and the report must be two files")
    detect(own), detect(libris)
    eng = engine or engines.LocalEngine()
    with quiet_gc():
        return _match(own, libris, sigel, holdings_out, report_out, out_fmt, holdings, clear_suppress, eng, progress)


def _match(own, libris, sigel, holdings_out, report_out, out_fmt, holdings, clear_suppress, eng, progress):
    from tui.core.batch import engine as engines
    from tui.core.files.atomic import AtomicWriter
    from tui.core.formats import open_source
    from tui.core.formats.iso2709 import Iso2709Source

    rep = MatchReport(own, libris)
    opts = HoldOptions(sigel, holdings, clear_suppress)

    lsrc = open_source(libris)
    osrc = None
    hold_w = AtomicWriter(holdings_out, backup=True)
    rep_w = AtomicWriter(report_out, backup=True)
    rows_path = None
    try:
        lsrc.build_index()
        idx = LibrisIndex(libris, lsrc.format, {}, [], bytearray(), 0, [])
        iso = isinstance(lsrc, Iso2709Source)
        with engines.shared_source(lsrc) if iso else _null() as lkey:
            # 1. the key index of the Libris side
            clock = time.perf_counter()
            if iso:
                shards = _iso_shards(lsrc, lkey, eng)
                for part in eng.map(_index_shard, [(s,) for s in shards], done=_moved(progress, "index", shards)):
                    idx.merge(part)
            else:
                part = IndexPart({}, [], bytearray())
                for slot, info in _entries(lsrc):
                    _index_one(part, slot, info)
                idx.merge(part)
            rep.libris_records = idx.bibs
            for b in idx.broken:
                rep.note_broken(b)

            # 2. the own side, decided a shard at a time; rows kept in a file until the holdings are known
            clock = _lap(rep, "index", clock)
            osrc = open_source(own)
            osrc.build_index()
            chosen: dict[int, None] = {}
            folder = os.path.dirname(os.path.abspath(report_out))
            rows_path = os.path.join(folder, f".{os.path.basename(report_out)}.rows{os.getpid()}")
            with open(rows_path, "w", encoding="utf-8", newline="\n") as rows:
                for own_part in _own_parts(osrc, eng, progress):
                    for row in own_part:
                        if row is None:
                            continue
                        if isinstance(row, BrokenRecord):
                            rep.note_broken(row)
                            rep.statuses["unreadable"] += 1
                            rows.write(f"{row.number}\t\tunreadable\t\t\t\t\t-1\t{_clean(row.reason)}\n")
                            continue
                        rep.own_records += 1
                        status, key, value, slot, cands, left = _decide(row, idx)
                        rep.statuses[status] += 1
                        if key:
                            rep.keys[key] += 1
                        note = ""
                        if left:
                            rep.guarded += 1
                            note = f"instance-type guard left out {left} Libris record{'s' if left != 1 else ''}"
                        if slot >= 0:
                            chosen.setdefault(slot)
                        cand = ",".join(idx.ids[s] for s in cands) if status == "ambiguous" else ""
                        rows.write(
                            f"{row[0]}\t{_clean(row[1])}\t{status}\t{key}\t{_clean(value)}\t"
                            f"{_clean(idx.ids[slot]) if slot >= 0 else ''}\t{_clean(cand)}\t{slot}\t{note}\n"
                        )
            osrc.close()
            osrc = None

            # 3. holdings for the chosen Libris records, in Libris file order
            clock = _lap(rep, "own", clock)
            outcome = bytearray(len(idx.ids))
            rules: dict[int, str] = {}
            hold_file = hold_w.open()
            wanted = sorted(chosen)
            chosen.clear()
            if iso:
                _hold_iso(lsrc, lkey, eng, wanted, opts, hold_file, out_fmt, outcome, rules, rep, progress)
            else:
                _hold_here(lsrc, wanted, opts, hold_file, out_fmt, outcome, rules, rep)
        hold_w.flush()

        # 4. the report, with what became of each chosen record's holding
        clock = _lap(rep, "holdings", clock)
        w = rep_w.open()
        given: set[int] = set()
        w.write(("\t".join(COLUMNS) + "\n").encode("utf-8"))
        with open(rows_path, encoding="utf-8") as rows:
            for line in rows:
                cols = line.rstrip("\n").split("\t")
                slot = int(cols[7])
                cols[7] = _holding_text(slot, outcome, rules, given, rep, clear_suppress)
                w.write(("\t".join(cols) + "\n").encode("utf-8"))
        rep_w.flush()
        hold_w.commit()
        rep_w.commit()
        _lap(rep, "report", clock)
    except BaseException:
        for wr in (hold_w, rep_w):
            if wr.file is not None and not wr.committed:
                wr.abort()
        raise
    finally:
        if rows_path and os.path.exists(rows_path):
            os.unlink(rows_path)
        if osrc is not None:
            osrc.close()
        lsrc.close()
    return rep


def _lap(rep: MatchReport, phase: str, since: float) -> float:
    now = time.perf_counter()
    rep.timings[phase] = round(now - since, 3)
    return now


def _holding_text(slot: int, outcome: bytearray, rules: dict, given: set, rep: MatchReport, clear: bool) -> str:
    if slot < 0:
        return ""
    code = outcome[slot]
    kind = code & 3
    if kind == REFUSED:
        return f"refused ({rules.get(slot, '')})"
    if kind == HELD:
        rep.already_held += 1
        text = "already held"
    elif slot in given:
        rep.same_title += 1
        text = "same title as an earlier record"
    else:
        given.add(slot)
        text = "added"
    if code & CLEARED and text == "added":
        text += "; 599 SUPPRESSRECORD cleared"
    elif code & SUPPRESSED and not clear and text == "added":
        text += "; suppressed (599 SUPPRESSRECORD, --clear-suppress)"
    return text


def _bib() -> Record:
    from pymarc import Field, Leader

    r = Record()
    r.leader = Leader("00000nam a2200000 a 4500")
    r.fields = [Field(tag="001", data="1")]
    return r


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _moved(progress, what: str, shards) -> Callable[[int], None] | None:
    if progress is None:
        return None
    total = sum(s.hi - s.lo for s in shards) or 1
    done = [0]

    def moved(k: int) -> None:
        done[0] += shards[k].hi - shards[k].lo
        progress(what, done[0], total)

    return moved


def _own_parts(osrc, eng, progress) -> Iterator[list]:
    from tui.core.batch import engine as engines
    from tui.core.formats.iso2709 import Iso2709Source

    if isinstance(osrc, Iso2709Source):
        with engines.shared_source(osrc) as okey:
            shards = _iso_shards(osrc, okey, eng)
            for packed in eng.map(_own_shard, [(s,) for s in shards], done=_moved(progress, "own", shards)):
                yield _unpack(packed)
        return
    out: list = []
    for slot, info in _entries(osrc):
        _own_one(out, slot + 1, info)
        if len(out) >= 10000:
            yield out
            out = []
    yield out


def _record_slot(outcome: bytearray, rules: dict, rep: MatchReport, slot: int, code: int, rule: str) -> None:
    outcome[slot] = code
    if code & 3 == REFUSED:
        rules[slot] = rule
        rep.refused[rule] += 1
    elif code & 3 == ADDED:
        rep.holdings_added += 1
    if code & SUPPRESSED:
        rep.suppressed += 1
    if code & CLEARED:
        rep.cleared += 1


def _write_chunk(out, data: bytes, out_fmt: str, rep: MatchReport, pending: list) -> None:
    if out_fmt == "iso2709":
        out.write(data)
        rep.written += data.count(b"\x1d")
    else:
        pending.append(data)


def _flush_other(out, out_fmt: str, pending: Iterable[bytes], rep: MatchReport) -> None:
    from tui.core.formats import write_records
    from tui.core.formats.iso2709 import read_bytes

    def records() -> Iterator[Record]:
        for data in pending:
            if not data:
                continue
            src = read_bytes(data)
            for r in src.records():
                rep.written += 1
                yield r.marc

    write_records(records(), out, out_fmt)


def _hold_iso(lsrc, lkey, eng, wanted, opts, out, out_fmt, outcome, rules, rep, progress) -> None:
    from bisect import bisect_left

    from tui.core.batch.shards import holdings_links

    links = holdings_links(lsrc)
    shards = _iso_shards(lsrc, lkey, eng)
    items = []
    for s in shards:
        a = bisect_left(wanted, s.first)
        b = bisect_left(wanted, s.first + s.count)
        if b > a:
            items.append((s, array("q", wanted[a:b]).tobytes()))
    pending: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        done = _moved(progress, "holdings", [s for s, _ in items])
        for data, outcomes in eng.map(_hold_shard, items, (opts, links), done=done):
            for slot, code, rule in outcomes:
                _record_slot(outcome, rules, rep, slot, code, rule)
            yield data

    if out_fmt == "iso2709":
        for data in chunks():
            _write_chunk(out, data, out_fmt, rep, pending)
    else:
        _flush_other(out, out_fmt, chunks(), rep)


def _hold_here(lsrc, wanted, opts, out, out_fmt, outcome, rules, rep) -> None:
    from tui.core.formats.iso2709 import record_bytes

    def chunks() -> Iterator[bytes]:
        for slot in wanted:
            rec = lsrc.entry(slot)
            if not isinstance(rec, LibrisRecord):
                _record_slot(outcome, rules, rep, slot, REFUSED, "STRUCT")
                continue
            code, rule, recs = hold_one(rec, lsrc, opts)
            _record_slot(outcome, rules, rep, slot, code, rule)
            yield b"".join(record_bytes(r) for r in recs)

    if out_fmt == "iso2709":
        for data in chunks():
            _write_chunk(out, data, out_fmt, rep, [])
    else:
        _flush_other(out, out_fmt, chunks(), rep)


__all__ = [
    "KEYS",
    "STATUSES",
    "COLUMNS",
    "isbn",
    "issn",
    "ean",
    "uri",
    "system_number",
    "instance_type",
    "lite_of",
    "raw_info",
    "own_keys",
    "libris_lookups",
    "match_files",
    "MatchReport",
    "HoldOptions",
    "hold_one",
]
