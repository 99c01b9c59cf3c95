"""The line editor (edit-line), pasting lines, and SYS-READONLY for 001/003/005, through Pilot."""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import DATA, build_app, focus_marc_line, main_screen, said, screen_text
from textual import events
from textual.widgets import Input

from tui.ui.dialogs.editing.line_dialog import LineDialog
from tui.ui.screens.main_screen import MainScreen


@pytest.fixture
def plain_file(tmp_path):
    dst = tmp_path / "plain.mrk"
    shutil.copy(DATA / "plain.mrk", dst)
    return dst


def errors(app) -> list[str]:
    return said(app, "error")


async def open_line_editor(pilot, prefix: str) -> LineDialog:
    await focus_marc_line(pilot, prefix)
    await pilot.press("E")
    await pilot.pause()
    assert isinstance(pilot.app.screen, LineDialog), f"{prefix}: no line editor"
    return pilot.app.screen


async def test_edit_a_field_as_one_line_checked_at_its_column_then_undo(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        dlg = await open_line_editor(pilot, "245")
        line = dlg.query_one("#line", Input)
        assert line.value == "=245  10$aVanlig bok om fargfilm"
        # a bad indicator: told at its column, the line stays open, the cursor goes there
        line.value = "=245  1X$aVanlig bok om färgfilm"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg
        assert "column 8" in dlg.shown_problem and "STRUCT-INDICATOR" in dlg.shown_problem
        assert "       ^" in dlg.shown_problem  # the caret under column 8
        assert line.cursor_position == 7
        # an empty subfield
        line.value = "=245  10$aVanlig bok om färgfilm$b"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg and "STRUCT-EMPTY-SUBFIELD" in dlg.shown_problem
        # a good line is saved through one command
        line.value = "=245  10$aVanlig bok om färgfilm$bett prov"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "245 1/0 #a Vanlig bok om färgfilm #b ett prov" in screen_text(app)
        assert screen.session.history.commands()[-1].op == "replace-field"
        await pilot.press("u")
        await pilot.pause()
        assert "245 1/0 #a Vanlig bok om fargfilm" in screen_text(app)
        assert not screen.session.dirty


async def test_the_line_editor_changes_the_tag_and_the_leader(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        dlg = await open_line_editor(pilot, "100")
        dlg.query_one("#line", Input).value = "=700  1\\$aBerg, Bo$eförfattare"
        await pilot.press("enter")
        await pilot.pause()
        assert "700 1/- #a Berg, Bo #e författare" in screen_text(app)
        dlg = await open_line_editor(pilot, "000")
        line = dlg.query_one("#line", Input)
        assert line.value.startswith("=LDR  ")
        line.value = "=LDR  00000cam a2200000 i 4500"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "000 00000cam a2200000 i 4500" in screen_text(app)


async def test_system_fields_are_read_only_everywhere(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        for prefix in ("001", "003", "005"):
            for key in ("E", "e", "d"):
                await focus_marc_line(pilot, prefix)
                before = len(errors(app))
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, MainScreen), (prefix, key)
                new = errors(app)[before:]
                assert new and "Refused (SYS-READONLY)" in new[0] and f"{prefix} is set by the system" in new[0], new
        # a pasted 005 is refused too
        before = len(errors(app))
        app.screen.post_message(events.Paste("=005  20250101000000.0"))
        await pilot.pause()
        assert "SYS-READONLY" in errors(app)[before]
        assert not main_screen(app).session.dirty


async def test_protected_lines_refuse_in_the_line_editor(seed_file):
    app = build_app(seed_file, sigel="Li")
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "506")
        before = len(errors(app))
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (EPL-PROTECT)" in errors(app)[before]
        # 856 without $z: the line opens (URI-FIX frees its $u), but a change of the rest is refused
        dlg = await open_line_editor(pilot, "856")
        line = dlg.query_one("#line", Input)
        line.value = line.value.replace("=856  40", "=856  42")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg and "EPL-PROTECT" in dlg.shown_problem
        line.value = "=856  40$uhttps://statensmedierad.se/rattad.html"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "856 4/0 #u https://statensmedierad.se/rattad.html" in screen_text(app)
        # the channel record refuses everything
        await pilot.press("c", "n")
        await pilot.pause()
        assert main_screen(app).slot == 1
        await focus_marc_line(pilot, "245")
        before = len(errors(app))
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "CHN-READONLY" in errors(app)[before]
        before = len(errors(app))
        app.screen.post_message(events.Paste("=500  \\\\$aAnmärkning"))
        await pilot.pause()
        assert "CHN-READONLY" in errors(app)[before]


async def test_pasting_lines_adds_fields_as_one_undo_step(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await focus_marc_line(pilot, "245")
        app.screen.post_message(events.Paste("=650  \\7$aFärgfilm$2sao\n=500  \\\\$aEn anmärkning\n"))
        await pilot.pause()
        text = screen_text(app)
        assert "650 -/7 #a Färgfilm #2 sao" in text and "500 -/- #a En anmärkning" in text
        # a bad line: nothing added, told which line and column
        app.screen.post_message(events.Paste("=650  \\7$aMer\n=651  \\7aNo code"))
        await pilot.pause()
        assert "line 2, column" in errors(app)[-1]
        await pilot.press("u")
        await pilot.pause()
        text = screen_text(app)
        assert "Färgfilm" not in text and "En anmärkning" not in text
        assert not screen.session.dirty


NEW_IDS = (
    "edit-line",
    "fixed-field-editor",
    "yank-field",
    "put-field",
    "duplicate-field",
    "new-record",
    "delete-record",
    "find-replace",
    "field-help",
)


async def test_every_new_binding_is_in_both_keymaps_the_help_and_the_palette(plain_file):
    import tomllib

    from tui import resources
    from tui.ui import actions
    from tui.ui.app import PALETTE_TITLES

    for name in ("default", "vim"):
        data = tomllib.loads((resources.keymaps_dir() / f"{name}.toml").read_text("utf-8"))
        assert all(data.get(i) for i in NEW_IDS), name
    in_help = {i for _, ids in actions.HELP_SECTIONS for i in ids}
    assert set(NEW_IDS) <= in_help
    app = build_app(plain_file, keymap="vim")
    async with app.run_test(size=(120, 40)) as pilot:
        titles = {c.title for c in app.get_system_commands(main_screen(app))}
        assert {PALETTE_TITLES[i] for i in NEW_IDS} <= titles
        # the help screen shows them with the active keymap's keys
        await pilot.press("f1")
        await pilot.pause()
        keys = app.screen.query_one("#keys")
        rendered = "\n".join(
            line.text
            for line in keys.render_lines(keys.region.__class__(0, 0, keys.size.width, keys.virtual_size.height))
        )
        for i in NEW_IDS:
            assert i in rendered, i
        assert any("edit-line" in ln and ln.strip().startswith("c ") for ln in rendered.splitlines())
