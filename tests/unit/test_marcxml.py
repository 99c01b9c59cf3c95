"""MARCXML: the raw index, namespaces, hardened parsing, broken records and the writer."""

from __future__ import annotations

import io
import time

import pytest

from tui.core.formats import iso2709, marcxml, open_source
from tui.core.formats.notation import read_notation
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Field,
    Leader,
    LibrisRecord,
    Record,
    Subfield,
    UnreadableFile,
)

NS = "http://www.loc.gov/MARC21/slim"


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


def rec_xml(title: str, prefix: str = "", cn: str = "1", leader: str = "00000nam a2200000 i 4500") -> str:
    p = f"{prefix}:" if prefix else ""
    return (
        f'<{p}record><{p}leader>{leader}</{p}leader><{p}controlfield tag="001">{cn}</{p}controlfield>'
        f'<{p}datafield tag="245" ind1="1" ind2="0"><{p}subfield code="a">{title}</{p}subfield>'
        f"</{p}datafield></{p}record>"
    )


def read(tmp_path, text: str | bytes, name: str = "x.xml"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    src = open_source(p)
    return src, list(src)


def titles(entries) -> list:
    return [e.marc["245"]["a"] if isinstance(e, LibrisRecord) else None for e in entries]


def test_seed_records_read_as_in_the_notation(samples):
    src = open_source(samples / "seed-records.xml")
    assert src.format == "marcxml"
    want = [canon(e.marc) for e in read_notation(samples / "seed-records.txt")]
    assert [canon(e.marc) for e in src] == want


@pytest.mark.parametrize(
    "doc",
    [
        f'<collection xmlns="{NS}">{rec_xml("A")}{rec_xml("B")}</collection>',
        f'<marc:collection xmlns:marc="{NS}">{rec_xml("A", "marc")}{rec_xml("B", "marc")}</marc:collection>',
        f'<?xml version="1.0"?>\n<ns0:collection xmlns:ns0="{NS}">\n{rec_xml("A", "ns0")}\n{rec_xml("B", "ns0")}\n'
        f"</ns0:collection>",
        f"<collection>{rec_xml('A')}{rec_xml('B')}</collection>",
        f'<!-- a <record> in a comment --><collection xmlns="{NS}"><![CDATA[<record>]]>{rec_xml("A")}'
        f"<?pi <record>?>{rec_xml('B')}</collection>",
    ],
    ids=["default-ns", "marc-prefix", "ns0-prefix", "no-namespace", "comments-cdata-pi"],
)
def test_collections_with_and_without_namespaces(tmp_path, doc):
    src, entries = read(tmp_path, doc)
    assert titles(entries) == ["A", "B"]
    assert [e.number for e in entries] == [1, 2]
    assert entries[1].offset == src.offset(1) and src.raw(1).startswith(b"<") and b"B" in src.raw(1)


def test_single_record_document(tmp_path):
    src, entries = read(
        tmp_path, f'<?xml version="1.0" encoding="UTF-8"?>\n<record xmlns="{NS}">{rec_xml("Ensam")[8:]}'
    )
    assert titles(entries) == ["Ensam"]


def test_record_without_leader_gets_one_and_says_so(tmp_path):
    _, (e,) = read(
        tmp_path,
        f'<record xmlns="{NS}"><datafield tag="245" ind1="0" ind2="0">'
        f'<subfield code="a">Utan ledare</subfield></datafield></record>',
    )
    assert e.kind == "bib" and len(e.leader) == 24
    assert "LDR-MADE" in {i.code for i in e.issues}


def test_bad_tag_corpus_file_reads_with_issues(corpus):
    (e,) = list(open_source(corpus / "bad_tag.xml"))
    codes = {i.code for i in e.issues}
    assert {"STRUCT-TAG", "LDR-LENGTH"} <= codes
    assert e.marc["245"]["a"] == "The Untamed"


def test_not_well_formed_record_is_broken_and_neighbours_read(tmp_path):
    doc = f'<collection xmlns="{NS}">\n{rec_xml("Ett")}\n{rec_xml("Två & tre")}\n{rec_xml("Fyra")}\n</collection>\n'
    src, entries = read(tmp_path, doc)
    assert titles(entries) == ["Ett", None, "Fyra"]
    bad = entries[1]
    assert isinstance(bad, BrokenRecord)
    raw = doc.encode()
    assert bad.number == 2 and bad.offset == raw.index(b"<record", raw.index(b"<record") + 1)
    assert "record 2 at byte" in bad.describe() and "line 3" in bad.describe()


def test_missing_end_tag_and_truncation(tmp_path):
    doc = f'<collection xmlns="{NS}">{rec_xml("Ett")[:-9]}{rec_xml("Två")}{rec_xml("Tre")[:-30]}'
    src, entries = read(tmp_path, doc)
    assert titles(entries) == [None, "Två", None]
    assert "no end tag" in entries[0].reason
    assert "truncated" in entries[2].reason


def test_no_records_at_all(tmp_path):
    p = tmp_path / "n.xml"
    p.write_text("<html><body>hello</body></html>", "utf-8")
    with pytest.raises(UnreadableFile, match="root element <html>, but no MARC record in it .FORMAT-NOT-MARC"):
        marcxml.open_source(str(p)).build_index()


# -- safety -------------------------------------------------------------------------------------

BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + f']>\n<collection xmlns="{NS}"><record><datafield tag="245" ind1="0" ind2="0">'
    '<subfield code="a">&lol9;</subfield></datafield></record></collection>'
)


def test_entity_bomb_is_refused_at_once(tmp_path):
    p = tmp_path / "bomb.xml"
    p.write_text(BOMB, "utf-8")
    t = time.perf_counter()
    with pytest.raises(marcxml.MarcXmlRefused, match="DOCTYPE"):
        open_source(p)
    assert time.perf_counter() - t < 1


def test_xxe_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", "utf-8")
    p = tmp_path / "xxe.xml"
    p.write_text(
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<collection xmlns="{NS}">{rec_xml("&x;")}</collection>',
        "utf-8",
    )
    with pytest.raises(UnreadableFile):
        open_source(p)


def test_entity_inside_a_record_breaks_only_that_record(tmp_path):
    doc = (
        f'<collection xmlns="{NS}">{rec_xml("Ett")}'
        f'<record><!ENTITY x "boom"><leader>00000nam a2200000 i 4500</leader></record>'
        f"{rec_xml('&undefined;')}{rec_xml('Fyra')}</collection>"
    )
    src, entries = read(tmp_path, doc)
    assert titles(entries) == ["Ett", None, None, "Fyra"]
    assert "ENTITY" in entries[1].reason
    assert "undefined" in entries[2].reason


def test_the_parser_is_hardened():
    p = marcxml.hardened_parser()
    assert p.resolvers is not None
    doc = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
    from lxml import etree

    root = etree.fromstring(doc, p)
    assert "expanded" not in etree.tostring(root).decode()


# -- encodings ----------------------------------------------------------------------------------


def test_declared_latin1_document(tmp_path):
    doc = (
        f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<collection xmlns="{NS}">{rec_xml("Smörgåsbord")}</collection>'
    ).encode("latin-1")
    _, entries = read(tmp_path, doc)
    assert titles(entries) == ["Smörgåsbord"]


def test_utf16_document(tmp_path):
    doc = f'<?xml version="1.0" encoding="UTF-16"?>\n<collection xmlns="{NS}">{rec_xml("Räksmörgås")}</collection>'
    _, entries = read(tmp_path, doc.encode("utf-16"))
    assert titles(entries) == ["Räksmörgås"]


def test_invalid_utf8_is_a_broken_record_not_a_crash(tmp_path):
    doc = f'<collection xmlns="{NS}">{rec_xml("Ett")}{rec_xml("T")}</collection>'.encode().replace(b">T<", b">\xff<")
    _, entries = read(tmp_path, doc)
    assert titles(entries)[0] == "Ett" and isinstance(entries[1], BrokenRecord)


# -- writing ------------------------------------------------------------------------------------


def test_round_trip_keeps_orphans_empty_subfields_and_whitespace(samples):
    chan = open_source(samples / "seed-records.txt").entry(1).marc
    extra = Field(
        tag="500",
        indicators=[" ", " "],
        subfields=[
            Subfield("a", "  leading, trailing  "),
            Subfield("b", "tab\there & <b>\r\nline"),
            Subfield(ORPHAN, ""),
        ],
    )
    chan.fields.append(extra)
    out = io.BytesIO()
    marcxml.write([chan], out)
    text = out.getvalue().decode()
    assert '<subfield code="">http://id.kb.se/organisations/SE2021006396</subfield>' in text
    (back,) = list(marcxml.read_bytes(out.getvalue()))
    assert canon(back.marc) == canon(chan)


def test_characters_xml_cannot_hold(samples):
    rec = Record()
    rec.leader = Leader("00000nam a2200000 i 4500")
    rec.fields = [
        Field(tag="001", data="x1"),
        Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "bell\x07")]),
    ]
    with pytest.raises(iso2709.WriteError, match=r"record 1 \[x1\].*U\+0007"):
        marcxml.write([rec], io.BytesIO())
    out = io.BytesIO()
    marcxml.write([rec], out, invalid_chars="replace")
    (back,) = list(marcxml.read_bytes(out.getvalue()))
    assert back.marc["245"]["a"] == "bell\ufffd"


def test_written_xml_is_valid_marcxml_shape(samples):
    from lxml import etree

    out = io.BytesIO()
    marcxml.write([e.marc for e in open_source(samples / "seed-records.txt")], out)
    root = etree.fromstring(out.getvalue())
    assert root.tag == f"{{{NS}}}collection"
    assert [etree.QName(c).localname for c in root] == ["record", "record"]


def test_holdings_are_linked_by_parsing_only_candidate_slots(samples, monkeypatch):
    src = open_source(samples / "mixed.xml")
    src.build_index()
    # the APIS and Gbg holdings records, and the broken record is not a candidate
    assert list(src.holdings_slots) == [5, 8]
    calls = []
    real = src._parse
    monkeypatch.setattr(src, "_parse", lambda i: calls.append(i) or real(i))
    assert src.link_holdings() == {"9912345": [5], "5551234": [8]}
    assert calls == [5, 8]


def test_first_record_of_a_big_file_without_parsing_the_rest(tmp_path, monkeypatch):
    recs = "".join(rec_xml(f"Titel {i}", cn=str(i)) for i in range(3000))
    p = tmp_path / "big.xml"
    p.write_text(f'<collection xmlns="{NS}">{recs}</collection>', "utf-8")
    src = open_source(p)
    parsed = []
    real = src._parse
    monkeypatch.setattr(src, "_parse", lambda i: parsed.append(i) or real(i))
    assert src.entry(0).marc["245"]["a"] == "Titel 0"
    assert parsed == [0]
