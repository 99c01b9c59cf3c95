"""Work split between processes gives the results of one process, in order; and a scan of a file
split into ranges (at any record boundary, read a window at a time) is the scan of the whole."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.batch import parallel, scan
from tui.core.formats import iso2709, open_source
from tui.core.model.record import Field, Leader, Record, Subfield
from tui.core.sources.indexed import IndexedSource


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
@given(files(), st.integers(1, 5), st.integers(40, 3000))
def test_a_scan_in_ranges_is_the_scan_of_the_file(tmp_path, monkeypatch, data, parts, window):
    p = tmp_path / "f.mrc"
    p.write_bytes(data)
    whole = scan.scan_file(p)
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
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


# -- a queue of jobs shared by forked processes -------------------------------------------------------


def _job(k: int, parent: int):
    if os.getpid() == parent:
        time.sleep(0.02)  # leave the children some of the jobs
    return (k, os.getpid() != parent)


def _forking(monkeypatch, fork: bool) -> None:
    if fork and not parallel.can_fork():
        pytest.skip("cannot fork here")
    if not fork:
        monkeypatch.setattr(parallel, "can_fork", lambda: False)


def _job_fails_in_child(k: int, parent: int):
    if os.getpid() != parent and k % 3 == 1:
        raise ValueError("only in a child")
    return k * 10


def _job_fails(k: int):
    if k == 2:
        raise ValueError("everywhere")
    return k


@pytest.mark.parametrize("fork", [False, True])
def test_job_queue_gives_results_in_order_and_tells_each_once(monkeypatch, fork):
    _forking(monkeypatch, fork)
    me = os.getpid()
    ready, finished = [], []
    q = parallel.JobQueue(
        _job, [(k, me) for k in range(40)], 3, on_ready=lambda k, r: ready.append((k, r)), on_finished=finished.append
    )
    results = q.run()
    assert [r[0] for r in results] == list(range(40))
    assert [k for k, _ in ready] == list(range(40)) and [r for _, r in ready] == results
    assert sorted(finished) == list(range(40))
    assert q.used == (3 if fork else 1)
    assert any(in_child for _, in_child in results) == fork


def test_job_queue_encodes_in_the_child_and_decodes_here():
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    me = os.getpid()
    results = parallel.run_queue(
        _job, [(k, me) for k in range(20)], 2, encode=lambda r: ("encoded", r), decode=lambda e: e[1] + ("decoded",)
    )
    assert [r[0] for r in results] == list(range(20))
    for _k, in_child, *rest in results:
        assert rest == (["decoded"] if in_child else [])


def test_a_job_a_child_fails_is_done_again_here():
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    me = os.getpid()
    assert parallel.run_queue(_job_fails_in_child, [(k, me) for k in range(12)], 2) == [k * 10 for k in range(12)]


@pytest.mark.parametrize("fork", [False, True])
def test_a_job_that_fails_everywhere_raises_here(monkeypatch, fork):
    _forking(monkeypatch, fork)
    with pytest.raises(ValueError, match="everywhere"):
        parallel.run_queue(_job_fails, [(k,) for k in range(6)], 2)


@given(st.integers(0, 10**9), st.integers(1, 8), st.integers(1, 10**7))
def test_guided_cuts(total, processes, smallest):
    cuts = parallel.guided_cuts(total, processes, smallest=smallest)
    assert cuts[0] == 0 and cuts[-1] == total
    sizes = [b - a for a, b in zip(cuts, cuts[1:])]
    assert all(s > 0 for s in sizes)
    assert all(s >= smallest for s in sizes[:-1])
    if total >= 2 * processes * smallest:
        assert sizes[0] >= total // (2 * processes)  # large first


_kept: dict[int, int] = {}


def _job_keeps(k: int, parent: int):
    if os.getpid() == parent:
        time.sleep(0.02)
    _kept[k] = os.getpid()  # in the memory of the process that did the job
    return k


def _serve(k: int, request):
    return (_kept[k], request * 2, os.getpid())


def _serve_only_here(k: int, request):
    if os.getpid() != _parent[0]:
        raise ValueError("not in a child")
    return (_kept[k], request, os.getpid())


_parent = [0]


@pytest.mark.parametrize("fork", [False, True])
def test_questions_are_answered_where_the_job_was_done(monkeypatch, fork):
    _forking(monkeypatch, fork)
    _kept.clear()
    me = os.getpid()
    answers = {}
    q = parallel.JobQueue(_job_keeps, [(k, me) for k in range(30)], 2, serve=_serve)
    assert q.run(after=lambda q: answers.update(q.ask({k: k for k in range(30)}))) == list(range(30))
    assert sorted(answers) == list(range(30))
    for k, (did, doubled, answered) in answers.items():
        assert did == answered and doubled == 2 * k
    assert any(did != me for did, _, _ in answers.values()) == fork


def test_a_question_a_child_cannot_answer_is_answered_here():
    if not parallel.can_fork():
        pytest.skip("cannot fork here")
    _kept.clear()
    me = _parent[0] = os.getpid()
    answers = {}
    q = parallel.JobQueue(_job_keeps, [(k, me) for k in range(30)], 3, serve=_serve_only_here)
    q.run(after=lambda q: answers.update(q.ask({k: "x" for k in range(30)})))
    assert sorted(answers) == list(range(30))
    assert all(did == answered == me and r == "x" for did, r, answered in answers.values())
