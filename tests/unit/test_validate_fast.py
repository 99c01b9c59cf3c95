"""``validate_source`` (streamed, split between processes) gives what ``validate`` gives on the
whole list of records; the validator's shortcuts agree with the rules they stand for."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.batch import engine
from tui.core.formats import iso2709, marcxml, open_source
from tui.core.model.record import Field, Leader, LibrisRecord, Record, Subfield
from tui.core.rules import eplikt as rules
from tui.core.sources.indexed import IndexedSource
from tui.core.validation import validate as V

VALUES = {
    "042": ("9", ["EPLK", " DIGI ", "EPLK\u00a0", "x"]),
    "245": ("h", ["[channel record]", " [Channel Record]. ", "x"]),
    "599": ("a", ["SUPPRESSRECORD", " suppressrecord", "\u017fuppressrecord"]),
    "506": ("a", ["restricted", "Restricted.", "gratis"]),
    "852": ("5", ["APIS", " APIS ", "S"]),
    "856": ("5", ["APIS", "Li"]),
    "020": ("a", ["9789127166578", "91-7119-000-0", "x"]),
    "024": ("a", ["abc", "ABC "]),
    "655": ("2", ["marcgt", ""]),
}


@st.composite
def records(draw, n001=True):
    kind = draw(st.sampled_from("aaaaxz"))
    fields = []
    if n001 and draw(st.integers(0, 5)):
        fields.append(Field(tag="001", data=draw(st.sampled_from(["1", "2", "3", " 4"]))))
    if kind == "x" and draw(st.booleans()):
        fields.append(Field(tag="004", data="1"))
    fields.append(Field(tag="008", data=draw(st.sampled_from(["190320s2019    sw |||||o|||||||||||swe|c", "short"]))))
    for _ in range(draw(st.integers(0, 6))):
        tag = draw(st.sampled_from(sorted(VALUES)))
        code, values = VALUES[tag]
        subs = [Subfield(code, draw(st.sampled_from(values)))]
        if draw(st.booleans()):
            subs.append(Subfield(draw(st.sampled_from("au")), draw(st.sampled_from(["Titel", "http://x.se/", " "]))))
        fields.append(
            Field(tag=tag, indicators=[draw(st.sampled_from(" 07|")), draw(st.sampled_from(" 027"))], subfields=subs)
        )
    fields.sort(key=lambda f: f.tag)
    r = Record()
    r.leader = Leader(f"00000n{kind}m a2200000 i 4500")
    r.fields = fields
    return r


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_state_of_is_record_state(rec):
    lr = LibrisRecord(marc=rec)
    watched = V._watch(rec)
    assert V._state_of(watched, []) == rules.record_state(lr)


def _write(tmp_path, recs, name="f.mrc"):
    p = tmp_path / name
    with open(p, "wb") as fh:
        iso2709.write(recs, fh)
    return p


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(records(), min_size=1, max_size=12))
def test_validate_source_is_validate(tmp_path, recs):
    p = _write(tmp_path, recs)
    want = V.validate(open_source(p))
    got, n = V.validate_source(open_source(p))
    assert got == want
    assert n == sum(1 for e in open_source(p) if isinstance(e, LibrisRecord))


def _many(n: int) -> list[Record]:
    out = []
    for i in range(n):
        r = Record()
        r.leader = Leader("00000nam a2200000 i 4500" if i % 7 else "00000nxm a2200000 i 4500")
        r.fields = [
            Field(tag="001", data=str(i % 50)),
            Field(tag="004", data=str(i % 13)),
            Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"),
            Field(tag="024", indicators=["7", " "], subfields=[Subfield("a", f"id{i % 30}"), Subfield("2", "x")]),
            Field(
                tag="245",
                indicators=["1", "0"],
                subfields=[Subfield("a", f"Titel {i % 40}"), Subfield("h", "[Elektronisk resurs]")],
            ),
            Field(tag="506", indicators=[" ", " "], subfields=[Subfield("a", "restricted")]),
            Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "APIS" if i % 3 else "S")]),
            Field(tag="856", indicators=["4", "0"], subfields=[Subfield("u", "http://x.se/")]),
        ]
        out.append(r)
    return out


@pytest.mark.parametrize("fork", [False, True])
def test_validate_split_into_parts_is_validate(tmp_path, monkeypatch, fork):
    """Parts (in this process, or forked where allowed) and their cross-record checks replayed
    in file order give the findings of one pass: duplicates across parts, 001 seen twice."""
    if fork and not engine.can_fork():
        pytest.skip("cannot fork here (threads running, or not Linux)")
    p = _write(tmp_path, _many(400))
    p.write_bytes(p.read_bytes() + b"00020xxxxx\x1d")  # and a broken slot at the end
    want = V.validate(open_source(p))
    monkeypatch.setattr(IndexedSource, "IN_MEMORY_LIMIT", 0)  # mapped: read_span, windows
    monkeypatch.setattr(iso2709, "WINDOW", 1000)
    monkeypatch.setattr(V, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(V, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr(engine, "workers", lambda limit=8: 3)
    if not fork:
        monkeypatch.setattr(engine, "can_fork", lambda: False)
    src = open_source(p)
    assert src.mapped
    got, n = V.validate_source(src)
    assert got == want
    assert any(f.rule == "DUP-REPORT" for f in got) and any(f.rule == "STRUCT-DUPLICATE-001" for f in got)


def test_marcxml_source_is_streamed_too(tmp_path):
    recs = _many(30)
    buf = io.BytesIO()
    marcxml.write(recs, buf)
    p = tmp_path / "f.xml"
    p.write_bytes(buf.getvalue())
    got, n = V.validate_source(open_source(p))
    assert got == V.validate(open_source(p)) and n == 30


def test_edited_records_are_checked_as_they_are_now(tmp_path):
    p = _write(tmp_path, _many(5))
    src = open_source(p)
    e = src.entry(1)
    e.marc.fields[4].subfields[0] = Subfield("a", "")  # an empty title: an error now
    src.replace(1, e)
    got, _ = V.validate_source(src)
    assert got == V.validate(src)
    assert any(f.rule == "STRUCT-EMPTY-SUBFIELD" and f.record_number == 2 for f in got)
