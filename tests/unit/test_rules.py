"""The rule table (data/rules.toml) and the rules engine: record state and field protection."""

from pathlib import Path

import pytest
from pymarc import Field, Record, Subfield

from tui.core.formats import open_source
from tui.core.model.record import LibrisRecord, new_leader
from tui.core.rules import eplikt as rules
from tui.core.rules.eplikt import protection, record_state

DATA = Path(__file__).parents[1] / "data" / "rules"
SPEC_IDS = (
    "EPL-DETECT",
    "EPL-NODELETE",
    "EPL-PROTECT",
    "EPL-UPGRADE",
    "CHN-DETECT",
    "CHN-READONLY",
    "CHN-HIDE",
    "URI-FIX",
    "URI-ADD",
    "URI-MOVE",
    "HOLD-ADD",
    "SUP-CLEAR",
    "DUP-REPORT",
)


def records():
    return {e.control_number: e for e in open_source(DATA / "records.txt") if e.kind == "bib"}


def rec(*fields, holdings=()):
    r = Record(force_utf8=True)
    r.leader = new_leader()
    r.fields = list(fields)
    return LibrisRecord(marc=r, holdings=list(holdings))


def df(tag, *subs, ind=(" ", " ")):
    return Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs])


# -- the table ----------------------------------------------------------------------------------


def test_every_spec_rule_is_in_the_table_with_english_and_swedish():
    for rid in SPEC_IDS:
        r = rules.RULES[rid]
        assert r.kind == "rule"
        assert r.en.endswith(".") and len(r.en) > 20
        assert r.sv, rid
    assert set(rules.SPEC_RULES) == set(SPEC_IDS)
    assert rules.RULES["PROFILE-LIMITED"].kind == "profile"


def test_protected_groups_cover_exactly_the_spec_tags():
    tags = set(rules.PROTECTED_TAGS)
    expected = (
        {f"{n:03d}" for n in range(20, 30)} | {"506", "540", "655", "856"} | {f"{n:03d}" for n in range(770, 788)}
    )
    assert tags == expected
    assert rules.PROTECTED_TAGS["856"].exceptions == ("URI-FIX", "URI-ADD", "URI-MOVE")


def test_loading_a_table_with_an_unknown_rule_fails(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[rule.X]\nkind = "rule"\nen = "x."\n\n[[protect]]\nrule = "NOPE"\ntags = ["506"]\n'
        'what = "w"\nlabel_sv = "l"\n',
        "utf-8",
    )
    with pytest.raises(ValueError, match="NOPE"):
        rules._load(bad)


# -- record state (EPL-DETECT, CHN-DETECT) --------------------------------------------------------


def test_eplk_marks_an_eplikt_record():
    st = record_state(records()["eplk0001"])
    assert st.eplikt and st.eplk and not st.channel and st.restricted


def test_apis_holding_without_digi_is_eplikt_and_with_digi_is_not():
    r = records()
    apis = record_state(r["apis0001"])  # holdings record in the same file (004 = 001)
    assert apis.eplikt and apis.apis and not apis.eplk
    digi = record_state(r["digi0001"])  # embedded $5 APIS, but 042 $9 DIGI
    assert digi.apis and digi.digi and not digi.eplikt
    assert not record_state(r["ord0001"]).eplikt


def test_apis_holding_found_through_the_source():
    src = open_source(DATA / "records.txt")
    bib = src.entry(2)
    bare = LibrisRecord(marc=bib.marc, path=bib.path, number=bib.number)  # not linked
    assert not record_state(bare).eplikt
    assert record_state(bare, src).eplikt


def test_channel_record_detection_and_hiding():
    r = records()
    st = record_state(r["chan0001"])
    assert st.channel and st.read_only and st.suppressed
    assert rules.hidden(r["chan0001"]) and not rules.hidden(r["chan0001"], show_channels=True)
    assert not rules.hidden(r["eplk0001"])
    shown = rules.visible_records(r.values())
    assert r["chan0001"] not in shown and r["eplk0001"] in shown
    assert len(rules.visible_records(r.values(), show_channels=True)) == len(r)


def test_channel_term_in_brackets_with_punctuation():
    r = rec(df("245", ("a", "X"), ("h", "[channel record] :")))
    assert record_state(r).channel
    assert not record_state(rec(df("245", ("a", "channel record")))).channel


# -- protection ------------------------------------------------------------------------------------


def test_506_protection_has_rule_reason_and_swedish_label():
    p = protection(records()["eplk0001"], "506", 1, "a")
    assert p.rule == "EPL-PROTECT"
    assert p.reason_en == "506 access terms in an e-plikt record stay unchanged; report errors to Katalogsupport"
    assert p.label_sv == "Villkor för användning och åtkomst / Benämning"


@pytest.mark.parametrize(
    "tag,label",
    [
        ("020", "Identifikator / ISBN / Värde"),
        ("024", "Identifikator / Identifikator / Värde"),
        ("540", "Villkor för användning och åtkomst / Användningsvillkor / Benämning"),
        ("655", "Genre/form / Föredragen benämning"),
        ("776", "Relationer under Instans / Annat bärarformat"),
    ],
)
def test_each_protected_group(tag, label):
    p = protection(records()["eplk0001"], tag, 1)
    assert p is not None and p.rule == "EPL-PROTECT" and p.label_sv == label
    assert p.reason_en.startswith(tag + " ")


def test_upgrade_fields_are_free_in_an_eplikt_record():
    r = records()["eplk0001"]
    for tag in ("100", "245", "650", "082", "700", "084"):
        assert protection(r, tag, 1) is None, tag


def test_nothing_is_protected_in_an_ordinary_record():
    r = records()["ord0001"]
    for tag in ("020", "506", "655", "856"):
        assert protection(r, tag, 1) is None


def test_everything_is_protected_in_a_channel_record():
    r = records()["chan0001"]
    for tag, occ, code in (("000", None, None), ("245", 1, "a"), ("650", None, None), ("856", 4, "u")):
        p = protection(r, tag, occ, code)
        assert p.rule == "CHN-READONLY" and "channel record" in p.reason_en


def test_856_u_without_z_may_be_fixed_but_not_with_z():
    r = records()["eplk0001"]
    assert protection(r, "856", 1, "u") is None  # URI-FIX
    p = protection(r, "856", 2, "u")
    assert p.rule == "EPL-PROTECT" and "$z" in p.reason_en
    whole = protection(r, "856", 1)
    assert whole.rule == "EPL-PROTECT" and "URI-MOVE" in whole.reason_en  # 506 restricted
    assert whole.label_sv == "Tillhörande media / Mediaobjekt / URI"
    assert protection(r, "856", 2).label_sv == "Relaterad beskrivning eller innehåll / Dokument / URI"


def test_eplikt_markers_are_protected():
    r = records()["eplk0001"]
    p = protection(r, "042", 1, "9")
    assert p.rule == "EPL-DETECT" and "EPLK" in p.reason_en
    apis = rec(
        df("042", ("9", "EPLK")),
        df("245", ("a", "T")),
        df("852", ("b", "APIS"), ("5", "APIS")),
        df("852", ("b", "Li"), ("5", "Li")),
    )
    assert protection(apis, "852", 1).rule == "EPL-DETECT"
    assert protection(apis, "852", 2) is None  # a library's own embedded holding


def test_restricted_uri_targets():
    r = records()
    assert rules.restricted_uri_occurrences(r["eplk0001"]) == [1]
    assert rules.restricted_uri_occurrences(r["art0001"]) == []  # 506 gratis
    assert rules.restricted_uri_occurrences(r["ord0001"]) == []  # not e-plikt


@pytest.mark.parametrize(
    "value,ok",
    [
        ("https://example.org/a", True),
        ("urn:nbn:se:kb:1", True),
        ("http://", False),
        ("example.org", False),
        ("https://exa mple.org", False),
        ("", False),
    ],
)
def test_looks_like_uri(value, ok):
    assert rules.looks_like_uri(value) is ok


def test_every_rule_id_the_code_uses_is_in_the_table():
    """Anywhere in tui/: a rule id in a string, or the first argument of a refusal, a reader issue,
    an advice or a sentence looked up in the table (``JOURNAL`` has no dash)."""
    import ast
    import re

    pkg = Path(rules.__file__).parents[2]
    pattern = re.compile(
        r"^(?:EPL|CHN|URI|HOLD|SUP|DUP|PROFILE|EDIT|STRUCT|ENC|LDR|JSON|JSONLD|MRK|MARC|LIBRIS)(?:-[A-Z0-9]+)+$"
    )
    callers = {"Refusal", "ReadIssue", "Advice", "of", "say", "finding", "add", "severity", "reports", "sentence"}
    ids: dict[str, str] = {}
    for path in pkg.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                ids.setdefault(node.value, path.name)
            elif isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[0]
                if name in callers and isinstance(first, ast.Constant) and str(first.value).isupper():
                    ids.setdefault(first.value, path.name)
    assert len(ids) > 40 and "JOURNAL" in ids and "STRUCT-DIRECTORY" in ids
    missing = {i: where for i, where in ids.items() if i not in rules.RULES}
    assert not missing, missing


# -- the media term of 245 $h, as a scan (a regular expression backtracked for minutes) -----------


def _media_term_by_regex(value: str) -> str:
    import re

    m = re.match(r"^[\s\[]*(.*?)[\]\s.,:;/=]*$", value or "")
    return (m.group(1) if m else value).strip()


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.lists(st.sampled_from(list("[] .,:;/=\n\tab\u2003") + ["channel record"]), max_size=30).map("".join))
def test_media_term_is_what_the_bracket_pattern_said(value):
    from tui.core.rules.detect import media_term

    assert media_term(value) == _media_term_by_regex(value)


def test_media_term_of_a_value_of_brackets_only():
    from tui.core.rules.detect import media_term

    assert media_term("[" * 100_000 + "]" * 100_000) == ""
    assert media_term("[channel record]") == "channel record"
