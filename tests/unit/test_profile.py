"""Participation profile: full catalogues; limited browses, adds holdings, exports (seed 000)."""

from pathlib import Path

import pytest

from tui.core.editing.commands import (
    AddField,
    AddHolding,
    ClearSuppress,
    DeleteRecord,
    EditContext,
    SetSubfield,
)
from tui.core.formats import open_source
from tui.core.rules.profile import FULL, LIMITED, Profile

DATA = Path(__file__).parents[1] / "data" / "rules"


def by_cn():
    src = open_source(DATA / "records.txt")
    return src, {e.control_number: e for e in src}


def test_names_and_aliases():
    assert Profile.from_name("limited") == LIMITED
    assert Profile.from_name("Begränsat") == LIMITED
    assert Profile.from_name(None) == FULL
    with pytest.raises(ValueError, match="full"):
        Profile.from_name("guest")
    with pytest.raises(ValueError):
        Profile("guest")  # type: ignore[arg-type]


def test_what_each_profile_allows():
    assert FULL.allows("edit") and FULL.allows("delete")
    for action in ("browse", "holding", "export", "suppress"):
        assert LIMITED.allows(action)
    assert not LIMITED.allows("edit") and not LIMITED.allows("delete")
    r = LIMITED.refusal("edit")
    assert r.rule == "PROFILE-LIMITED" and "not edit bibliographic data" in r.message
    assert FULL.refusal("edit") is None


def test_limited_may_add_a_holding_but_not_edit_bibliographic_data():
    src, r = by_cn()
    rec = r["ord0001"]
    ctx = EditContext(rec, LIMITED, "Li", src)
    refusal = SetSubfield("245", 1, 0, "Rättad titel").check(ctx)
    assert refusal.rule == "PROFILE-LIMITED"
    assert AddField("650", [" ", "7"], [("a", "Ämne"), ("2", "sao")]).check(ctx).rule == "PROFILE-LIMITED"
    assert DeleteRecord().check(ctx).rule == "PROFILE-LIMITED"
    assert AddHolding("Li").check(ctx) is None
    # full participation may do the same edit
    assert SetSubfield("245", 1, 0, "Rättad titel").check(EditContext(rec, FULL, "Li", src)) is None


def test_limited_may_clear_suppressrecord_with_its_holding():
    src, r = by_cn()
    ctx = EditContext(r["art0001"], LIMITED, "Li", src)
    assert ClearSuppress().check(ctx) is None


def test_limited_may_edit_its_own_embedded_holding_but_not_others():
    src, r = by_cn()
    digi = r["digi0001"]
    AddField("852", subfields=[("b", "Li"), ("5", "Li")]).apply(EditContext(digi, FULL, "Li", src))
    own = SetSubfield("852", 2, 0, "Li-hylla", code="c")
    assert own.check(EditContext(digi, LIMITED, "Li", src)) is None
    other = SetSubfield("852", 2, 0, "X", code="c").check(EditContext(digi, LIMITED, "Gbg", src))
    assert other.rule == "HOLD-ADD" and "Li" in other.message
