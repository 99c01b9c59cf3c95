"""``libris-tui validate`` says the same, byte for byte and with the same exit status, on one core
and on two (LIBRIS_TUI_WORKERS=1 / 2): findings within a shard and across shards (duplicates, 001
seen twice), broken records, holdings, in text and JSON. And the file shared out in shards checked
here one after the other gives what ``validate`` gives on the whole list."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli import main
from tui.core.batch import engine
from tui.core.formats import iso2709, open_source
from tui.core.model.record import Field, Leader, Record, Subfield
from tui.core.sources.indexed import IndexedSource
from tui.core.validation import validate as V

ISBNS = ["9789127166578", "91-7119-000-0", "9789100000000"]


def _record(i: int) -> Record:
    """Record ``i`` of a generated file: most are clean apart from URI-MOVE advice; some share an
    ISBN, a 024, a title and year or a 001 with a record far away (in another job), some with the
    record before (the same job); every 97th is a holdings record of the bib before it."""
    r = Record()
    if i % 97 == 96:
        r.leader = Leader("00000nx  a2200000 i 4500")
        r.fields = [
            Field(tag="001", data=f"h{i}"),
            Field(tag="004", data=f"b{i - 1}"),
            Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "S" if i % 2 else "APIS")]),
        ]
        return r
    r.leader = Leader("00000nam a2200000 i 4500" if i % 211 else "00000dam a2200000 i 4500")
    cn = f"b{i}" if i % 401 else f"b{i - 1500}"  # 001 seen before, far away
    fields = [Field(tag="001", data=cn), Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c")]
    if i % 53 == 0:
        fields.append(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", ISBNS[i % 3])]))
    if i % 250 == 7:
        fields.append(
            Field(tag="024", indicators=["7", " "], subfields=[Subfield("a", f"urn:x:{i % 500}"), Subfield("2", "urn")])
        )
    fields.append(Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]))
    title = f"Titel {i}" if i % 300 else "Samma titel"
    if i % 10 == 1:
        title = f"Titel {i - 1}"  # a duplicate of the record before
    fields.append(
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title), Subfield("h", "[Elektronisk resurs]")])
    )
    fields.append(Field(tag="506", indicators=[" ", " "], subfields=[Subfield("a", "restricted")]))
    if i % 17 == 0:
        fields.append(Field(tag="599", indicators=[" ", " "], subfields=[Subfield("a", "SUPPRESSRECORD")]))
    fields.append(Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "APIS")]))
    fields.append(
        Field(
            tag="856",
            indicators=["4", "0" if i % 3 else "2"],
            subfields=[Subfield("u", f"http://example.org/{i}")] if i % 89 else [Subfield("a", "x")],
        )
    )
    r.fields = fields
    return r


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    p = tmp_path_factory.mktemp("workers") / "gen.mrc"
    with open(p, "wb") as fh:
        iso2709.write([_record(i) for i in range(3000)], fh)
    data = bytearray(p.read_bytes())
    src = open_source(p)
    src.build_index()
    a = src.starts[1234]
    data[a : a + 5] = b"0001x"  # one broken record in the middle
    p.write_bytes(bytes(data) + b"00020xxxxx\x1d")  # and one at the end
    return p


def _validate(monkeypatch, capsys, workers: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv(engine.WORKERS_ENV, workers)
    code = main(["validate", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("mapped", [False, True])
def test_one_and_two_workers_say_the_same(generated, monkeypatch, capsys, fmt, mapped):
    if not engine.can_fork():
        pytest.skip("cannot fork here (threads running, or not Linux)")
    monkeypatch.setattr(V, "PARALLEL_MIN_BYTES", 0)  # the file is small: share it out all the same
    monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 20_000)  # and in many jobs
    if mapped:
        monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    used = []
    shared = V._validate_shared

    def spy(src, eng, *args):
        used.append((eng.name, eng.workers))
        return shared(src, eng, *args)

    monkeypatch.setattr(V, "_validate_shared", spy)
    pids = []
    run = engine.LocalEngine.map

    def map_spy(self, fn, items, common=None, **kw):
        for r in run(self, _with_pid, [(fn, *item) for item in items], common, **kw):
            pids.append(r[0])
            yield r[1]

    monkeypatch.setattr(engine.LocalEngine, "map", map_spy)
    one = _validate(monkeypatch, capsys, "1", "--format", fmt, str(generated))
    assert used == []  # one process: no shards at all
    two = _validate(monkeypatch, capsys, "2", "--format", fmt, str(generated))
    assert used == [("local", 2)]
    assert len(set(pids)) == 2 and len(pids) > 5, pids  # two worker processes took part, in many shards
    assert two == one
    code, out, _ = one
    assert code == 1  # the broken records are errors
    text = out if fmt == "text" else json.dumps(json.loads(out))
    for rule in ("DUP-REPORT", "STRUCT-DUPLICATE-001", "STRUCT-UNREADABLE", "URI-MOVE", "SUP-CLEAR"):
        assert rule in text


def test_a_file_with_no_error_exits_0_on_two_workers_too(tmp_path, monkeypatch, capsys):
    if not engine.can_fork():
        pytest.skip("cannot fork here (threads running, or not Linux)")
    p = tmp_path / "clean.mrc"
    with open(p, "wb") as fh:
        iso2709.write([_record(i) for i in range(2, 600) if i % 97 != 96 and i % 211 and i % 401 and i % 89], fh)
    monkeypatch.setattr(V, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 10_000)
    one = _validate(monkeypatch, capsys, "1", str(p))
    two = _validate(monkeypatch, capsys, "2", str(p))
    assert one == two and one[0] == 0


def _with_pid(common, fn, *item):
    import os

    return os.getpid(), fn(common, *item)


# -- shards checked one after the other (no fork): the merge on its own ------------------------------


@st.composite
def small_files(draw):
    recs = []
    for _i in range(draw(st.integers(1, 40))):
        r = Record()
        r.leader = Leader(f"00000{draw(st.sampled_from('nnnd'))}{draw(st.sampled_from('aaax'))}m a2200000 i 4500")
        fields = []
        if draw(st.integers(0, 4)):
            fields.append(Field(tag="001", data=draw(st.sampled_from(["1", "2", "3", " 3", "4"]))))
        if draw(st.booleans()):
            fields.append(Field(tag="004", data=draw(st.sampled_from(["1", "2"]))))
        fields.append(Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"))
        for _ in range(draw(st.integers(0, 3))):
            tag, code, value = draw(
                st.sampled_from(
                    [
                        ("020", "a", "9789127166578"),
                        ("020", "a", "9127166578"),
                        ("022", "a", "0317-8471"),
                        ("024", "a", "abc"),
                        ("245", "a", "Titel"),
                        ("245", "a", "Annan"),
                        ("245", "h", "[channel record]"),
                        ("852", "b", "S"),
                        ("852", "b", "S"),
                    ]
                )
            )
            fields.append(
                Field(
                    tag=tag,
                    indicators=["7" if tag == "024" else "1", "0"],
                    subfields=[Subfield(code, value)] + ([Subfield("2", "x")] if tag == "024" else []),
                )
            )
        fields.sort(key=lambda f: f.tag)
        r.fields = fields
        recs.append(r)
    return recs


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(small_files(), st.integers(2, 4), st.integers(1, 3000))
def test_shards_merged_in_order_are_one_pass(tmp_path, monkeypatch, recs, processes, smallest):
    p = tmp_path / "f.mrc"
    with open(p, "wb") as fh:
        iso2709.write(recs, fh)
    want = V.validate(open_source(p))
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", smallest)
    src = open_source(p)
    src.build_index()
    inline = engine.InlineEngine()
    inline.workers = processes  # planned for several workers, done here one shard after the other
    got, n = V._validate_shared(src, inline, True, None)
    assert got == want
    assert n == V.validate_source(open_source(p))[1]


def test_progress_moves_with_every_process(generated, monkeypatch):
    """The progress line counts what every worker has done, and ends at the whole file."""
    if not engine.can_fork():
        pytest.skip("cannot fork here (threads running, or not Linux)")
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(iso2709, "WINDOW", 4096)  # many progress calls
    monkeypatch.setattr(V, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 20_000)
    monkeypatch.setattr(engine, "workers", lambda limit=8: 2)
    calls = []
    src = open_source(generated)
    got, _ = V.validate_source(src, progress=lambda done, total: calls.append((done, total)))
    assert got == V.validate(open_source(generated))
    size = src.size
    assert calls[-1] == (size, size)
    assert all(0 <= d <= t == size for d, t in calls)
    assert len({d for d, _ in calls}) > 10


@pytest.mark.parametrize(
    "cn, key, extra",
    [
        ("b1", ("isbn", "1"), ""),
        ("b\x1f1", ("isbn", "1"), ""),
        ("b1", ("024", "7", "a\x1eb"), "a\x1eb"),
        (None, ("024", "7", "a"), ""),
        (" ", ("024", None, "a"), "a"),
        ("b1 ", ("title", "t", "2019", ""), "T"),
    ],
)
def test_two_shards_merge_into_what_one_pass_says(cn, key, extra):
    one = V._Run(None)
    runs = [V._Tracked(), V._Tracked()]
    for number, run in ((1, runs[0]), (2, runs[1]), (3, runs[1])):
        for r in (one, run):
            r.findings.append(V.Finding("info", "X", number, cn, None, None, "before"))
            if cn and cn.strip():
                r.check_001(cn.strip(), number, cn)
            r.findings.append(V.Finding("info", "Y", number, cn, None, None, "between"))
            r.check_duplicates(number, cn, [(key, extra), (("isbn", "1"), "")])
    m = V._Merger()
    m.add(0, runs[0].result(1))
    m.add(1, runs[1].result(2))
    assert 1 in m.again
    m.look_again()
    assert m.finish() == (one.findings, 3)
    assert [f.rule for f in one.findings if f.rule == "DUP-REPORT"] == ["DUP-REPORT"] * 2
