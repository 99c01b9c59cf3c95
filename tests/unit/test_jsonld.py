"""Libris XL JSON-LD: reading every shape Libris serves, both views, export both ways."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pymarc import Field, Leader, Record, Subfield
from rdflib import Dataset, Graph, Literal, URIRef, plugin
from rdflib.parser import Parser, create_input_source

from tui.core.formats import jsonld, open_source, sniff, write_records
from tui.core.model.record import LibrisRecord, UnreadableFile
from tui.core.rules import detect
from tui.core.views import graph_labels
from tui.core.views.labels import label_view, render_label_view

DATA = Path(__file__).resolve().parent.parent / "data" / "jsonld"
BIB = DATA / "bib-8369159-m4xtxx0z02xdx6w.jsonld"
FRAMED = DATA / "lxlviewer-framed-record-7654300.json"
ELECTRONIC = DATA / "librisxl-integtest-bibelectronic.jsonld"
HOLD0 = DATA / "librisxl-integtest-hold0.jsonld"
HOLD_TEMPLATE = DATA / "librisxl-hold-template-lxl-2508.jsonld"
EPLIKT = DATA / "eplikt-seed-2026.jsonld"
KBV = "https://id.kb.se/vocab/"


def marc_lines(rec: LibrisRecord) -> list[str]:
    from tui.core.views.marcview import marc_view, render_marc_view

    return render_marc_view(marc_view(rec))


def labels(rec: LibrisRecord) -> list[str]:
    return render_label_view(graph_labels.label_view(rec))


def subfields(rec: Record, tag: str, code: str) -> list[str]:
    return [sf.value for f in rec.get_fields(tag) for sf in f.subfields if sf.code == code]


# -- offline -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing here may fetch anything: the context is shipped as data."""
    import socket
    import urllib.request

    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_context_references_are_mapped_to_the_shipped_context():
    for ref in ("/context.jsonld", "https://id.kb.se/context.jsonld"):
        g = jsonld.parse_graph(
            {
                "@context": ref,
                "@id": "https://libris.kb.se/x",
                "@type": "Record",
                "recordStatus": "marc:New",
                "created": "2020-01-01T00:00:00+01:00",
            }
        )
        s = URIRef("https://libris.kb.se/x")
        assert (s, URIRef(KBV + "recordStatus"), URIRef("https://id.kb.se/marc/New")) in g
        created = g.value(s, URIRef(KBV + "created"))
        assert created.datatype == URIRef("http://www.w3.org/2001/XMLSchema#dateTime")


def test_term_component_lists_are_rdf_lists():
    g = jsonld.parse_graph(json.loads(BIB.read_text(encoding="utf-8")))
    lists = list(g.objects(None, URIRef(KBV + "termComponentList")))
    assert lists, "the complex subject's components"
    from rdflib.collection import Collection

    items = list(Collection(g, lists[0]))
    assert len(items) == 4  # Historiker, Sverige, 1800-talet, 1900-talet, in order
    assert str(items[0]) == "https://id.kb.se/term/sao/Historiker"


# -- reading every shape -------------------------------------------------------------------------


def test_sniffed_as_jsonld():
    for p in (BIB, FRAMED, HOLD0, EPLIKT):
        assert sniff(p.read_bytes()[:65536], str(p)) == "jsonld"


def test_flat_graph_bib_record():
    src = open_source(BIB)
    assert len(src) == 1
    rec = src.entry(0)
    assert isinstance(rec, LibrisRecord) and rec.kind == "bib"
    assert rec.control_number == "8369159"
    assert isinstance(rec.origin, jsonld.LinkedOrigin)
    assert rec.origin.graph.value(
        URIRef("https://libris.kb.se/m4xtxx0z02xdx6w"), URIRef(KBV + "controlNumber")
    ) == Literal("8369159")
    m = rec.marc
    assert subfields(m, "245", "a") == ["Curt Weibull :"]
    assert subfields(m, "245", "b") == ["en bibliografi 19 augusti 1976 /"]
    assert subfields(m, "020", "a") == ["917000059X"]
    assert subfields(m, "041", "a") == ["swe"]
    assert str(m.leader)[6:8] == "am"  # Work typed Monograph + category rda/Text (2026 model)


def test_work_as_its_own_node_and_older_type_model():
    rec = open_source(ELECTRONIC).entry(0)
    m = rec.marc
    assert str(m.leader)[6:8] == "am"
    assert m.get("007").data.startswith("c")  # Instance @type Electronic
    assert subfields(m, "240", "a") == ["Alices adventures in Wonderland"]  # the Work's own title
    assert subfields(m, "041", "a") == ["eng"]


def test_framed_record_with_holdings_under_reverse_item_of():
    src = open_source(FRAMED)
    bib = src.entry(0)
    assert bib.kind == "bib" and bib.control_number == "7654300"
    holdings = [e for e in src if isinstance(e, LibrisRecord) and e.kind == "holdings"]
    assert len(holdings) == 10
    sigels = {detect.holding_sigel(h) for h in holdings}
    assert {"S", "H", "U", "NB"} <= sigels
    assert all(h.linked_bib == "7654300" for h in holdings)  # 004 = the bib's 001
    assert {detect.holding_sigel(h) for h in bib.holdings} == sigels
    # embellishments of linked entities are not data of this record
    assert "meta" not in json.dumps(bib.origin.data)


def test_holding_records_alone():
    h = open_source(HOLD0).entry(0)
    assert h.kind == "holdings"
    assert subfields(h.marc, "852", "b") == ["TEMPSIGEL"]
    t = open_source(HOLD_TEMPLATE).entry(0)
    assert t.kind == "holdings"
    assert detect.holding_sigel(t) == "S"
    assert t.linked_bib == "0jbnrcsb04grvf4"  # the XL id of the bib it is an item of


def test_2026_model_eplikt_records_and_holdings():
    src = open_source(EPLIKT)
    bib, hold, channel = src.entry(0), src.entry(1), src.entry(2)
    assert bib.kind == "bib" and hold.kind == "holdings" and channel.kind == "bib"
    assert str(bib.marc.leader)[6:8] == "am"
    assert bib.marc.get("007").data.startswith("c")  # DigitalResource
    assert detect.is_eplikt(bib) and detect.has_eplk(bib) and detect.has_apis(bib)
    assert [h.control_number for h in bib.holdings] == ["k4q2x7v8m1n3p5r"]
    assert hold.linked_bib == "s93ns5h436dxqsh"
    assert subfields(bib.marc, "506", "a") == ["gratis"]
    assert subfields(bib.marc, "856", "u") == ["https://statensmedierad.se/5.51c1ce3b160211ab52f3207a.html"]
    assert ("Könsroller" in subfields(bib.marc, "650", "a")) and ("Bildanalys" in subfields(bib.marc, "650", "a"))


def test_channel_record_from_jsonld_is_a_channel_record():
    """CHN-DETECT whatever the input format: marc:mediaTerm "channel record" -> 245 $h."""
    channel = open_source(EPLIKT).entry(2)
    assert subfields(channel.marc, "245", "h") == ["[channel record]"]
    assert detect.is_channel(channel)
    assert detect.is_suppressed(channel)
    from tui.core.rules.eplikt import record_state

    assert record_state(channel).channel


def test_links_without_data_are_reported():
    rec = open_source(BIB).entry(0)
    msgs = [i.message for i in rec.issues if i.code == "JSONLD-NOT-IN-MARC"]
    assert any("pm135z271l26txm" in m for m in msgs)  # the subject described in an authority record
    assert any("hftw0kb13x86bx4" in m for m in msgs)  # the author


def test_not_json_is_unreadable(tmp_path):
    p = tmp_path / "bad.jsonld"
    p.write_text('{"@graph": [', encoding="utf-8")
    with pytest.raises(UnreadableFile, match="not valid JSON"):
        open_source(p)


def _nested(levels: int, opener: str = '{"hasNote": ', closer: str = "}") -> str:
    """A record whose note nests so that the whole document is ``levels`` deep."""
    inner = "1"
    for _ in range(levels - 3):  # the document, its @graph list and the record are 3 levels
        inner = opener + inner + closer
    return (
        '{"@graph": [{"@id": "https://libris.kb.se/x", "@type": "Record", "controlNumber": "x",\n'
        ' "hasNote": ' + inner + "}]}"
    )


@pytest.mark.parametrize("opener,closer", [('{"hasNote": ', "}"), ("[", "]"), ('{"x": ', "}")])
def test_nesting_deeper_than_the_limit_is_refused_with_its_position(tmp_path, opener, closer):
    """Deeper than jsonld.MAX_DEPTH (256) is one clear line naming where, never a RecursionError;
    json's own limit (about 1,000) is reported the same way."""
    assert jsonld.MAX_DEPTH == 256
    for levels in (257, 900, 5000):
        p = tmp_path / f"deep{levels}.jsonld"
        p.write_text(_nested(levels, opener, closer), encoding="utf-8")
        with pytest.raises(UnreadableFile) as err:
            open_source(p)
        msg = str(err.value)
        assert "\n" not in msg and str(p) in msg
        col = len(' "hasNote": ') + (256 - 3) * len(opener) + 1
        assert f"nested more than 256 levels deep at line 2 column {col}" in msg, msg


def test_nesting_up_to_the_limit_reads_and_shows(tmp_path):
    p = tmp_path / "deep256.jsonld"
    p.write_text(_nested(256), encoding="utf-8")
    rec = open_source(p).entry(0)
    assert isinstance(rec, LibrisRecord)
    assert render_label_view(label_view(rec))


def test_json_lines_nested_too_deep_name_the_line(tmp_path):
    p = tmp_path / "deep.jsonl"
    ok = HOLD0.read_text(encoding="utf-8").replace("\n", " ")
    p.write_text(ok + "\n" + _nested(300).replace("\n", " ") + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="nested more than 256 levels deep at line 2 column"):
        open_source(p)


def test_json_without_records_is_unreadable(tmp_path):
    p = tmp_path / "none.jsonld"
    p.write_text('{"@context": "/context.jsonld", "@graph": [{"@id": "x", "@type": "Person"}]}', encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no Libris record"):
        open_source(p)


def test_a_record_that_is_not_rdf_is_a_broken_slot_and_the_rest_reads(tmp_path):
    doc = json.loads(BIB.read_text(encoding="utf-8"))
    bad = json.loads(HOLD0.read_text(encoding="utf-8"))["@graph"]
    bad[1]["inventoryLevel"] = {"@value": "1", "@type": 5}  # a datatype that is no IRI: not RDF
    doc["@graph"] += bad
    p = tmp_path / "two.jsonld"
    p.write_text(json.dumps(doc), encoding="utf-8")
    src = open_source(p)
    kinds = [type(e).__name__ for e in src]
    assert kinds == ["LibrisRecord", "BrokenRecord"]
    assert "JSON-LD" in src.entry(1).reason


def test_json_lines(tmp_path):
    lines = [
        json.dumps(json.loads(BIB.read_text(encoding="utf-8"))),
        json.dumps(json.loads(HOLD0.read_text(encoding="utf-8"))),
    ]
    p = tmp_path / "lines.jsonld"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    src = open_source(p)
    assert [e.kind for e in src] == ["bib", "holdings"]


# -- the two views (Done when) -------------------------------------------------------------------


def test_label_view_from_the_graph():
    rec = open_source(BIB).entry(0)
    lines = labels(rec)
    assert "Har titel / Titel / Huvudtitel: Curt Weibull" in lines
    assert "Språk: Svenska" in lines
    assert "Bibliografi / Bibliotek / Sigel: SHB" in lines
    assert "Skapad av: NB" in lines
    assert "Ämne: Historiker--Sverige--1800-talet--1900-talet" in lines
    assert lines.index("ADMINMETADATA") < lines.index("INSTANS AV VERK") < lines.index("INSTANS")


def test_label_lines_refer_to_the_marc_they_became():
    rec = open_source(BIB).entry(0)
    title = next(ln for ln in graph_labels.label_view(rec) if ln.text == "Har titel / Titel / Huvudtitel: Curt Weibull")
    assert [(r.tag, r.occurrence, r.code) for r in title.refs] == [("245", 1, "a")]
    sf = rec.marc.get_fields("245")[0].subfields[title.refs[0].subfield_index]
    assert sf.value.startswith("Curt Weibull")


def test_label_view_of_holdings_and_english():
    src = open_source(EPLIKT)
    bib = src.entry(0)
    lines = labels(bib)
    assert "BESTÅND" in lines and "Innehas av / Bibliotek / Sigel: APIS" in lines
    assert "Språk: Svenska, Odefinierat språk" in lines
    en = render_label_view(graph_labels.label_view(bib, "en"), "en")
    assert any(
        ln.startswith("Title resource / Title entity / Main title: Könsnormer")
        or "Könsnormer i bildspråket - Fördjupning" in ln
        and "Main title" in ln
        for ln in en
    )


def test_framed_record_label_view_shows_linked_entities_as_chips():
    lines = labels(open_source(FRAMED).entry(0))
    assert "Språk: Svenska" in lines
    assert "Genre/form: Skönlitteratur" in lines
    assert not any("Equivalent property" in ln for ln in lines)  # embellishment is not shown in full


def test_dump_cli_both_views(capsys):
    from tui.cli import main

    assert main(["dump", str(BIB), "--view", "labels"]) == 0
    out = capsys.readouterr().out
    assert "Har titel / Titel / Huvudtitel: Curt Weibull" in out
    assert main(["dump", str(BIB), "--view", "marc"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("245 1/0 #a Curt Weibull") for ln in out)
    assert any(ln.startswith("020 ") and "#a 917000059X" in ln for ln in out)


@pytest.mark.parametrize("path", [BIB, FRAMED, ELECTRONIC, HOLD0, HOLD_TEMPLATE, EPLIKT])
def test_every_example_shows_in_both_views(path):
    for e in open_source(path):
        assert isinstance(e, LibrisRecord)
        assert labels(e), "label view"
        assert marc_lines(e), "MARC view"


def test_shared_examples_show_in_both_views(reference):
    for p in sorted((reference / "examples").glob("*.json*")):
        if p.name == "marcframe-spec-cases.json":
            continue
        for e in open_source(p):
            assert isinstance(e, LibrisRecord), e
            assert labels(e) and marc_lines(e)


# -- export both ways ----------------------------------------------------------------------------


def _roundtrip(path: Path, tmp_path: Path, via: str = "iso2709"):
    src = open_source(path)
    mid = tmp_path / f"out.{via}"
    with open(mid, "wb") as fh:
        write_records(list(src), fh, via)
    back = tmp_path / "back.jsonld"
    with open(back, "wb") as fh:
        write_records(list(open_source(mid)), fh, "jsonld")
    return src, back


def _facts(src) -> dict:
    bib = src.entry(0)
    m = bib.marc
    return {
        "title": subfields(m, "245", "a"),
        "isbn": subfields(m, "020", "a"),
        "024": subfields(m, "024", "a"),
        "languages": subfields(m, "041", "a"),
        "subjects": sorted(subfields(m, "650", "a")),
        "506": subfields(m, "506", "a"),
        "856": subfields(m, "856", "u"),
        "holdings": sorted(detect.holding_sigel(h) for h in bib.holdings),
    }


@pytest.mark.parametrize("via", ["iso2709", "marcxml", "marc-json", "mrk"])
# rdflib's own JSON-LD parser still calls the Dataset API it deprecates
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
def test_jsonld_to_marc_to_jsonld_keeps_the_record(tmp_path, via):
    src, back = _roundtrip(EPLIKT, tmp_path, via)
    doc = json.loads(back.read_text(encoding="utf-8"))
    # plain rdflib, inline context: no fetching
    g = Dataset()
    plugin.get("json-ld", Parser)().parse(create_input_source(data=doc, format="json-ld"), g)
    assert len(g) > 20
    again = open_source(back)
    assert _facts(again) == _facts(src)
    assert _facts(src)["holdings"] == ["APIS"]
    # Libris's shape: [Record, Instance (instanceOf Work embedded), ...], holdings as Items
    nodes = doc["@graph"]
    assert nodes[0]["@type"] == "Record" and nodes[0]["mainEntity"]["@id"] == nodes[1]["@id"]
    assert nodes[1]["instanceOf"]["@type"] == "Text"
    items = [n for n in nodes if n.get("@type") == "Item"]
    assert items[0]["heldBy"] == {"@id": "https://libris.kb.se/library/APIS"}
    assert items[0]["itemOf"] == {"@id": nodes[1]["@id"]}
    # the channel record stays a channel record
    assert detect.is_channel(again.entry(2))


def test_bib_example_round_trip_keeps_title_identifiers_languages_subjects(tmp_path):
    src, back = _roundtrip(BIB, tmp_path)
    assert _facts(open_source(back)) == _facts(src)
    g = jsonld.parse_graph(json.loads(back.read_text(encoding="utf-8")))
    titles = {str(o) for o in g.objects(None, URIRef(KBV + "mainTitle"))}
    assert "Curt Weibull" in titles


def test_marc_to_jsonld_for_the_seed_records(tmp_path):
    seed = Path(__file__).resolve().parents[2] / "sample_records" / "seed-records.txt"
    src = open_source(seed)
    out = tmp_path / "seed.jsonld"
    with open(out, "wb") as fh:
        write_records(list(src.records()), fh, "jsonld")
    back = open_source(out)
    cat, chan = back.entry(0), back.entry(1)
    assert subfields(cat.marc, "506", "a") == ["gratis"]
    assert detect.is_eplikt(cat)
    assert detect.is_channel(chan) and detect.is_suppressed(chan)
    # the malformed 856 fields of the channel record survive as they were
    orig = [f for f in src.entry(1).marc.get_fields("856")]
    again = [f for f in chan.marc.get_fields("856")]
    assert [str(f) for f in again] == [str(f) for f in orig]


def test_context_link_option(tmp_path):
    buf = io.BytesIO()
    jsonld.write([open_source(BIB).entry(0).marc], buf, context="link")
    doc = json.loads(buf.getvalue())
    assert doc["@context"] == "https://id.kb.se/context.jsonld"
    assert jsonld.parse_graph(doc)  # read offline all the same


def test_marc_records_without_001_get_blank_ids_and_holdings_link_by_004():
    bib = Record(force_utf8=True)
    bib.leader = Leader("00000nam a2200000 a 4500")
    bib.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Utan nummer")]))
    doc = jsonld.to_document([bib])
    assert doc["@graph"][0]["@id"].startswith("_:")
    assert jsonld.parse_graph(doc)


# -- Turtle -------------------------------------------------------------------------------------


def test_turtle_write_and_read(tmp_path):
    src = open_source(EPLIKT)
    out = tmp_path / "records.ttl"
    with open(out, "wb") as fh:
        write_records(list(src), fh, "turtle")
    text = out.read_text(encoding="utf-8")
    assert "@prefix kbv: <https://id.kb.se/vocab/>" in text
    g = Graph().parse(out, format="turtle")
    assert (None, URIRef(KBV + "heldBy"), URIRef("https://libris.kb.se/library/APIS")) in g
    back = open_source(out)
    bibs = [e for e in back if e.kind == "bib"]
    titles = sorted(subfields(b.marc, "245", "a")[0] for b in bibs)
    assert titles == ["Könsnormer i bildspråket - Fördjupning", "Statens medieråd, löpande"]
    assert any(detect.is_channel(b) for b in bibs)
    assert sorted(detect.holding_sigel(h) for b in bibs for h in b.holdings) == ["APIS"]
