"""The e-plikt commands, validation, export, save, search, help, quit: each on its key and in the
command palette."""

from __future__ import annotations

import tomllib

from functional_helpers import build_app, focus_marc_line, main_screen, said, screen_text
from textual.widgets import Checkbox, Input, OptionList, Select

from tui.core.formats import open_source
from tui.core.settings.config import config_path
from tui.ui.dialogs.add_holding_dialog import AddHoldingDialog
from tui.ui.dialogs.confirm import ConfirmDialog
from tui.ui.dialogs.export_dialog import ExportDialog
from tui.ui.dialogs.findings_dialog import FindingsDialog
from tui.ui.dialogs.move_uris_dialog import MoveUrisDialog
from tui.ui.dialogs.search_dialog import SearchDialog
from tui.ui.screens.changes_screen import ChangesScreen
from tui.ui.screens.help_screen import HelpScreen
from tui.ui.screens.main_screen import MainScreen


async def wait_for(pilot, kind, tries: int = 50):
    """Workers (validate, export, search) finish in their own time."""
    for _ in range(tries):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, kind):
            await pilot.pause()  # composed and drawn
            return pilot.app.screen
    raise AssertionError(f"no {kind.__name__}; screen is {pilot.app.screen!r}; said {pilot.app.said[-3:]}")


# -- holdings -----------------------------------------------------------------------------------


async def test_add_holding_asks_for_sigel_and_about_suppressrecord(data_file):
    app = build_app(data_file("eplikt-restricted.txt"))  # no sigel in the config
    async with app.run_test(size=(160, 50)) as pilot:
        assert "sigel (not set)" in screen_text(app)
        await pilot.press("h")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AddHoldingDialog)
        assert "Remove 599 $a SUPPRESSRECORD too (SUP-CLEAR)" in screen_text(app)
        assert dialog.query_one("#clear", Checkbox).value is True
        await pilot.press(*"Li")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        text = screen_text(app)
        assert "BESTÅND" in text and "Holdings record 1 (Li)" in text
        assert "599 -/- #a SUPPRESSRECORD" not in text  # SUP-CLEAR done with it
        assert "sigel Li" in text
        # remembered in config.toml, comments kept
        saved = tomllib.loads(config_path().read_text("utf-8"))
        assert saved["sigel"] == "Li"
        # one step: undo takes back both
        await pilot.press("u")
        text = screen_text(app)
        assert "Holdings record 1" not in text and "599 -/- #a SUPPRESSRECORD" in text


async def test_add_holding_with_configured_sigel_and_refusals(data_file, seed_file):
    app = build_app(data_file("eplikt-restricted.txt"), sigel="Gbg")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("n", "h")  # the ordinary record: not suppressed, no question about it
        await pilot.pause()
        assert isinstance(app.screen, AddHoldingDialog)
        assert not app.screen.query("#clear")
        assert app.screen.query_one("#sigel", Input).value == "Gbg"
        await pilot.press("enter")
        await pilot.pause()
        assert "Holdings record 1 (Gbg)" in screen_text(app)
        await pilot.press("h", "enter")  # again: one holding per sigel and title
        await pilot.pause()
        assert said(app)[-1] == "Add holding: Nothing changed."
    # the seed's record has no 001: the holding cannot be linked, and the app says so
    app = build_app(seed_file, sigel="Gbg")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("h", "enter")
        await pilot.pause()
        assert "Refused (HOLD-ADD)" in said(app, "error")[-1] and "no control number (001)" in said(app, "error")[-1]
        assert not main_screen(app).session.dirty


async def test_clear_suppress(data_file):
    app = build_app(data_file("eplikt-restricted.txt"))
    async with app.run_test(size=(160, 50)) as pilot:
        assert "  1 E S  " in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
        text = screen_text(app)
        assert "SUPPRESSRECORD" not in text.split("MARC21")[1]
        assert "  1 E  * " in text
        await pilot.press("n", "k")
        assert "Refused (SUP-CLEAR)" in said(app, "error")[-1]


# -- URI-MOVE -----------------------------------------------------------------------------------


async def test_move_restricted_uris_shows_the_change_first(data_file, seed_file):
    app = build_app(data_file("eplikt-restricted.txt"))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MoveUrisDialog)
        text = screen_text(app)
        assert "- 856 4/0 #u https://example.org/home" in text
        assert "+ 856 4/2 #u https://example.org/home" in text
        changes = [str(w.render()) for w in app.screen.query("#changes Static")]
        assert len(changes) == 1 and "example.org/info" not in changes[0]  # only what changes
        await pilot.press("escape")
        assert "856 4/0 #u https://example.org/home" in screen_text(app)  # nothing changed
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one("#move").press()
        await pilot.pause()
        assert "856 4/2 #u https://example.org/home" in screen_text(app)
    app = build_app(seed_file)  # 506 gratis: not applicable
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (URI-MOVE)" in said(app, "error")[-1]


# -- validate -----------------------------------------------------------------------------------


async def test_validate_lists_findings_and_jumps_to_the_field(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("v")
        dialog = await wait_for(pilot, FindingsDialog)
        text = screen_text(app)
        assert "STRUCT-001" in text and "CHN-READONLY" in text
        # choose the finding about the channel record's 856: it jumps there, showing channel records
        options = dialog.query_one(OptionList)
        target = next(i for i, f in enumerate(dialog._findings) if f.record_number == 2 and f.tag == "856")
        options.highlighted = target
        await pilot.press("enter")
        await pilot.pause()
        screen = main_screen(app)
        assert isinstance(app.screen, MainScreen)
        assert screen.show_channels and screen.slot == 1
        assert app.focused is screen.marc and screen.marc.current.text.startswith("856")


# -- export -------------------------------------------------------------------------------------


async def test_export_then_reopen_has_the_added_subject(seed_file, tmp_path):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        app.screen.query_one("#ind2", Input).value = "7"
        app.screen.query_one("#body", Input).value = "#a Bildanalys #2 sao"
        app.screen.query_one("#add").press()
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, ChangesScreen)  # what the export writes differently, first
        assert "+ 650 -/7 #a Bildanalys #2 sao" in screen_text(app)
        await pilot.press("x")  # the export key again: on to the export dialog
        dialog = await wait_for(pilot, ExportDialog)
        text = screen_text(app)
        assert "Valid" in text and "seed-records-export.txt" in text
        dialog.query_one("#format", Select).value = "iso2709"
        await pilot.pause()
        out = tmp_path / "seed-records-export.mrc"
        assert dialog.query_one("#path", Input).value == str(out)  # follows the format
        dialog.query_one("#export-button").press()
        for _ in range(50):
            await pilot.pause(0.05)
            if out.exists() and any(s.startswith("Exported") for s in said(app)):
                break
        assert any(s.startswith("Exported: 2 records written to") for s in said(app)), said(app)
    assert (tmp_path / "seed-records-export.mrc.report.txt").is_file()
    back = open_source(out)
    back.build_index()
    rec = back.entry(0)
    assert [(sf.code, sf.value) for sf in rec.marc.get_fields("650")[0].subfields] == [
        ("a", "Bildanalys"),
        ("2", "sao"),
    ]
    assert back.entry(1).marc["245"]["h"] == "[channel record]"  # hidden in the list, exported all the same
    # and the app opens it again with the subject there
    app = build_app(out)
    async with app.run_test(size=(160, 50)) as pilot:
        assert "650 -/7 #a Bildanalys #2 sao" in screen_text(app)


async def test_export_is_refused_while_errors_remain(seed_file, tmp_path):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "245")  # a title may be corrected, so deleting it is allowed...
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#delete").press()
        await pilot.pause()
        await pilot.press("x")
        dialog = await wait_for(pilot, ExportDialog)
        assert "Refused: 1 error remains" in screen_text(app) or "Refused:" in screen_text(app)
        assert dialog.query_one("#export-button").disabled
        assert "STRUCT-245" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("u", "x")
        dialog = await wait_for(pilot, ExportDialog)
        assert not dialog.query_one("#export-button").disabled


# -- save and quit ----------------------------------------------------------------------------


async def test_save_writes_the_file_with_a_backup(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("ctrl+s")
        assert said(app)[-1] == "Save: No unsaved changes."
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        # 650's second indicator says the thesaurus (blank is not defined: a MARC-INDICATOR error)
        app.screen.query_one("#ind2", Input).value = "4"
        app.screen.query_one("#body", Input).value = "#a Bildanalys"
        app.screen.query_one("#add").press()
        await pilot.pause()
        await pilot.press("f2")  # the alternative key for terminals with XON/XOFF
        await pilot.pause()
        assert isinstance(app.screen, ChangesScreen), "the changes are shown before a save"
        assert "+ 650 -/4 #a Bildanalys" in screen_text(app)
        await pilot.press("f2")  # the save key again: saves
        for _ in range(50):
            await pilot.pause(0.05)
            if any(s.startswith("Saved") for s in said(app)):
                break
        assert "no unsaved changes" in screen_text(app)
        assert not main_screen(app).session.dirty
    assert "650 -/4 #a Bildanalys" in seed_file.read_text("utf-8")
    assert (seed_file.parent / "seed-records.txt.bak").is_file()


async def test_save_refuses_a_file_changed_on_disk(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        app.screen.query_one("#body", Input).value = "#a Bildanalys"
        app.screen.query_one("#add").press()
        await pilot.pause()
        seed_file.write_text(seed_file.read_text("utf-8") + "\n • 001 someone-else\n", "utf-8")
        await pilot.press("ctrl+s", "ctrl+s")  # the changes, then the save
        for _ in range(50):
            await pilot.pause(0.05)
            if said(app, "error"):
                break
        assert "changed on disk" in said(app, "error")[-1]
        assert main_screen(app).session.dirty
    assert "someone-else" in seed_file.read_text("utf-8")


async def test_quit_asks_when_there_are_unsaved_changes(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        app.screen.query_one("#body", Input).value = "#a Bildanalys"
        app.screen.query_one("#add").press()
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "1 record changed in seed-records.txt and not saved" in screen_text(app)
        await pilot.press("enter")  # the focus is on Cancel: nothing lost by a stray enter
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        app.screen.query_one("#discard").press()
        await pilot.pause()
        assert not app.is_running
    assert "Bildanalys" not in seed_file.read_text("utf-8")


async def test_save_and_quit(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        app.screen.query_one("#ind2", Input).value = "4"
        app.screen.query_one("#body", Input).value = "#a Bildanalys"
        app.screen.query_one("#add").press()
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        app.screen.query_one("#save").press()
        await pilot.pause()
        assert isinstance(app.screen, ChangesScreen)
        app.screen.query_one("#proceed").press()
        for _ in range(50):
            await pilot.pause(0.05)
            if not app.is_running:
                break
        assert not app.is_running
    assert "Bildanalys" in seed_file.read_text("utf-8")


async def test_quit_without_changes_just_quits(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert not app.is_running


# -- search, help, palette ----------------------------------------------------------------------


async def test_search_and_jump(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchDialog)
        await pilot.press(*"eplikt-rss")  # an identifier (024 $a) of the hidden channel record
        for _ in range(40):
            await pilot.pause(0.05)
            if app.screen.query_one(OptionList).option_count:
                break
        assert "1 record found" in screen_text(app)
        assert "Statens medieråd, löpande" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        screen = main_screen(app)
        assert isinstance(app.screen, MainScreen) and screen.slot == 1 and screen.show_channels


async def test_search_ignores_case_and_accents_and_reads_names(tmp_path):
    p = tmp_path / "names.mrk"
    p.write_text(
        "=LDR  00000nam a2200000 i 4500\n=001  r1\n=245  10$aFörsta boken\n\n"
        "=LDR  00000nam a2200000 i 4500\n=001  r2\n=100  1\\$aHolmberg, Åke,$d1907-1991\n=245  10$aAndra boken\n",
        "utf-8",
    )
    app = build_app(p)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("slash", *"Ake")
        for _ in range(40):
            await pilot.pause(0.05)
            if app.screen.query_one(OptionList).option_count:
                break
        text = screen_text(app)
        assert "1 record found" in text and "100: Holmberg, Åke, 1907-1991" in text
        await pilot.press("enter")
        await pilot.pause()
        assert main_screen(app).slot == 1


async def test_help_shows_the_keys_of_the_active_keymap(seed_file):
    app = build_app(seed_file, keymap="vim")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "keymap 'vim'" in text
        assert any(" C " in ln and "toggle-channel" in ln for ln in text.splitlines())
        for _ in range(4):  # the moves come last: scroll to them
            if any("j, ↓" in ln and "cursor-down" in ln for ln in text.splitlines()):
                break
            await pilot.press("pagedown")
            await pilot.pause()
            text = screen_text(app)
        assert any("j, ↓" in ln and "cursor-down" in ln for ln in text.splitlines()), text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        # the footer and hints follow the keymap too
        assert "C Channel" in screen_text(app)
        assert "(C shows)" in screen_text(app)
        await pilot.press("C")
        assert main_screen(app).show_channels


async def test_every_command_is_in_the_palette(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        titles = {c.title for c in app.get_system_commands(main_screen(app))}
        from tui.ui.app import PALETTE_TITLES

        assert set(PALETTE_TITLES.values()) <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"channel")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert main_screen(app).show_channels


async def test_user_keymap_changes_keys_and_hints(seed_file, tmp_path, monkeypatch):
    from tui.core.settings.config import config_dir

    d = config_dir() / "keymaps"
    d.mkdir(parents=True)
    (d / "default.toml").write_text('toggle-channel = "t"\n', "utf-8")
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(100):  # the footer's keys are mounted after the first frame
            await pilot.pause(0.05)
            if "t Channel" in screen_text(app):
                break
        assert "(t shows)" in screen_text(app) and "t Channel" in screen_text(app)
        await pilot.press("c")
        assert not main_screen(app).show_channels
        await pilot.press("t")
        assert main_screen(app).show_channels


async def test_bad_keymap_is_reported_with_file_and_line_and_the_app_starts(seed_file):
    from tui.core.settings.config import config_dir

    d = config_dir() / "keymaps"
    d.mkdir(parents=True)
    bad = d / "default.toml"
    bad.write_text('validate = "v"\nexport = \n', "utf-8")
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        assert any(f"{bad}, line 2: not valid TOML" in s for s in said(app))
        assert "Könsnormer" in screen_text(app)
        await pilot.press("c")  # the shipped keys still work
        assert main_screen(app).show_channels


async def test_broken_theme_falls_back_with_a_notification(seed_file):
    from tui.core.settings.config import config_dir

    d = config_dir() / "themes"
    d.mkdir(parents=True)
    (d / "mine.toml").write_text('primary = "not a colour"\n', "utf-8")
    app = build_app(seed_file, theme="mine")
    async with app.run_test(size=(160, 50)):
        assert app.theme == "default"
        assert any("mine.toml, line 1: primary" in s and "using the default theme" in s for s in said(app, "error"))
    app = build_app(seed_file, theme="high-contrast")
    async with app.run_test(size=(160, 50)):
        assert app.theme == "high-contrast"


async def test_no_color_still_shows_every_state(seed_file, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("c")
        text = screen_text(app)
        assert "RO  506 -/- #a gratis" in text  # protection reads without colour
        assert "  2 ECS ? " in text  # marks are letters
