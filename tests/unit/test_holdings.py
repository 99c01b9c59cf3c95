"""Holdings: linking MARC 21 holdings records by 004, and embedded $5 holdings both ways."""

from __future__ import annotations

import copy

import pytest

from tui.core.formats import iso2709, open_source
from tui.core.model import holdings
from tui.core.model.record import Field, Leader, LibrisRecord, Record, Subfield
from tui.core.rules import detect


def canon(rec: Record) -> tuple:
    ld = str(rec.leader)
    return (
        ld[5:12] + ld[17:],
        [
            (f.tag, f.data)
            if f.is_control_field()
            else (f.tag, tuple(f.indicators), tuple(tuple(s) for s in f.subfields))
            for f in rec.fields
        ],
    )


def by_cn(src) -> dict[str, LibrisRecord]:
    return {e.control_number: e for e in src if isinstance(e, LibrisRecord)}


@pytest.mark.parametrize("name", ["mixed.mrc", "mixed.xml", "mixed.txt"])
def test_holdings_records_are_linked_by_004(samples, name):
    recs = by_cn(open_source(samples / name))
    apis_only = recs["9912345"]
    assert [h.control_number for h in apis_only.holdings] == ["h9912345apis01"]
    assert detect.holding_sigels(apis_only) == ["APIS"] and detect.is_eplikt(apis_only)
    ordinary = recs["5551234"]
    assert [detect.holding_sigel(h) for h in ordinary.holdings] == ["Gbg"]
    assert detect.holding_sigels(ordinary) == ["Gbg", "S", "Li"] and not detect.is_eplikt(ordinary)
    assert recs["8765432"].holdings == [] and not detect.is_eplikt(recs["8765432"])  # APIS but DIGI
    assert recs["h9912345apis01"].kind == "holdings" and recs["h9912345apis01"].holdings == []


def test_indexed_source_links_without_parsing_every_record(samples, monkeypatch):
    src = open_source(samples / "mixed.mrc")
    src.build_index()
    assert list(src.holdings_slots) == [5, 8]
    calls = []
    real = src._parse
    monkeypatch.setattr(src, "_parse", lambda i: calls.append(i) or real(i))
    idx = src.link_holdings()
    assert idx == {"9912345": [5], "5551234": [8]}
    assert calls == []  # 004 read from the raw bytes


def test_raw_linked_bib_agrees_with_the_parse(samples):
    src = open_source(samples / "mixed.mrc")
    src.build_index()
    for i in range(len(src)):
        e = src.entry(i)
        want = e.linked_bib if isinstance(e, LibrisRecord) and e.kind == "holdings" else None
        assert iso2709.raw_linked_bib(src.raw(i)) == want


def test_non_ascii_004_is_left_to_the_parser():
    h = holdings.make_holding(_bib("Å-123"), "S")
    raw = iso2709.record_bytes(h)
    assert iso2709.raw_linked_bib(raw) is Ellipsis


def _bib(cn: str | None = "5551234", serial: bool = False) -> Record:
    r = Record()
    r.leader = Leader("00000cas a2200000 i 4500" if serial else "00000cam a2200000 i 4500")
    r.fields = ([Field(tag="001", data=cn)] if cn else []) + [
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Titel")]),
        Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "Anm.")]),
        Field(
            tag="852", indicators=[" ", " "], subfields=[Subfield("b", "S"), Subfield("h", "Hc"), Subfield("5", "S")]
        ),
        Field(tag="856", indicators=["4", "1"], subfields=[Subfield("u", "http://s.example/x"), Subfield("5", "S")]),
        Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "Li"), Subfield("5", "Li")]),
        Field(tag="856", indicators=["4", "0"], subfields=[Subfield("u", "http://everyone.example/")]),
    ]
    return r


def test_make_holding():
    h = holdings.make_holding(_bib(), " Li ")
    assert str(h.leader)[6] == "x" and str(h.leader)[9] == "a"
    assert h["004"].data == "5551234"
    assert [tuple(s) for s in h["852"].subfields] == [("b", "Li")]
    assert detect.holding_sigel(h) == "Li"
    assert LibrisRecord(marc=h).kind == "holdings" and LibrisRecord(marc=h).linked_bib == "5551234"
    assert str(holdings.make_holding(_bib(serial=True), "S").leader)[6] == "y"
    with pytest.raises(holdings.HoldingError, match="001"):
        holdings.make_holding(_bib(cn=None), "S")
    with pytest.raises(holdings.HoldingError, match="sigel"):
        holdings.make_holding(_bib(), "  ")
    # the written holdings record is a valid ISO 2709 holdings record
    back = iso2709.parse_record(iso2709.record_bytes(h))
    assert back.kind == "holdings" and not back.issues


def test_split_embedded():
    bib = _bib()
    before = canon(bib)
    rest, hs = holdings.split_embedded(bib)
    assert canon(bib) == before  # the input is not changed
    assert [f.tag for f in rest.fields] == ["001", "245", "500", "856"]
    assert detect.embedded_holding_sigels(rest) == []
    assert [detect.holding_sigel(h) for h in hs] == ["S", "Li"]
    s, li = hs
    assert [f.tag for f in s.fields] == ["004", "852", "856"] and s["004"].data == "5551234"
    assert [f.tag for f in li.fields] == ["004", "852"]
    assert all(str(h.leader)[6] == "x" for h in hs)


def test_split_adds_852_b_when_the_holding_has_none():
    bib = _bib()
    bib.fields = [f for f in bib.fields if not (f.tag == "852" and f["5"] == "S")]
    _, (s, _li) = holdings.split_embedded(bib)
    assert [f.tag for f in s.fields] == ["004", "852", "856"]
    assert [tuple(x) for x in s["852"].subfields] == [("b", "S")]


@pytest.mark.parametrize("drop_s852", [False, True])
def test_embed_of_split_gives_the_record_back(drop_s852):
    bib = _bib()
    if drop_s852:
        bib.fields = [f for f in bib.fields if not (f.tag == "852" and f["5"] == "S")]
    rest, hs = holdings.split_embedded(bib)
    assert canon(holdings.embed(rest, hs)) == canon(bib)


def test_embed_a_new_holding_and_replace_a_sigel():
    bib = _bib()
    new = holdings.make_holding(bib, "Gbg")
    out = holdings.embed(bib, [new])
    assert detect.embedded_holding_sigels(out) == ["S", "Li", "Gbg"]
    gbg = [f for f in out.fields if holdings.embedded_sigel(f) == "Gbg"]
    assert [tuple(s) for s in gbg[0].subfields] == [("b", "Gbg"), ("5", "Gbg")]
    # a holding for a sigel already embedded replaces that sigel's fields (one per sigel and title)
    li = holdings.make_holding(bib, "Li")
    li["852"].subfields.append(Subfield("h", "Hcf"))
    out = holdings.embed(bib, [li])
    li_fields = [f for f in out.fields if holdings.embedded_sigel(f) == "Li"]
    assert [tuple(s) for s in li_fields[0].subfields] == [("b", "Li"), ("h", "Hcf"), ("5", "Li")]
    assert len(li_fields) == 1


def test_embed_refuses_a_holding_of_another_record():
    other = holdings.make_holding(_bib("999"), "S")
    with pytest.raises(holdings.HoldingError, match="999"):
        holdings.embed(_bib(), [other])
    nosigel = copy.deepcopy(other)
    nosigel.fields = [f for f in nosigel.fields if f.tag != "852"]
    with pytest.raises(holdings.HoldingError, match="sigel"):
        holdings.embed(_bib("999"), [nosigel])


def test_split_and_embed_keep_raw_bytes_of_untouched_fields(samples):
    src = open_source(samples / "mixed.mrc")
    ordinary = next(e for e in src if isinstance(e, LibrisRecord) and e.control_number == "5551234")
    rest, hs = holdings.split_embedded(ordinary)
    again = holdings.embed(rest, hs)
    assert iso2709.record_bytes(again) == src.raw(ordinary.number - 1)
