"""MARCMaker (.mrk): reading, mnemonics, broken lines and the writer."""

from __future__ import annotations

import io

import pytest

from tui.core.formats import mrk, open_source, sniff
from tui.core.formats.notation import read_notation
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Field,
    Leader,
    Record,
    Subfield,
    UnreadableFile,
)


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


def read(tmp_path, text: str | bytes):
    p = tmp_path / "x.mrk"
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return list(open_source(p))


def test_seed_records_read_as_in_the_notation(samples):
    src = open_source(samples / "seed-records.mrk")
    assert src.format == "mrk"
    want = [canon(e.marc) for e in read_notation(samples / "seed-records.txt")]
    assert [canon(e.marc) for e in src] == want


def test_the_channel_record_text_shows_its_malformed_856s(samples):
    text = (samples / "seed-records.mrk").read_text("utf-8")
    assert "=856  42http://id.kb.se/organisations/SE2021006396$zpublisher" in text
    assert "=856  40$u$uhttp://id.kb.se/organisations/SE2021006396$zsupplier" in text


def test_a_marcmaker_record(tmp_path):
    text = (
        "=LDR  00000cam\\a2200000\\i\\4500\r\n"
        "=001  5551234\r\n"
        "=008  451101s1945\\\\\\\\sw\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\swe\\d\r\n"
        "=245  10$aPippi L{U+00E5}ngstrump :$bpris 5{dollar} {lcub}ca{rcub} {bsol} {acute}$cAstrid Lindgren\r\n"
    )
    (e,) = read(tmp_path, text)
    assert str(e.marc.leader) == "00000cam a2200000 i 4500"
    assert e.marc["008"].data.startswith("451101s1945    sw ") and e.marc["008"].data.endswith("swe d")
    f = e.marc["245"]
    assert tuple(f.indicators) == ("1", "0")
    assert f["a"] == "Pippi Långstrump :" and f["b"] == "pris 5$ {ca} \\ {acute}"
    assert ("MRK-MNEMONIC", "245") in {(i.code, i.tag) for i in e.issues}


def test_records_split_by_blank_lines_or_a_new_leader(tmp_path):
    text = (
        "=LDR  00000nam\\a2200000\\i\\4500\n=245  10$aEtt\n=LDR  00000nam\\a2200000\\i\\4500\n=245  10$aTvå\n\n\n"
        "=245  10$aTre\n"
    )
    entries = read(tmp_path, text)
    assert [e.marc["245"]["a"] for e in entries] == ["Ett", "Två", "Tre"]
    assert "LDR-MADE" in {i.code for i in entries[2].issues}
    assert [e.number for e in entries] == [1, 2, 3]
    assert entries[1].offset == text.encode().index(b"=LDR", 5)


def test_a_bad_line_breaks_only_its_record(tmp_path):
    text = "=245  10$aEtt\n\n=245  10$aTvå\nthis is not a field\n\n=245  10$aTre\n"
    entries = read(tmp_path, text)
    assert isinstance(entries[1], BrokenRecord)
    assert "record 2" in entries[1].describe() and "line 4" in entries[1].describe()
    assert entries[2].marc["245"]["a"] == "Tre"


def test_invalid_utf8_is_flagged(tmp_path):
    (e,) = read(tmp_path, b"=245  10$aCaf\xe9\n")
    assert e.marc["245"]["a"] == "Caf\ufffd"
    assert "ENC-INVALID-UTF8" in {i.code for i in e.issues}


def test_no_records(tmp_path):
    p = tmp_path / "e.mrk"
    p.write_text("\n\n   \n", "utf-8")
    with pytest.raises(UnreadableFile):
        mrk.open_source(str(p))


def test_sniffed_by_content():
    assert sniff(b"=LDR  00000nam\\a2200000\\i\\4500\n") == "mrk"


def test_writer_round_trip_with_everything_that_needs_escaping():
    rec = Record()
    rec.leader = Leader("00000nam a2200000 i 4500")
    rec.fields = [
        Field(tag="001", data="id with spaces {and} \\ $"),
        Field(
            tag="245",
            indicators=[" ", "4"],
            subfields=[
                Subfield(ORPHAN, "orphan first"),
                Subfield("a", "The $100 {book} \\ path"),
                Subfield("b", "line\nbreak\ttab\x1besc\u2028sep"),
                Subfield("c", ""),
                Subfield(ORPHAN, ""),
            ],
        ),
        Field(tag="500", indicators=["#", "|"], subfields=[Subfield("a", "  spaces kept  ")]),
    ]
    out = io.BytesIO()
    mrk.write([rec, rec], out)
    text = out.getvalue().decode("utf-8")
    assert text.count("\n\n") == 1 and "\x1b" not in text and "\u2028" not in text
    assert "{esc}" in text and "{U+000A}" in text and "{dollar}100" in text
    back = list(mrk.read_mrk("<mem>", out.getvalue()))
    assert [canon(e.marc) for e in back] == [canon(rec), canon(rec)]
