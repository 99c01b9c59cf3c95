"""The MARC view and the links between the two views."""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Leader, Record, Subfield

from tui.core.formats import open_source
from tui.core.model.record import LibrisRecord, NotationField
from tui.core.views.labels import SourceRef, label_view
from tui.core.views.marcview import (
    MarcLine,
    ViewLinks,
    label_lines_for_ref,
    marc_lines_for_ref,
    marc_view,
    render_marc_view,
)

ROOT = Path(__file__).resolve().parents[2]

#: The seed's MARC21 lines (004_d557c466300c6ceb.txt), as printed (bullets removed).
SEED_CATALOGUE_MARC = """\
024 7/- #a 1bafa057193a3d64c83391139f78e0b3 #2 kbse-mimer
024 8/_ #a 5.51c1ce3b160211ab52f3207a
040 -/- #a MimerProd
041 0/- #a swe #a und
042 -/- #9 EPLK
245 1/0 #a Könsnormer i bildspråket - Fördjupning #h [Elektronisk resurs]
264 -/1 #c 2019
264 -/1 #c 2019-03-20T09:29:50+01:00
506 -/- #a gratis
520 -/- #a Den här fördjupningstexten kan både lärare och elever läsa och samtala kring. Texten beskriver mer ingående hur det är att leva i en visuell bildkultur. Här diskuteras teman som hur vi tolkar vår tillvaro genom seendet och hur en blick aldrig är neutral.
655 -/7 #a government publication #2 marcgt
772 1/0 #a channel record #w p71d9v910183nz2
856 4/0 #u https://statensmedierad.se/5.51c1ce3b160211ab52f3207a.html""".splitlines()

SEED_CHANNEL_MARC = """\
024 7/- #a http://statensmedierad.se/eplikt-rss/week #2 kbse-mimer
040 -/- #a S
041 0/- #a swe
042 -/- #9 EPLK
245 1/0 #a Statens medieråd, löpande #h [channel record]
264 -/1 #c 2016-
599 -/- #a SUPPRESSRECORD
655 -/7 #a government publication #2 marcgt
856 4/2 http://id.kb.se/organisations/SE2021006396 #z publisher
856 4/0 #u #u http://id.kb.se/organisations/SE2021006396 #z supplier
856 4/2 #a http://www.kb.se/namespace/digark/submissionagreement/feeds/rss/ #z SUBMISSIONAGREEMENT
856 4/2 #u https://statensmedierad.se/ #z web site""".splitlines()


def seed(i: int) -> LibrisRecord:
    return open_source(ROOT / "sample_records" / "seed-records.txt").entry(i)


def test_marc_view_of_the_seed_records_is_the_seed():
    assert render_marc_view(marc_view(seed(0))) == SEED_CATALOGUE_MARC
    assert render_marc_view(marc_view(seed(1))) == SEED_CHANNEL_MARC


def test_refs_of_marc_lines():
    lines = marc_view(seed(0))
    assert all(isinstance(ln, MarcLine) for ln in lines)
    assert [ln.ref for ln in lines[:3]] == [SourceRef("024", 1), SourceRef("024", 2), SourceRef("040", 1)]
    assert lines[7].ref == SourceRef("264", 2)


def _rec(fields, leader="01234cam a2200289 a 4500") -> LibrisRecord:
    r = Record(force_utf8=True)
    r.leader = Leader(leader)
    for f in fields:
        r.add_field(f)
    return LibrisRecord(marc=r, path="x", number=1)


def test_leader_and_control_fields_first():
    rec = _rec(
        [
            Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "T")]),
            Field(tag="001", data="99"),
            Field(tag="008", data="900101s1977    sw "),
        ]
    )
    assert render_marc_view(marc_view(rec)) == [
        "000 01234cam a2200289 a 4500",
        "001 99",
        "008 900101s1977    sw ",
        "245 1/0 #a T",
    ]
    assert marc_view(rec)[0].ref == SourceRef("000", 1)
    # a made-up leader (the notation has none) is not shown unless asked for
    assert not render_marc_view(marc_view(seed(0)))[0].startswith("000 ")
    assert render_marc_view(marc_view(seed(0), leader=True))[0].startswith("000 ")


def test_blank_indicators_as_read_and_orphan_text():
    f = NotationField(
        tag="856",
        indicators=[" ", " "],
        blank_glyphs=("_", "#"),
        subfields=[Subfield("", "http://x"), Subfield("u", "")],
    )
    assert render_marc_view(marc_view(_rec([f]))) == ["000 01234cam a2200289 a 4500", "856 _/# http://x #u"]


def test_holdings_records_can_be_appended():
    bib = _rec([Field(tag="001", data="42")])
    hold = _rec(
        [Field(tag="004", data="42"), Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "S")])],
        leader="00000nx  a2200000un 4500",
    )
    bib.holdings = [hold]
    lines = marc_view(bib, holdings=True)
    assert [ln.text for ln in lines][-3:] == ["000 00000nx  a2200000un 4500", "004 42", "852 -/- #b S"]
    assert lines[-1].ref == SourceRef("852", 1, holding=0)
    assert len(marc_view(bib)) == 2


def test_links_between_the_views_both_ways():
    rec = seed(0)
    labels, marc = label_view(rec), marc_view(rec)
    links = ViewLinks(labels, marc)
    text = [ln.text for ln in labels]
    mtext = [ln.text for ln in marc]
    # label -> MARC
    i = text.index("Utgivning / Utgivning / Datum: 2019-03-20T09:29:50+01:00")
    assert [mtext[j] for j in links.marc_for_label(i)] == ["264 -/1 #c 2019-03-20T09:29:50+01:00"]
    i = text.index("Typanmärkning: kbse-mimer")
    assert [mtext[j] for j in links.marc_for_label(i)] == [SEED_CATALOGUE_MARC[0]]
    assert links.subfields_for_label(i) == [SourceRef("024", 1, 1, "2")]
    # MARC -> labels: the 041 gives the language line and the note (in two places of the view)
    j = mtext.index("041 0/- #a swe #a und")
    assert [text[i] for i in links.labels_for_marc(j)] == [
        "Språk: Svenska, Odefinierat språk",
        "Anmärkning: Språk: Objektet är/innehåller ej översättning",
    ]
    j = mtext.index("245 1/0 #a Könsnormer i bildspråket - Fördjupning #h [Elektronisk resurs]")
    assert [text[i] for i in links.labels_for_marc(j)] == [
        "Instanstyp: Elektronisk",
        "Har titel / Titel / Huvudtitel: Könsnormer i bildspråket - Fördjupning",
        "Medieterm: Elektronisk resurs",
    ]
    # every MARC line of the seed has at least one label line, and every label line a MARC line
    assert all(links.labels_for_marc(j) for j in range(len(marc)))
    # (the work type comes from the leader the notation reader made up, which the view leaves out)
    assert [labels[i].text for i in range(len(labels)) if not links.marc_for_label(i)] == ["Verkstyp: Text"]
    shown = ViewLinks(labels, marc_view(rec, leader=True))
    assert shown.marc_for_label(text.index("Verkstyp: Text")) == [0]


def test_lookup_by_ref():
    rec = seed(0)
    labels, marc = label_view(rec), marc_view(rec)
    assert [marc[j].text for j in marc_lines_for_ref(marc, SourceRef("772", 1, 1, "w"))] == [SEED_CATALOGUE_MARC[11]]
    hits = label_lines_for_ref(labels, SourceRef("772", 1, 1, "w"))
    assert [labels[i].text for i in hits] == [
        "Supplement till / Verk / Har instans / Beskriven av / Post / Kontrollnummer: p71d9v910183nz2"
    ]
    assert len(label_lines_for_ref(labels, SourceRef("772", 1))) == 2
