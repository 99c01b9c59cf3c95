"""The engine interface: the same results, in order, on every engine (this process, local forked
processes, a dask LocalCluster); shards of a file (record-offset ranges) read as the index reads
it; and a scan of a file split into shards (at any record boundary, read a window at a time) is
the scan of the whole."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.batch import engine, scan, shards
from tui.core.formats import iso2709, open_source
from tui.core.model.record import Field, Leader, Record, Subfield
from tui.core.sources.indexed import IndexedSource


def _square(common, x: int) -> int:
    return x * x + (common or 0)


def _pid(_common, _: int) -> int:
    return os.getpid()


def _fails(_common, k: int) -> int:
    if k == 2:
        raise ValueError("everywhere")
    return k


def test_inline_engine_in_order_with_common():
    done = []
    assert engine.InlineEngine().run(_square, [(k,) for k in range(5)], 1, done=done.append) == [1, 2, 5, 10, 17]
    assert done == [0, 1, 2, 3, 4]


def test_local_engine_forks_and_keeps_the_order():
    if not engine.can_fork():
        pytest.skip("cannot fork here")
    done = []
    with engine.LocalEngine(2) as eng:
        assert eng.run(_square, [(k,) for k in range(20)], 3, done=done.append) == [k * k + 3 for k in range(20)]
        pids = eng.run(_pid, [(k,) for k in range(8)])
    assert sorted(done) == list(range(20))
    assert os.getpid() not in pids


@pytest.mark.parametrize("kind", ["inline", "local"])
def test_an_exception_in_a_shard_reaches_the_caller(kind):
    eng = engine.InlineEngine() if kind == "inline" else engine.LocalEngine(2)
    with pytest.raises(ValueError, match="everywhere"):
        eng.run(_fails, [(k,) for k in range(6)])


def test_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv(engine.WORKERS_ENV, "1")
    assert engine.workers() == 1
    monkeypatch.setattr(engine, "can_fork", lambda: True)
    monkeypatch.setenv(engine.WORKERS_ENV, "3")
    assert engine.workers() == 3
    assert engine.LocalEngine().workers == 3
    monkeypatch.setattr(engine, "can_fork", lambda: False)
    assert engine.workers() == 1


def test_make_engine_names():
    assert isinstance(engine.make_engine(None), engine.LocalEngine)
    assert isinstance(engine.make_engine("local"), engine.LocalEngine)
    with pytest.raises(engine.EngineError, match="unknown engine"):
        engine.make_engine("spark")
    with pytest.raises(engine.EngineError, match="--scheduler is for the dask engine"):
        engine.make_engine("local", scheduler="tcp://127.0.0.1:1")


@settings(deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 8), st.integers(1, 10**7), st.one_of(st.none(), st.integers(10**6, 10**8)))
def test_guided_cuts(total, processes, smallest, largest):
    cuts = engine.guided_cuts(total, processes, smallest=smallest, largest=largest)
    assert cuts[0] == 0 and cuts[-1] == total
    sizes = [b - a for a, b in zip(cuts, cuts[1:])]
    assert all(s > 0 for s in sizes)
    assert all(s >= smallest for s in sizes[:-1])
    if largest:
        assert all(s <= max(smallest, largest) + smallest for s in sizes)
    if total >= 2 * processes * smallest and not largest:
        assert sizes[0] >= total // (2 * processes)  # large first
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # smaller and smaller


def test_a_worker_refuses_a_file_that_changed(tmp_path):
    p = tmp_path / "f.mrc"
    p.write_bytes(b"x" * 100)
    key = engine.FileKey.of(str(p))
    p.write_bytes(b"y" * 101)
    with pytest.raises(engine.LibrisError, match="changed while it was being worked on"):
        engine.shard_source(key)


# -- scans split into ranges -----------------------------------------------------------------------

PIECES = [
    [("042", "9", "EPLK")],
    [("042", "9", "DIGI"), ("852", "5", "APIS")],
    [("245", "h", "[channel record]")],
    [("599", "a", "SUPPRESSRECORD")],
    [("856", "5", "APIS")],
    [("500", "a", "record")],
    [("245", "a", "x")],
]


@st.composite
def files(draw):
    out = []
    for i in range(draw(st.integers(1, 30))):
        r = Record()
        kind = draw(st.sampled_from("aaaax"))
        r.leader = Leader(f"00000n{kind}m a2200000 i 4500")
        r.fields = [Field(tag="001", data=str(i % 5))]
        if kind == "x":
            r.fields.append(Field(tag="004", data=str(draw(st.integers(0, 4)))))
            r.fields.append(
                Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", draw(st.sampled_from(["APIS", "S"])))])
            )
        for tag, code, value in draw(st.sampled_from(PIECES)):
            r.fields.append(Field(tag=tag, indicators=[" ", " "], subfields=[Subfield(code, value)]))
        raw = iso2709.record_bytes(r)
        how = draw(st.sampled_from(["plain"] * 8 + ["broken", "between", "lying"]))
        if how == "broken":
            raw = raw[:30] + b"x" + raw[31:]
        elif how == "between":
            raw += b"\r\n"
        elif how == "lying":
            raw = b"%05d" % (len(raw) + 2) + raw[5:]
        out.append(raw)
    return b"".join(out)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(files(), st.integers(1, 5), st.integers(40, 3000), st.integers(1, 2000))
def test_a_scan_in_ranges_is_the_scan_of_the_file(tmp_path, monkeypatch, data, parts, window, smallest):
    p = tmp_path / "f.mrc"
    p.write_bytes(data)
    whole = scan.scan_file(p)
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(iso2709, "WINDOW", window)
    monkeypatch.setattr(scan, "SHARD_MIN_BYTES", smallest)
    split = scan.scan_file(p, engine=_Split(parts))
    assert bytes(split.flags) == bytes(whole.flags)
    assert [b.describe() for b in split.broken_records] == [b.describe() for b in whole.broken_records]
    # and the index of the source, read a window at a time, has the same slots
    src = open_source(p)
    src.build_index()
    assert len(src) == len(whole.flags)


def test_a_forked_scan_is_the_scan_of_the_file(tmp_path, monkeypatch):
    if not engine.can_fork():
        pytest.skip("cannot fork here")
    r = Record()
    r.leader = Leader("00000nam a2200000 i 4500")
    r.fields = [
        Field(tag="001", data="1"),
        Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]),
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("h", "[channel record]")]),
    ]
    raw = iso2709.record_bytes(r)
    p = tmp_path / "f.mrc"
    p.write_bytes(raw * 500 + b"00020broken\x1d" + raw * 500)
    whole = scan.scan_file(p)
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(scan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(scan, "SHARD_MIN_BYTES", 4096)
    monkeypatch.setattr(engine, "workers", lambda limit=8: 2)
    split = scan.scan_file(p)
    assert bytes(split.flags) == bytes(whole.flags)
    assert [b.number for b in split.broken_records] == [b.number for b in whole.broken_records] == [501]


@pytest.mark.parametrize("how", ["split-eplk", "split-channel", "nbsp-channel", "bracket-space-channel"])
def test_markers_the_bytes_hide_are_decided_by_the_parser(tmp_path, how):
    """MARC-8 escapes vanish when a value is read, Unicode white space is stripped: the scan
    agrees with the parser (detect.py) on such values too."""
    r = Record()
    marc8 = how.startswith("split")
    r.leader = Leader("00000nam  2200000 i 4500" if marc8 else "00000nam a2200000 i 4500")
    value = {
        "split-eplk": ("042", "9", "EP@LK"),
        "split-channel": ("245", "h", "[chan@nel record]"),
        "nbsp-channel": ("245", "h", "\u00a0[channel record]"),
        "bracket-space-channel": ("245", "h", " [ Channel Record ]"),
    }[how]
    r.fields = [
        Field(tag="001", data="1"),
        Field(tag=value[0], indicators=[" ", " "], subfields=[Subfield(value[1], value[2])]),
    ]
    raw = iso2709.record_bytes(r).replace(b"@", b"\x1b(B")
    if marc8:  # fix the lengths after the escape went in
        base = int(raw[12:17])
        raw = raw[:24] + raw[24:27] + b"%04d" % (len(raw) - 1 - base - 13) + raw[31:]
        d = raw[24 : base - 1]
        raw = (
            raw[:24]
            + d[:12]
            + d[12:15]
            + b"%04d%05d" % (len(raw) - 1 - base - int(d[19:24]) - 0, int(d[19:24]))
            + raw[base - 1 :]
        )
        raw = b"%05d" % len(raw) + raw[5:]
    p = tmp_path / "f.mrc"
    p.write_bytes(raw)
    full = bytes(scan.flags_of(e) for e in open_source(p))
    got = bytes(f & ~scan.PARSED & 0xFF for f in scan.scan_file(p).flags)
    assert got == full
    assert full[0] & (scan.EPLIKT | scan.CHANNEL), full


class _Split(engine.InlineEngine):
    """This process, but planned for ``n`` workers (so the file is cut in shards)."""

    def __init__(self, n: int):
        self.workers = n


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(files(), st.integers(1, 4), st.integers(40, 3000), st.integers(1, 2000), st.booleans())
def test_the_entries_of_the_shards_are_the_entries_of_the_file(
    tmp_path, monkeypatch, data, parts, window, smallest, mapped
):
    """Record numbers, offsets, broken slots and linked holdings: what iter_entries gives."""
    p = tmp_path / "f.mrc"
    p.write_bytes(data)
    if mapped:
        monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(iso2709, "WINDOW", window)
    src = open_source(p)
    src.build_index()
    want = [(type(e).__name__, e.number, e.offset, getattr(e, "reason", None), _held(e)) for e in src.iter_entries()]
    links = shards.holdings_links(src)
    with engine.shared_source(src) as key:
        cut = engine.slot_shards(src, key, parts, smallest=smallest)
        got = [
            (type(e).__name__, e.number, e.offset, getattr(e, "reason", None), _held(e))
            for shard in cut
            for e in shards.iter_shard(shard, links)
        ]
    assert got == want
    assert sum(s.count for s in cut) == len(src)


def _held(e):
    return [(h.number, h.offset) for h in getattr(e, "holdings", ())]
