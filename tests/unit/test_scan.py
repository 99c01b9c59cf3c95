"""Raw scans must give the same verdicts as a full parse with detect.py, only faster."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.batch import scan
from tui.core.formats import iso2709, marcjson, marcxml, open_source
from tui.core.model.record import Field, Leader, Record, Subfield
from tui.core.sources.indexed import IndexedSource

SAMPLE_FILES = [
    "mixed.mrc",
    "mixed.xml",
    "mixed.txt",
    "seed-records.mrc",
    "seed-records.xml",
    "seed-records.mrk",
    "seed-records.json",
    "seed-records.txt",
]


def full_parse_flags(path) -> bytes:
    """The reference: every slot parsed, holdings linked, detect.py on each."""
    return bytes(scan.flags_of(e) for e in open_source(path))


def scanned(result: scan.ScanResult) -> bytes:
    return bytes(f & ~scan.PARSED & 0xFF for f in result.flags)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_scan_equals_full_parse_on_samples(samples, name):
    result = scan.scan_file(samples / name)
    assert scanned(result) == full_parse_flags(samples / name)


def test_scan_equals_full_parse_on_the_corpus(corpus):
    for path in sorted(corpus.iterdir()):
        result = scan.scan_file(path)
        assert scanned(result) == full_parse_flags(path), path.name


def test_mixed_counts(samples):
    want = {"records": 7, "eplikt": 5, "channel": 1, "suppressed": 2, "holdings": 2, "broken": 1}
    for name in ("mixed.mrc", "mixed.xml", "mixed.txt"):
        counts = scan.scan_file(samples / name).counts()
        assert {k: counts[k] for k in want} == want, name


def test_iso_scan_parses_almost_nothing(samples):
    result = scan.scan_file(samples / "mixed.mrc")
    # only the holdings record whose 852 $b may be APIS is parsed; everything else from bytes
    assert result.parsed == 1
    assert result.slots(scan.CHANNEL) == [1]
    assert result.slots(scan.SUPPRESSED) == [1, 3]
    assert result.slots(scan.BROKEN) == [9]
    assert [b.number for b in result.broken_records] == [10]


def test_scan_of_a_large_file_is_fast(tmp_path):
    import time

    rec = Record()
    rec.leader = Leader("00000nam a2200000 i 4500")
    rec.fields = [
        Field(tag="001", data="x"),
        Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]),
        Field(
            tag="245",
            indicators=["1", "0"],
            subfields=[Subfield("a", "En titel"), Subfield("h", "[Elektronisk resurs]")],
        ),
        Field(tag="856", indicators=["4", "0"], subfields=[Subfield("u", "https://example.org/x")]),
    ]
    p = tmp_path / "big.mrc"
    p.write_bytes(iso2709.record_bytes(rec) * 50_000)
    t = time.perf_counter()
    result = scan.scan_file(p)
    dt = time.perf_counter() - t
    assert result.counts()["eplikt"] == 50_000 and result.parsed == 0
    assert dt < 5, f"{dt:.2f} s for 50k records"


# -- property: tricky records, every format -----------------------------------------------------

POOL = ["1001", "1002", " 1003", "1004 "]
VALUES_9 = ["EPLK", " EPLK ", "DIGI", "eplk", "EPLKX", "APIS", "EPLK\u00a0", "DIGI EPLK"]
VALUES_H = [
    "[channel record]",
    "channel record",
    " [Channel Record]. ",
    "[channel records]",
    "x channel record",
    "[channel\u00a0record]",
    "[Elektronisk resurs]",
    "\u00a0[channel record]",
]
VALUES_599 = [
    "SUPPRESSRECORD",
    " suppressrecord ",
    "SUPPRESS RECORD",
    "\u017fuppressrecord",
    "SUPPRE\u00dfRECORD",
    "record",
]
SIGELS = ["APIS", " APIS", "S", "Li", "apis", "APIS\u00a0"]


# (tag, code, values): the places that matter, and near misses (right value, wrong tag or code)
PLACES = [
    ("042", "9", VALUES_9),
    ("042", "9", VALUES_9),
    ("245", "h", VALUES_H),
    ("245", "h", VALUES_H),
    ("599", "a", VALUES_599),
    ("599", "a", VALUES_599),
    ("852", "5", SIGELS),
    ("856", "5", SIGELS),
    ("866", "5", SIGELS),
    ("852", "b", SIGELS),
    ("040", "9", VALUES_9),
    ("500", "5", SIGELS),
    ("246", "h", VALUES_H),
    ("599", "b", VALUES_599),
    ("042", "a", VALUES_9),
    ("500", "a", VALUES_599),
]


@st.composite
def records(draw):
    kind = draw(st.sampled_from("aaaaaxxyzc"))
    leader = f"00000n{kind}m {draw(st.sampled_from('a '))}2200000 i 4500"
    fields: list[Field] = []
    if draw(st.integers(0, 4)):
        fields.append(Field(tag="001", data=draw(st.sampled_from(POOL))))
    if kind in "xy":
        if draw(st.integers(0, 4)):
            fields.append(Field(tag="004", data=draw(st.sampled_from(POOL))))
        for _ in range(draw(st.integers(0, 2))):
            fields.append(
                Field(
                    tag="852", indicators=[" ", " "], subfields=[Subfield("b", draw(st.sampled_from(SIGELS + [" "])))]
                )
            )
    for _ in range(draw(st.integers(0, 5))):
        tag, code, values = draw(st.sampled_from(PLACES))
        subs = [Subfield(code, draw(st.sampled_from(values)))]
        if draw(st.booleans()):
            subs.insert(0, Subfield(draw(st.sampled_from("ab9")), draw(st.sampled_from(["x", "EPLK", "Å"]))))
        fields.append(Field(tag=tag, indicators=[" ", " "], subfields=subs))
    r = Record()
    r.leader = Leader(leader)
    r.fields = fields
    return r


def _unusual_layout(raw: bytes) -> bytes:
    """Swap the first two directory entries: a valid record whose data is not in directory order."""
    base = int(raw[12:17])
    if base < 24 + 24 + 1:
        return raw
    d = raw[24 : base - 1]
    return raw[:24] + d[12:24] + d[:12] + d[24:] + raw[base - 1 :]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=8), st.data())
def test_scan_equals_full_parse_on_generated_files(tmp_path_factory, recs, data):
    tmp = tmp_path_factory.mktemp("scan")
    chunks = []
    for r in recs:
        raw = iso2709.record_bytes(r)
        how = data.draw(st.sampled_from(["plain"] * 6 + ["unusual", "lying-directory", "broken", "truncate-length"]))
        if how == "unusual":
            raw = _unusual_layout(raw)
        elif how == "lying-directory" and int(raw[12:17]) > 25:
            raw = raw[:27] + b"9999" + raw[31:]  # read in order by field terminators (STRUCT-DIRECTORY)
        elif how == "broken":
            raw = raw[:30] + b"x" + raw[31:]
        elif how == "truncate-length":
            raw = b"%05d" % (len(raw) + 3) + raw[5:]
        chunks.append(raw)
    files = {"g.mrc": b"".join(chunks)}
    for name, mod in (("g.xml", marcxml), ("g.json", marcjson)):
        buf = io.BytesIO()
        mod.write(recs, buf)
        files[name] = buf.getvalue()
    for name, content in files.items():
        p = tmp / name
        p.write_bytes(content)
        assert scanned(scan.scan_file(p)) == full_parse_flags(p), name


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"\x1fa", b"\x1fh", b"\x1e", b"\x1d", b"x", b"RECORD", b"record", b"Channel ", b"channel", b"\x1fb", b" "]
        ),
        max_size=60,
    ),
    st.integers(1, 40),
)
def test_case_insensitive_subfield_search_across_chunks(parts, chunk):
    import re as _re

    buf = b"".join(parts)
    want = sorted(
        {(m.start(), ord("a")) for m in _re.finditer(rb"\x1fa[^\x1d\x1e\x1f]*?record", buf, _re.I)}
        | {(m.start(), ord("h")) for m in _re.finditer(rb"\x1fh[^\x1d\x1e\x1f]*?channel record", buf, _re.I)}
    )
    assert sorted(set(scan._record_subfields(buf, chunk=chunk))) == want


def _rec(*fields: Field, leader: str = "00000nam a2200000 i 4500") -> Record:
    r = Record()
    r.leader = Leader(leader)
    r.fields = list(fields)
    return r


def _df(tag: str, code: str, value: str) -> Field:
    return Field(tag=tag, indicators=[" ", " "], subfields=[Subfield(code, value)])


@pytest.mark.parametrize("case", ["swapped-directory", "lying-directory", "nbsp", "marc8-escape", "wrong-tag"])
def test_each_way_a_hit_is_decided(tmp_path, case):
    """Hits the bytes cannot decide go to the parser; the verdict is the parser's either way."""
    eplk = _df("042", "9", "EPLK")
    recs = [_rec(eplk, Field(tag="001", data="1"), _df("245", "h", "[channel record]"))]
    raw = iso2709.record_bytes(recs[0])
    if case == "swapped-directory":
        raw = _unusual_layout(raw)  # 001's entry first, 042's second; data unchanged
        want = scan.EPLIKT | scan.CHANNEL
    elif case == "lying-directory":
        raw = raw[:27] + b"9999" + raw[31:]
        want = scan.EPLIKT | scan.CHANNEL
    elif case == "nbsp":
        raw = iso2709.record_bytes(_rec(_df("042", "9", "EPLK\u00a0"), _df("599", "a", "  SUPPRESSRECORD\u00a0")))
        want = scan.EPLIKT | scan.SUPPRESSED  # str.strip() removes NBSP
    elif case == "marc8-escape":
        # in MARC-8, "EPLK" followed by an escape back to Basic Latin is just EPLK
        raw = iso2709.record_bytes(_rec(_df("042", "9", "EPLK"), leader="00000nam  2200000 i 4500"))
        raw = raw.replace(b"\x1f9EPLK", b"\x1f9EPLK\x1b(B")
        raw = b"%05d" % len(raw) + raw[5:]
        base = int(raw[12:17])
        raw = raw[:24] + b"042%04d00000" % (len(raw) - 1 - base) + raw[36:]
        want = scan.EPLIKT
    else:
        raw = iso2709.record_bytes(_rec(_df("040", "9", "EPLK"), _df("246", "h", "[channel record]")))
        want = 0
    p = tmp_path / "one.mrc"
    p.write_bytes(raw)
    assert scanned(scan.scan_file(p)) == full_parse_flags(p) == bytes([want])


@pytest.mark.parametrize("name", ["mixed.mrc", "mixed.xml"])
def test_mapped_files_scan_like_files_read_into_memory(samples, monkeypatch, name):
    """Files over IN_MEMORY_LIMIT are mmapped; the scan and the readers must work on both."""

    in_memory = scan.scan_file(samples / name)
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    src = open_source(samples / name)
    assert src.mapped
    mapped = scan.scan_source(src)
    assert bytes(mapped.flags) == bytes(in_memory.flags)
    assert [b.describe() for b in mapped.broken_records] == [b.describe() for b in in_memory.broken_records]
    assert scanned(mapped) == full_parse_flags(samples / name)
