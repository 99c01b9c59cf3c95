"""Running a task list in the app (``run-tasks``): on this record or every record, the changes
screen first, one undo step per record, refusals counted by rule id, a bad task list shown in
the dialog with its line, and the run replayed from the crash journal."""

from __future__ import annotations

import tomllib

from functional_helpers import build_app, main_screen, said, screen_text
from textual.widgets import Input, RadioButton

from tui import resources
from tui.ui import actions
from tui.ui.app import PALETTE_TITLES
from tui.ui.dialogs.editing.task_dialog import TaskDialog
from tui.ui.screens.changes_screen import ChangesScreen
from tui.ui.screens.main_screen import MainScreen

TASKS = """\
description = "fargfilm is spelt färgfilm; no local 020 test values"

[[operation]]
action = "replace-subfield"
tag = "245"
code = "a"
pattern = "farg(film)"
replacement = "färg\\\\1"

[[operation]]
action = "delete-field"
tag = "020"
"""


def records(tmp_path):
    """Five ordinary records with 'fargfilm' in 245 $a, and an e-plikt one with an 020."""
    out = []
    for i in range(1, 6):
        out += ["=LDR  00000nam a2200000 i 4500", f"=001  rec{i:04d}", f"=245  10$aBok {i} om fargfilm", ""]
    out += [
        "=LDR  00000nam a2200000 i 4500",
        "=001  eplk0001",
        "=020  \\\\$a9789100000000",
        "=042  \\\\$9EPLK",
        "=245  10$aE-plikt om fargfilm",
        "",
    ]
    p = tmp_path / "six.mrk"
    p.write_text("\n".join(out), "utf-8")
    return p


def task_file(tmp_path, text: str = TASKS):
    p = tmp_path / "fix.toml"
    p.write_text(text, "utf-8")
    return p


async def open_dialog(pilot, path, scope: str) -> TaskDialog:
    await pilot.press("T")
    await pilot.pause()
    dlg = pilot.app.screen
    assert isinstance(dlg, TaskDialog)
    dlg.query_one("#path", Input).value = str(path)
    dlg.query_one(f"#scope-{scope}", RadioButton).value = True
    return dlg


async def preview(pilot) -> None:
    await pilot.press("enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_task_list_over_the_file_previews_then_runs_one_undo_step_per_record(tmp_path):
    app = build_app(records(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await open_dialog(pilot, task_file(tmp_path), "file")
        await preview(pilot)
        assert isinstance(app.screen, ChangesScreen)
        text = screen_text(app)
        assert "6 operation runs change 6 records" in text
        assert "Refused by the rules: EPL-PROTECT 1" in text, text  # the e-plikt record 020 stays
        assert "+ 245 1/0 #a Bok 1 om färgfilm" in text
        assert not screen.session.dirty  # nothing changed yet
        app.screen.action_proceed()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert said(app)[-1] == (
            "Task list: Task list run: 6 records changed, one undo step each; refused by the rules: EPL-PROTECT 1"
        )
        assert screen.session.changed_count() == 6
        assert screen.session.entry(0).marc["245"]["a"] == "Bok 1 om färgfilm"
        eplk = screen.session.entry(5)
        assert eplk.marc["245"]["a"] == "E-plikt om färgfilm" and eplk.marc["020"]["a"] == "9789100000000"
        # one undo takes back one record's run
        await pilot.press("u")
        await pilot.pause()
        assert screen.session.changed_count() == 5
        for _ in range(5):
            screen.editing.undo()
        assert not screen.session.dirty
        assert screen.session.entry(0).marc["245"]["a"] == "Bok 1 om fargfilm"


async def test_on_this_record_only(tmp_path):
    app = build_app(records(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("n")  # the second record
        await pilot.pause()
        assert screen.slot == 1
        await open_dialog(pilot, task_file(tmp_path), "record")
        await preview(pilot)
        assert isinstance(app.screen, ChangesScreen)
        assert "1 operation run changes 1 record" in screen_text(app)
        app.screen.action_proceed()
        await pilot.pause()
        assert screen.session.entry(1).marc["245"]["a"] == "Bok 2 om färgfilm"
        assert screen.session.entry(0).marc["245"]["a"] == "Bok 1 om fargfilm"
        assert screen.session.changed_count() == 1


async def test_a_bad_task_list_keeps_the_dialog_open_with_file_and_line(tmp_path):
    app = build_app(records(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        bad = task_file(tmp_path, '[[operation]]\naction = "replace-subfeld"\ntag = "245"\n')
        dlg = await open_dialog(pilot, bad, "file")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg
        problem = str(dlg.query_one("#problem").render())
        assert f"{bad}:2: operation 1: unknown action" in problem and "replace-subfield" in problem  # the near miss
        dlg.query_one("#path", Input).value = str(tmp_path / "missing.toml")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg and "There is no file" in str(dlg.query_one("#problem").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and not main_screen(app).session.dirty


async def test_nothing_to_change_says_so_and_opens_no_changes_screen(tmp_path):
    app = build_app(records(tmp_path))
    nothing = task_file(tmp_path, '[[operation]]\naction = "delete-field"\ntag = "500"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog(pilot, nothing, "file")
        await preview(pilot)
        assert isinstance(app.screen, MainScreen)
        assert said(app)[-1] == "Task list: The task list changes nothing in the file."


async def test_the_crash_journal_replays_a_task_list_run(tmp_path):
    """The run is journalled with the task list's text: the task file may be gone by then."""
    from tui.core.editing import journal
    from tui.ui.dialogs.restore_dialog import RestoreDialog

    src = records(tmp_path)
    tasks = task_file(tmp_path)
    app = build_app(src, journal=True)
    async with app.run_test(size=(120, 40)) as pilot:
        session = main_screen(app).session
        await open_dialog(pilot, tasks, "record")
        await preview(pilot)
        app.screen.action_proceed()
        await pilot.pause()
        assert session.changed_count() == 1
        session.journal.close(clean=False)  # the crash: the journal stays
        session.journal = None
    tasks.unlink()
    assert len(journal.pending_sessions(src)) == 1
    app = build_app(src, journal=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, RestoreDialog) and app.screen.query("Button"):
                break
        assert isinstance(app.screen, RestoreDialog)
        await pilot.press("enter")  # Restore has the focus
        await pilot.pause()
        session = main_screen(app).session
        assert session.entry(0).marc["245"]["a"] == "Bok 1 om färgfilm"
        assert session.entry(1).marc["245"]["a"] == "Bok 2 om fargfilm"


def test_run_tasks_is_in_both_keymaps_the_help_and_the_palette():
    for name in ("default", "vim"):
        data = tomllib.loads((resources.keymaps_dir() / f"{name}.toml").read_text("utf-8"))
        assert data.get("run-tasks"), name
    assert "run-tasks" in {i for _, ids in actions.HELP_SECTIONS for i in ids}
    assert PALETTE_TITLES["run-tasks"]
