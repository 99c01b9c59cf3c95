"""Work split between processes gives the results of one process, in order; and a scan of a file
split into ranges (at any record boundary, read a window at a time) is the scan of the whole."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core import parallel, scan
from tui.core.formats import iso2709, open_source
from tui.core.model import Field, Leader, Record, Subfield


def _square(x: int) -> int:
    return x * x


def _pid(_: int) -> int:
    return os.getpid()


def _fails_in_child(parent: int) -> int:
    if os.getpid() != parent:
        raise ValueError("only here")
    return 7


def test_run_parts_in_order_without_fork():
    assert parallel.run_parts(_square, [(k,) for k in range(5)], fork=False) == [0, 1, 4, 9, 16]


def test_run_parts_with_fork():
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    assert parallel.run_parts(_square, [(k,) for k in range(4)], fork=True) == [0, 1, 4, 9]
    pids = parallel.run_parts(_pid, [(0,), (1,)], fork=True)
    assert pids[0] == os.getpid() and pids[1] != os.getpid()


def test_a_failed_child_part_is_done_again_here():
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    me = os.getpid()
    assert parallel.run_parts(_fails_in_child, [(me,), (me,)], fork=True) == [7, 7]


def test_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.workers() == 1
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.workers() == 3
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert parallel.workers() == 1


def test_split_points():
    cuts = parallel.split_points(100, 3, lambda off: off + 5)
    assert cuts[0] == 0 and cuts[-1] == 100 and cuts == sorted(cuts)
    assert parallel.split_points(10, 4, lambda off: 10) == [0, 10]


# -- scans split into ranges -----------------------------------------------------------------------

PIECES = [
    [("042", "9", "EPLK")], [("042", "9", "DIGI"), ("852", "5", "APIS")], [("245", "h", "[channel record]")],
    [("599", "a", "SUPPRESSRECORD")], [("856", "5", "APIS")], [("500", "a", "record")], [("245", "a", "x")],
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
            r.fields.append(Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", draw(st.sampled_from(["APIS", "S"])))]))
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(files(), st.integers(1, 5), st.integers(40, 3000))
def test_a_scan_in_ranges_is_the_scan_of_the_file(tmp_path, monkeypatch, data, parts, window):
    p = tmp_path / "f.mrc"
    p.write_bytes(data)
    whole = scan.scan_file(p)
    monkeypatch.setattr(iso2709, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(iso2709, "WINDOW", window)
    monkeypatch.setattr(scan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "workers", lambda limit=8: parts)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    split = scan.scan_file(p)
    assert bytes(split.flags) == bytes(whole.flags)
    assert [b.describe() for b in split.broken_records] == [b.describe() for b in whole.broken_records]
    # and the index of the source, read a window at a time, has the same slots
    src = open_source(p)
    src.build_index()
    assert len(src) == len(whole.flags)


def test_a_forked_scan_is_the_scan_of_the_file(tmp_path, monkeypatch):
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    r = Record()
    r.leader = Leader("00000nam a2200000 i 4500")
    r.fields = [Field(tag="001", data="1"), Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]),
                Field(tag="245", indicators=["1", "0"], subfields=[Subfield("h", "[channel record]")])]
    raw = iso2709.record_bytes(r)
    p = tmp_path / "f.mrc"
    p.write_bytes(raw * 500 + b"00020broken\x1d" + raw * 500)
    whole = scan.scan_file(p)
    monkeypatch.setattr(iso2709, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(scan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "workers", lambda limit=8: 2)
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
    value = {"split-eplk": ("042", "9", "EP@LK"), "split-channel": ("245", "h", "[chan@nel record]"),
             "nbsp-channel": ("245", "h", "\u00a0[channel record]"),
             "bracket-space-channel": ("245", "h", " [ Channel Record ]")}[how]
    r.fields = [Field(tag="001", data="1"), Field(tag=value[0], indicators=[" ", " "],
                                                  subfields=[Subfield(value[1], value[2])])]
    raw = iso2709.record_bytes(r).replace(b"@", b"\x1b(B")
    if marc8:  # fix the lengths after the escape went in
        base = int(raw[12:17])
        raw = raw[:24] + raw[24:27] + b"%04d" % (len(raw) - 1 - base - 13) + raw[31:]
        d = raw[24:base - 1]
        raw = raw[:24] + d[:12] + d[12:15] + b"%04d%05d" % (len(raw) - 1 - base - int(d[19:24]) - 0, int(d[19:24])) \
            + raw[base - 1:]
        raw = b"%05d" % len(raw) + raw[5:]
    p = tmp_path / "f.mrc"
    p.write_bytes(raw)
    full = bytes(scan.flags_of(e) for e in open_source(p))
    got = bytes(f & ~scan.PARSED & 0xFF for f in scan.scan_file(p).flags)
    assert got == full
    assert full[0] & (scan.EPLIKT | scan.CHANNEL), full
