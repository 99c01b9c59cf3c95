"""Edit commands: check / apply / undo / describe / to_json, and every rule both ways."""

import copy
from pathlib import Path

import pytest

from tui.core.batch.taskcmd import RunTasks
from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext, History, Refused, command_from_json
from tui.core.editing.replace import FindReplace
from tui.core.formats import open_source
from tui.core.formats.notation import record_lines
from tui.core.rules.profile import FULL

DATA = Path(__file__).parents[1] / "data" / "rules"


@pytest.fixture
def src():
    return open_source(DATA / "records.txt")


def rec(src, cn):
    for e in src:
        if e.control_number == cn:
            return e
    raise KeyError(cn)


def ctx(src, cn, profile=FULL, sigel="Li"):
    return EditContext(rec(src, cn), profile, sigel, src)


def lines(c):
    return record_lines(c.record.marc)


def do_undo(c, cmd):
    """Apply then undo; the record must be back exactly as it was."""
    before = lines(c)
    h = History()
    assert h.do(cmd, c) is True
    after = lines(c)
    assert after != before
    h.undo()
    assert lines(c) == before
    h.redo()
    assert lines(c) == after
    return after


def refused(cmd, c, rule):
    r = cmd.check(c)
    assert r is not None and r.rule == rule, r
    before = lines(c)
    with pytest.raises(Refused) as exc:
        History().do(cmd, c)
    assert exc.value.refusal.rule == rule
    assert lines(c) == before  # nothing changed
    return r


# -- EPL-UPGRADE: everything else may be completed -------------------------------------------------


@pytest.mark.parametrize(
    "cmd,expect",
    [
        (C.AddField("650", [" ", "7"], [("a", "Kulturarv"), ("2", "sao")]), "650 -/7 #a Kulturarv #2 sao"),
        (C.AddField("082", ["0", "4"], [("a", "027.5"), ("2", "23")]), "082 0/4 #a 027.5 #2 23"),
        (C.AddField("700", ["1", " "], [("a", "Svensson, Sven"), ("4", "aut")]), "700 1/- #a Svensson, Sven #4 aut"),
        (C.SetSubfield("100", 1, 0, "Andersson, Anna, 1970-"), "100 1/- #a Andersson, Anna, 1970-"),
        (C.SetSubfield("245", 1, 0, "Rapport om e-plikten"), "245 1/0 #a Rapport om e-plikten"),
    ],
)
def test_upgrade_of_an_eplikt_record_is_allowed(src, cmd, expect):
    c = ctx(src, "eplk0001")
    assert cmd.check(c) is None
    after = do_undo(c, cmd)
    assert any(line.startswith(expect) for line in after), after


def test_added_field_goes_in_tag_order(src):
    c = ctx(src, "eplk0001")
    C.AddField("650", [" ", "7"], [("a", "X"), ("2", "sao")]).apply(c)
    tags = [f.tag for f in c.record.marc.fields]
    assert tags == sorted(tags)


# -- EPL-PROTECT ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [
        C.SetSubfield("506", 1, 0, "gratis"),
        C.SetSubfield("020", 1, 0, "9789100000004"),
        C.DeleteField("024", 1),
        C.AddSubfield("540", 1, "u", "https://creativecommons.org/"),
        C.SetIndicator("655", 1, 2, "4"),
        C.DeleteSubfield("655", 1, 1),
        C.AddField("655", [" ", "7"], [("a", "Report"), ("2", "marcgt")]),
        C.AddField("020", subfields=[("a", "9789173430005")]),
        C.SetSubfield("776", 1, 1, "9100000002"),
        C.MoveField("776", 1, 0),
        C.DeleteField("856", 1),
        C.SetSubfield("856", 2, 1, "other note"),
    ],
)
def test_protected_fields_of_an_eplikt_record_are_refused(src, cmd):
    r = refused(cmd, ctx(src, "eplk0001"), "EPL-PROTECT")
    assert "Katalogsupport" in r.message
    assert "e-plikt" in r.message


def test_the_same_edits_are_allowed_in_an_ordinary_record(src):
    c = ctx(src, "ord0001")
    for cmd in (
        C.SetSubfield("506", 1, 0, "restricted"),
        C.SetSubfield("020", 1, 0, "9789173430005"),
        C.DeleteField("655", 1),
        C.SetIndicator("856", 1, 2, "1"),
    ):
        assert cmd.check(c) is None
        History().do(cmd, c)


def test_apis_only_record_is_protected_too(src):
    refused(C.SetSubfield("655", 1, 0, "Novel"), ctx(src, "apis0001"), "EPL-PROTECT")


def test_digi_record_with_apis_is_not_eplikt(src):
    c = ctx(src, "digi0001")
    assert C.SetSubfield("655", 1, 0, "Fiction").check(c) is None


# -- EPL-DETECT markers -----------------------------------------------------------------------------


def test_eplikt_markers_cannot_be_removed_or_added(src):
    refused(C.DeleteField("042", 1), ctx(src, "eplk0001"), "EPL-DETECT")
    refused(C.SetSubfield("042", 1, 0, "EPLX"), ctx(src, "eplk0001"), "EPL-DETECT")
    refused(C.AddSubfield("042", 1, "9", "DIGI"), ctx(src, "eplk0001"), "EPL-DETECT")
    refused(C.AddField("042", subfields=[("9", "EPLK")]), ctx(src, "ord0001"), "EPL-DETECT")
    # 042 $a (Beskrivningskontroll) is not a marker
    c = ctx(src, "eplk0001")
    assert C.AddSubfield("042", 1, "a", "dc").check(c) is None


def test_apis_holdings_record_stays(src):
    h = next(e for e in src if e.kind == "holdings")
    c = EditContext(h, FULL, "Li", src)
    refused(C.DeleteRecord(), c, "EPL-DETECT")
    refused(C.SetSubfield("852", 1, 0, "Li"), c, "EPL-DETECT")


# -- EPL-NODELETE -------------------------------------------------------------------------------------


def test_eplikt_record_is_never_deleted(src):
    r = refused(C.DeleteRecord(), ctx(src, "eplk0001"), "EPL-NODELETE")
    assert "never be deleted" in r.message
    refused(C.DeleteRecord(), ctx(src, "apis0001"), "EPL-NODELETE")
    leader = str(rec(src, "eplk0001").marc.leader)
    refused(C.SetControlField("000", leader[:5] + "d" + leader[6:]), ctx(src, "eplk0001"), "EPL-NODELETE")


def test_ordinary_record_may_be_deleted_and_undeleted(src):
    c = ctx(src, "ord0001")
    h = History()
    h.do(C.DeleteRecord(), c)
    assert str(c.record.marc.leader)[5] == "d"
    h.undo()
    assert str(c.record.marc.leader)[5] == "n"


# -- CHN-READONLY ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [
        C.SetSubfield("245", 1, 0, "Ny titel"),
        C.AddField("650", [" ", "7"], [("a", "X"), ("2", "sao")]),
        C.DeleteField("856", 1),
        C.FixUri(4, "https://statensmedierad.se/start"),
        C.AddUri("https://example.org/"),
        C.MoveRestrictedUris(),
        C.ClearSuppress(),
        C.AddHolding("Li"),
        C.DeleteRecord(),
        C.SetControlField("000", "00000nai a2200000 i 4500"),
    ],
)
def test_nothing_changes_a_channel_record(src, cmd):
    refused(cmd, ctx(src, "chan0001"), "CHN-READONLY")


def test_a_record_cannot_be_made_a_channel_record(src):
    refused(C.AddSubfield("245", 1, "h", "[channel record]"), ctx(src, "ord0001"), "CHN-READONLY")
    assert C.AddSubfield("245", 1, "h", "[Elektronisk resurs]").check(ctx(src, "ord0001")) is None


# -- URI-FIX / URI-ADD / URI-MOVE -------------------------------------------------------------------


def test_uri_fix_without_z(src):
    c = ctx(src, "eplk0001")
    after = do_undo(c, C.FixUri(1, "https://myndigheten.se/publikationer/rapport"))
    assert "856 4/0 #u https://myndigheten.se/publikationer/rapport" in after
    # the same through a plain subfield edit
    assert C.SetSubfield("856", 1, 0, "https://myndigheten.se/x").check(c) is None


def test_uri_fix_refused_with_z(src):
    r = refused(C.FixUri(2, "https://myndigheten.se/ny.pdf"), ctx(src, "eplk0001"), "EPL-PROTECT")
    assert "$z" in r.message


def test_uri_fix_needs_a_uri(src):
    refused(C.FixUri(1, "not a uri"), ctx(src, "eplk0001"), "URI-FIX")
    refused(C.SetSubfield("856", 1, 0, "www.example"), ctx(src, "eplk0001"), "URI-FIX")


def test_uri_add(src):
    c = ctx(src, "eplk0001")
    after = do_undo(c, C.AddUri("https://myndigheten.se/rapport-2.pdf", ind2="2", note="Bilaga"))
    assert "856 4/2 #u https://myndigheten.se/rapport-2.pdf #z Bilaga" in after
    assert C.AddField("856", ["4", "0"], [("u", "https://x.se/")]).check(c) is None
    refused(C.AddUri("bilaga.pdf"), c, "URI-ADD")
    refused(C.AddField("856", ["4", "0"], [("z", "note only")]), c, "URI-ADD")


def test_uri_move_changes_only_the_second_indicator(src):
    c = ctx(src, "eplk0001")
    before = lines(c)
    cmd = C.MoveRestrictedUris()
    after = do_undo(c, cmd)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("856 4/0 #u https://myndigheten.se/", "856 4/2 #u https://myndigheten.se/")]
    assert len(after) == len(before)
    assert "856[1]" in cmd.describe()
    # also as a plain indicator edit
    c2 = ctx(open_source(DATA / "records.txt"), "eplk0001")
    assert C.SetIndicator("856", 1, 2, "2").check(c2) is None
    refused(C.SetIndicator("856", 1, 2, "1"), c2, "EPL-PROTECT")


def test_uri_move_refused_where_506_is_not_restricted(src):
    r = refused(C.MoveRestrictedUris(), ctx(src, "art0001"), "URI-MOVE")
    assert "restricted" in r.message
    refused(C.SetIndicator("856", 1, 2, "2"), ctx(src, "art0001"), "EPL-PROTECT")
    refused(C.MoveRestrictedUris(), ctx(src, "ord0001"), "URI-MOVE")


# -- HOLD-ADD ------------------------------------------------------------------------------------------


def test_add_holding_once_per_sigel(src):
    c = ctx(src, "eplk0001")
    h = History()
    assert h.do(C.AddHolding("Li"), c) is True
    assert [x.marc["852"]["b"] for x in c.record.holdings] == ["Li"]
    assert c.record.holdings[0].marc["004"].data == "eplk0001"
    again = C.AddHolding("Li")
    assert h.do(again, c) is False  # one holding per sigel and title: nothing changes
    assert "already" in again.describe()
    assert len(c.record.holdings) == 1 and len(h) == 1
    h.undo()
    assert c.record.holdings == []


def test_add_holding_to_apis_record_keeps_apis(src):
    c = ctx(src, "apis0001")
    History().do(C.AddHolding("Li"), c)
    assert sorted(x.marc["852"]["b"] for x in c.record.holdings) == ["APIS", "Li"]


def test_add_holding_refusals(src):
    refused(C.AddHolding(), ctx(src, "eplk0001", sigel=None), "HOLD-ADD")
    refused(C.AddHolding("APIS"), ctx(src, "eplk0001", sigel=None), "HOLD-ADD")
    refused(C.AddHolding("Gbg"), ctx(src, "eplk0001", sigel="Li"), "HOLD-ADD")
    refused(C.AddHolding("L i"), ctx(src, "eplk0001", sigel=None), "HOLD-ADD")
    h = next(e for e in src if e.kind == "holdings")
    refused(C.AddHolding("Li"), EditContext(h, FULL, "Li", src), "HOLD-ADD")  # not a bib


def test_add_holding_needs_a_control_number(seed_notation):
    s = open_source(seed_notation)
    refused(C.AddHolding("Li"), EditContext(s.entry(0), FULL, "Li", s), "HOLD-ADD")


# -- SUP-CLEAR ---------------------------------------------------------------------------------------


def test_clear_suppress_and_advice(src):
    c = ctx(src, "art0001")
    add = C.AddHolding("Li")
    History().do(add, c)
    assert [a.rule for a in add.advice(c)] == ["SUP-CLEAR"]
    after = do_undo(c, C.ClearSuppress())
    assert not any(line.startswith("599") for line in after)
    assert add.advice(c) == []


def test_clear_suppress_keeps_other_599_text(src):
    c = ctx(src, "art0001")
    C.AddSubfield("599", 1, "b", "kept").apply(c)
    C.ClearSuppress().apply(c)
    assert "599 -/- #b kept" in lines(c)


def test_clear_suppress_refused_when_not_suppressed(src):
    refused(C.ClearSuppress(), ctx(src, "eplk0001"), "SUP-CLEAR")


# -- addressing and values ------------------------------------------------------------------------------


def test_missing_targets_and_bad_values(src):
    c = ctx(src, "ord0001")
    assert C.SetSubfield("650", 1, 0, "x").check(c).rule == "EDIT-TARGET"
    assert C.SetSubfield("245", 1, 9, "x").check(c).rule == "EDIT-TARGET"
    assert C.SetSubfield("001", 1, 0, "x").check(c).rule == "EDIT-TARGET"
    assert C.SetIndicator("245", 1, 3, "1").check(c).rule == "EDIT-TARGET"
    assert C.SetIndicator("245", 1, 1, "10").check(c).rule == "EDIT-VALUE"
    assert C.SetSubfield("245", 1, 0, "x", code="$").check(c).rule == "EDIT-VALUE"
    assert C.SetSubfield("245", 1, 0, "  ").check(c).rule == "EDIT-VALUE"
    assert C.AddField("24", subfields=[("a", "x")]).check(c).rule == "EDIT-VALUE"
    assert C.AddField("245", subfields=[("a", "Second")]).check(c).rule == "EDIT-VALUE"
    assert C.AddField("001", data="x").check(c).rule == "SYS-READONLY"  # set by the system
    assert C.SetControlField("008", "short").check(c).rule == "EDIT-VALUE"
    assert C.DeleteSubfield("264", 1, 0).check(c).rule == "EDIT-VALUE"  # only subfield: delete the field
    assert C.MoveField("245", 1, 99).check(c).rule == "EDIT-TARGET"


def test_indicator_blank_spellings(src):
    c = ctx(src, "ord0001")
    cmd = C.SetIndicator("245", 1, 2, "-")
    History().do(cmd, c)
    assert c.record.marc["245"].indicator2 == " "
    assert cmd.describe() == "Set 245[1] indicator 2 to blank"


def test_move_field_and_undo(src):
    c = ctx(src, "ord0001")
    cmd = C.MoveField.by(c.record, "655", 1, -1)
    before = [f.tag for f in c.record.marc.fields]
    h = History()
    h.do(cmd, c)
    moved = [f.tag for f in c.record.marc.fields]
    assert moved.index("655") == before.index("655") - 1
    h.undo()
    assert [f.tag for f in c.record.marc.fields] == before


def test_set_control_field_and_leader(src):
    c = ctx(src, "ord0001")
    new008 = "180101s2018    sw |||||o|||||||000 ||eng"
    do_undo(c, C.SetControlField("008", new008))
    do_undo(c, C.SetControlField("000", "00000cam a2200000 i 4500"))


def test_orphan_text_needs_a_code(src):
    c = ctx(src, "ord0001")
    from pymarc import Subfield

    c.record.marc["856"].subfields.insert(0, Subfield("", "http://orphan.example/"))
    assert C.SetSubfield("856", 1, 0, "http://x.example/").check(c).rule == "EDIT-VALUE"
    cmd = C.SetSubfield("856", 1, 0, "http://x.example/", code="u")
    assert cmd.check(c) is None


# -- describe / json / history -----------------------------------------------------------------------

ALL = [
    C.SetSubfield("245", 1, 0, "T", code="a"),
    C.SetIndicator("245", 1, 1, "0"),
    C.AddSubfield("245", 1, "c", "x", 1),
    C.DeleteSubfield("245", 1, 0),
    C.AddField("650", ["", "7"], [("a", "Ä"), ("2", "sao")]),
    C.AddField("005", data="20240101"),
    C.DeleteField("650", 2),
    C.MoveField("650", 1, 3),
    C.SetControlField("008", "x" * 40),
    C.AddHolding("Li"),
    C.MoveRestrictedUris(),
    C.FixUri(1, "https://a.se/", 0),
    C.AddUri("https://b.se/", "4", "2", "note"),
    C.ClearSuppress(),
    C.DeleteRecord(),
    C.ReplaceField("245", 1, "=245  10$aNy titel"),
    C.AddFields(["=650  \\7$aKatter$2sao", "=500  \\\\$aAnm"], index=3),
    C.CreateRecord("00000nam a2200000 i 4500", ["=245  10$aNy"], "e-bok"),
    FindReplace("Ä", "A", tag="245", code="a"),
    RunTasks('[[operation]]\naction = "delete-field"\ntag = "500"\n', "tasks.toml"),
]


@pytest.mark.parametrize("cmd", ALL, ids=lambda c: c.op)
def test_json_round_trip_and_one_line_description(cmd):
    d = cmd.to_json()
    assert d["op"] == cmd.op
    import json

    again = command_from_json(json.loads(json.dumps(d)))
    assert type(again) is type(cmd) and again.to_json() == d
    text = cmd.describe()
    assert text and "\n" not in text


def test_every_command_is_registered():
    assert {c.op for c in ALL} == set(C.COMMANDS)


def test_unknown_json_command():
    from tui.core.model.record import LibrisError

    with pytest.raises(LibrisError, match="unknown edit command"):
        command_from_json({"op": "format-disk"})


def test_history_dirty_tracking(src):
    c = ctx(src, "ord0001")
    h = History()
    assert not h.dirty and not h.can_undo and not h.can_redo
    h.do(C.SetSubfield("245", 1, 0, "A"), c)
    assert h.dirty and h.can_undo
    h.mark_saved()
    assert not h.dirty
    h.do(C.SetSubfield("245", 1, 0, "B"), c)
    assert h.dirty
    h.undo()
    assert not h.dirty and h.can_redo
    h.undo()
    assert h.dirty  # before the save point
    h.redo()
    assert not h.dirty
    h.do(C.SetSubfield("245", 1, 0, "C"), c)  # a new edit drops the redo stack
    assert not h.can_redo and h.dirty
    assert [x.value for x in h.commands()] == ["A", "C"]


def test_history_limit_keeps_dirty(src):
    c = ctx(src, "ord0001")
    h = History(limit=2)
    h.do(C.SetSubfield("245", 1, 0, "A"), c)
    h.mark_saved()
    for v in "BCD":
        h.do(C.SetSubfield("245", 1, 0, v), c)
    while h.can_undo:
        h.undo()
    assert h.dirty and c.record.marc["245"]["a"] == "B"


def test_apply_twice_and_undo_unapplied_are_errors(src):
    from tui.core.model.record import LibrisError

    c = ctx(src, "ord0001")
    cmd = C.SetSubfield("245", 1, 0, "A")
    with pytest.raises(LibrisError):
        cmd.undo(c)
    cmd.apply(c)
    with pytest.raises(LibrisError):
        cmd.apply(c)


def test_apply_checks_too(src):
    c = ctx(src, "eplk0001")
    with pytest.raises(Refused):
        C.SetSubfield("506", 1, 0, "gratis").apply(c)


def test_commands_leave_other_records_alone(src):
    snapshot = {e.control_number: record_lines(copy.deepcopy(e.marc)) for e in src}
    c = ctx(src, "eplk0001")
    History().do(C.MoveRestrictedUris(), c)
    for e in src:
        if e.control_number != "eplk0001":
            assert record_lines(e.marc) == snapshot[e.control_number]
