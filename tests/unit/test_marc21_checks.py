"""The MARC 21 content checks (tui/core/validation/marc21.py): each check through ``validate``,
with its rule id, severity and sentence from the rule table; local and Libris fields allowed; the
one definitions loader; the export gate (errors refuse, warnings do not) and ``validate`` on the
command line; real records (pymarc's corpus, the sample records) give no false errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pymarc import Field, Leader, Record, Subfield

from tui.cli import main
from tui.core.files.export import ExportRefused, export
from tui.core.formats import open_source
from tui.core.model import marc21defs
from tui.core.model.record import LibrisRecord
from tui.core.rules import table
from tui.core.validation import marc21
from tui.core.validation.validate import validate

ROOT = Path(__file__).resolve().parents[2]
PYMARC = ROOT.parent / "shared" / "corpus" / "pymarc"
SAMPLES = ROOT / "sample_records"

F008 = "200101s2020    sw |||||o|||||000 0 swe|c"
BIB = "00000nam a2200000 i 4500"
HOLD = "00000nx  a2200000un 4500"
AUTH = "00000nz  a2200000n  4500"
HOLD008 = "2001010u    8   4001aa   0200101"
AUTH008 = "200101n| azannaabn          |a aaa      "


def df(tag, *subs, ind=(" ", " ")):
    return Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs])


def cf(tag, data):
    return Field(tag=tag, data=data)


def rec(*fields, leader=BIB, f008=F008, cn="x1"):
    r = Record(force_utf8=True)
    r.leader = Leader(leader)
    base = [cf("001", cn)] + ([cf("008", f008)] if f008 is not None else [])
    r.fields = base + list(fields)
    return LibrisRecord(marc=r, number=1, path="mem")


def title(*more):
    return df("245", ("a", "En titel"), *more, ind=("1", "0"))


def content(r) -> list[tuple[str, str, str | None]]:
    """(severity, rule, tag) of the MARC-* findings of ``r``."""
    return [(f.severity, f.rule, f.tag) for f in validate([r]) if f.rule.startswith("MARC-")]


def messages(r) -> list[str]:
    return [f.message for f in validate([r]) if f.rule.startswith("MARC-")]


def test_a_clean_record_of_each_format_has_no_content_findings():
    assert content(rec(title(), df("650", ("a", "Bildanalys"), ("2", "sao"), ind=(" ", "7")))) == []
    assert content(rec(cf("004", "x0"), df("852", ("b", "S")), leader=HOLD, f008=HOLD008)) == []
    assert content(rec(df("100", ("a", "Berg, Bo"), ind=("1", " ")), leader=AUTH, f008=AUTH008)) == []


# -- the loader ------------------------------------------------------------------------------------


def test_one_loader_read_once_from_the_package_data():
    d = marc21defs.definitions()
    assert d is marc21defs.definitions()
    assert marc21defs.format_of(BIB) == "bib" and marc21defs.format_of(HOLD) == "hold"
    assert marc21defs.format_of(AUTH) == "auth"
    bib = d.format("bib")
    assert d.format("holdings") is d.format("hold") and d.for_leader(AUTH) is d.format("authority")
    t = bib.get("245")
    assert (
        t is not None and not t.repeatable and t.name("sv") == "Titel och upphov" and t.name("en") == "Title statement"
    )
    assert t.subfields is not None and t.subfields["a"].required and not t.subfields["a"].repeatable
    assert t.indicators is not None and t.indicators[0].defined("1") and not t.indicators[0].defined("5")
    statuses = {tag: bib.status(tag) for tag in ("245", "976", "440", "590", "999", "123", "490")}
    assert statuses == {
        "245": "defined",
        "976": "libris",
        "440": "obsolete",
        "590": "local",  # an X9X field (LoC once defined it for visual materials: obsolete, local now)
        "999": "local",
        "123": "undefined",
        "490": "defined",  # X9X, but defined
    }
    assert marc21defs.is_local("950") and marc21defs.is_local("096") and not marc21defs.is_local("009")


# -- tags --------------------------------------------------------------------------------------------


def test_undefined_and_obsolete_tags_are_warnings():
    assert content(rec(title(), df("123", ("a", "x")))) == [("warning", "MARC-TAG", "123")]
    assert content(rec(title(), df("440", ("a", "Serie"), ind=(" ", "0")))) == [("warning", "MARC-TAG", "440")]
    assert "tag 123 is not defined in the MARC 21 format for bibliographic data" in messages(
        rec(title(), df("123", ("a", "x")))
    )
    # a tag the holdings format does not define, in a holdings record
    assert content(rec(cf("004", "x0"), df("852", ("b", "S")), df("245", ("a", "x")), leader=HOLD, f008=None)) == [
        ("warning", "MARC-TAG", "245")
    ]


def test_local_fields_and_libris_fields_are_allowed():
    r = rec(
        title(),
        df("999", ("q", "anything"), ind=("x", "y")),
        df("590", ("z", "local note")),
        df("096", ("a", "local call number")),
        df("976", ("a", "Dbb"), ("b", "Skönlitteratur"), ind=(" ", "0")),  # Libris's own: SAB heading
        df("100", ("a", "Berg, Bo"), ("9", "local code"), ind=("1", " ")),  # $9: for local use
    )
    assert content(r) == []
    assert table.say("MARC-LOCAL", "local").startswith("local field")


def test_a_libris_field_that_deviates_from_libris_definition_is_a_warning():
    r = rec(title(), df("976", ("a", "Dbb"), ("q", "x"), ind=(" ", "0")))
    assert content(r) == [("warning", "MARC-SUBFIELD", "976")]
    assert messages(r) == ["976 $q is not in Libris's definition of 976"]


# -- repeatability --------------------------------------------------------------------------------


def test_a_non_repeatable_field_repeated_is_an_error():
    r = rec(title(), df("100", ("a", "A"), ind=("1", " ")), df("100", ("a", "B"), ind=("1", " ")))
    assert content(r) == [("error", "MARC-REPEAT", "100")]
    (f,) = [f for f in validate([r]) if f.rule == "MARC-REPEAT"]
    assert f.occurrence == 2 and f.message == "100 (Main entry--personal name) is not repeatable, and occurs again here"
    two_040 = rec(title(), df("040", ("a", "S")), df("040", ("a", "Li")))
    assert content(two_040) == [("error", "MARC-REPEAT", "040")]
    # repeatable fields, and what STRUCT-* already counts (245, 008, 001), are not said again
    assert content(rec(title(), df("650", ("a", "A"), ind=(" ", "4")), df("650", ("a", "B"), ind=(" ", "4")))) == []
    assert content(rec(title(), title())) == []


def test_a_non_repeatable_subfield_repeated_is_an_error():
    r = rec(df("245", ("a", "Ett"), ("a", "Två"), ind=("1", "0")))
    assert content(r) == [("error", "MARC-REPEAT", "245")]
    assert messages(r) == ["245 $a (Title) is not repeatable; the field has it 2 times"]


# -- indicators and codes -------------------------------------------------------------------------


def test_undefined_indicator_values_are_errors_obsolete_ones_warnings():
    assert content(rec(df("245", ("a", "x"), ind=("5", "0")))) == [("error", "MARC-INDICATOR", "245")]
    assert content(rec(title(), df("856", ("u", "https://x.se/"), ind=("4", "9")))) == [
        ("error", "MARC-INDICATOR", "856")
    ]
    r = rec(title(), df("100", ("a", "Berg, Bo"), ind=("2", " ")))  # 100 ind1 2 (multiple surname)
    assert content(r) == [("warning", "MARC-INDICATOR", "100")]
    assert messages(r) == ["100 indicator 1 '2' (Multiple surname) is obsolete"]
    # what STRUCT-INDICATOR says (the fill character, an invalid character) is not said again
    assert content(rec(df("245", ("a", "x"), ind=("|", "0")))) == []


def test_undefined_subfield_codes_are_errors_obsolete_ones_warnings():
    r = rec(title(), df("020", ("a", "9789127156372"), ("b", "inb.")))
    assert content(r) == [("error", "MARC-SUBFIELD", "020")]
    assert messages(r) == ["020 $b is not defined"]
    assert content(rec(title(), df("856", ("u", "https://x.se/"), ("b", "1.2.3.4"), ind=("4", "0")))) == [
        ("warning", "MARC-SUBFIELD", "856")
    ]
    # an 880 takes the codes of the field it stands beside, any indicators
    assert content(rec(title(("6", "880-01")), df("880", ("6", "245-01"), ("a", "题名"), ind=("1", "0")))) == []


def test_a_required_subfield_missing_is_an_error():
    r = rec(df("245", ("b", "undertitel"), ind=("1", "0")))
    assert content(r) == [("error", "MARC-REQUIRED", "245")]
    assert messages(r) == ["245 has no $a (Title), which the field requires"]
    # where MARC 21 lets $a be absent: a cancelled number alone, Libris's 042 $9
    assert content(rec(title(), df("024", ("z", "123"), ind=("7", " ")), df("042", ("9", "EPLK")))) == []
    hold = rec(cf("004", "x0"), df("852", ("h", "Hylla")), leader=HOLD, f008=None)
    assert content(hold) == [("error", "MARC-REQUIRED", "852")]  # a holding names its sigel (852 $b)


# -- fixed fields ---------------------------------------------------------------------------------


def test_fixed_field_lengths_by_format_and_category():
    hold008 = rec(cf("004", "x0"), df("852", ("b", "S")), leader=HOLD, f008=F008)  # 40, not 32
    assert content(hold008) == [("error", "MARC-FIXED", "008")]
    assert "008 has 40 characters; 008 Holdings has 32" in messages(hold008)
    auth = rec(df("100", ("a", "Berg, Bo"), ind=("1", " ")), leader=AUTH, f008="200101n| azannaabn")
    assert content(auth) == [("error", "MARC-FIXED", "008")]
    assert content(rec(title(), cf("006", "m     o  d "))) == [("error", "MARC-FIXED", "006")]
    assert content(rec(title(), cf("006", "m     o  d        "))) == []
    assert content(rec(title(), cf("007", "ta"))) == []
    assert content(rec(title(), cf("007", "cr |||||||||||"))) == []
    # an electronic resource's 007 of six: its later positions not coded (a warning); longer: an error
    assert content(rec(title(), cf("007", "cr bn "))) == [("warning", "MARC-FIXED", "007")]
    assert content(rec(title(), cf("007", "ta" + "x" * 5))) == [("error", "MARC-FIXED", "007")]
    assert content(rec(title(), cf("007", "7b"))) == [("warning", "MARC-FIXED", "007")]  # no such category


def test_fixed_field_codes_by_record_type_and_material():
    books = F008[:22] + "q" + F008[23:]  # 008/22 target audience: no code q
    r = rec(title(), f008=books)
    assert content(r) == [("warning", "MARC-FIXED", "008")]
    assert messages(r) == ["008/22 'q' is not a code of Audience (008 Books)"]
    # in a map's 008 the same place is 22-23, the projection (and a book's 29 and 33 are no map codes)
    assert [m.split(" is ")[0] for m in messages(rec(title(), f008=books, leader="00000nem a2200000 i 4500"))] == [
        "008/22-23 'qo'",
        "008/29 '0'",
        "008/33 '0'",
    ]
    # the leader's own positions (those STRUCT-LEADER does not look at): 17, 18, 19, 08
    assert content(rec(title(), leader="00000nam a2200000q  4500")) == [("warning", "MARC-FIXED", "000")]
    with table.speaking("sv"):
        (m,) = messages(rec(title(), leader="00000nam a2200000q  4500"))
    assert m.startswith("000/17 'q' är ingen kod för")


# -- 880 linkage -----------------------------------------------------------------------------------


def test_880_linkage_both_ways():
    paired = rec(title(("6", "880-01")), df("880", ("6", "245-01/$1"), ("a", "题名"), ind=("1", "0")))
    assert content(paired) == []
    unlinked = rec(title(), df("880", ("6", "500-00/(3/r"), ("a", "note")))
    assert content(unlinked) == []  # NN 00: nothing beside it
    no_back = rec(title(("6", "880-02")))
    assert content(no_back) == [("warning", "MARC-880", "245")]
    assert messages(no_back) == ["245 $6 '880-02': no 880 links back with $6 245-02"]
    orphan = rec(title(), df("880", ("6", "100-03"), ("a", "名")))
    assert messages(orphan) == ["880 $6 '100-03': no 100 links back with $6 880-03"]
    assert content(rec(title(), df("880", ("a", "x")))) == [("warning", "MARC-880", "880")]
    assert content(rec(title(), df("880", ("6", "2451"), ("a", "x")))) == [("warning", "MARC-880", "880")]


# -- where the findings go -------------------------------------------------------------------------


def test_content_errors_in_an_unchanged_channel_record_are_reported_not_errors():
    chan = rec(
        title(("h", "[channel record]")),
        df("599", ("a", "SUPPRESSRECORD")),
        df("040", ("a", "S")),
        df("040", ("a", "Li")),
    )
    (f,) = [f for f in validate([chan]) if f.tag == "040"]
    assert f.severity == "warning" and f.rule == "CHN-READONLY" and f.katalogsupport and "MARC-REPEAT" in f.message


def test_the_checks_speak_swedish():
    with table.speaking("sv"):
        assert messages(rec(df("245", ("a", "x"), ind=("5", "0")))) == [
            "245 indikator 1 '5' är inte definierad (definierade: '0', '1')"
        ]


def test_export_refuses_content_errors_and_writes_past_warnings(tmp_path):
    bad = rec(title(), df("040", ("a", "S")), df("040", ("a", "Li")))
    with pytest.raises(ExportRefused) as exc:
        export([bad], tmp_path / "o.mrc")
    assert [f.rule for f in exc.value.errors] == ["MARC-REPEAT"]
    assert not (tmp_path / "o.mrc").exists()
    warned = rec(title(), df("123", ("a", "x")))
    result = export([warned], tmp_path / "w.mrc")
    assert (tmp_path / "w.mrc").is_file() and result.summary.get("warning", 0) >= 1


def test_validate_on_the_command_line_exits_1_on_content_errors(tmp_path, capsys):
    from tui.core.formats import iso2709

    p = tmp_path / "r.mrc"
    good = rec(title())
    bad = copy.deepcopy(good)
    bad.marc.fields.append(df("245", ("a", "Två"), ("a", "titlar"), ind=("1", "0")))
    bad.marc.fields.append(df("123", ("a", "x")))
    with open(p, "wb") as fh:
        iso2709.write([good.marc, bad.marc], fh)
    assert main(["validate", str(p)]) == 1
    out = capsys.readouterr().out
    assert "record 2 [x1] 123[1]: tag 123 is not defined in the MARC 21 format for bibliographic data (MARC-TAG)" in out
    assert main(["validate", "--format", "json", str(p)]) == 1
    doc = json.loads(capsys.readouterr().out)
    rules = {(f["rule"], f["severity"]) for f in doc["findings"]}
    assert {("MARC-TAG", "warning"), ("MARC-REPEAT", "error")} <= rules
    with open(p, "wb") as fh:
        iso2709.write([good.marc, rec(title(), df("123", ("a", "x"))).marc], fh)
    assert main(["validate", str(p)]) == 0  # warnings only
    capsys.readouterr()


# -- real records ------------------------------------------------------------------------------------


def _content_errors(paths) -> set[tuple[str, int, str, str]]:
    out = set()
    for p in paths:
        try:
            src = open_source(p)
        except Exception:  # what cannot be read at all is the readers' business
            continue
        for e in src:
            if isinstance(e, LibrisRecord):
                for f in validate([e], duplicates=False):
                    if f.rule.startswith("MARC-") and f.severity == "error":
                        out.add((p.name, e.number, f.rule, f.tag))
    return out


def test_the_sample_records_give_no_content_errors():
    paths = [p for p in sorted(SAMPLES.iterdir()) if p.suffix != ".md"]
    assert _content_errors(paths) == set()


#: pymarc's corpus: the content errors it gives, each a real deviation from MARC 21 (old records'
#: once-defined values, UNIMARC records, and the files that are broken on purpose)
PYMARC_ERRORS = {
    # bad_tag.xml: every indicator 'z', a second 100, fields without $a, on purpose
    ("bad_tag.xml", 1, "MARC-INDICATOR", "042"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "100"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "245"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "260"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "500"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "506"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "516"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "830"),
    ("bad_tag.xml", 1, "MARC-INDICATOR", "856"),
    ("bad_tag.xml", 1, "MARC-REPEAT", "100"),
    ("bad_tag.xml", 1, "MARC-REQUIRED", "100"),
    ("bad_tag.xml", 1, "MARC-REQUIRED", "245"),
    ("bad_tag.xml", 1, "MARC-REQUIRED", "830"),
    # 100 second indicator 0: defined before 1990, undefined since (LoC's list does not keep it)
    ("bad_indicator.dat", 1, "MARC-INDICATOR", "100"),
    ("marc8.dat", 1, "MARC-INDICATOR", "100"),
    ("utf8_with_leader_flag.dat", 1, "MARC-INDICATOR", "100"),
    ("utf8_without_leader_flag.dat", 1, "MARC-INDICATOR", "100"),
    # 010 $o: no such code
    ("marc8.dat", 1, "MARC-SUBFIELD", "010"),
    ("utf8_with_leader_flag.dat", 1, "MARC-SUBFIELD", "010"),
    ("utf8_without_leader_flag.dat", 1, "MARC-SUBFIELD", "010"),
    # 035 first indicator 9 (a local habit)
    ("alphatag.dat", 1, "MARC-INDICATOR", "035"),
    # 490 first indicator blank (0 or 1 since 490 was defined)
    *{("regression45.dat", n, "MARC-INDICATOR", "490") for n in range(1, 13)},
    # 015 $b: not a code of 015 (RUSMARC habits)
    *{("1251.dat", n, "MARC-SUBFIELD", "015") for n in range(1, 7)},
    # 245 $á for $a (a subfield code that is not one): no $a
    ("bad_subfield_code.dat", 1, "MARC-REQUIRED", "245"),
    # a UNIMARC record read as MARC 21
    ("testunimarc.dat", 1, "MARC-INDICATOR", "100"),
    ("testunimarc.dat", 1, "MARC-INDICATOR", "210"),
    ("testunimarc.dat", 1, "MARC-INDICATOR", "410"),
    ("testunimarc.dat", 1, "MARC-INDICATOR", "700"),
    ("testunimarc.dat", 1, "MARC-SUBFIELD", "210"),
    ("testunimarc.dat", 1, "MARC-SUBFIELD", "410"),
}


@pytest.mark.skipif(not PYMARC.is_dir(), reason="../shared/corpus/pymarc is not beside the checkout")
def test_pymarcs_corpus_gives_only_real_content_errors():
    got = _content_errors(sorted(PYMARC.iterdir()))
    assert got - PYMARC_ERRORS == set(), "new content errors in pymarc's corpus: are they real?"
    assert PYMARC_ERRORS - got == set()


def test_the_content_checks_are_one_checker_per_format():
    assert marc21.checker_for(BIB) is marc21.checker_for("00000cam a2200000 i 4500")
    assert marc21.checker_for(HOLD).fmt.id == "hold" and marc21.checker_for(AUTH).fmt.id == "auth"
