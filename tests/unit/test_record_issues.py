"""The structural checks every MARC reader shares (``tui.core.formats.common.record_issues``)."""

from __future__ import annotations

from pymarc import Field, Leader, Record, Subfield

from tui.core.formats import common, iso2709, marcjson, marcxml, mrk, notation
from tui.core.formats.notation import read_notation
from tui.core.model.record import ORPHAN, ReadIssue


def test_one_checker_for_every_reader():
    for mod in (iso2709, marcxml, marcjson, mrk, notation):
        assert mod.record_issues is common.record_issues, mod.__name__


def test_each_issue_with_its_id_message_and_place():
    r = Record(leader=Leader("00000nam a2200000 i 4500"))
    r.fields = [
        Field(tag="001", data="1"),
        Field(tag="6X ", indicators=[" ", " "], subfields=[Subfield("a", "x")]),
        Field(
            tag="650",
            indicators=["1", "A"],
            subfields=[Subfield(ORPHAN, ""), Subfield(ORPHAN, "text"), Subfield("b", ""), Subfield("\t", "v")],
        ),
        Field(tag="650", indicators=["0", "7"], subfields=[Subfield("a", "ok")]),
    ]
    assert common.record_issues(r) == [
        ReadIssue("STRUCT-TAG", "tag '6X ' is not three letters or digits", "warning", "6X ", 1),
        ReadIssue("STRUCT-EMPTY-DELIMITER", "a subfield delimiter with no code", "warning", "650", 1),
        ReadIssue("STRUCT-ORPHAN-TEXT", "text before the first subfield code: 'text'", "warning", "650", 1),
        ReadIssue("STRUCT-EMPTY-SUBFIELD", "empty subfield $b", "warning", "650", 1),
        ReadIssue("STRUCT-SUBFIELD-CODE", "subfield code '\\t' is not a letter or digit", "warning", "650", 1),
        ReadIssue("STRUCT-INDICATOR", "indicator 2 'A' is not valid", "warning", "650", 1),
    ]


def test_the_notation_reader_flags_as_before(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("245 1/X stray #a Titel #b\n856 4/2 http://example.org #z publisher\n", "utf-8")
    rec = read_notation(p).entry(0)
    got = [(i.code, i.tag, i.occurrence, i.message) for i in rec.issues if i.code.startswith("STRUCT-")]
    assert got == [
        ("STRUCT-ORPHAN-TEXT", "245", 1, "text before the first subfield code: 'stray'"),
        ("STRUCT-EMPTY-SUBFIELD", "245", 1, "empty subfield $b"),
        ("STRUCT-INDICATOR", "245", 1, "indicator 2 'X' is not valid"),
        ("STRUCT-ORPHAN-TEXT", "856", 1, "text before the first subfield code: 'http://example.org'"),
    ]
