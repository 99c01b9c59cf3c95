"""Find and replace (``FindReplace``): a regular expression over a chosen tag and subfield or all,
groups in the replacement, protected and channel lines skipped and counted by rule id, undo."""

from pathlib import Path

import pytest

from tui.core.editing.commands import EditContext, History, Refused, command_from_json
from tui.core.editing.replace import FindReplace, TagSpec
from tui.core.formats import open_source
from tui.core.formats.notation import record_lines
from tui.core.rules.profile import FULL, LIMITED

DATA = Path(__file__).parents[1] / "data" / "rules"


@pytest.fixture
def src():
    return open_source(DATA / "records.txt")


def ctx(src, cn, profile=FULL, sigel="Li"):
    return EditContext(next(e for e in src if e.control_number == cn), profile, sigel, src)


def lines(c):
    return record_lines(c.record.marc)


def test_a_subfield_is_replaced_with_groups_and_undone(src):
    c = ctx(src, "ord0001")
    before = lines(c)
    cmd = FindReplace(r"(\w+) bok", r"\1 roman", tag="245", code="a")
    h = History()
    assert h.do(cmd, c) is True
    assert "245 1/0 #a Vanlig roman" in lines(c)
    assert cmd.replaced == 1 and not cmd.skipped
    assert cmd.describe() == "Replace /(\\w+) bok/ with '\\\\1 roman' in 245 $a: 1 value changed"
    h.undo()
    assert lines(c) == before


def test_only_the_chosen_subfield_is_searched(src):
    c = ctx(src, "eplk0001")
    cmd = FindReplace("Rapport", "Report", tag="245", code="b")
    assert History().do(cmd, c) is False  # $a has it, $b has not
    assert cmd.replaced == 0


def test_every_field_and_a_tag_pattern(src):
    c = ctx(src, "ord0001")
    History().do(FindReplace("(?i)BERG", "Borg"), c)
    assert "100 1/- #a Borg, Bo" in lines(c)
    c = ctx(src, "ord0001")
    assert History().do(FindReplace("Novel", "Roman", tag="6XX"), c)
    assert "655 -/7 #a Roman #2 marcgt" in lines(c)


def test_protected_lines_are_skipped_and_counted_by_rule(src):
    c = ctx(src, "eplk0001")
    # 264 $b may change; the 856 without $z may be corrected (URI-FIX); the one with $z may not
    cmd = FindReplace("myndigheten", "verket", flags="i")
    assert History().do(cmd, c) is True
    assert "264 -/1 #a Stockholm #b verket #c 2020" in lines(c)
    assert "856 4/0 #u https://verket.se/" in lines(c)
    assert cmd.skipped == {"EPL-PROTECT": 1} and cmd.replaced == 2
    assert "856 4/2 #u https://myndigheten.se/rapport.pdf #z Fulltext" in lines(c)
    assert "skipped EPL-PROTECT 1" in cmd.describe()


def test_only_protected_matches_refuse_the_whole_with_the_rule(src):
    c = ctx(src, "eplk0001")
    cmd = FindReplace("9789127156371", "9789127156372", tag="020")
    r = cmd.check(c)
    assert r is not None and r.rule == "EPL-PROTECT" and "1 match, none may change" in r.message
    before = lines(c)
    with pytest.raises(Refused):
        History().do(cmd, c)
    assert lines(c) == before


def test_channel_record_lines_are_channel_readonly(src):
    c = ctx(src, "chan0001")
    cmd = FindReplace("medieråd", "medierådet")
    r = cmd.check(c)
    assert r is not None and r.rule == "CHN-READONLY"
    assert cmd.skipped == {"CHN-READONLY": 1}


def test_limited_participation_may_not_replace_bibliographic_data(src):
    c = EditContext(ctx(src, "ord0001").record, LIMITED, "Li", src)
    r = FindReplace("Vanlig", "Ovanlig", tag="245").check(c)
    assert r is not None and r.rule == "PROFILE-LIMITED"


def test_a_bad_pattern_or_replacement_is_refused(src):
    c = ctx(src, "ord0001")
    assert FindReplace("(", "x").check(c).rule == "EDIT-VALUE"
    assert FindReplace("Vanlig", r"\3", tag="245").check(c).rule == "EDIT-VALUE"
    assert FindReplace("x", "y", flags="q").check(c).rule == "EDIT-VALUE"


def test_an_empty_result_is_skipped_not_written(src):
    c = ctx(src, "ord0001")
    cmd = FindReplace(".*", "", tag="245", code="a")
    r = cmd.check(c)
    assert r is not None and r.rule == "EDIT-VALUE" and cmd.skipped == {"EDIT-VALUE": 1}


def test_control_fields_too_unless_a_code_is_chosen(src):
    c = ctx(src, "ord0001")
    assert History().do(FindReplace("^180101", "180102", tag="008"), c)
    assert any(line.startswith("008 180102") for line in lines(c))
    assert FindReplace("180102", "x", tag="008", code="a").plan(c)[0] == []


def test_it_travels_through_the_journal(src):
    cmd = FindReplace("a", "b", tag="245", code="a", flags="i", count=1)
    again = command_from_json(cmd.to_json())
    assert isinstance(again, FindReplace) and again.to_json() == cmd.to_json()


@pytest.mark.parametrize(
    "spec, yes, no",
    [
        ("245", ["245"], ["246"]),
        ("100,700", ["100", "700"], ["110"]),
        ("6XX", ["650", "655"], ["500"]),
        ("*", ["001", "999"], []),
    ],
)
def test_tag_specs(spec, yes, no):
    t = TagSpec(spec)
    assert all(t(x) for x in yes) and not any(t(x) for x in no)
    assert TagSpec.problem(spec) is None
    assert TagSpec.problem("24") and TagSpec.problem("2455")
