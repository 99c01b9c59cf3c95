"""Save keeps what the user did not touch: order, holdings records and their 001s, embedded
holdings, unedited records byte for byte; linked holdings attached by identity (n copies of a bib
never give n x n holdings); unreadable records kept or dropped as chosen."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymarc import Field, Leader, Record, Subfield

from tui.core.editing import commands as C
from tui.core.files.broken import BrokenPolicy
from tui.core.files.export import ExportRefused, export, output_records
from tui.core.files.save import find_broken, save_source
from tui.core.formats import iso2709, open_source
from tui.core.model.record import LibrisRecord
from tui.core.rules.profile import Profile
from tui.ui.session import Session

SAMPLES = Path(__file__).parents[2] / "sample_records"


def bib(cn: str, title: str, embedded: str | None = None) -> bytes:
    r = Record(leader=Leader("00000nam a2200000 i 4500"))
    r.add_field(Field(tag="001", data=cn))
    r.add_field(Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"))
    r.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    if embedded:
        r.add_field(
            Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", embedded), Subfield("5", embedded)])
        )
    return iso2709.record_bytes(r)


def holding(cn: str, of: str, sigel: str = "Li") -> bytes:
    r = Record(leader=Leader("00000nx  a2200000un 4500"))
    r.add_field(Field(tag="001", data=cn))
    r.add_field(Field(tag="004", data=of))
    r.add_field(Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", sigel)]))
    return iso2709.record_bytes(r)


def kinds(path) -> list[str]:
    return [e.kind if isinstance(e, LibrisRecord) else "broken" for e in open_source(path)]


def raws(path) -> list[bytes]:
    src = open_source(path)
    src.build_index()
    return [src.raw(i) for i in range(len(src))]


def session(path, sigel="Li") -> Session:
    return Session(open_source(path), profile=Profile.from_name("full"), sigel=sigel)


# -- the property: edit one field, save, everything else byte for byte ----------------------------

titles = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_categories=("Cs",)), min_size=1, max_size=20
)


@st.composite
def files(draw):
    """A file of bibs (some embedding a holding), holdings records after or far from their bib."""
    n = draw(st.integers(1, 5))
    recs: list[bytes] = []
    late: list[bytes] = []
    for i in range(n):
        cn = f"b{draw(st.integers(0, 3)) if draw(st.booleans()) else i + 10}"  # duplicate 001s too
        title = draw(titles).strip() or "x"
        recs.append(bib(cn, title, "S" if draw(st.booleans()) else None))
        for k in range(draw(st.integers(0, 2))):
            (late if draw(st.booleans()) else recs).append(holding(f"{cn}-h{i}{k}", cn))
    recs += late
    edit_at = draw(st.integers(0, len(recs) - 1))
    note = draw(titles).strip() or "note"
    return recs, edit_at, note


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files())
def test_save_after_one_edit_keeps_every_other_record_byte_for_byte(tmp_path_factory, case):
    recs, edit_at, note = case
    path = tmp_path_factory.mktemp("save") / "f.mrc"
    path.write_bytes(b"".join(recs))
    before_kinds = kinds(path)
    s = session(path)
    s.do(edit_at, C.AddField("500", [" ", " "], [("a", note)]))
    s.save()
    after = raws(path)
    assert kinds(path) == before_kinds  # record count per kind (holdings records stay records)
    assert len(after) == len(recs)
    for i, (old, new) in enumerate(zip(recs, after)):
        if i == edit_at:
            assert old != new and note.encode() in new
        else:
            assert new == old, f"record {i + 1} changed"
    # the holdings records keep their 001s
    back = [e for e in open_source(path) if isinstance(e, LibrisRecord) and e.kind == "holdings"]
    assert all(h.control_number for h in back)


def test_save_of_a_file_with_holdings_records_keeps_them(tmp_path):
    path = tmp_path / "f.mrc"
    path.write_bytes(bib("b1", "Ett") + holding("h1", "b1") + bib("b2", "Två") + holding("h2", "b2", "S"))
    s = session(path)
    s.do(2, C.SetSubfield("245", 1, 0, "Två, rättad"))
    s.save()
    back = list(open_source(path))
    assert [(e.kind, e.control_number) for e in back] == [
        ("bib", "b1"),
        ("holdings", "h1"),
        ("bib", "b2"),
        ("holdings", "h2"),
    ]
    assert back[2].marc["245"]["a"] == "Två, rättad"


def test_a_new_holding_goes_where_the_file_keeps_holdings(tmp_path):
    path = tmp_path / "f.mrc"
    path.write_bytes(bib("b1", "Ett") + holding("h1", "b1", "S") + bib("b2", "Två", embedded="S"))
    s = session(path)
    s.do(0, C.AddHolding("Li"))
    s.do(2, C.AddHolding("Li"))
    s.save()
    back = list(open_source(path))
    # b1: a holdings record, after the holdings record that follows it; b2 embeds, so embedded
    assert [(e.kind, e.linked_bib) for e in back] == [
        ("bib", None),
        ("holdings", "b1"),
        ("holdings", "b1"),
        ("bib", None),
    ]
    assert back[2].marc["852"]["b"] == "Li"
    assert sorted(f["5"] for f in back[3].marc.get_fields("852")) == ["Li", "S"]


# -- identity, not a 001 look-up ---------------------------------------------------------------------


def test_copies_of_a_bib_keep_one_holding_each(tmp_path):
    n = 50
    path = tmp_path / "copies.mrc"
    path.write_bytes((bib("b1", "Samma") + holding("h1", "b1")) * n)
    out = tmp_path / "o.mrc"
    res = export(open_source(path), out, "iso2709", holdings="records")
    assert kinds(out) == ["bib", "holdings"] * n and res.records == n and res.holdings == n
    rules = {f.rule for f in res.findings}
    assert "STRUCT-DUPLICATE-001" in rules and "DUP-REPORT" in rules  # a finding, no other effect
    res = export(open_source(path), tmp_path / "e.mrc", "iso2709", holdings="embedded")
    back = list(open_source(tmp_path / "e.mrc"))
    assert len(back) == n and all(len(e.marc.get_fields("852")) == 1 for e in back) and res.holdings == n
    # the records in memory too
    marcs, n_other, n_hold = output_records(list(open_source(path)), "embedded")
    assert len(marcs) == n and n_hold == n


def test_a_holding_before_its_bib_and_one_without_a_bib(tmp_path):
    path = tmp_path / "f.mrc"
    path.write_bytes(holding("h0", "b1") + bib("b1", "Ett") + holding("hx", "nobody"))
    res = export(open_source(path), tmp_path / "e.mrc", "iso2709", holdings="embedded")
    assert kinds(tmp_path / "e.mrc") == ["bib", "holdings"] and res.holdings == 2


# -- unreadable records ------------------------------------------------------------------------------


def test_save_with_a_broken_record_keeps_or_drops_it_as_chosen(tmp_path, samples):
    src = open_source(samples / "mixed.mrc")
    src.build_index()
    path = tmp_path / "m.mrc"
    path.write_bytes((samples / "mixed.mrc").read_bytes())
    (broken,) = find_broken(open_source(path))
    assert broken.number == 10 and broken.offset is not None and broken.reason
    s = session(path)
    s.do(6, C.AddField("500", [" ", " "], [("a", "Anmärkning")]))
    with pytest.raises(ExportRefused) as exc:
        s.save()  # refuse is the default: the user decides
    assert [f.rule for f in exc.value.errors] == ["STRUCT-UNREADABLE"]
    assert path.read_bytes() == (samples / "mixed.mrc").read_bytes()
    res = s.save(broken=BrokenPolicy("refuse", {10: "keep"}))  # one by one, as the app asks
    assert [(b.number, b.choice) for b in res.broken] == [(10, "keep")]
    kept = open_source(path)
    kept.build_index()
    assert kept.raw(9) == src.raw(9) and len(kept) == len(src)
    s.do(6, C.AddField("500", [" ", " "], [("a", "Till")]))
    res = s.save(broken="drop")
    assert [(b.number, b.choice) for b in res.broken] == [(10, "drop")]
    assert len(open_source(path)) == len(src) - 1


def test_save_source_is_an_export_over_the_same_file_with_a_backup(tmp_path):
    path = tmp_path / "f.mrc"
    data = bib("b1", "Ett") + holding("h1", "b1")
    path.write_bytes(data)
    src = open_source(path)
    res = save_source(src)
    assert path.read_bytes() == data and res.copied == 2 and res.report_path is None
    assert res.backup_path == tmp_path / "f.mrc.bak" and res.backup_path.read_bytes() == data
