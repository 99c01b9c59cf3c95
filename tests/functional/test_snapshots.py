"""Snapshots of every screen and dialog at 80x24 and 160x48 (pytest-textual-snapshot).

Update them after a deliberate change with ``pytest tests/functional/test_snapshots.py
--snapshot-update`` and look at the report. Stable by construction: no blinking cursor, the
config directory at a fixed path, files opened by a relative name, dialogs whose text would
carry a date or a temporary path are given fixed text.
"""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import DATA, SAMPLES, build_app, main_screen
from textual.widgets import Input, OptionList

from tui.ui.dialogs.export_dialog import ExportDialog
from tui.ui.dialogs.findings_dialog import FindingsDialog
from tui.ui.dialogs.restore_dialog import RestoreDialog

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in a fresh folder holding the sample files, with a fixed config path."""
    shutil.copy(SAMPLES / "seed-records.txt", tmp_path / "seed-records.txt")
    shutil.copy(DATA / "eplikt-restricted.txt", tmp_path / "eplikt-restricted.txt")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", "/nonexistent/libris-tui")
    return tmp_path


async def _until(pilot, kind, tries: int = 100) -> None:
    """Wait for a dialog that a worker opens, then for every worker and repaint to settle."""
    for _ in range(tries):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, kind) and pilot.app.screen.is_mounted:
            break
    await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


async def _on_marc(pilot, prefix: str, part=None) -> None:
    screen = main_screen(pilot.app)
    screen._show_view("marc")
    screen.marc.focus()
    await pilot.pause()
    i = next(k for k, ln in enumerate(screen.marc.lines) if ln.text.startswith(prefix))
    screen.marc.move_to(i, part)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, here, size):
    assert snap_compare(build_app("seed-records.txt"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_channel_record_shown(snap_compare, here, size):
    assert snap_compare(build_app("seed-records.txt"), press=["c", "down"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_protected_field_focused(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "856")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_subfield_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "245", 1)
        await pilot.press("e")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_indicator_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "245", 0)
        await pilot.press("e")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_field_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "041")
        await pilot.press("e")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_add_field_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#tag", Input).value = "650"
        pilot.app.screen.query_one("#ind2", Input).value = "7"
        pilot.app.screen.query_one("#body", Input).value = "#a Bildanalys #2 sao"
        pilot.app.screen.query_one("#body", Input).focus()
        await pilot.pause()

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_add_field_dialog_placeholders(snap_compare, here, size):
    """A fresh dialog: its placeholders are examples (e.g. 650), dim and italic, never values."""

    async def run_before(pilot):
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#body", Input).focus()  # the tag's placeholder shows uncovered
        await pilot.pause()

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_delete_field_confirmation(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "520")
        await pilot.press("d")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_add_holding_dialog(snap_compare, here, size):
    assert snap_compare(build_app("eplikt-restricted.txt"), press=["h"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_move_uris_dialog(snap_compare, here, size):
    assert snap_compare(build_app("eplikt-restricted.txt"), press=["m"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_findings_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await pilot.press("v")
        await _until(pilot, FindingsDialog)

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await pilot.press("x")
        await _until(pilot, ExportDialog)

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_search_dialog(snap_compare, here, size):
    async def run_before(pilot):
        await pilot.press("slash", *"medier")
        for _ in range(60):
            await pilot.pause(0.05)
            if pilot.app.screen.query_one(OptionList).option_count:
                break
        await pilot.pause()

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, here, size):
    assert snap_compare(build_app("seed-records.txt"), press=["f1"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_restore_dialog(snap_compare, here, size):
    async def run_before(pilot):
        pilot.app.push_screen(RestoreDialog("2 unsaved edits to /srv/katalog/seed-records.txt (last 2026-01-15 14:02)"))
        await pilot.pause()

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_unsaved_changes_on_quit(snap_compare, here, size):
    async def run_before(pilot):
        await _on_marc(pilot, "264 -/1 #c 2019-")
        await pilot.press("d")
        await pilot.pause()
        pilot.app.screen.query_one("#delete").press()
        await pilot.pause()
        await pilot.press("q")

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


# -- editing at a cataloguer's speed: the line editor, the fixed-field editor, the field help ---------


@pytest.fixture
def plain(here):
    shutil.copy(DATA / "plain.mrk", here / "plain.mrk")
    return "plain.mrk"


def test_line_editor_with_a_problem_at_its_column(snap_compare, plain):
    async def run_before(pilot):
        await _on_marc(pilot, "245")
        await pilot.press("E")
        await pilot.pause()
        pilot.app.screen.query_one("#line", Input).value = "=245  1X$aVanlig bok om färgfilm"
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build_app(plain), terminal_size=(80, 24), run_before=run_before)


def test_fixed_field_editor_008(snap_compare, plain):
    async def run_before(pilot):
        await _on_marc(pilot, "008")
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(build_app(plain), terminal_size=(80, 24), run_before=run_before)


def test_field_help_panel(snap_compare, plain):
    async def run_before(pilot):
        await _on_marc(pilot, "245")
        await pilot.press("i")
        await pilot.pause()

    assert snap_compare(build_app(plain), terminal_size=(80, 24), run_before=run_before)


# -- a task list in the app: the dialog with a problem, the changes it would make ------------------


@pytest.mark.parametrize("size", SIZES)
def test_task_list_dialog_with_a_problem(snap_compare, here, size):
    (here / "fix.toml").write_text('[[operation]]\naction = "replace-subfeld"\ntag = "245"\n', "utf-8")

    async def run_before(pilot):
        await pilot.press("T")
        await pilot.pause()
        pilot.app.screen.query_one("#path", Input).value = "fix.toml"
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_task_list_changes_preview(snap_compare, here, size):
    from tui.ui.screens.changes_screen import ChangesScreen

    (here / "fix.toml").write_text(
        '[[operation]]\naction = "add-field"\ntag = "500"\nsubfields = [["a", "Rättad i libris-tui"]]\n', "utf-8"
    )

    async def run_before(pilot):
        await pilot.press("T")
        await pilot.pause()
        pilot.app.screen.query_one("#path", Input).value = "fix.toml"
        await pilot.press("enter")
        await _until(pilot, ChangesScreen)

    assert snap_compare(build_app("seed-records.txt"), terminal_size=size, run_before=run_before)
