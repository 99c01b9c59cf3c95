"""The dask engine on a real ``dask.distributed.LocalCluster`` (two single-threaded worker
processes on the loopback interface, started by the test): results in item order, ``common``
broadcast, exceptions reaching the caller, and stats and validate of a file saying exactly what
the local engine says (the workers open the file by its path)."""

from __future__ import annotations

import os

import pytest

from tui.core.batch import engine, scan
from tui.core.formats import iso2709, open_source
from tui.core.validation import validate as V

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (the 'dask' extra)")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


@pytest.fixture
def dask_engine(cluster):
    with distributed.Client(cluster) as client:
        yield engine.DaskEngine(client=client)


def _square(common, x: int) -> int:
    return x * x + common


def _pid(_common, _k: int) -> int:
    return os.getpid()


def _fails(_common, k: int) -> int:
    if k == 3:
        raise ValueError("in a dask worker")
    return k


def test_results_come_back_in_order(dask_engine):
    done = []
    assert dask_engine.workers == 2
    assert dask_engine.run(_square, [(k,) for k in range(30)], 5, done=done.append) == [k * k + 5 for k in range(30)]
    assert sorted(done) == list(range(30))
    pids = set(dask_engine.run(_pid, [(k,) for k in range(10)]))
    assert os.getpid() not in pids  # the work was done in the worker processes


def test_an_exception_reaches_the_caller(dask_engine):
    with pytest.raises(ValueError, match="in a dask worker"):
        dask_engine.run(_fails, [(k,) for k in range(6)])


def _file(tmp_path):
    from tests.unit.test_validate_workers import _record

    p = tmp_path / "gen.mrc"
    with open(p, "wb") as fh:
        iso2709.write([_record(i) for i in range(3000)], fh)
    return p


def test_stats_and_validate_say_what_the_local_engine_says(tmp_path, monkeypatch, dask_engine):
    p = _file(tmp_path)
    monkeypatch.setattr(scan, "SHARD_MIN_BYTES", 20_000)
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 20_000)
    local = scan.scan_file(str(p), engine=engine.InlineEngine())
    remote = scan.scan_file(str(p), engine=dask_engine)
    assert bytes(remote.flags) == bytes(local.flags) and remote.counts() == local.counts()
    want = V.validate(open_source(p))
    got, n = V.validate_source(open_source(p), engine=dask_engine)
    assert got == want
    assert {"DUP-REPORT", "STRUCT-DUPLICATE-001"} <= {f.rule for f in got}
