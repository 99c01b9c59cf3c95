"""The fixed-field editor (leader, 006, 007, 008 by position) and the field help, through Pilot."""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import DATA, build_app, focus_marc_line, main_screen, said, screen_text
from textual.widgets import Input

from tui.ui.dialogs.editing.field_help_dialog import FieldHelpDialog
from tui.ui.dialogs.editing.fixed_field_dialog import FixedFieldDialog
from tui.ui.screens.main_screen import MainScreen


@pytest.fixture
def plain_file(tmp_path):
    dst = tmp_path / "plain.mrk"
    shutil.copy(DATA / "plain.mrk", dst)
    return dst


async def open_fixed(pilot, prefix: str) -> FixedFieldDialog:
    await focus_marc_line(pilot, prefix)
    await pilot.press("f")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FixedFieldDialog), prefix
    return pilot.app.screen


async def test_the_008_by_position_with_names_and_codes_for_books(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        dlg = await open_fixed(pilot, "008")
        assert dlg.fixed_layout.name == "008_Books"  # leader/06-07 'am'
        text = screen_text(app)
        assert "23 Form / Form of Item" in text or "23 " in text
        form = dlg.query_one("#pos-23", Input)
        assert form.value == "o"
        assert "Online" in text or "online" in text.lower()
        # an invalid code cannot be entered: 'x' is no form of item; 's' (electronic) is
        form.focus()
        form.value = ""
        await pilot.press("x")
        assert form.value == ""
        await pilot.press("s")
        assert form.value == "s"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        rec = main_screen(app).session.entry(0)
        assert rec.marc["008"].data[23] == "s" and len(rec.marc["008"].data) == 40
        await pilot.press("u")
        await pilot.pause()
        assert main_screen(app).session.entry(0).marc["008"].data[23] == "o"


async def test_a_record_type_change_lays_the_008_out_again(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        dlg = await open_fixed(pilot, "000")
        assert dlg.fixed_layout.name == "000_BibLeader"
        kind = dlg.query_one("#pos-6", Input)
        assert kind.value == "a"
        kind.value = "m"  # computer file
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        rec = main_screen(app).session.entry(0)
        assert str(rec.marc.leader)[6] == "m"
        data = rec.marc["008"].data
        assert data[:18] == "180101s2018    sw " and data[35:] == "swe d"  # kept
        assert any("008 laid out again: " in s for s in said(app))
        await pilot.press("u")  # one undo step: the leader and the 008
        await pilot.pause()
        rec = main_screen(app).session.entry(0)
        assert str(rec.marc.leader)[6] == "a" and rec.marc["008"].data[23] == "o"


async def test_fixed_field_editor_refusals(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_marc_line(pilot, "245")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "245 is no fixed field" in said(app)[-1]
    records = DATA.parent / "rules" / "records.txt"  # chan0001, a channel record with a leader, is slot 5
    app = build_app(records)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        screen.set_show_channels(True)
        screen.go_to_slot(5)
        await pilot.pause()
        assert screen.session.entry(5).control_number == "chan0001"
        await focus_marc_line(pilot, "000")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "CHN-READONLY" in said(app, "error")[-1]


async def test_field_help_for_a_fixed_field(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_marc_line(pilot, "008")
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, FieldHelpDialog)
        assert "Illustrationer 1" in app.screen.shown_text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_field_help_for_a_data_field_shows_its_definition(plain_file):
    """Field help on 245: its name (Swedish labels by default), not repeatable, the indicators'
    values with their meanings, the subfield codes with names and repeatability."""
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_marc_line(pilot, "245")
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, FieldHelpDialog)
        shown = app.screen.shown_text
        assert shown.startswith("245  Titel och upphov\nNot repeatable\n")
        assert "Indicator 1\n  0     Nej, titeln är inte sökelement\n  1     Ja, titeln är sökelement" in shown
        assert "Indicator 2\n  0-9   icke-filerande tecken" in shown
        assert "  $a    NR  Huvudtitel  required" in shown
        assert "  $n    R   Delbeteckning" in shown
        text = screen_text(app)  # on screen, not only in the dialog's text
        assert "Field help: 245" in text and "Titel och upphov" in text and "Huvudtitel" in text
        await pilot.press("escape")
        await pilot.pause()
        # English labels: the English names
        main_screen(app).language = "en"
        await focus_marc_line(pilot, "100")
        await pilot.press("i")
        await pilot.pause()
        shown = app.screen.shown_text
        assert shown.startswith("100  Main entry--personal name\nNot repeatable\n")
        assert "  2     Multiple surname  obsolete" in shown and "Indicator 2\n  #     Undefined" in shown
        assert "  $a    NR  Personal name  required" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
