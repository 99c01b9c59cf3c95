"""The validator: findings with severity, rule id, record, tag, occurrence and a message.

Three kinds of check, one pass over the records (linear: dictionaries, no pairwise work):

* Structure: leader, one 001, 008 of 40 characters for a bib, three-character tags, valid
  indicators and subfield codes, exactly one 245, no empty subfields and no text outside a
  subfield. Where such a problem sits in a part the cataloguer may not change (a channel record,
  a protected field of an e-plikt record) and was already so, it is a warning to report to
  Katalogsupport, not an error.
* Against the original (``original=``, paired by 001, else by position): EPL-PROTECT changes
  (02X, 506, 540, 655, 770-787, 856 apart from what URI-FIX, URI-ADD and URI-MOVE allow),
  EPL-DETECT markers, EPL-NODELETE and CHN-READONLY are errors.
* Advice: restricted URIs still under 856 second indicator 0 (URI-MOVE), SUPPRESSRECORD left on
  a held or completed record (SUP-CLEAR), malformed 856s and other protected-field anomalies
  (Katalogsupport), likely duplicates (DUP-REPORT), two holdings for one sigel (HOLD-ADD).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pymarc import Field

from tui.core.formats.notation import field_line
from tui.core.model.record import (
    AUTHORITY_TYPES,
    HOLDINGS_TYPES,
    ORPHAN,
    BrokenRecord,
    LibrisRecord,
    Severity,
)
from tui.core.rules import detect, table
from tui.core.rules.eplikt import (
    ACCESS_VALUES,
    HOLDING_TAGS,
    PROTECTED_TAGS,
    RecordState,
    holding_field_sigel,
    looks_like_uri,
    protection_reason,
    record_state,
)
from tui.core.validation import libris, marc21

SEVERITIES = ("error", "warning", "info")
#: the MARC 21 content checks (tui/core/validation/marc21.py) and Libris's rules (libris.py) run
#: with the structure checks
CONTENT_CHECKS = True


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    record_number: int | None
    control_number: str | None
    tag: str | None
    occurrence: int | None
    message: str
    #: to be reported to Katalogsupport (protected-field anomalies, duplicates), not fixed
    katalogsupport: bool = False

    @property
    def where(self) -> str:
        parts = []
        if self.record_number is not None:
            parts.append(table.phrase("record", number=self.record_number))
        if self.control_number:
            parts.append(f"[{self.control_number}]")
        if self.tag:
            parts.append(self.tag + (f"[{self.occurrence}]" if self.occurrence else ""))
        return " ".join(parts)

    def describe(self) -> str:
        where = self.where
        return f"{self.severity}: {where + ': ' if where else ''}{self.message} ({self.rule})"

    def to_json(self) -> dict:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "record_number": self.record_number,
            "control_number": self.control_number,
            "tag": self.tag,
            "occurrence": self.occurrence,
            "message": self.message,
            "katalogsupport": self.katalogsupport,
        }


def finding(
    rule: str,
    key: str,
    record_number: int | None = None,
    control_number: str | None = None,
    tag: str | None = None,
    occurrence: int | None = None,
    /,
    **fields,
) -> Finding:
    """A finding under ``rule`` saying the table's sentence ``key`` (its severity, its sentence,
    whether it goes to Katalogsupport)."""
    return Finding(
        table.severity(rule, key),  # type: ignore[arg-type]
        rule,
        record_number,
        control_number,
        tag,
        occurrence,
        table.say(rule, key, **fields),
        table.reports(rule, key),
    )


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    out = {s: 0 for s in SEVERITIES}
    for f in findings:
        out[f.severity] = out.get(f.severity, 0) + 1
    return out


# -- small helpers -----------------------------------------------------------------------------

_CODES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_INDS = frozenset(" 0123456789abcdefghijklmnopqrstuvwxyz")
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_OK_TAGS: set[str] = set()
_BIB_TYPES = frozenset("acdefgijkmoprt")
_ALL_TYPES = _BIB_TYPES | frozenset("uvxyz")
_STATUS = frozenset("acdnpsx")
_BIB_LEVEL = frozenset("abcdims")
_LINK_TAGS = frozenset(f"{n:03d}" for n in range(760, 788))
#: protected tags with anomaly checks (_anomaly)
_ANOMALY_TAGS = frozenset(("020", "022", "506", "655")) | frozenset(f"{n:03d}" for n in range(770, 788))
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")


def _ftuple(f: Field) -> tuple:
    if f.is_control_field():
        return (f.tag, f.data)
    inds = tuple(f.indicators or ("", ""))
    return (f.tag, inds[0], inds[1], tuple((sf.code, sf.value) for sf in f.subfields))


def _leader_key(leader: str) -> str:
    # record length (00-04) and base address (12-16) are computed by the writers
    return leader[5:12] + leader[17:] if len(leader) == 24 else leader


def _text(f: Field) -> str:
    return field_line(f)


@lru_cache(maxsize=16384)
def isbn13(value: str) -> str | None:
    """An ISBN (10 or 13) as its 13 digits; None if it is not one (check digit included)."""
    s = re.sub(r"[\s-]", "", (value or "").split(" ")[0] if value else "").upper()
    s = re.sub(r"[^0-9X]", "", s) if len(s) > 13 else s
    if re.fullmatch(r"\d{9}[\dX]", s):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(s))
        if total % 11:
            return None
        core = "978" + s[:9]
    elif len(s) == 13 and s.isdigit():
        core = s[:12]
        if _ean_check(core) != s[12]:
            return None
    else:
        return None
    return core + _ean_check(core)


def _ean_check(d12: str) -> str:
    total = sum(map(int, d12[0::2])) + 3 * sum(map(int, d12[1::2]))
    return str((10 - total % 10) % 10)


@lru_cache(maxsize=16384)
def issn(value: str) -> str | None:
    s = re.sub(r"[\s-]", "", (value or "").split(" ")[0]).upper()
    if not re.fullmatch(r"\d{7}[\dX]", s):
        return None
    total = sum((8 - i) * int(c) for i, c in enumerate(s[:7]))
    check = (11 - total % 11) % 11
    if ("X" if check == 10 else str(check)) != s[7]:
        return None
    return s[:4] + "-" + s[4:]


def _first_isbnish(value: str) -> str:
    m = re.match(r"^\s*([0-9Xx][0-9Xx \-]{8,20})", value or "")
    return m.group(1).strip() if m else (value or "").strip()


_NONWORD = re.compile(r"[\W_]+")


def normalise_title(value: str) -> str:
    """Case, punctuation and spacing do not count; letters keep their diacritics (å is not a)."""
    s = unicodedata.normalize("NFC", value or "").casefold()
    return _NONWORD.sub(" ", s).strip()


# -- the validator -----------------------------------------------------------------------------


class _Run:
    def __init__(self, original):
        self.findings: list = []
        self.original = original
        #: duplicate key -> (record number, control number) of the first record with it
        self.dup_keys = {}
        self.dup_pairs: set[tuple[int, int]] = set()
        #: 001 -> the first record number with it
        self.seen_001 = {}

    def check_001(self, cn: str, number: int, control_number: str | None) -> None:
        first = self.seen_001.get(cn)
        if first is not None:
            self.findings.append(
                finding("STRUCT-DUPLICATE-001", "dup", number, control_number, "001", 1, cn=cn, first=first)
            )
        else:
            self.seen_001[cn] = number

    def check_duplicates(self, number: int, control_number: str | None, keys: list[tuple[tuple, str]]) -> None:
        for key, extra in keys:
            first = self.dup_keys.get(key)
            if first is None:
                self.dup_keys[key] = (number, control_number)
                continue
            if first[0] == number or (first[0], number) in self.dup_pairs:
                continue
            self.dup_pairs.add((first[0], number))
            other = table.phrase("record", number=first[0]) + (f" [{first[1]}]" if first[1] else "")
            self.findings.append(
                finding("DUP-REPORT", "dup", number, control_number, None, None, other=other, what=_say(key, extra))
            )


def validate(records, original=None, *, duplicates: bool = True) -> list[Finding]:
    """Findings for ``records`` (LibrisRecords, BrokenRecords or a RecordSource), checked against
    ``original`` (the same kinds) when given."""
    entries = list(records)
    run = _Run(original)
    orig_entries = list(original) if original is not None else None
    pairs = _pair(entries, orig_entries) if orig_entries is not None else {}
    listed: set = set()
    for e in entries:
        if isinstance(e, LibrisRecord) and e.kind == "holdings":
            listed.add(_key(e))

    for pos, e in enumerate(entries):
        number = e.number or pos + 1
        if isinstance(e, BrokenRecord):
            run.findings.append(_unreadable(e, pos))
            continue
        if not isinstance(e, LibrisRecord):
            continue
        if not e.number:
            e_number = pos + 1
        else:
            e_number = number
        orig = pairs.get(pos)
        _check_record(run, e, e_number, orig, duplicates)
        for h in e.holdings:  # holdings added in memory, or linked but not in the list
            if _key(h) not in listed:
                _check_record(run, h, e_number, None, False, holding_of=e)

    if orig_entries is not None:
        paired = {id(o) for o in pairs.values()}
        for o in orig_entries:
            if isinstance(o, LibrisRecord) and id(o) not in paired:
                _missing(run, o)
    return run.findings


def validate_source(src, *, progress=None, duplicates: bool = True, engine=None) -> tuple[list[Finding], int]:
    """``validate(src)`` for a whole file without holding its records: the same findings, in the
    same order, and the number of readable records. An ISO 2709 file is read a window at a time
    and, when it is large enough for that to pay, checked in shards on the ``engine``'s workers
    (``_validate_shared``; by default local processes on every core). ``progress(done, total)``
    is called now and then."""
    from tui.core.batch import engine as engines
    from tui.core.formats.iso2709 import Iso2709Source

    if not src.complete:
        src.build_index()
    if src.has_edits:  # edited records (the app): they may hold holdings made in memory
        entries = list(src)
        return validate(entries, duplicates=duplicates), sum(1 for e in entries if isinstance(e, LibrisRecord))
    run = _Run(None)
    if not isinstance(src, Iso2709Source):
        n = _check_entries(run, enumerate(src), duplicates, len(src), progress)
        return run.findings, n
    if engine is None and src.size >= PARALLEL_MIN_BYTES and len(src) >= 2 * PARALLEL_MIN_RECORDS:
        engine = engines.LocalEngine()  # cheap to decide: no look at the data
    if engine is not None and (engine.workers > 1 or not isinstance(engine, engines.LocalEngine)):
        return _validate_shared(src, engine, duplicates, progress)

    def own_progress(done: int, whole: int) -> None:
        if progress is not None and whole:
            progress(min(src.size, done), src.size)

    total = len(src)
    n = _check_entries(run, enumerate(src.iter_entries(0, total, own_progress)), duplicates, 0, None, fresh=True)
    if progress is not None:
        progress(src.size, src.size)
    return run.findings, n


#: ISO 2709 files smaller than this are validated in one process (forking, sharing out and
#: merging would cost more than the second core gives back)
PARALLEL_MIN_BYTES = 8 << 20
PARALLEL_MIN_RECORDS = 5000
#: the smallest shard when a file is shared out between processes (the last ones are this size)
CHUNK_MIN_BYTES = 2 << 20
#: the largest shard (so that the progress line moves every few seconds)
CHUNK_MAX_BYTES = 48 << 20


def _validate_shared(src, engine, duplicates: bool, progress) -> tuple[list[Finding], int]:
    """``validate_source`` of an ISO 2709 file in shards on ``engine``'s workers.

    The file is cut at record boundaries into shards, large ones first and smaller ones at the
    end, which the workers take as they get free (``engine.guided_cuts``): a worker on a busy core
    does fewer, and all finish nearly together. Each shard checks its records on their own and its
    cross-record checks (STRUCT-DUPLICATE-001, DUP-REPORT) against its own records only, and notes
    each record's 001 and duplicate keys: their stable hashes in compact arrays, the keys themselves
    packed and compressed in one string. The results come back as plain tuples, arrays and bytes
    (no objects to pickle one by one), merged in file order (``_Merger``): a key whose hash an
    earlier shard has seen too marks the record for a second look, at the end, from the keys noted
    (no record is read again); few records need it (those with a duplicate in another shard). So
    the findings are those of one pass, in the same order, whatever the engine."""
    from tui.core.batch.engine import shared_source, slot_shards
    from tui.core.batch.shards import holdings_links

    size = src.size
    links = holdings_links(src)  # once, before the work is shared out
    with shared_source(src) as key:
        shards = slot_shards(src, key, engine.workers, smallest=CHUNK_MIN_BYTES, largest=CHUNK_MAX_BYTES)
        sizes = [s.hi - s.lo for s in shards]
        finished = [0]

        def done(k: int) -> None:
            finished[0] += sizes[k]
            if progress is not None:
                progress(min(size, finished[0]), size)

        merger = _Merger()
        for k, result in enumerate(engine.map(_validate_shard, [(s, duplicates) for s in shards], links, done=done)):
            merger.add(k, _decode_chunk(result))
    merger.look_again()
    if progress is not None:
        progress(size, size)
    return merger.finish()


def _validate_shard(links, shard, duplicates: bool):
    """One shard checked on its own, in a worker: ``_encode_chunk`` of ``_Tracked.result``."""
    from tui.core.batch.shards import iter_shard

    run = _Tracked()
    numbered = ((e.number - 1, e) for e in iter_shard(shard, links))
    n = _check_entries(run, numbered, duplicates, 0, None, fresh=True)
    return _encode_chunk(run.result(n))


def stable_hash(key) -> int:
    """A 64-bit hash of a key (a string or a tuple of strings and None) that is the same in every
    process (``hash()`` of a string is not, across interpreters: dask's workers)."""
    from hashlib import blake2b

    data = repr(key).encode("utf-8", "surrogatepass")
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little", signed=True)


class _Tracked(_Run):
    """A run over one shard of a file: its own cross-record checks, and what each record gave
    them, for ``_Merger``: the stable hash of every 001 and duplicate key with the record's number
    and where the 001 finding went (compact arrays), and the keys themselves, packed (``result``)."""

    def __init__(self):
        super().__init__(None)
        self.noted_001: list[tuple] = []  # (number, where its finding goes, 001 key, control number)
        self.noted_dup: list[tuple] = []  # (number, control number, [(key, extra) ...])

    def check_001(self, cn: str, number: int, control_number: str | None) -> None:
        self.noted_001.append((number, len(self.findings), cn, control_number))
        super().check_001(cn, number, control_number)

    def check_duplicates(self, number: int, control_number: str | None, keys: list[tuple[tuple, str]]) -> None:
        if keys:
            self.noted_dup.append((number, control_number, keys))
        super().check_duplicates(number, control_number, keys)

    def result(self, records: int) -> tuple:
        """What ``_Merger.add`` takes: (findings, readable records, h001, n001, p001, hdup, ndup,
        noted): the 001 key hashes, their record numbers and where their findings go; the
        duplicate key hashes and their record numbers; the keys (``noted_keys``)."""
        import pickle
        import zlib
        from array import array

        n1, nd = self.noted_001, self.noted_dup
        flat = [(cn, key, extra) for _, cn, keys in nd for key, extra in keys]
        packed = zlib.compress(pickle.dumps(([t[3] for t in n1], flat), pickle.HIGHEST_PROTOCOL), 1)
        return (
            self.findings,
            records,
            array("q", [stable_hash(t[2]) for t in n1]),
            array("q", [t[0] for t in n1]),
            array("q", [t[1] for t in n1]),
            array("q", [stable_hash(key) for _, key, _ in flat]),
            array("q", [t[0] for t in nd for _ in t[2]]),
            packed,
        )


def noted_keys(packed: bytes, i001: list[int], idup: list[int]) -> tuple[list, list]:
    """The 001 keys ``i001`` (their control numbers) and duplicate keys ``idup`` ((control number,
    key, extra) each) of a shard, by their places in ``result``'s arrays."""
    import pickle
    import zlib

    controls, flat = pickle.loads(zlib.decompress(packed))
    return [controls[i] for i in i001], [flat[i] for i in idup]


_FINDING_FIELDS = (
    "severity",
    "rule",
    "record_number",
    "control_number",
    "tag",
    "occurrence",
    "message",
    "katalogsupport",
)


def _encode_chunk(result):
    """A job's result as plain tuples, arrays and bytes (quick to pickle; in the child, meanwhile)."""
    from operator import attrgetter

    get = attrgetter(*_FINDING_FIELDS)
    findings, *rest = result
    return ([get(f) for f in findings], *rest)


def _decode_chunk(result):
    rows, *rest = result
    return ([Finding(*t) for t in rows], *rest)


class _Merger:
    """The results of the jobs of one file, added in file order, made into the findings of one pass.

    A record is looked at again when one of its keys has a hash an earlier job has seen too (a
    duplicate across jobs, rare; or two hashes alike): its STRUCT-DUPLICATE-001 and DUP-REPORT
    findings are made again from the keys the jobs noted (``look_again``, asking the processes
    that did them for only the keys with those hashes), as one pass makes them, where one pass
    puts them (the 001 one where its job put it, duplicates last)."""

    def __init__(self):
        self.parts: list[list[Finding]] = []
        self.keys: list[tuple] = []  # per shard: (h001, n001, p001, hdup, ndup)
        self.packed: list[bytes] = []  # per shard: its keys (``noted_keys``)
        self.seen_001: set[int] = set()
        self.seen_dup: set[int] = set()
        #: job -> record numbers to look at again
        self.again: dict[int, set[int]] = {}
        self.records = 0

    def add(self, k: int, result) -> None:
        findings, n, h001, n001, p001, hdup, ndup, packed = result
        self.records += n
        again: set[int] = set()
        for hashes, numbers, seen in ((h001, n001, self.seen_001), (hdup, ndup, self.seen_dup)):
            hits = seen.intersection(hashes) if seen else None
            if hits:
                again.update(num for h, num in zip(hashes, numbers) if h in hits)
            seen.update(hashes)
        if again:
            self.again[len(self.parts)] = again
        self.parts.append(findings)
        self.keys.append((h001, n001, p001, hdup, ndup))
        self.packed.append(packed)

    def finish(self) -> tuple[list[Finding], int]:
        out: list[Finding] = []
        for part in self.parts:
            out.extend(part)
        return out, self.records

    def look_again(self) -> None:
        """The cross-record checks of the records in ``again`` as one pass makes them: one pass over
        the keys noted, in file order, restricted to the hashes those records have (every earlier
        key that could match), with the dictionaries of ``_Run``; then their findings put back.
        The keys come from what each shard packed (``noted_keys``)."""
        from bisect import bisect_left, bisect_right

        keys, again = self.keys, self.again
        if not again:
            return
        last = max(again)
        want_001: set[int] = set()
        want_dup: set[int] = set()
        for k, numbers in again.items():
            h001, n001, _, hdup, ndup = keys[k]
            want_001.update(h for h, num in zip(h001, n001) if num in numbers)
            want_dup.update(h for h, num in zip(hdup, ndup) if num in numbers)
        places: dict[int, tuple[list[int], list[int]]] = {}
        for j in range(last + 1):
            h001, _, _, hdup, _ = keys[j]
            i001 = [i for i, h in enumerate(h001) if h in want_001] if not want_001.isdisjoint(h001) else []
            idup = [i for i, h in enumerate(hdup) if h in want_dup] if not want_dup.isdisjoint(hdup) else []
            if i001 or idup:
                places[j] = (i001, idup)
        noted = {j: noted_keys(self.packed[j], *places[j]) for j in places}
        run = _Run(None)
        at_001: dict[int, int] = {}  # record number -> where its job put its 001 finding
        new_001: dict[int, list[Finding]] = {}
        new_dup: dict[int, list[Finding]] = {}
        for j in sorted(places):
            _, n001, p001, _, ndup = keys[j]
            i001, idup = places[j]
            controls, dups = noted[j]
            mine = again.get(j, ())
            for i, control_number in zip(i001, controls):
                num = n001[i]
                if num in mine:
                    run.findings = new_001[num] = []
                    at_001[num] = p001[i]
                    run.check_001(control_number.strip(), num, control_number)
                else:
                    run.seen_001.setdefault(control_number.strip(), num)
            group: list[tuple[tuple, str]] = []
            g_num, g_cn = -1, None
            for i, (control_number, key, extra) in zip(idup, dups):
                num = ndup[i]
                if group and num != g_num:  # a record's keys stand together: it is complete
                    run.findings = new_dup[g_num] = []
                    run.check_duplicates(g_num, g_cn, group)
                    group = []
                if num in mine:
                    g_num, g_cn = num, control_number
                    group.append((key, extra))
                else:
                    run.dup_keys.setdefault(key, (num, control_number))
            if group:
                run.findings = new_dup[g_num] = []
                run.check_duplicates(g_num, g_cn, group)
        for k in sorted(again):
            part = self.parts[k]
            recs = [f.record_number for f in part]
            out: list[Finding] = []
            i = 0
            for number in sorted(again[k]):
                lo, hi = bisect_left(recs, number, i), bisect_right(recs, number, i)
                at = at_001.get(number, lo)
                out.extend(part[i:at])
                out.extend(new_001.get(number, ()))
                out.extend(f for f in part[at:hi] if f.rule not in _CROSS_RULES)
                out.extend(new_dup.get(number, ()))
                i = hi
            out.extend(part[i:])
            self.parts[k] = out
        self.again = {}


#: the rules of the cross-record checks (made again by _Merger._second_look)
_CROSS_RULES = frozenset(("STRUCT-DUPLICATE-001", "DUP-REPORT"))


def _check_entries(run: _Run, numbered, duplicates: bool, total: int, progress, fresh: bool = False) -> int:
    """The per-entry part of ``validate`` for the entries of one source (whose linked holdings
    are entries of the same source, so never checked twice). Returns the readable records.

    The cyclic garbage collector is paused meanwhile: records make no reference cycles, and its
    passes over a growing table of duplicate keys would cost more than the checks."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        return _check_each(run, numbered, duplicates, total, progress, fresh)
    finally:
        if was:
            gc.enable()


def _unreadable(e: BrokenRecord, pos: int) -> Finding:
    """The finding for a record that could not be read (slot ``pos``)."""
    return finding("STRUCT-UNREADABLE", "unreadable", e.number or pos + 1, reason=e.reason)


def _check_each(run: _Run, numbered, duplicates: bool, total: int, progress, fresh: bool) -> int:
    n = 0
    for pos, e in numbered:
        if isinstance(e, BrokenRecord):
            run.findings.append(_unreadable(e, pos))
            continue
        if not isinstance(e, LibrisRecord):
            continue
        n += 1
        _check_record(run, e, e.number or pos + 1, None, duplicates, fresh=fresh)
        if progress is not None and not pos % 2000:
            progress(pos, total)
    return n


def _key(r: LibrisRecord):
    return (r.path, r.number) if r.number else ("", id(r))


def _pair(entries, orig_entries) -> dict[int, LibrisRecord]:
    """Edited position -> original record: by 001, else by position."""
    by_cn: dict[str, int] = {}
    for i, o in enumerate(orig_entries):
        if isinstance(o, LibrisRecord):
            cn = (o.control_number or "").strip()
            if cn and cn not in by_cn:
                by_cn[cn] = i
    claimed: set[int] = set()
    out: dict[int, LibrisRecord] = {}
    edited_cns = set()
    for pos, e in enumerate(entries):
        if isinstance(e, LibrisRecord):
            cn = (e.control_number or "").strip()
            if cn:
                edited_cns.add(cn)
                j = by_cn.get(cn)
                if j is not None and j not in claimed:
                    claimed.add(j)
                    out[pos] = orig_entries[j]
    for pos, e in enumerate(entries):
        if pos in out or not isinstance(e, LibrisRecord) or (e.control_number or "").strip():
            continue
        if pos < len(orig_entries) and pos not in claimed:
            o = orig_entries[pos]
            if isinstance(o, LibrisRecord) and (o.control_number or "").strip() not in edited_cns:
                claimed.add(pos)
                out[pos] = o
    return out


def _missing(run: _Run, o: LibrisRecord) -> None:
    st = record_state(o)
    cn = o.control_number
    what = table.phrase("original-record", number=o.number) + (f" [{cn}]" if cn else "")
    if st.channel:
        run.findings.append(finding("CHN-READONLY", "missing", None, cn, what=what))
    elif st.eplikt:
        run.findings.append(finding("EPL-NODELETE", "missing", None, cn, what=what))
    elif o.kind == "holdings" and detect.holding_sigel(o) == detect.APIS:
        run.findings.append(finding("EPL-DETECT", "missing-apis", None, cn, "852", what=what))
    else:
        run.findings.append(finding("STRUCT-001", "missing", None, cn, what=what))


# -- one record --------------------------------------------------------------------------------


def _check_record(
    run: _Run,
    r: LibrisRecord,
    number: int,
    orig: LibrisRecord | None,
    duplicates: bool,
    holding_of: LibrisRecord | None = None,
    fresh: bool = False,
) -> None:
    """``fresh``: ``r`` was just read from ISO 2709 and not changed since, so what the reader
    found in its bytes (indicators, codes and values all valid) holds for its fields."""
    marc = r.marc
    start = len(run.findings)
    prefix = ""
    if holding_of is not None:
        prefix = table.phrase("holding-for", sigel=detect.holding_sigel(r) or table.phrase("no-sigel"))
    control_number = r.control_number

    def add(rule, key, tag, occ, /, **fields):
        run.findings.append(
            Finding(
                table.severity(rule, key),  # type: ignore[arg-type]
                rule,
                number,
                control_number,
                tag,
                occ,
                prefix + table.say(rule, key, **fields),
                table.reports(rule, key),
            )
        )

    watched = _structure(r, marc, add, fresh and r.valid_fields)
    _read_findings(run, r, number, control_number, prefix)
    if CONTENT_CHECKS:
        marc21.check(marc, add)
        libris.check(marc, add, holding=holding_of is not None and not r.number, watched=watched)
    if holding_of is not None and not r.number:
        # a holding made in this session: Libris gives it its control number on import
        run.findings[start:] = [f for f in run.findings[start:] if f.rule != "STRUCT-001" or f.severity != "warning"]
    st = _state_of(watched, r.holdings)
    ost = record_state(orig) if orig is not None else None
    # Read-only parts that were already so: warnings for Katalogsupport, not errors.
    protected_state = ost or st
    if len(run.findings) > start and (protected_state.channel or protected_state.eplikt):
        _soften(run, start, r, orig, protected_state)

    cn = (control_number or "").strip()
    if cn and holding_of is None:
        run.check_001(cn, number, control_number)

    if orig is not None:
        _compare(r, orig, st, ost, add)
    lt = str(marc.leader)[6:7]
    if not (lt in HOLDINGS_TYPES or lt in AUTHORITY_TYPES):  # r.kind == "bib"
        _advice(r, watched, st, ost, orig, add)
        if duplicates and not st.channel and str(marc.leader)[5:6] != "d":
            run.check_duplicates(number, control_number, _dup_keys(watched))


#: what a reader notes that the structure pass finds again in the fields themselves (reported once)
_REDERIVED = frozenset(
    (
        "STRUCT-EMPTY-DELIMITER",
        "STRUCT-EMPTY-SUBFIELD",
        "STRUCT-INDICATOR",
        "STRUCT-ORPHAN-TEXT",
        "STRUCT-SUBFIELD-CODE",
        "STRUCT-TAG",
        "STRUCT-LEADER",
        "STRUCT-LEADER-BLANK",
        "STRUCT-DELIMITER-IN-DATA",
    )
)


def _read_findings(run: _Run, r: LibrisRecord, number: int, control_number: str | None, prefix: str) -> None:
    """What the reader noticed in the record's bytes (a character it could not decode, a leader
    it had to mend, a JSON value of the wrong type ...) as findings: nothing it changed on the
    way in goes unsaid."""
    for i in r.issues:
        if i.code in _REDERIVED:
            continue
        run.findings.append(
            Finding(i.severity, i.code, number, control_number, i.tag, i.occurrence, prefix + i.message, False)
        )


#: tags the advice and duplicate checks look at, collected during the structure pass
_WATCH = (
    frozenset(("001", "008", "020", "022", "024", "042", "245", "260", "264", "506", "599", "856"))
    | frozenset(PROTECTED_TAGS)
    | HOLDING_TAGS
    | libris.watch()
)


def _occ(fields: list[Field], i: int) -> int:
    """1-based occurrence of ``fields[i]`` among the fields with its tag (only for findings)."""
    tag = fields[i].tag
    return sum(1 for f in fields[: i + 1] if f.tag == tag)


def _state_of(watched: dict[str, list[Field]], holdings: list) -> RecordState:
    """``rules.record_state`` of a record, from its watched fields (one look at each, no copies):
    validate's hot path, through the same ``detect.state_from``."""
    linked = [s for s in (detect.holding_sigel(h) for h in holdings) if s] if holdings else ()
    return detect.state_from(lambda tag: watched.get(tag, ()), linked)


def _leader_findings(leader: str, bib: bool, add) -> None:
    """The leader checks of ``_structure`` (a 24-character ASCII leader)."""
    if leader[9] not in " a":
        add("STRUCT-LEADER", "coding", "000", None, value=leader[9])
    if leader[10:12] == "  ":
        add("STRUCT-LEADER-BLANK", "counts", "000", None)
    elif leader[10:12] != "22":
        add("STRUCT-LEADER", "counts", "000", None, value=leader[10:12])
    if leader[5] not in _STATUS:
        add("STRUCT-LEADER", "status", "000", None, value=leader[5])
    if leader[6] not in _ALL_TYPES:
        add("STRUCT-LEADER", "type", "000", None, value=leader[6])
    elif bib and leader[7] not in _BIB_LEVEL:
        add("STRUCT-LEADER", "level", "000", None, value=leader[7])
    if leader[20:24] != "4500":
        if "4500".startswith(leader[20:24].rstrip(" ")):  # blanks where 4500 belongs (all or the end)
            add("STRUCT-LEADER-BLANK", "entry-map", "000", None)
        else:
            add("STRUCT-LEADER", "entry-map", "000", None, value=leader[20:24])


#: leader positions -> the leader checks that fire for them: (arguments, fields) of ``add``
_LEADER_FINDINGS: dict[str, list[tuple[tuple, dict]]] = {}


#: MARC structure characters, which no field text may hold (STRUCT-DELIMITER-IN-DATA)
_STRUCT_CHARS = re.compile("[\x1d\x1e\x1f]")
_STRUCT_NAMES = {
    "\x1f": "a subfield delimiter (U+001F)",
    "\x1e": "a field terminator (U+001E)",
    "\x1d": "a record terminator (U+001D)",
}


def _structure(r: LibrisRecord, marc, add, valid_fields: bool = False) -> dict[str, list[Field]]:
    """Structure checks in one pass over the fields; returns the watched fields by tag.
    ``valid_fields``: the data fields' indicators and subfields are known to be valid."""
    leader = str(marc.leader) if marc.leader is not None else ""
    t = leader[6:7]  # LibrisRecord.kind, from the leader already at hand
    bib = not (t in HOLDINGS_TYPES or t in AUTHORITY_TYPES)
    if len(leader) != 24:
        add("STRUCT-LEADER", "length", "000", None, length=len(leader))
    elif not leader.isascii():
        add("STRUCT-LEADER", "ascii", "000", None)
    else:
        # the checks below read only these positions: their findings are worked out once per value
        key = leader[5:12] + leader[20:24]
        said = _LEADER_FINDINGS.get(key)
        if said is None:
            said = []
            _leader_findings(leader, bib, lambda *a, **k: said.append((a, k)))
            if len(_LEADER_FINDINGS) < 4096:
                _LEADER_FINDINGS[key] = said
        for a, k in said:
            add(*a, **k)

    watched: dict[str, list[Field]] = {}
    ok_tags, codes, inds_ok, watch = _OK_TAGS, _CODES, _INDS, _WATCH
    fields = marc.fields
    for i, f in enumerate(fields):
        tag = f.tag
        if tag in watch:
            same = watched.get(tag)
            if same is None:
                watched[tag] = [f]
            else:
                same.append(f)
        elif tag not in ok_tags:
            if not isinstance(tag, str) or not _TAG.match(tag):
                add("STRUCT-TAG", "bad", str(tag), _occ(fields, i), tag=tag)
                continue
            ok_tags.add(tag)
        if f.control_field:
            data = f.data
            if not data:
                add("STRUCT-EMPTY-SUBFIELD", "control", tag, _occ(fields, i), tag=tag)
                continue
            if tag == "008" and bib and len(data) != 40:
                add("STRUCT-008", "length", tag, _occ(fields, i), length=len(data))
            if "\x1f" in data or "\x1e" in data or "\x1d" in data:  # C-level: the usual field has none
                m = _STRUCT_CHARS.search(data)
                if m is not None:
                    what = _STRUCT_NAMES[m.group()]
                    add(
                        "STRUCT-DELIMITER-IN-DATA",
                        "control",
                        tag,
                        _occ(fields, i),
                        tag=tag,
                        what=what,
                        position=m.start(),
                    )
            continue
        if valid_fields:
            continue
        inds = f.indicators or ("", "")
        if inds[0] not in inds_ok or inds[1] not in inds_ok:
            for pos, ind in enumerate(inds, 1):
                if ind in inds_ok:
                    continue
                if ind == "|":
                    add("STRUCT-INDICATOR", "fill", tag, _occ(fields, i), position=pos)
                else:
                    add("STRUCT-INDICATOR", "bad", tag, _occ(fields, i), position=pos, value=ind)
        subs = f.subfields
        if not subs:
            add("STRUCT-EMPTY-SUBFIELD", "no-subfields", tag, _occ(fields, i), tag=tag)
            continue
        for code, value in subs:
            if code in codes:
                if not value or value.isspace():
                    add("STRUCT-EMPTY-SUBFIELD", "empty", tag, _occ(fields, i), code=code)
            elif code == ORPHAN:
                if value:
                    add("STRUCT-ORPHAN-TEXT", "text", tag, _occ(fields, i), value=value)
                else:  # a delimiter with nothing after it (as ISO 2709 and MARCMaker read it)
                    add("STRUCT-EMPTY-DELIMITER", "field", tag, _occ(fields, i))
            else:
                add("STRUCT-SUBFIELD-CODE", "bad", tag, _occ(fields, i), code=code)
            if "\x1f" in value or "\x1e" in value or "\x1d" in value:
                m = _STRUCT_CHARS.search(value)
                if m is not None:
                    what = _STRUCT_NAMES[m.group()]
                    position = m.start()
                    add(
                        "STRUCT-DELIMITER-IN-DATA",
                        "subfield",
                        tag,
                        _occ(fields, i),
                        code=code,
                        what=what,
                        position=position,
                    )

    counts = {t: len(watched.get(t, ())) for t in ("001", "008", "245")}
    n001 = counts.get("001", 0)
    if n001 == 0:
        add("STRUCT-001", "none", "001", None)
    elif n001 > 1:
        add("STRUCT-001", "many", "001", None, n=n001)
    if bib:
        n008 = counts.get("008", 0)
        if n008 == 0:
            add("STRUCT-008", "none", "008", None)
        elif n008 > 1:
            add("STRUCT-008", "many", "008", None, n=n008)
        n245 = counts.get("245", 0)
        if n245 != 1:
            add("STRUCT-245", "none" if n245 == 0 else "many", "245", None, n=n245)
    return watched


def _soften(run: _Run, start: int, r: LibrisRecord, orig: LibrisRecord | None, st: RecordState) -> None:
    """Structure errors in parts the cataloguer may not change, already there in the original (or
    as read, without one), become warnings for Katalogsupport (CHN-READONLY / EPL-PROTECT)."""
    for k in range(start, len(run.findings)):
        f = run.findings[k]
        if f.severity != "error" or not f.rule.startswith(("STRUCT-", "MARC-")) or not f.tag:
            continue
        if st.channel:
            if _part_unchanged(r, orig, f.tag, f.occurrence):
                run.findings[k] = _as_report(f, "CHN-READONLY")
        elif f.tag in PROTECTED_TAGS and _part_unchanged(r, orig, f.tag, f.occurrence):
            run.findings[k] = _as_report(f, "EPL-PROTECT")


def _as_report(f: Finding, rule: str) -> Finding:
    """A structure finding in a part that stays unchanged, as an item for Katalogsupport."""
    return finding(
        rule, "as-report", f.record_number, f.control_number, f.tag, f.occurrence, message=f.message, rule=f.rule
    )


def _nth(marc, tag: str, occ: int) -> Field | None:
    fs = marc.get_fields(tag)
    return fs[occ - 1] if 0 < occ <= len(fs) else None


def _part_unchanged(r: LibrisRecord, orig: LibrisRecord | None, tag: str, occ: int | None) -> bool:
    """Is this part (the leader, one field, or all fields of a tag) as it was in the original?"""
    if orig is None:
        return True
    if tag == "000":
        return _leader_key(str(r.marc.leader)) == _leader_key(str(orig.marc.leader))
    if occ is None:
        return [_ftuple(f) for f in r.marc.get_fields(tag)] == [_ftuple(f) for f in orig.marc.get_fields(tag)]
    a, b = _nth(r.marc, tag, occ), _nth(orig.marc, tag, occ)
    return a is not None and b is not None and _ftuple(a) == _ftuple(b)


def _record_sig(r: LibrisRecord) -> tuple:
    return (
        _leader_key(str(r.marc.leader)),
        tuple(_ftuple(f) for f in r.marc.fields),
        tuple(sorted(detect.holding_sigels(r))),
    )


# -- against the original ----------------------------------------------------------------------


def _groups(marc) -> dict[int, list[tuple[tuple, Field, int]]]:
    """Protected fields per EPL-PROTECT group: (field tuple, field, occurrence), holdings apart."""
    out: dict[int, list] = {}
    counts: dict[str, int] = {}
    for f in marc.fields:
        tag = f.tag
        counts[tag] = counts.get(tag, 0) + 1
        g = PROTECTED_TAGS.get(tag)
        if g is None or f.is_control_field() or holding_field_sigel(f) is not None:
            continue
        out.setdefault(id(g), []).append((_ftuple(f), f, counts[tag]))
    return out


def _uri_change(o: tuple, e: tuple, restricted: bool) -> str | None:
    """Which allowed change turns 856 ``o`` into ``e`` (URI-FIX, URI-MOVE or both), else None."""
    _, oi1, oi2, osubs = o
    _, ei1, ei2, esubs = e
    rules = []
    if oi1 != ei1:
        return None
    if oi2 != ei2:
        if oi2 == "0" and ei2 == "2" and restricted:
            rules.append("URI-MOVE")
        else:
            return None
    if osubs != esubs:
        if len(osubs) != len(esubs) or any(c == "z" for c, _ in osubs):
            return None
        for (oc, ov), (ec, ev) in zip(osubs, esubs):
            if oc != ec:
                return None
            if ov != ev and (oc != "u" or not looks_like_uri(ev)):
                return None
        rules.append("URI-FIX")
    return "+".join(rules) or "same"


def _compare(r: LibrisRecord, orig: LibrisRecord, st: RecordState, ost: RecordState, add) -> None:
    if ost.channel:
        if _record_sig(r) != _record_sig(orig):
            add("CHN-READONLY", "changed", None, None, changes=_changes(orig, r))
        return
    if st.channel:
        add("CHN-READONLY", "made", "245", 1)
    if not ost.eplikt:
        return
    if str(r.marc.leader)[5:6] == "d" and str(orig.marc.leader)[5:6] != "d":
        add("EPL-NODELETE", "deleted", "000", None)
    if ost.eplk and not st.eplk:
        add("EPL-DETECT", "eplk-removed", "042", None)
    if st.digi and not ost.digi:
        add("EPL-DETECT", "digi-added", "042", None)
    if ost.apis and not st.apis:
        add("EPL-DETECT", "apis-removed", "852", None)
    og, eg = _groups(orig.marc), _groups(r.marc)
    for g in {id(x) for x in PROTECTED_TAGS.values()}:
        a, b = og.get(g, []), eg.get(g, [])
        if [x[0] for x in a] == [x[0] for x in b]:
            continue
        _diff_group(a, b, ost.restricted, add)


def _diff_group(a, b, restricted: bool, add) -> None:
    at, bt = [x[0] for x in a], [x[0] for x in b]
    uri = (a or b)[0][0][0] == "856"
    sm = difflib.SequenceMatcher(None, at, bt, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        if uri:
            pairs = list(zip(olds, news))
            for (ot, of, oocc), (et, ef, eocc) in pairs:
                how = _uri_change(ot, et, restricted)
                if how is None:
                    _changed(add, of, oocc, ef)
                else:
                    for rule in how.split("+") if how != "same" else ():
                        add(rule, "allowed-change", "856", eocc, old=_text(of), new=_text(ef))
            for _ot, of, oocc in olds[len(pairs) :]:
                _removed(add, of, oocc)
            for _et, ef, eocc in news[len(pairs) :]:
                add("URI-ADD", "allowed-change", "856", eocc, new=_text(ef))
            continue
        pairs = list(zip(olds, news)) if op == "replace" else []
        for (_ot, of, oocc), (_et, ef, eocc) in pairs:
            if of.tag == ef.tag:
                _changed(add, of, oocc, ef)
            else:
                _removed(add, of, oocc)
                _added(add, ef, eocc)
        for _ot, of, oocc in olds[len(pairs) :]:
            _removed(add, of, oocc)
        for _et, ef, eocc in news[len(pairs) :]:
            _added(add, ef, eocc)


def _why(tag: str) -> str:
    if tag == "856":
        return table.say("EPL-PROTECT", "uri-why")
    return protection_reason("EPL-PROTECT", "field", {"tag": tag})


def _protected_change(add, key: str, f: Field, occ: int, **texts) -> None:
    """EPL-PROTECT: protected field ``f`` (occurrence ``occ``) was changed, removed or added."""
    label = PROTECTED_TAGS[f.tag].label_for(f.tag, f)
    add("EPL-PROTECT", key, f.tag, occ, tag=f.tag, occurrence=occ, label=label, why=_why(f.tag), **texts)


def _changed(add, of: Field, oocc: int, ef: Field) -> None:
    _protected_change(add, "changed", of, oocc, old=_text(of), new=_text(ef))


def _removed(add, of: Field, oocc: int) -> None:
    _protected_change(add, "removed", of, oocc, old=_text(of))


def _added(add, ef: Field, eocc: int) -> None:
    _protected_change(add, "added", ef, eocc, new=_text(ef))


def _changes(orig: LibrisRecord, r: LibrisRecord, limit: int = 3) -> str:
    out = []
    say = table.phrase
    if _leader_key(str(orig.marc.leader)) != _leader_key(str(r.marc.leader)):
        out.append(say("change-leader", old=str(orig.marc.leader), new=str(r.marc.leader)))
    a = [_ftuple(f) for f in orig.marc.fields]
    b = [_ftuple(f) for f in r.marc.fields]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        for f in orig.marc.fields[i1:i2]:
            out.append(say("change-removed" if op == "delete" else "change-changed", text=_text(f)))
        for f in r.marc.fields[j1:j2]:
            out.append(say("change-added" if op == "insert" else "change-now", text=_text(f)))
    hs_o, hs_r = set(detect.holding_sigels(orig)), set(detect.holding_sigels(r))
    for s in sorted(hs_r - hs_o):
        out.append(say("change-holding-added", sigel=s))
    for s in sorted(hs_o - hs_r):
        out.append(say("change-holding-removed", sigel=s))
    more = len(out) - limit
    return "; ".join(out[:limit]) + ("; " + say("change-more", n=more) if more > 0 else "")


# -- advice ------------------------------------------------------------------------------------


def _advice(
    r: LibrisRecord, watched: dict[str, list[Field]], st: RecordState, ost: RecordState | None, orig, add
) -> None:
    eplikt = st.eplikt or (ost is not None and ost.eplikt)
    channel = st.channel or (ost is not None and ost.channel)
    restricted = ost.restricted if ost is not None else st.restricted

    # holdings: one per sigel and title (HOLD-ADD)
    if len(r.holdings) > 1:
        linked = [s for s in (detect.holding_sigel(h) for h in r.holdings) if s]
        for s in sorted({s for s in linked if linked.count(s) > 1}):
            add("HOLD-ADD", "twice", "852", None, count=linked.count(s), sigel=s)

    # SUP-CLEAR
    if st.suppressed and not channel:
        sigels = detect.holding_sigels(r)
        own = [s for s in sigels if s != detect.APIS]
        if ost is not None:
            added = sorted(set(sigels) - set(detect.holding_sigels(orig)))
            completed = _record_sig(r)[1] != _record_sig(orig)[1]
            if added:
                add("SUP-CLEAR", "holding-added", "599", None, sigels=", ".join(added))
            elif completed:
                add("SUP-CLEAR", "completed", "599", None)
        elif own:
            add("SUP-CLEAR", "held-by", "599", None, sigels=", ".join(own))

    # 856: restricted URIs, malformed fields
    for occ, f in enumerate(watched.get("856", ()), 1):
        if f.is_control_field() or holding_field_sigel(f) is not None:
            continue
        subs = f.subfields
        has_z = any(sf.code == "z" for sf in subs)
        if eplikt and restricted and not channel and f.indicator2 == "0":
            add("URI-MOVE", "advice", "856", occ)
        us = [sf for sf in subs if sf.code == "u"]
        problems = []
        for sf in subs:
            if sf.code == "a" and looks_like_uri(sf.value):
                problems.append(table.say("STRUCT-856", "uri-in-a", value=sf.value))
        if not any(sf.value.strip() for sf in us) and not any(sf.code == ORPHAN for sf in subs):
            problems.append(table.say("STRUCT-856", "no-u"))
        if not problems:
            continue
        msg = table.say("STRUCT-856", "malformed", problems="; ".join(problems))
        if channel:
            add("CHN-READONLY", "malformed-856", "856", occ, problem=msg)
        elif eplikt and not has_z and us:
            add("URI-FIX", "malformed-856", "856", occ, problem=msg)
        elif eplikt:
            add("EPL-PROTECT", "malformed-856", "856", occ, problem=msg)
        else:
            add("STRUCT-856", "malformed", "856", occ, problems="; ".join(problems))

    if not (eplikt or channel):
        return
    rule = "CHN-READONLY" if channel else "EPL-PROTECT"
    for tag, fs in watched.items():
        if tag not in _ANOMALY_TAGS:
            continue
        for n, f in enumerate(fs, 1):
            if not f.is_control_field():
                _anomaly(tag, n, f, rule, add)


def _anomaly(tag: str, n: int, f: Field, rule: str, add) -> None:
    """Other protected-field anomalies in an e-plikt or channel record (for Katalogsupport)."""
    said: tuple[str, dict] | None = None  # (sentence of EPL-PROTECT, its fields): the last one found
    if tag == "020":
        for code, value in f.subfields:
            if code == "a" and value.strip() and isbn13(_first_isbnish(value)) is None:
                said = ("isbn", {"value": value})
    elif tag == "022":
        for code, value in f.subfields:
            if code == "a" and value.strip() and issn(value) is None:
                said = ("issn", {"value": value})
    elif tag == "506":
        for code, value in f.subfields:
            if code == "a" and value.strip().strip(".").casefold() not in ACCESS_VALUES:
                said = ("access", {"value": value, "terms": " / ".join(repr(v) for v in ACCESS_VALUES)})
    elif tag == "655":
        if f.indicator2 == "7" and not any(code == "2" for code, _ in f.subfields):
            said = ("genre-list", {})
    elif tag in _LINK_TAGS:
        if not any(code in ("w", "t", "x", "z", "o") and value.strip() for code, value in f.subfields):
            said = ("link", {"tag": tag})
    if said:
        add(rule, "EPL-PROTECT." + said[0], tag, n, **said[1])


# -- duplicates (DUP-REPORT) --------------------------------------------------------------------


def _watch(marc) -> dict[str, list[Field]]:
    out: dict[str, list[Field]] = {}
    for f in marc.fields:
        if f.tag in _WATCH:
            out.setdefault(f.tag, []).append(f)
    return out


def duplicate_keys(marc, watched: dict[str, list[Field]] | None = None) -> list[tuple[tuple, str]]:
    """Keys under which two records are likely duplicates (DUP-REPORT), each with how to say it:
    the same ISBN (020, ISBN-10 and -13 alike), ISSN (022) or other identifier (024, by type), or
    the same normalised title with the same year and media term (245 $h: an e-book and a printed
    book of one title are two records, not duplicates)."""
    return [(k, _say(k, extra)) for k, extra in _dup_keys(watched if watched is not None else _watch(marc))]


def _say(key: tuple, extra: str) -> str:
    kind = key[0]
    if kind == "isbn":
        return table.say("DUP-REPORT", "isbn", value=key[1])
    if kind == "issn":
        return table.say("DUP-REPORT", "issn", value=key[1])
    if kind == "024":
        return table.say("DUP-REPORT", "identifier", value=extra)
    return table.say("DUP-REPORT", "title", title=extra, year=key[2])


def _dup_keys(w: dict[str, list[Field]]) -> list[tuple[tuple, str]]:
    """(key, what to quote if it matches): the quoting is only formatted for a duplicate."""
    keys: list[tuple[tuple, str]] = []
    for tag in ("020", "022", "024"):
        for f in w.get(tag, ()):
            if f.control_field:
                continue
            for code, value in f.subfields:
                if code != "a" or not value or value.isspace():
                    continue
                if tag == "020":
                    v = isbn13(_first_isbnish(value))
                    if v:
                        keys.append((("isbn", v), ""))
                elif tag == "022":
                    v = issn(value)
                    if v:
                        keys.append((("issn", v), ""))
                else:
                    kind = (f.get("2") or "").strip().casefold() if f.indicator1 == "7" else f.indicator1
                    keys.append((("024", kind, value.strip().casefold()), value.strip()))
    t245 = next((f for f in w.get("245", ()) if not f.control_field), None)
    if t245 is not None:
        raw = " ".join(v for c, v in t245.subfields if c in ("a", "b", "n", "p"))
        title = normalise_title(raw)
        if title:
            year = _year(w)
            if year:
                media = next((_media_key(v) for c, v in t245.subfields if c == "h"), "")
                keys.append((("title", title, year, media), raw.strip()))
    return keys


@lru_cache(maxsize=4096)
def _media_key(value: str) -> str:
    """245 $h as a duplicate key: ``[Elektronisk resurs]`` -> ``elektronisk resurs`` (few values)."""
    return normalise_title(detect.media_term(value))


def _year(w: dict[str, list[Field]]) -> str | None:
    for f in w.get("008", ()):
        d = f.data or ""
        if len(d) >= 11 and d[7:11].isdigit():
            return d[7:11]
    for tag in ("264", "260"):
        for f in w.get(tag, ()):
            if f.control_field:
                continue
            for code, value in f.subfields:
                if code == "c":
                    m = _YEAR.search(value)
                    if m:
                        return m.group(1)
    return None


def record_year(marc) -> str | None:
    """The publication year: 008/07-10, else the first year in 264/260 $c."""
    return _year(_watch(marc))


def _duplicates(run: _Run, r: LibrisRecord, number: int, watched) -> None:
    run.check_duplicates(number, r.control_number, _dup_keys(watched))


__all__ = [
    "Finding",
    "validate",
    "validate_source",
    "errors",
    "summary",
    "duplicate_keys",
    "isbn13",
    "issn",
    "normalise_title",
    "record_year",
    "SEVERITIES",
]
