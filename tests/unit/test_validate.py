"""The validator: structure, the e-plikt rules against the original, advice, duplicates."""

import copy
from pathlib import Path

import pytest
from pymarc import Field, Leader, Record, Subfield

from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext, History
from tui.core.formats import open_source
from tui.core.model.record import BrokenRecord, LibrisRecord
from tui.core.validation.validate import (
    Finding,
    duplicate_keys,
    isbn13,
    issn,
    normalise_title,
    validate,
)

DATA = Path(__file__).parents[1] / "data" / "rules"
F008 = "200101s2020    sw |||||o|||||000 0 swe|c"


def load():
    return list(open_source(DATA / "records.txt"))


def by_cn(entries, cn):
    return next(e for e in entries if isinstance(e, LibrisRecord) and e.control_number == cn)


def df(tag, *subs, ind=(" ", " ")):
    return Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs])


def bib(cn="x1", *fields, leader="00000nam a2200000 i 4500", number=1, f008=F008):
    r = Record(force_utf8=True)
    r.leader = Leader(leader)
    base = [Field(tag="001", data=cn)] if cn else []
    if f008 is not None:
        base.append(Field(tag="008", data=f008))
    r.fields = base + list(fields)
    return LibrisRecord(marc=r, number=number, path="mem")


def title(t="En titel"):
    return df("245", ("a", t), ind=("1", "0"))


def rules_of(findings, severity=None):
    return [f.rule for f in findings if severity is None or f.severity == severity]


def errors(findings):
    return [f for f in findings if f.severity == "error"]


def edit(entries, cn, *cmds, sigel="Li"):
    c = EditContext(by_cn(entries, cn), sigel=sigel)
    for cmd in cmds:
        History().do(cmd, c)


def raw_edit(entries, cn, tag, occ, fn):
    """Change a field behind the commands' back (as another tool would)."""
    f = by_cn(entries, cn).marc.get_fields(tag)[occ - 1]
    fn(f)


# -- structure -------------------------------------------------------------------------------------


def test_a_clean_record_has_no_findings():
    clean = bib(
        "q82fzj5m3w1hc4k",
        df("040", ("a", "S")),
        title(),
        df("264", ("a", "Stockholm"), ("c", "2020"), ind=(" ", "1")),
        df("300", ("a", "1 onlineresurs")),
    )
    assert validate([clean]) == []
    # without what Libris's minimum level asks (040, 264, 300) and with another system's 001
    assert [(f.rule, f.tag) for f in validate([bib("x1", title())])] == [
        ("LIBRIS-001", "001"),
        ("LIBRIS-REQUIRED", "040"),
        ("LIBRIS-REQUIRED", "264"),
        ("LIBRIS-REQUIRED", "300"),
    ]


def test_finding_fields_and_description():
    f = validate([bib("x1", title(), df("650", ("a", "")))])[0]
    assert isinstance(f, Finding)
    assert (f.severity, f.rule, f.record_number, f.control_number, f.tag, f.occurrence) == (
        "error",
        "STRUCT-EMPTY-SUBFIELD",
        1,
        "x1",
        "650",
        1,
    )
    assert f.describe() == "error: record 1 [x1] 650[1]: empty subfield $a (STRUCT-EMPTY-SUBFIELD)"
    assert f.to_json()["rule"] == "STRUCT-EMPTY-SUBFIELD"


@pytest.mark.parametrize(
    "make,rule,severity",
    [
        (lambda: bib("x1", title(), leader="00000nam a2200000 i 450 "), "STRUCT-LEADER-BLANK", "warning"),
        (lambda: bib("x1", title(), leader="00000nam a2200000 i     "), "STRUCT-LEADER-BLANK", "warning"),
        (lambda: bib("x1", title(), leader="00000nam a  00000 i 4500"), "STRUCT-LEADER-BLANK", "warning"),
        (lambda: bib("x1", title(), leader="00000nam a2200000 i 5500"), "STRUCT-LEADER", "warning"),
        (lambda: bib("x1", title(), Field(tag="005", data="2020\x1f01")), "STRUCT-DELIMITER-IN-DATA", "error"),
        (lambda: bib("x1", title(), df("650", ("a", "x\x1fby"))), "STRUCT-DELIMITER-IN-DATA", "error"),
        (lambda: bib("x1", title(), df("650", ("a", "x"), ("", ""))), "STRUCT-EMPTY-DELIMITER", "warning"),
        (lambda: bib("x1", title(), leader="00000nam x2200000 i 4500"), "STRUCT-LEADER", "error"),
        (lambda: bib("x1", title(), leader="00000nam a3300000 i 4500"), "STRUCT-LEADER", "error"),
        (lambda: bib("x1", title(), leader="00000q#m a2200000 i 4500"), "STRUCT-LEADER", "warning"),
        (lambda: bib(None, title()), "STRUCT-001", "warning"),
        (lambda: bib("x1", Field(tag="001", data="x2"), title()), "STRUCT-001", "error"),
        (lambda: bib("x1", title(), f008="short"), "STRUCT-008", "error"),
        (lambda: bib("x1", title(), f008=None), "STRUCT-008", "warning"),
        (lambda: bib("x1"), "STRUCT-245", "error"),
        (lambda: bib("x1", title(), title("Två")), "STRUCT-245", "error"),
        (lambda: bib("x1", title(), df("6X", ("a", "x"))), "STRUCT-TAG", "error"),
        (lambda: bib("x1", title(), df("650", ("a", "x"), ind=("#", "7"))), "STRUCT-INDICATOR", "error"),
        (lambda: bib("x1", title(), df("650", ("a", "x"), ind=("|", "7"))), "STRUCT-INDICATOR", "warning"),
        (lambda: bib("x1", title(), df("650", ("A", "x"))), "STRUCT-SUBFIELD-CODE", "error"),
        (lambda: bib("x1", title(), df("650", ("ab", "x"))), "STRUCT-SUBFIELD-CODE", "error"),
        (lambda: bib("x1", title(), df("650", ("", "orphan"), ("a", "x"))), "STRUCT-ORPHAN-TEXT", "error"),
        (lambda: bib("x1", title(), df("650")), "STRUCT-EMPTY-SUBFIELD", "error"),
        (lambda: bib("x1", title(), Field(tag="005", data="")), "STRUCT-EMPTY-SUBFIELD", "error"),
    ],
)
def test_structure_problems(make, rule, severity):
    found = [f for f in validate([make()]) if f.rule == rule]
    assert found and found[0].severity == severity, validate([make()])


def test_blank_leader_counts_are_a_warning_not_an_error():
    found = [
        f for f in validate([bib("x1", title(), leader="00000nam a  00000 i     ")]) if f.rule.startswith("STRUCT")
    ]
    assert [(f.rule, f.severity) for f in found] == [("STRUCT-LEADER-BLANK", "warning")] * 2
    assert not [f for f in found if f.rule == "STRUCT-LEADER"]


def test_an_empty_delimiter_is_not_orphan_text():
    found = [f for f in validate([bib("x1", title(), df("650", ("a", "x"), ("", "")))]) if f.rule.startswith("STRUCT")]
    assert [(f.rule, f.severity, f.tag) for f in found] == [("STRUCT-EMPTY-DELIMITER", "warning", "650")]


def test_a_delimiter_in_data_names_its_place():
    (f,) = [f for f in validate([bib("x1", title(), df("650", ("a", "ab\x1fcd")))]) if f.rule.startswith("STRUCT")]
    assert (f.rule, f.severity, f.tag) == ("STRUCT-DELIMITER-IN-DATA", "error", "650")
    assert "subfield $a" in f.message and "U+001F" in f.message and "character 2" in f.message


def test_wrong_leader_length():
    r = bib("x1", title())
    r.marc.leader = "00000nam a22"  # pymarc keeps a plain string
    assert [f.message for f in validate([r]) if f.rule == "STRUCT-LEADER"] == ["the leader has 12 characters, not 24"]


def test_holdings_records_need_no_008_or_245():
    h = bib("h9912345apis01", df("852", ("b", "Li")), leader="00000nx  a2200000un 4500", f008=None)
    h.marc.fields.insert(1, Field(tag="004", data="x1"))
    assert validate([h]) == []


def test_broken_record_is_an_error():
    b = BrokenRecord("f.mrc", 2, 100, "the directory is cut short")
    (f,) = validate([b])
    assert (f.severity, f.rule, f.record_number) == ("error", "STRUCT-UNREADABLE", 2)
    assert "cut short" in f.message


def test_duplicate_control_numbers_in_a_file():
    fs = validate([bib("x1", title("A"), number=1), bib("x1", title("B"), number=2)])
    (f,) = [f for f in fs if f.rule == "STRUCT-DUPLICATE-001"]
    assert f.record_number == 2 and "record 1" in f.message


# -- read-only parts that were already broken -------------------------------------------------------


def test_seed_channel_record_problems_are_warnings_for_katalogsupport(seed_notation):
    fs = validate(open_source(seed_notation))
    assert errors(fs) == []
    chan = [f for f in fs if f.record_number == 2 and f.katalogsupport]
    assert {(f.tag, f.occurrence) for f in chan} == {("856", 1), ("856", 2), ("856", 3)}
    assert all(f.rule == "CHN-READONLY" for f in chan)
    assert any("STRUCT-ORPHAN-TEXT" in f.message for f in chan)
    assert any("URI in $a" in f.message for f in chan)


def test_the_same_problems_in_an_ordinary_record_are_errors():
    r = bib(
        "x1",
        title(),
        df("856", ("", "http://orphan.example/"), ("z", "x"), ind=("4", "2")),
        df("856", ("u", ""), ("u", "http://x.example/"), ind=("4", "0")),
    )
    assert set(rules_of(validate([r]), "error")) == {"STRUCT-ORPHAN-TEXT", "STRUCT-EMPTY-SUBFIELD"}


def test_empty_subfield_in_protected_field_of_eplikt_record_is_reported_not_fixed():
    r = bib("e1", df("042", ("9", "EPLK")), title(), df("024", ("a", ""), ind=("7", " ")))
    (f,) = [f for f in validate([r]) if f.tag == "024"]
    assert f.severity == "warning" and f.rule == "EPL-PROTECT" and f.katalogsupport
    # ... but an empty subfield the cataloguer added is an error
    r2 = copy.deepcopy(r)
    r2.marc.get_fields("024")[0].subfields[0] = Subfield("a", "ok")
    r2.marc.fields.append(df("650", ("a", ""), ind=(" ", "4")))  # 650 second indicator blank: MARC-INDICATOR
    assert rules_of(validate([r2]), "error") == ["STRUCT-EMPTY-SUBFIELD"]


def test_already_broken_channel_field_stays_a_warning_when_another_part_changed():
    orig = load()
    ed = load()
    raw_edit(ed, "chan0001", "245", 1, lambda f: f.subfields.__setitem__(0, Subfield("a", "X")))
    fs = validate(ed, orig)
    errs = errors(fs)
    assert [f.rule for f in errs] == ["CHN-READONLY"]
    assert "245" in errs[0].message


# -- against the original -------------------------------------------------------------------------------


def test_unchanged_file_has_no_errors():
    assert errors(validate(load(), load())) == []


def test_upgrade_against_the_original_passes():
    orig, ed = load(), load()
    edit(
        ed,
        "eplk0001",
        C.AddField("650", [" ", "7"], [("a", "Arkiv"), ("2", "sao")]),
        C.AddField("084", subfields=[("a", "Ab"), ("2", "kssb/8")]),
        C.SetSubfield("100", 1, 0, "Andersson, Anna, 1970-"),
        C.SetSubfield("245", 1, 0, "Rapport om e-plikten"),
    )
    fs = validate(ed, orig)
    assert errors(fs) == []


@pytest.mark.parametrize(
    "tag,occ,change",
    [
        ("020", 1, lambda f: f.subfields.__setitem__(0, Subfield("a", "9789100000004"))),
        ("024", 1, lambda f: setattr(f, "indicator1", "8")),
        ("506", 1, lambda f: f.subfields.__setitem__(0, Subfield("a", "gratis"))),
        ("540", 1, lambda f: f.subfields.append(Subfield("u", "https://cc.org/"))),
        ("655", 1, lambda f: f.subfields.__setitem__(0, Subfield("a", "Report"))),
        ("776", 1, lambda f: f.subfields.pop()),
        ("856", 2, lambda f: f.subfields.__setitem__(1, Subfield("z", "Other"))),
        ("856", 2, lambda f: f.subfields.__setitem__(0, Subfield("u", "https://other.se/x.pdf"))),  # has $z
    ],
)
def test_protected_changes_are_errors(tag, occ, change):
    orig, ed = load(), load()
    raw_edit(ed, "eplk0001", tag, occ, change)
    errs = errors(validate(ed, orig))
    assert [(f.rule, f.tag) for f in errs] == [("EPL-PROTECT", tag)], errs
    assert "Katalogsupport" in errs[0].message and "->" in errs[0].message


def test_protected_field_removed_or_added():
    orig, ed = load(), load()
    r = by_cn(ed, "eplk0001")
    r.marc.fields = [f for f in r.marc.fields if f.tag != "655"]
    r.marc.fields.append(df("022", ("a", "0346-2250")))
    errs = errors(validate(ed, orig))
    assert sorted((f.tag, "removed" in f.message, "added" in f.message) for f in errs) == [
        ("022", False, True),
        ("655", True, False),
    ]


def test_uri_fix_add_and_move_are_allowed_and_noted():
    orig, ed = load(), load()
    edit(
        ed,
        "eplk0001",
        C.FixUri(1, "https://myndigheten.se/om"),
        C.MoveRestrictedUris(),
        C.AddUri("https://myndigheten.se/extra.pdf", ind2="2"),
    )
    fs = validate(ed, orig)
    assert errors(fs) == []
    notes = {f.rule for f in fs if f.severity == "info"}
    assert {"URI-FIX", "URI-MOVE", "URI-ADD"} <= notes


def test_uri_move_without_restricted_is_an_error():
    orig, ed = load(), load()
    raw_edit(ed, "art0001", "856", 1, lambda f: setattr(f, "indicator2", "2"))
    errs = errors(validate(ed, orig))
    assert [(f.rule, f.tag) for f in errs] == [("EPL-PROTECT", "856")]


def test_uri_fix_must_give_a_uri():
    orig, ed = load(), load()
    raw_edit(ed, "eplk0001", "856", 1, lambda f: f.subfields.__setitem__(0, Subfield("u", "hemsidan")))
    assert [f.rule for f in errors(validate(ed, orig))] == ["EPL-PROTECT"]


def test_changed_channel_record_is_an_error_and_unchanged_is_not():
    orig, ed = load(), load()
    assert not errors(validate(ed, orig))
    raw_edit(ed, "chan0001", "856", 4, lambda f: f.subfields.__setitem__(0, Subfield("u", "https://x.se/")))
    errs = errors(validate(ed, orig))
    assert [f.rule for f in errs] == ["CHN-READONLY"] and errs[0].control_number == "chan0001"


def test_holding_added_to_channel_record_is_an_error():
    orig, ed = load(), load()
    r = by_cn(ed, "chan0001")
    r.marc.fields.append(df("852", ("b", "Li"), ("5", "Li")))
    assert [f.rule for f in errors(validate(ed, orig))] == ["CHN-READONLY"]


def test_making_a_channel_record_by_hand_is_an_error():
    orig, ed = load(), load()
    raw_edit(ed, "ord0001", "245", 1, lambda f: f.subfields.append(Subfield("h", "[channel record]")))
    assert [f.rule for f in errors(validate(ed, orig))] == ["CHN-READONLY"]


def test_eplikt_record_missing_or_marked_deleted():
    orig, ed = load(), load()
    ed = [e for e in ed if getattr(e, "control_number", None) not in ("eplk0001", "ord0001")]
    fs = validate(ed, orig)
    assert [(f.rule, f.control_number) for f in errors(fs)] == [("EPL-NODELETE", "eplk0001")]
    notes = [(f.rule, f.control_number) for f in fs if f.severity == "info" and f.rule != "LIBRIS-001"]
    assert notes == [("STRUCT-001", "ord0001")]
    orig, ed = load(), load()
    r = by_cn(ed, "art0001")
    ld = str(r.marc.leader)
    r.marc.leader = Leader(ld[:5] + "d" + ld[6:])
    assert [f.rule for f in errors(validate(ed, orig))] == ["EPL-NODELETE"]


def test_ordinary_record_deleted_is_fine():
    orig, ed = load(), load()
    edit(ed, "ord0001", C.DeleteRecord())
    assert errors(validate(ed, orig)) == []


def test_eplikt_markers_removed():
    orig, ed = load(), load()
    r = by_cn(ed, "eplk0001")
    r.marc.fields = [f for f in r.marc.fields if f.tag != "042"]
    assert [f.rule for f in errors(validate(ed, orig))] == ["EPL-DETECT"]
    orig, ed = load(), load()
    ed = [e for e in ed if not (isinstance(e, LibrisRecord) and e.kind == "holdings")]
    by_cn(ed, "apis0001").holdings = []
    rules = sorted(f.rule for f in errors(validate(ed, orig)))
    assert rules == ["EPL-DETECT", "EPL-DETECT"]  # the bib lost its APIS holding; the record is gone


def test_pairing_by_001_survives_reordering():
    orig, ed = load(), load()
    ed.reverse()
    assert errors(validate(ed, orig)) == []


def test_pairing_by_position_without_001(seed_notation):
    orig = list(open_source(seed_notation))
    ed = list(open_source(seed_notation))
    ed[0].marc.get_fields("506")[0].subfields[0] = Subfield("a", "restricted")
    errs = errors(validate(ed, orig))
    assert [(f.rule, f.record_number, f.tag) for f in errs] == [("EPL-PROTECT", 1, "506")]


# -- advice ------------------------------------------------------------------------------------------


def test_uri_move_advice():
    fs = validate(load())
    (f,) = [f for f in fs if f.rule == "URI-MOVE"]
    assert (f.severity, f.control_number, f.tag, f.occurrence) == ("warning", "eplk0001", "856", 1)
    assert "move-restricted-uris" in f.message
    ed = load()
    edit(ed, "eplk0001", C.MoveRestrictedUris())
    assert "URI-MOVE" not in rules_of(validate(ed))


def test_sup_clear_advice_after_a_holding():
    orig, ed = load(), load()
    edit(ed, "art0001", C.AddHolding("Li"))
    (f,) = [f for f in validate(ed, orig) if f.rule == "SUP-CLEAR"]
    assert f.severity == "warning" and "Li" in f.message
    edit(ed, "art0001", C.ClearSuppress())
    assert "SUP-CLEAR" not in rules_of(validate(ed, orig))
    # untouched suppressed record: no advice; channel records never get it
    assert "SUP-CLEAR" not in rules_of(validate(load(), load()))


def test_sup_clear_without_original_when_a_library_holds_it():
    r = bib(
        "s1", df("042", ("9", "EPLK")), title(), df("599", ("a", "SUPPRESSRECORD")), df("852", ("b", "Li"), ("5", "Li"))
    )
    assert "SUP-CLEAR" in rules_of(validate([r]))


def test_two_holdings_for_one_sigel():
    ed = load()
    r = by_cn(ed, "apis0001")
    r.holdings.append(copy.deepcopy(r.holdings[0]))
    (f,) = [f for f in validate(ed) if f.rule == "HOLD-ADD"]
    assert "APIS" in f.message


@pytest.mark.parametrize(
    "field,expect",
    [
        (df("020", ("a", "9789127156372")), "not a valid ISBN"),
        (df("022", ("a", "0346-2251")), "not a valid ISSN"),
        (df("506", ("a", "fri")), "access terms"),
        (df("655", ("a", "Article"), ind=(" ", "7")), "no $2"),
        (df("773", ("g", "2021:3"), ind=("0", " ")), "links to nothing"),
        (df("856", ("a", "https://x.se/"), ("z", "note"), ind=("4", "0")), "URI in $a"),
    ],
)
def test_protected_field_anomalies_go_to_katalogsupport(field, expect):
    r = bib("e1", df("042", ("9", "EPLK")), title(), field)
    ks = [f for f in validate([r]) if f.katalogsupport]
    assert len(ks) == 1 and expect in ks[0].message and ks[0].rule == "EPL-PROTECT"


def test_anomalies_in_ordinary_records_are_not_for_katalogsupport():
    r = bib("o1", title(), df("020", ("a", "9789127156372")), df("856", ("a", "https://x.se/"), ind=("4", "0")))
    fs = validate([r])
    assert not any(f.katalogsupport for f in fs)
    assert [rule for rule in rules_of(fs) if not rule.startswith("LIBRIS-")] == ["STRUCT-856"]


def test_fixable_856_in_eplikt_suggests_uri_fix():
    r = bib("e1", df("042", ("9", "EPLK")), title(), df("856", ("u", " "), ind=("4", "0")))
    fs = validate([r])
    assert "URI-FIX" in rules_of(fs)


# -- duplicates (DUP-REPORT) -------------------------------------------------------------------------


def test_same_isbn_10_and_13_are_duplicates():
    a = bib("a", title("Boken"), df("020", ("a", "91-27-15637-0")), number=1)
    b = bib("b", title("Annan"), df("020", ("a", "9789127156371 (inb.)")), number=2)
    (f,) = [f for f in validate([a, b]) if f.rule == "DUP-REPORT"]
    assert f.record_number == 2 and "record 1 [a]" in f.message and "ISBN 9789127156371" in f.message
    assert f.katalogsupport


def test_same_title_and_year_are_duplicates_but_not_other_media():
    a = bib("a", title("Könsnormer i bildspråket"), number=1)
    b = bib("b", title("KÖNSNORMER I BILDSPRÅKET."), number=2)
    c = bib("c", df("245", ("a", "Könsnormer i bildspråket"), ("h", "[Elektronisk resurs]")), number=3)
    d = bib("d", title("Könsnormer i bildspråket"), number=4, f008=F008.replace("2020", "2021"))
    dups = [f for f in validate([a, b, c, d]) if f.rule == "DUP-REPORT"]
    assert [(f.record_number, "record 1" in f.message) for f in dups] == [(2, True)]


def test_same_issn_and_024():
    a = bib("a", title("A"), df("022", ("a", "0346-2250")), df("024", ("a", "urn:x"), ("2", "urn"), ind=("7", " ")))
    b = bib("b", title("B"), df("022", ("a", "03462250")), number=2)
    c = bib("c", title("C"), df("024", ("a", "URN:X"), ("2", "urn"), ind=("7", " ")), number=3)
    dups = [f for f in validate([a, b, c]) if f.rule == "DUP-REPORT"]
    assert [f.record_number for f in dups] == [2, 3]


def test_no_duplicates_among_distinct_records_and_one_finding_per_pair():
    assert "DUP-REPORT" not in rules_of(validate(load()))
    a = bib("a", title("Samma"), df("020", ("a", "9789127156371")), number=1)
    b = bib("b", title("Samma"), df("020", ("a", "9789127156371")), number=2)
    assert rules_of(validate([a, b])).count("DUP-REPORT") == 1


def test_many_duplicates_stay_linear():
    recs = [bib(f"r{i}", title("Samma titel"), number=i + 1) for i in range(3000)]
    dups = [f for f in validate(recs) if f.rule == "DUP-REPORT"]
    assert len(dups) == 2999 and all("record 1 [r0]" in f.message for f in dups)


def test_channel_and_deleted_records_are_not_duplicates():
    a = bib("a", title("Kanal"), number=1)
    b = bib("b", df("245", ("a", "Kanal"), ("h", "[channel record]")), number=2)
    c = bib("c", title("Kanal"), number=3, leader="00000dam a2200000 i 4500")
    assert "DUP-REPORT" not in rules_of(validate([a, b, c]))


def test_helpers():
    assert isbn13("91-27-15637-0") == "9789127156371"
    assert isbn13("9789127156372") is None
    assert issn("0346-2250") == "0346-2250" and issn("0346-2251") is None
    assert normalise_title("  Åsa:  en BOK! ") == "åsa en bok"
    assert duplicate_keys(bib("a", title("T")).marc) == [(("title", "t", "2020", ""), "title and year ('T', 2020)")]
