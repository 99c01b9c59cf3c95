"""Editing through the command objects: refusals with their rule id, edits, undo and redo."""

from __future__ import annotations

from functional_helpers import build_app, focus_marc_line, main_screen, said, screen_text
from textual.widgets import Input

from tui.ui.dialogs.confirm import ConfirmDialog
from tui.ui.dialogs.editing.add_field_dialog import AddFieldDialog
from tui.ui.dialogs.editing.field_dialog import FieldDialog
from tui.ui.dialogs.editing.indicator_dialog import IndicatorDialog
from tui.ui.dialogs.editing.subfield_dialog import SubfieldDialog
from tui.ui.screens.main_screen import MainScreen

TITLE = "Könsnormer i bildspråket - Fördjupning"


def refusals(app) -> list[str]:
    return [s for s in said(app, "error") if s.startswith("Refused")]


async def test_protected_fields_refuse_edits_with_their_rule(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        for prefix, part, rule in (
            ("506", None, "EPL-PROTECT"),
            ("856", None, "EPL-PROTECT"),
            ("856", 0, "EPL-PROTECT"),
            ("024 7", 1, "EPL-PROTECT"),
            ("655", 1, "EPL-PROTECT"),
            ("772", None, "EPL-PROTECT"),
            ("042", 1, "EPL-DETECT"),
        ):
            await focus_marc_line(pilot, prefix, part)
            before = len(refusals(app))
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), f"{prefix}: a dialog opened on protected data"
            new = refusals(app)[before:]
            assert new and f"Refused ({rule})" in new[0], (prefix, new)
        assert "506[1]: 506 access terms in an e-plikt record stay unchanged" in " ".join(refusals(app))
        # the other edits are refused too, never silently ignored
        await focus_marc_line(pilot, "506")
        for key in ("d", "plus"):
            before = len(refusals(app))
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            assert "EPL-PROTECT" in refusals(app)[before]
        await focus_marc_line(pilot, "506", 1)
        before = len(refusals(app))
        await pilot.press("minus")
        assert "EPL-PROTECT" in refusals(app)[before]
        assert not main_screen(app).session.dirty


async def test_channel_record_refuses_everything(seed_file):
    app = build_app(seed_file, sigel="Li")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("c", "down")
        screen = main_screen(app)
        assert screen.slot == 1
        for prefix, part, key in (
            ("245", None, "e"),
            ("245", 1, "e"),
            ("856 4/0", 1, "e"),
            ("599", None, "d"),
            ("040", None, "plus"),
            ("655", None, "a"),
            ("245", None, "h"),
            ("599", None, "k"),
            ("856 4/0", None, "m"),
        ):
            await focus_marc_line(pilot, prefix, part)
            before = len(said(app, "error"))
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), (prefix, key)
            new = said(app, "error")[before:]
            assert new and "CHN-READONLY" in new[0], (prefix, key, new)
        # from the label view too
        screen.labels.focus()
        await pilot.pause()
        before = len(said(app, "error"))
        await pilot.press("e")
        assert "CHN-READONLY" in said(app, "error")[before]
        assert not screen.session.dirty


async def test_edit_a_subfield_then_undo_and_redo(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        await focus_marc_line(pilot, "245", 1)  # $a
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SubfieldDialog)
        value = app.screen.query_one("#value", Input)
        assert value.value == TITLE
        value.value = "Könsnormer i bildspråket"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        text = screen_text(app)
        assert "  * 245 1/0 #a Könsnormer i bildspråket #h [Elektronisk resurs]" in text  # changed mark
        assert "  * Har titel / Titel / Huvudtitel: Könsnormer i bildspråket" in text
        assert "  1 E  * " in text  # the list row: changed
        assert "UNSAVED: 1 record changed" in text
        assert screen.session.dirty
        await pilot.press("u")
        text = screen_text(app)
        assert f"    245 1/0 #a {TITLE} #h [Elektronisk resurs]" in text
        assert "no unsaved changes" in text
        assert not screen.session.dirty
        await pilot.press("r")
        assert "245 1/0 #a Könsnormer i bildspråket #h" in screen_text(app)
        assert screen.session.dirty
        assert any(s.startswith("Undone: Set 245[1] subfield 1") for s in said(app))
        assert any(s.startswith("Redone:") for s in said(app))


async def test_edit_from_the_label_view(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        screen.labels.focus()
        await pilot.pause()
        screen.labels.move_to(screen.labels.find_line(lambda ln: ln.text.startswith("Har titel")))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SubfieldDialog)
        assert app.screen.query_one("#code", Input).value == "a"
        await pilot.press("escape")
        # a protected label line refuses, with a hint where URI-FIX still applies
        screen.labels.move_to(screen.labels.find_line(lambda ln: ln.text.startswith("Tillhörande media")))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "EPL-PROTECT" in said(app, "error")[-1]
        assert any("may still be corrected" in s for s in said(app))


async def test_uri_fix_on_856_u_without_z(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "856", 1)  # the $u: URI-FIX frees it
        assert "URI" in screen_text(app)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SubfieldDialog)
        app.screen.query_one("#value", Input).value = "not a uri"
        await pilot.press("enter")
        await pilot.pause()
        assert "Refused (URI-FIX)" in said(app, "error")[-1]
        assert "856 4/0 #u https://statensmedierad.se/5.51c1ce3b160211ab52f3207a.html" in screen_text(app)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#value", Input).value = "https://statensmedierad.se/fixed.html"
        await pilot.press("enter")
        await pilot.pause()
        assert "856 4/0 #u https://statensmedierad.se/fixed.html" in screen_text(app)


async def test_edit_indicators(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "245", 0)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, IndicatorDialog)
        assert app.screen.query_one("#ind1", Input).value == "1"
        ind2 = app.screen.query_one("#ind2", Input)
        ind2.value = ""
        ind2.focus()
        await pilot.press("4", "enter")
        await pilot.pause()
        assert "245 1/4 #a Könsnormer" in screen_text(app)


async def test_edit_a_whole_field(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "264 -/1 #c 2019-")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, FieldDialog)
        app.screen.query_one("#value-0", Input).value = "2019-03-20"
        app.screen.query_one("#ind1", Input).value = "3"
        app.screen.query_one("#save").press()
        await pilot.pause()
        assert "264 3/1 #c 2019-03-20" in screen_text(app)
        # one step: one undo takes back both changes
        await pilot.press("u")
        await pilot.pause()
        assert "264 -/1 #c 2019-03-20T09:29:50+01:00" in screen_text(app)


async def test_add_a_subject_heading_and_delete_it(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddFieldDialog)
        await pilot.press("6", "5", "0", "enter", "enter", "7", "enter")
        app.screen.query_one("#body", Input).value = "#a Bildanalys #2 sao"
        await pilot.pause()
        assert "Will add: 650 -/7 #a Bildanalys #2 sao" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        screen = main_screen(app)
        text = screen_text(app)
        assert "  * 650 -/7 #a Bildanalys #2 sao" in text
        assert "Ämne / Föredragen benämning: Bildanalys" in text
        assert screen.marc.current.text == "650 -/7 #a Bildanalys #2 sao"  # the cursor is on it
        # add a subfield after $a, then delete it
        await pilot.press("right", "plus")
        await pilot.pause()
        assert isinstance(app.screen, SubfieldDialog)
        app.screen.query_one("#code", Input).value = "x"
        app.screen.query_one("#value", Input).value = "historia"
        app.screen.query_one("#save").press()
        await pilot.pause()
        assert "650 -/7 #a Bildanalys #x historia #2 sao" in screen_text(app)
        await focus_marc_line(pilot, "650", 2)
        await pilot.press("minus")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.query_one("#delete").press()
        await pilot.pause()
        assert "650 -/7 #a Bildanalys #2 sao" in screen_text(app)
        # delete the field: asks first
        await focus_marc_line(pilot, "650")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "650 -/7 #a Bildanalys #2 sao" in screen_text(app)
        await pilot.press("escape")  # cancel: nothing happens
        assert "650 -/7" in screen_text(app)
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#delete").press()
        await pilot.pause()
        assert "650 -/7" not in screen_text(app)
        await pilot.press("u")
        assert "650 -/7 #a Bildanalys #2 sao" in screen_text(app)


async def test_add_field_refusals_and_parse_errors(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "020"
        app.screen.query_one("#body", Input).value = "#a 9789100000000"
        app.screen.query_one("#add").press()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (EPL-PROTECT)" in said(app, "error")[-1]
        await pilot.press("a")
        app.screen.query_one("#tag", Input).value = "650"
        app.screen.query_one("#body", Input).value = "Bildanalys"
        app.screen.query_one("#add").press()
        await pilot.pause()
        assert isinstance(app.screen, AddFieldDialog)  # stays open and says what is wrong
        assert "Start with a subfield code" in screen_text(app)


async def test_limited_participation_browses_but_does_not_catalogue(seed_file):
    app = build_app(seed_file, profile="limited")
    async with app.run_test(size=(160, 50)) as pilot:
        assert "limited participation" in screen_text(app)
        await focus_marc_line(pilot, "245", 1)
        assert "read-only for limited participation (PROFILE-LIMITED)" in screen_text(app)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Refused (PROFILE-LIMITED)" in said(app, "error")[-1]
        await pilot.press("a")
        assert "Refused (PROFILE-LIMITED)" in said(app, "error")[-1]
