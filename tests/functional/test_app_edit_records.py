"""New records from templates, deleting records, find and replace over the file, through Pilot."""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import DATA, build_app, focus_marc_line, main_screen, said, screen_text
from textual.widgets import Input, OptionList

from tui.ui.dialogs.confirm import ConfirmDialog
from tui.ui.dialogs.editing.find_replace_dialog import FindReplaceDialog
from tui.ui.dialogs.editing.template_dialog import TemplateDialog
from tui.ui.screens.changes_screen import ChangesScreen
from tui.ui.screens.main_screen import MainScreen


@pytest.fixture
def plain_file(tmp_path):
    dst = tmp_path / "plain.mrk"
    shutil.copy(DATA / "plain.mrk", dst)
    return dst


def fifty_records(tmp_path, with_eplikt: bool = True):
    """50 ordinary records with the mistyped word 'fargfilm' in 245 $a, and an e-plikt one."""
    out = []
    for i in range(1, 51):
        out += [
            "=LDR  00000nam a2200000 i 4500",
            f"=001  rec{i:04d}",
            f"=245  10$aBok {i} om fargfilm",
            "=650  \\7$aFargfilm$2sao",
            "",
        ]
    if with_eplikt:
        out += [
            "=LDR  00000nam a2200000 i 4500",
            "=001  eplk0001",
            "=020  \\\\$afargfilm-isbn",
            "=042  \\\\$9EPLK",
            "=245  10$aE-plikt om fargfilm",
            "",
        ]
    p = tmp_path / "fifty.mrk"
    p.write_text("\n".join(out), "utf-8")
    return p


async def preview(pilot) -> None:
    """Enter in the find-and-replace dialog: the file is looked through in a worker."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_fix_a_mistyped_word_in_50_records_with_one_replace_and_undo_each(tmp_path):
    app = build_app(fifty_records(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("F")
        await pilot.pause()
        dlg = app.screen
        assert isinstance(dlg, FindReplaceDialog)
        dlg.query_one("#pattern", Input).value = "fargfilm"
        dlg.query_one("#replacement", Input).value = "färgfilm"
        await preview(pilot)
        # the preview is the changes screen; nothing has changed yet
        assert isinstance(app.screen, ChangesScreen)
        text = screen_text(app)
        assert "51 values in 51 records" in text and "Skipped by the rules: EPL-PROTECT 1" in text
        assert "+ 245 1/0 #a Bok 1 om färgfilm" in text
        assert not screen.session.dirty
        app.screen.action_proceed()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert (
            "51 values replaced in 51 records, one undo step each; skipped by the rules: EPL-PROTECT 1" in said(app)[-1]
        )
        assert screen.session.changed_count() == 51
        # the e-plikt record's title changed (EPL-UPGRADE), its 020 did not (EPL-PROTECT)
        eplk = screen.session.entry(50)
        assert eplk.marc["245"]["a"] == "E-plikt om färgfilm" and eplk.marc["020"]["a"] == "fargfilm-isbn"
        # case-sensitive: 650 $a Fargfilm is left
        assert screen.session.entry(0).marc["650"]["a"] == "Fargfilm"
        # one undo takes back one record's replace
        await pilot.press("u")
        await pilot.pause()
        assert screen.session.changed_count() == 50
        for _ in range(50):
            screen.editing.undo()
        assert not screen.session.dirty


async def test_replace_in_one_tag_and_subfield_ignoring_case_and_a_bad_pattern(tmp_path):
    app = build_app(fifty_records(tmp_path, with_eplikt=False))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("F")
        await pilot.pause()
        dlg = app.screen
        dlg.query_one("#pattern", Input).value = "farg("
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dlg and "not a valid regular expression" in str(dlg.query_one("#problem").render())
        dlg.query_one("#pattern", Input).value = "^fargfilm$"
        dlg.query_one("#replacement", Input).value = "Färgfilm"
        dlg.query_one("#tag", Input).value = "650"
        dlg.query_one("#code", Input).value = "a"
        dlg.query_one("#ignore-case").value = True
        await preview(pilot)
        assert isinstance(app.screen, ChangesScreen)
        app.screen.action_proceed()
        await pilot.pause()
        assert screen.session.entry(3).marc["650"]["a"] == "Färgfilm"
        assert screen.session.entry(3).marc["245"]["a"] == "Bok 4 om fargfilm"


async def test_replace_skips_channel_records_and_counts_them(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("F")
        await pilot.pause()
        dlg = app.screen
        dlg.query_one("#pattern", Input).value = "Elektronisk resurs"
        dlg.query_one("#replacement", Input).value = "Elektronisk resurs (digital)"
        dlg.query_one("#tag", Input).value = "245"
        await preview(pilot)
        assert isinstance(app.screen, ChangesScreen)
        assert "Skipped by the rules:" not in screen_text(app) or "CHN-READONLY" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("F")
        await pilot.pause()
        dlg = app.screen
        dlg.query_one("#pattern", Input).value = "channel"
        dlg.query_one("#replacement", Input).value = "kanal"
        assert dlg.query_one("#tag", Input).value == "245"  # the last replace's, offered again
        dlg.query_one("#tag", Input).value = "*"
        await preview(pilot)
        # only the channel record and protected lines match: nothing to replace, counted by rule
        assert isinstance(app.screen, MainScreen)
        last = said(app)[-1]
        assert "Nothing to replace" in last and "CHN-READONLY" in last and "EPL-PROTECT" in last
        assert not main_screen(app).session.dirty


async def test_holdings_record_from_the_template_and_undo(plain_file):
    app = build_app(plain_file, sigel="Li")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, TemplateDialog)
        text = screen_text(app)
        assert "E-bok" in text and "Tryckt bok" in text and "Bestånd för min sigel" in text
        ol = app.screen.query_one(OptionList)
        ol.highlighted = next(i for i, t in enumerate(app.screen._templates) if t.name == "bestand")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        text = screen_text(app)
        assert "Holdings record 1 (Li)" in text and "852 -/- #b Li #h Hylla" in text
        assert "004 ord0001" in text
        await pilot.press("u")
        await pilot.pause()
        assert "Holdings record 1" not in screen_text(app) and not screen.session.dirty


async def test_users_own_template_overrides_the_shipped_one(plain_file, tmp_path, monkeypatch):
    import os

    folder = tmp_path / "config-templates"
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(folder))
    (folder / "templates").mkdir(parents=True)
    (folder / "templates" / "bestand.mrk").write_text(
        "# title: Vårt bestånd\n# kind: holdings\n=852  \\\\$b@SIGEL@$hMagasin\n", "utf-8"
    )
    assert os.environ["LIBRIS_TUI_CONFIG_DIR"] == str(folder)
    app = build_app(plain_file, sigel="Li")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("N")
        await pilot.pause()
        names = [t.title for t in app.screen._templates]
        assert "Vårt bestånd" in names and "Bestånd för min sigel (holdings record for my sigel)" not in names
        ol = app.screen.query_one(OptionList)
        ol.highlighted = names.index("Vårt bestånd")
        await pilot.press("enter")
        await pilot.pause()
        assert "852 -/- #b Li #h Magasin" in screen_text(app)


async def test_delete_record_and_its_refusals(plain_file, seed_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("X")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.dismiss("delete")
        await pilot.pause()
        assert str(screen.session.entry(0).marc.leader)[5] == "d"
        await pilot.press("u")
        await pilot.pause()
        assert str(screen.session.entry(0).marc.leader)[5] == "n"
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("X")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (EPL-NODELETE)" in said(app, "error")[-1]
        await pilot.press("c", "n")
        await pilot.pause()
        assert main_screen(app).slot == 1
        await pilot.press("X")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (CHN-READONLY)" in said(app, "error")[-1]
        assert not main_screen(app).session.dirty


@pytest.mark.parametrize("name", ["plain.mrk", "plain.mrc"])
async def test_new_bibliographic_record_from_a_template_saved_and_undone(tmp_path, name):
    from tui.core.formats import open_source

    src = tmp_path / "plain.mrk"
    shutil.copy(DATA / "plain.mrk", src)
    path = src
    if name.endswith(".mrc"):  # the same records as ISO 2709
        path = tmp_path / name
        from pymarc import MARCWriter

        with open(path, "wb") as fh:
            w = MARCWriter(fh)
            for e in open_source(src):
                w.write(e.marc)
    app = build_app(path, sigel="Li")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("N")
        await pilot.pause()
        ol = app.screen.query_one(OptionList)
        ol.highlighted = next(i for i, t in enumerate(app.screen._templates) if t.name == "e-bok")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert len(screen.session) == 3 and screen.slot == 2
        text = screen_text(app)
        assert "245 1/0 #a Huvudtitel #h [Elektronisk resurs]" in text and "040 -/- #a Li" in text
        assert "  3 " in text  # its row in the list
        # undo takes the record away again, redo brings it back
        await pilot.press("u")
        await pilot.pause()
        assert len(screen.session) == 2 and not screen.session.dirty
        await pilot.press("r")
        await pilot.pause()
        assert len(screen.session) == 3
        screen.go_to_slot(2)
        await pilot.pause()
        await focus_marc_line(pilot, "245")
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one(Input).value = "=245  10$aMin nya e-bok$h[Elektronisk resurs]"
        await pilot.press("enter")
        await pilot.pause()
        screen.session.save()
    recs = list(open_source(path))
    assert len(recs) == 3 and recs[2].title.startswith("Min nya e-bok")
    assert recs[2].marc["040"]["a"] == "Li" and not recs[2].marc.get_fields("001")


def test_a_new_record_comes_back_from_the_crash_journal(plain_file):
    from tui.core.editing.commands import CreateRecord
    from tui.core.editing.journal import JournalEvent
    from tui.core.formats import open_source
    from tui.core.rules.profile import FULL
    from tui.ui.session import Session

    session = Session(open_source(plain_file), profile=FULL)
    cmd = CreateRecord("00000nam a2200000 i 4500", ["=245  10$aÅterställd"], "e-bok")
    session.replay_event(JournalEvent(1, "apply", 3, cmd.to_json(), 0.0))
    assert len(session) == 3 and session.entry(2).title.startswith("Återställd")
    session.replay_event(JournalEvent(2, "undo", 3, cmd.to_json(), 0.0))
    assert len(session) == 2 and not session.dirty
