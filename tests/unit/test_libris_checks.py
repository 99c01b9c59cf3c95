"""Libris's own rules for MARC records (tui/core/validation/libris.py) through ``validate``: each
with its rule id, severity and sentence from the rule table; none is an error."""

from __future__ import annotations

from pymarc import Field, Leader, Record, Subfield

from tui.core.model.record import LibrisRecord
from tui.core.rules import table
from tui.core.validation import libris
from tui.core.validation.validate import validate

XL = "q82fzj5m3w1hc4k"
F008 = "200101s2020    sw |||||o|||||000 0 swe|c"


def df(tag, *subs, ind=(" ", " ")):
    return Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs])


def minimum(*more):
    """What Libris's minimum level asks: 040 $a, 245 $a, 264, 300 $a (and 008/39)."""
    return [
        df("040", ("a", "S")),
        df("245", ("a", "En titel"), ind=("1", "0")),
        df("264", ("c", "2020"), ind=(" ", "1")),
        df("300", ("a", "1 onlineresurs")),
        *more,
    ]


def rec(*fields, leader="00000nam a2200000 i 4500", cn=XL, f008=F008):
    r = Record(force_utf8=True)
    r.leader = Leader(leader)
    base = ([Field(tag="001", data=cn)] if cn else []) + ([Field(tag="008", data=f008)] if f008 else [])
    r.fields = base + list(fields)
    return LibrisRecord(marc=r, number=1, path="mem")


def libris_findings(r) -> list[tuple[str, str, str | None]]:
    return [(f.severity, f.rule, f.tag) for f in validate([r]) if f.rule.startswith("LIBRIS-")]


def test_a_record_at_minimum_level_with_what_it_asks_has_no_libris_findings():
    assert libris_findings(rec(*minimum())) == []


def test_the_encoding_level_libris_accepts():
    for level in " 37":
        assert libris_findings(rec(*minimum(), leader=f"00000nam a2200000{level}i 4500")) == []
    assert libris_findings(rec(*minimum(), leader="00000nam a22000005i 4500")) == [("info", "LIBRIS-LEVEL", "000")]
    got = validate([rec(*minimum(), leader="00000nam a22000001i 4500")])
    (f,) = [f for f in got if f.rule == "LIBRIS-LEVEL"]
    assert f.severity == "warning" and "rewrites it to 3" in f.message


def test_what_the_minimum_level_asks():
    got = libris_findings(rec(df("245", ("a", "En titel"), ind=("1", "0")), f008=F008[:39] + "|"))
    assert got == [
        ("warning", "LIBRIS-REQUIRED", "008"),
        ("warning", "LIBRIS-REQUIRED", "040"),
        ("warning", "LIBRIS-REQUIRED", "264"),
        ("warning", "LIBRIS-REQUIRED", "300"),
    ]
    # 260 stands for 264; a preliminary record is not asked
    assert libris_findings(rec(*[f for f in minimum() if f.tag != "264"], df("260", ("c", "1990")))) == []
    assert libris_findings(rec(df("245", ("a", "x"), ind=("1", "0")), leader="00000nam a22000008i 4500")) == [
        ("info", "LIBRIS-LEVEL", "000")
    ]


def test_an_rda_record_says_so_in_040():
    rda = [df("336", ("a", "text"), ("b", "txt"), ("2", "rdacontent"))]
    assert libris_findings(rec(*minimum(*rda))) == [("warning", "LIBRIS-040", "040")]
    fields = [df("040", ("a", "S"), ("e", "rda")) if f.tag == "040" else f for f in minimum(*rda)]
    assert libris_findings(rec(*fields)) == []


def test_sab_classification_names_its_edition():
    assert libris_findings(rec(*minimum(df("084", ("a", "Dbb"), ("2", "kssb/8"))))) == []
    assert libris_findings(rec(*minimum(df("084", ("a", "Dbb"), ("2", "kssb"))))) == [("warning", "LIBRIS-SAB", "084")]
    assert libris_findings(rec(*minimum(df("084", ("a", "Dbb"))))) == [("warning", "LIBRIS-SAB", "084")]


def test_the_control_number_form():
    for cn in (XL, "9912345", "h9912345apis01"):
        assert libris_findings(rec(*minimum(), cn=cn)) == [], cn
    assert libris_findings(rec(*minimum(), cn="ocm12345-x")) == [("info", "LIBRIS-001", "001")]


def test_fields_libris_xl_drops_on_import():
    assert "647" in libris.dropped("bib") and "852" not in libris.dropped("bib")  # embedded holdings stay
    got = validate([rec(*minimum(df("647", ("a", "Slaget vid Lützen"), ind=(" ", "4"))))])
    (f,) = [f for f in got if f.rule == "LIBRIS-DROPPED"]
    assert (f.severity, f.tag, f.occurrence, f.message) == ("warning", "647", 1, "Libris XL drops 647 on import")
    with table.speaking("sv"):
        (f,) = [
            f for f in validate([rec(*minimum(df("647", ("a", "x"), ind=(" ", "4"))))]) if f.rule == "LIBRIS-DROPPED"
        ]
    assert f.message == "Libris XL tar bort 647 vid import"


def test_a_holdings_record_has_004_and_852():
    hold = "00000nx  a2200000un 4500"
    ok = rec(Field(tag="004", data=XL), df("852", ("b", "S")), leader=hold, cn="h9912345apis01", f008=None)
    assert libris_findings(ok) == []
    bare = rec(df("866", ("a", "1990-"), ind=(" ", "0")), leader=hold, cn="h9912345apis01", f008=None)
    assert libris_findings(bare) == [("warning", "LIBRIS-HOLDINGS", "004"), ("warning", "LIBRIS-HOLDINGS", "852")]


def test_libris_rules_are_never_errors():
    assert {r.severity for r in table.rules().values() if r.kind == "libris"} <= {"warning", "info"}
    for r in table.rules().values():
        if r.kind == "libris":
            assert all(s.severity in (None, "warning", "info") for s in r.says.values()), r.id
