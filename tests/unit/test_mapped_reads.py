"""A mapped record file's records are read with ``read_span`` (``pread``), not by slicing the
mapping (the pages would stay in this process), also while a worker thread indexes."""

from __future__ import annotations

import threading

import pytest
from pymarc import Field, Leader, Record, Subfield

from tui.core.formats import iso2709, open_source
from tui.core.model.record import BrokenRecord, LibrisRecord
from tui.core.sources import indexed
from tui.core.sources.indexed import IndexedSource


def title(t: str, cn: str) -> Record:
    r = Record(leader=Leader("00000nam a2200000 i 4500"))
    r.fields = [Field(tag="001", data=cn), Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", t)])]
    return r


@pytest.fixture
def mapped(monkeypatch):
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)


@pytest.fixture
def preads(monkeypatch):
    """Counts the ``pread`` calls of both readers."""
    calls = []
    real = indexed._PREAD

    def counting(fd, n, off):
        calls.append((n, off))
        return real(fd, n, off)

    monkeypatch.setattr(indexed, "_PREAD", counting)  # both readers read through the base
    return calls


class _NoSlicing:
    """Stands in for the mapping: slicing it fails the test."""

    def __init__(self, mm):
        self.mm = mm

    def __len__(self):
        return len(self.mm)

    def __getitem__(self, k):
        raise AssertionError(f"the mapping was sliced: {k!r}")


def mrc(tmp_path, n=300, broken_at=None):
    recs = [iso2709.record_bytes(title(f"T{i}", str(i))) for i in range(n)]
    if broken_at is not None:
        r = recs[broken_at]  # a field terminator gone: one field fewer than directory entries
        k = r.index(b"\x1e", int(r[12:17]))
        recs[broken_at] = r[:k] + b"|" + r[k + 1 :]
    data = b"".join(recs)
    p = tmp_path / "many.mrc"
    p.write_bytes(data)
    return p


def test_iso2709_raw_and_parse_do_not_slice_the_mapping(tmp_path, mapped, preads):
    p = mrc(tmp_path, broken_at=7)
    expect = iso2709.read_bytes(p.read_bytes())  # in memory
    src = open_source(p)
    assert src.mapped
    src.build_index()
    assert isinstance(src.entry(7), BrokenRecord)
    src.forget_parsed()
    src.buf = _NoSlicing(src.buf)
    preads.clear()
    for i in (0, 7, 150, 299):
        assert src.raw(i) == expect.raw(i)
        e, want = src.entry(i), expect.entry(i)
        assert type(e) is type(want)
        if isinstance(e, LibrisRecord):
            assert e.marc.as_marc() == want.marc.as_marc()
        else:
            assert isinstance(e, BrokenRecord) and e.raw == want.raw
    assert preads


def test_marcxml_raw_and_parse_read_with_pread(tmp_path, mapped, preads):
    body = "".join(
        f'<record><leader>00000nam a2200000 i 4500</leader><controlfield tag="001">{i}</controlfield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">T{i}</subfield></datafield></record>'
        for i in range(50)
    )
    p = tmp_path / "many.xml"
    p.write_text(f'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim">{body}</collection>')
    src = open_source(p)
    assert src.mapped
    src.build_index()
    preads.clear()
    raw = src.raw(20)
    assert raw.startswith(b"<record>") and b"T20" in raw
    assert len(preads) == 1
    assert src.entry(31).marc["245"]["a"] == "T31"
    assert len(preads) >= 2


def test_files_in_memory_are_still_sliced(tmp_path, preads):
    p = mrc(tmp_path, n=5)
    src = open_source(p)
    assert not src.mapped
    assert src.entry(3).marc["001"].data == "3"
    assert src.raw(0) == p.read_bytes()[: src.ends[0]]
    assert not preads


def test_parsing_while_a_worker_indexes_a_mapped_file(tmp_path, mapped):
    """The UI thread parses (pread) while the indexing worker reads its windows (pread)."""
    src = iso2709.Iso2709Source(str(mrc(tmp_path, n=20000)))
    assert src.mapped
    src.STEP = 500
    worker = threading.Thread(target=src.build_index)
    worker.start()
    checked = 0
    while worker.is_alive() or checked < 200:
        n = len(src)
        for i in {0, n // 3, n // 2, n - 1} if n else ():
            src.forget_parsed()  # parsed again: through pread, while the worker indexes
            assert src.entry(i).marc["245"]["a"] == f"T{i}"
            checked += 1
    worker.join()
    assert len(src) == 20000 and src.complete and not src.bad
