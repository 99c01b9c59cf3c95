"""XML as it comes from real systems: MARCXML with or without namespace or prefix, inside an
OAI-PMH or SRU response, cut short before </collection>; XML that is not MARC refused in one line
(FORMAT-NOT-MARC); TurboMARC read and written byte for byte as yaz-marcdump writes it."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tui.cli import main
from tui.core.formats import detect, iso2709, marcxml, open_source, registry, turbomarc
from tui.core.model.record import (
    BrokenRecord,
    Field,
    Indicators,
    Leader,
    LibrisRecord,
    Record,
    Subfield,
    UnreadableFile,
)

SHARED = Path(os.environ.get("LIBRIS_TUI_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")
CORPUS = SHARED / "corpus"
ROOT = Path(__file__).resolve().parents[2]
YAZ = shutil.which("yaz-marcdump") or ("/usr/bin/yaz-marcdump" if os.path.exists("/usr/bin/yaz-marcdump") else None)
needs_yaz = pytest.mark.skipif(YAZ is None, reason="yaz-marcdump is not installed (Debian package yaz)")

MARC_NS = "http://www.loc.gov/MARC21/slim"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"


def rec_xml(cn: str, title: str, p: str = "", own_ns: str = "") -> str:
    q = f"{p}:" if p else ""
    decl = f' xmlns{":" + p if p else ""}="{own_ns}"' if own_ns else ""
    return (
        f"<{q}record{decl}>\n  <{q}leader>00000cam a2200000 a 4500</{q}leader>\n"
        f'  <{q}controlfield tag="001">{cn}</{q}controlfield>\n'
        f'  <{q}datafield tag="245" ind1="1" ind2="0"><{q}subfield code="a">{title}</{q}subfield></{q}datafield>\n'
        f"</{q}record>\n"
    )


def write(tmp_path: Path, text: str | bytes, name: str = "x.xml") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def records(p: Path) -> list[LibrisRecord]:
    return [e for e in open_source(p) if isinstance(e, LibrisRecord)]


def oai(body: str, prefix: str = "marcxml") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{OAI_NS}">\n'
        "<responseDate>2024-01-01T00:00:00Z</responseDate>\n"
        f'<request verb="ListRecords" metadataPrefix="{prefix}">https://example.org/oai</request>\n'
        f"<ListRecords>\n{body}<resumptionToken>t1</resumptionToken>\n</ListRecords>\n</OAI-PMH>\n"
    )


def oai_record(ident: str, metadata: str) -> str:
    return (
        f"<record>\n<header><identifier>oai:x:{ident}</identifier><datestamp>2024-01-01</datestamp></header>\n"
        f"<metadata>\n{metadata}</metadata>\n</record>\n"
    )


# -- MARCXML with or without namespace, any prefix ----------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        f'<collection xmlns="{MARC_NS}">\n{rec_xml("1", "A")}{rec_xml("2", "B")}</collection>\n',
        f'<marc:collection xmlns:marc="{MARC_NS}">\n{rec_xml("1", "A", "marc")}{rec_xml("2", "B", "marc")}</marc:collection>\n',
        f"<collection>\n{rec_xml('1', 'A')}{rec_xml('2', 'B')}</collection>\n",
        f'<x:collection xmlns:x="urn:other">\n{rec_xml("1", "A", "m", MARC_NS)}{rec_xml("2", "B", "n", MARC_NS)}</x:collection>\n',
        f"<collection>\n{rec_xml('1', 'A', 'marc', MARC_NS)}{rec_xml('2', 'B')}</collection>\n",
    ],
    ids=["default-ns", "marc-prefix", "no-namespace", "prefix-on-each-record", "mixed"],
)
def test_marcxml_with_or_without_namespace_and_prefix(tmp_path, doc):
    p = write(tmp_path, doc)
    assert detect(p) == "marcxml"
    assert [(e.control_number, e.marc["245"]["a"]) for e in records(p)] == [("1", "A"), ("2", "B")]


def test_oai_pmh_marc_records_in_metadata(tmp_path):
    body = (
        oai_record("1", rec_xml("1", "Ett", "marc", MARC_NS))
        + '<record><header status="deleted"><identifier>oai:x:2</identifier></header></record>\n'
        + oai_record("3", rec_xml("3", "Tre", own_ns=MARC_NS))  # Libris: default namespace on the record
        + oai_record("4", rec_xml("4", "Fyra", "marc", MARC_NS))
    )
    p = write(tmp_path, oai(body))
    entries = list(open_source(p))
    assert [(e.control_number, e.marc["245"]["a"]) for e in entries] == [("1", "Ett"), ("3", "Tre"), ("4", "Fyra")]
    assert all(not e.issues for e in entries)


def test_sru_response_marc_records(tmp_path):
    zs = "http://www.loc.gov/zing/srw/"
    recs = "".join(
        f"<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordData>{rec_xml(n, t, own_ns=MARC_NS)}"
        f"</zs:recordData><zs:recordPosition>{n}</zs:recordPosition></zs:record>\n"
        for n, t in (("1", "A"), ("2", "B"))
    )
    p = write(
        tmp_path,
        f'<zs:searchRetrieveResponse xmlns:zs="{zs}"><zs:records>\n{recs}</zs:records></zs:searchRetrieveResponse>',
    )
    assert [e.control_number for e in records(p)] == ["1", "2"]


@needs_yaz
def test_oai_pmh_reads_every_record_yaz_reads(tmp_path):
    """yaz-marcdump reads the MARC records of an OAI-PMH response too, but each twice (once for
    the envelope's <record>, once for the MARC record in it): we read each once."""
    body = "".join(oai_record(str(n), rec_xml(str(n), f"T{n}", "marc", MARC_NS)) for n in range(1, 6))
    p = write(tmp_path, oai(body))
    out = subprocess.run([YAZ, "-i", "marcxml", "-o", "line", str(p)], capture_output=True, timeout=60).stdout
    theirs = re.findall(rb"^001 (\S+)", out, re.M)
    distinct = [cn for k, cn in enumerate(theirs) if k == 0 or cn != theirs[k - 1]]
    assert len(theirs) >= len(distinct) == 5
    assert [e.control_number.encode() for e in records(p)] == distinct


# -- not MARC: refused in one line, exit 2 ------------------------------------------------------

DC = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{t}</dc:title></oai_dc:dc>\n'
)

NOT_MARC = {
    "oai-dc": (
        oai("".join(oai_record(str(n), DC.format(t=f"T{n}")) for n in range(10)), "oai_dc"),
        "an OAI-PMH response with 10 records of Dublin Core (oai_dc) metadata, not MARC",
    ),
    "oai-error": (
        f'<OAI-PMH xmlns="{OAI_NS}"><request verb="ListRecords">x</request><error code="noRecordsMatch">none</error></OAI-PMH>',
        "an OAI-PMH response with no records in it (error 'noRecordsMatch')",
    ),
    "plain-records": (
        "<records>\n<record><title>x</title></record>\n<record><title>y</title></record>\n</records>\n",
        "XML with root element <records>, but no MARC record in it",
    ),
    "no-namespace-record": (
        "<record><title>Ensam</title><author>N.N.</author></record>",
        "XML with root element <record>, but no MARC record in it",
    ),
    "mods": (
        '<mods:modsCollection xmlns:mods="http://www.loc.gov/mods/v3"><mods:mods><mods:titleInfo>'
        "<mods:title>x</mods:title></mods:titleInfo></mods:mods></mods:modsCollection>",
        "MODS (root element <mods:modsCollection>), not MARC",
    ),
    "other-ns": (
        '<feed xmlns="urn:example:feed"><record><name>x</name></record></feed>',
        "XML with root element <feed> in namespace urn:example:feed, but no MARC record in it",
    ),
}


@pytest.mark.parametrize("name", sorted(NOT_MARC))
@pytest.mark.parametrize("command", ["stats", "validate", "dump", "export"])
def test_xml_that_is_not_marc_is_refused_in_one_line(tmp_path, capsys, name, command):
    doc, said = NOT_MARC[name]
    p = write(tmp_path, doc)
    extra = ["-o", tmp_path / "out.mrc"] if command == "export" else []
    code, out, err = run(capsys, command, p, *extra)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert said in err and err.rstrip().endswith("(FORMAT-NOT-MARC)") and str(p) in err
    assert not (tmp_path / "out.mrc").exists()


def test_an_odd_record_in_a_marcxml_collection_is_kept_not_dropped(tmp_path):
    """In a <collection> (of the MARC namespace or of none) a <record> that holds no MARC element is
    still a record, its oddities issues: only envelopes and other vocabularies are passed over."""
    for ns in (f' xmlns="{MARC_NS}"', ""):
        doc = f"<collection{ns}>\n{rec_xml('1', 'A')}<record><note>x</note></record>\n<record/>\n</collection>\n"
        entries = list(open_source(write(tmp_path, doc)))
        assert len(entries) == 3 and all(isinstance(e, LibrisRecord) for e in entries), ns
        assert "STRUCT-XML-ELEMENT" in {i.code for i in entries[1].issues}


def test_not_marc_is_said_in_swedish_too(tmp_path):
    from tui.core.rules import table

    p = write(tmp_path, NOT_MARC["oai-dc"][0])
    with table.speaking("sv"), pytest.raises(UnreadableFile, match="ett OAI-PMH-svar med 10 poster"):
        open_source(p)


def test_an_empty_marcxml_collection_is_no_records_not_an_error(tmp_path, capsys):
    p = write(tmp_path, f'<?xml version="1.0"?>\n<collection xmlns="{MARC_NS}">\n</collection>\n')
    assert list(open_source(p)) == []
    code, out, err = run(capsys, "validate", p)
    assert code == 0 and "0 records" in out


@pytest.mark.parametrize("folder", ["external", "pymarc"])
def test_no_corpus_xml_or_json_file_is_taken_for_not_marc(folder):
    """Every XML and JSON file of the corpora is MARC (or not JSON at all): none is refused as
    not MARC, and each that is read has a record."""
    d = CORPUS / folder
    if not d.is_dir():
        pytest.skip(f"{d} is not present")
    seen = 0
    for p in sorted(d.iterdir()):
        if p.suffix not in (".xml", ".marcxml", ".json"):
            continue
        seen += 1
        try:
            entries = list(open_source(p))
        except UnreadableFile as exc:
            assert "FORMAT-NOT-MARC" not in str(exc), exc
            continue
        assert any(isinstance(e, LibrisRecord) for e in entries), p
    assert seen


# -- malformed XML: an unclosed collection -------------------------------------------------------


def test_an_unclosed_collection_is_an_error_naming_the_line_and_the_records_are_read(tmp_path, capsys):
    doc = f'<?xml version="1.0"?>\n<collection xmlns="{MARC_NS}">\n{rec_xml("1", "A")}{rec_xml("2", "B")}'
    p = write(tmp_path, doc)
    entries = list(open_source(p))
    assert [e.control_number for e in entries[:2]] == ["1", "2"]
    (bad,) = entries[2:]
    assert isinstance(bad, BrokenRecord) and "XML-UNCLOSED" in bad.reason
    last_line = doc.rstrip().count("\n") + 1
    assert f"ends at line {last_line} without the end tag </collection>" in bad.reason
    assert "opened at line 2" in bad.reason and "2 records before the end are read" in bad.reason
    code, out, err = run(capsys, "validate", p)
    assert code == 1 and "XML-UNCLOSED" in out and f"line {last_line}" in out
    # the records before it can be written all the same, when asked
    code, out, err = run(capsys, "export", p, "-o", tmp_path / "out.xml", "--broken", "drop")
    assert [e.control_number for e in records(tmp_path / "out.xml")] == ["1", "2"]


@pytest.mark.parametrize(
    "doc",
    [
        f'<collection xmlns="{MARC_NS}">{rec_xml("1", "A")}</collection>',
        f'<collection xmlns="{MARC_NS}">{rec_xml("1", "A")}</collection>\n<!-- end -->\n',
        f'<record xmlns="{MARC_NS}"><leader>00000cam a2200000 a 4500</leader></record>',
        oai(oai_record("1", rec_xml("1", "A", "marc", MARC_NS))),
    ],
    ids=["collection", "comment-after", "record-root", "oai-pmh"],
)
def test_a_closed_document_has_no_unclosed_slot(tmp_path, doc):
    assert all(isinstance(e, LibrisRecord) for e in open_source(write(tmp_path, doc)))


def test_a_record_cut_short_is_one_broken_record_not_two(tmp_path):
    doc = f'<collection xmlns="{MARC_NS}">{rec_xml("1", "A")}{rec_xml("2", "B")[:-40]}'
    entries = list(open_source(write(tmp_path, doc)))
    assert len(entries) == 2 and "truncated" in entries[1].reason


def test_unclosed_oai_pmh_response(tmp_path):
    doc = oai(oai_record("1", rec_xml("1", "A", "marc", MARC_NS)))
    doc = doc[: doc.index("<resumptionToken>")]
    entries = list(open_source(write(tmp_path, doc)))
    assert entries[0].control_number == "1" and "</OAI-PMH>" in entries[1].reason


# -- TurboMARC ------------------------------------------------------------------------------------

#: UTF-8 files of the corpora that both yaz and we read cleanly
TURBO_FILES = [
    "pymarc/test.dat",
    "pymarc/marc.dat",
    "pymarc/diacritic.dat",
    "pymarc/alphatag.dat",
    "pymarc/utf8_with_leader_flag.dat",
    "external/m4j-brkrtest_UTF8.mrc",
    "external/m4j-loongboonmee.mrc",
    "external/marcjs-bib.mrc",
]


def yaz_turbomarc(path: Path) -> bytes:
    return subprocess.run([YAZ, "-i", "marc", "-o", "turbomarc", str(path)], capture_output=True, timeout=60).stdout


def odd_record() -> Record:
    """Everything the writer escapes or names otherwise: & < > " ' in text and indicators, a
    subfield code that cannot be part of an element name, orphan text, a repeated code."""
    rec = Record()
    rec.leader = Leader("00000cam a2200000 i 4500")
    rec.fields = [
        Field(tag="001", data="a&b<c>"),
        Field(tag="008", data="240101s2024    sw |||||||||||000 ||swe|d"),
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", 'Tom "&" Jerry\'s <b>'), Subfield("a", "två")],
        ),
        Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("$", "dollar code"), Subfield("b", "")]),
        Field(tag="ABC", indicators=Indicators("a", "9"), subfields=[Subfield("x", "alpha tag")]),
    ]
    return rec


@needs_yaz
@pytest.mark.parametrize("name", TURBO_FILES)
def test_turbomarc_written_byte_for_byte_as_yaz_writes_it(name, tmp_path):
    src_path = CORPUS / name
    if not src_path.exists():
        pytest.skip(f"{src_path} is not present")
    out = io.BytesIO()
    turbomarc.write([e.marc for e in records(src_path)], out)
    assert out.getvalue() == yaz_turbomarc(src_path)


@needs_yaz
def test_turbomarc_of_escaped_and_odd_names_is_yaz_s(tmp_path):
    p = tmp_path / "odd.mrc"
    p.write_bytes(iso2709.record_bytes(odd_record()))
    out = io.BytesIO()
    turbomarc.write([e.marc for e in records(p)], out)
    assert out.getvalue() == yaz_turbomarc(p)
    assert b'<s code="$">dollar code</s>' in out.getvalue() and b"<dABC" in out.getvalue()


@needs_yaz
def test_export_to_turbomarc_is_yaz_s_output(tmp_path, capsys):
    src_path = CORPUS / "pymarc" / "test.dat"
    if not src_path.exists():
        pytest.skip(f"{src_path} is not present")
    out = tmp_path / "out.turbomarc"
    code, _, err = run(capsys, "export", src_path, "--to", "turbomarc", "-o", out)
    assert code == 0, err
    assert out.read_bytes() == yaz_turbomarc(src_path)


def test_turbomarc_round_trip(tmp_path):
    rec = odd_record()
    rec.fields.append(
        Field(tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("", "orphan"), Subfield("a", "x\ry")])
    )
    out = io.BytesIO()
    turbomarc.write([rec], out)
    p = write(tmp_path, out.getvalue(), "r.turbomarc")
    assert detect(p) == "turbomarc"
    (back,) = list(open_source(p))
    assert back.source_format == "turbomarc"
    want = [
        (f.tag, f.data) if f.is_control_field() else (f.tag, tuple(f.indicators), [tuple(s) for s in f.subfields])
        for f in rec.fields
    ]
    got = [
        (f.tag, f.data) if f.is_control_field() else (f.tag, tuple(f.indicators), [tuple(s) for s in f.subfields])
        for f in back.marc.fields
    ]
    assert got == want
    assert str(back.marc.leader)[9] == "a"


def test_turbomarc_writer_refuses_what_xml_cannot_hold():
    rec = odd_record()
    rec.fields.append(Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", "bell\x07")]))
    with pytest.raises(Exception, match="U\\+0007"):
        turbomarc.write([rec], io.BytesIO())
    out = io.BytesIO()
    turbomarc.write([rec], out, invalid_chars="replace")
    assert "bell\ufffd".encode() in out.getvalue()


def test_turbomarc_read_with_prefix_without_namespace_and_broken(tmp_path):
    ns = turbomarc.TURBOMARC_NS
    rec = '<t:r><t:l>00000cam a2200000 a 4500</t:l><t:c001>{n}</t:c001><t:d245 i1="1" i2="0"><t:sa>{t}</t:sa></t:d245></t:r>\n'
    doc = (
        f'<t:collection xmlns:t="{ns}">\n'
        + rec.format(n=1, t="A")
        + rec.format(n=2, t="B & C")
        + rec.format(n=3, t="D")
        + "</t:collection>\n"
    )
    entries = list(open_source(write(tmp_path, doc, "p.xml")))
    assert entries[0].source_format == "turbomarc"
    assert [e.control_number if isinstance(e, LibrisRecord) else None for e in entries] == ["1", None, "3"]
    assert "not well-formed" in entries[1].reason and entries[1].number == 2
    bare = "<collection>\n<r>\n  <l>00000cam a2200000 a 4500</l>\n  <c001>9</c001>\n</r>\n</collection>\n"
    p = write(tmp_path, bare, "bare.xml")
    assert detect(p) == "turbomarc" and records(p)[0].control_number == "9"


def test_turbomarc_attributes_for_names_yaz_reads():
    from lxml import etree

    el = etree.fromstring(
        '<r xmlns="http://www.indexdata.com/turbomarc"><l>00000cam a2200000 a 4500</l>'
        '<c tag="001">x</c><d tag="9 9" i1="1"><s code="$">d</s><sb>b</sb></d></r>'
    )
    e = turbomarc.element_to_record(el)
    assert [(f.tag, f.data) for f in e.marc.fields[:1]] == [("001", "x")]
    f = e.marc.fields[1]
    assert (
        f.tag == "9 9"
        and tuple(f.indicators) == ("1", " ")
        and [tuple(s) for s in f.subfields] == [("$", "d"), ("b", "b")]
    )


def test_turbomarc_is_registered_everywhere():
    f = registry.get("turbomarc")
    assert f is registry.TURBOMARC and f in registry.exportable() and f.module == turbomarc.__name__
    assert registry.for_extension("x.turbomarc") is f
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "| TurboMARC (`.turbomarc`) | `turbomarc` |" in readme


def test_export_verifies_turbomarc_by_reading_it_back(tmp_path, capsys, monkeypatch, samples):
    real = turbomarc.write

    def lossy(records, out, **options):
        buf = io.BytesIO()
        real(records, buf, **options)
        out.write(buf.getvalue().replace(b"</r>\n", b"", 1))  # one record not closed

    monkeypatch.setattr(turbomarc, "write", lossy)
    out = tmp_path / "out.turbomarc"
    code, _, err = run(capsys, "export", samples / "seed-records.xml", "--to", "turbomarc", "-o", out)
    assert code != 0 and "did not read back" in err and not out.exists()


def test_marcxml_and_turbomarc_share_the_record_reading():
    """The same record in both forms reads to the same record with the same issues."""
    rec = odd_record()
    a, b = io.BytesIO(), io.BytesIO()
    marcxml.write([rec], a)
    turbomarc.write([rec], b)
    ea = marcxml.read_bytes(a.getvalue()).entry(0)
    eb = turbomarc.read_bytes(b.getvalue()).entry(0)
    assert [str(f) for f in ea.marc.fields] == [str(f) for f in eb.marc.fields]
    assert [i.code for i in ea.issues] == [i.code for i in eb.issues]
