"""The app says what the rule table says: a sentence changed in rules.toml changes the reason bar,
the refusal and the help screen; with ``messages = "sv"`` they speak Swedish."""

from __future__ import annotations

from functional_helpers import build_app, main_screen, marc_index, said, screen_text

from tui.core.rules import table
from tui.resources import data_file


def _changed(tmp_path, old: str, new: str):
    text = data_file("rules.toml").read_text("utf-8")
    assert old in text
    p = tmp_path / "rules.toml"
    p.write_text(text.replace(old, new), "utf-8")
    return p


async def test_a_changed_sentence_reaches_the_reason_bar_and_the_refusal(seed_file, tmp_path):
    new = _changed(
        tmp_path,
        'field.en = "{tag} {what} in an e-plikt record stay unchanged; {report_errors}"',
        'field.en = "{tag} {what} ARE KEPT AS KB WROTE THEM; {report_errors}"',
    )
    with table.use(new):
        app = build_app(seed_file)
        async with app.run_test(size=(160, 50)) as pilot:
            screen = main_screen(app)
            screen.marc.focus()
            await pilot.pause()
            screen.marc.move_to(marc_index(app, "506"))
            await pilot.pause()
            assert "RO EPL-PROTECT  506[1]: 506 access terms ARE KEPT AS KB WROTE THEM" in screen_text(app)
            await pilot.press("d")  # delete the field: refused, saying why
            await pilot.pause()
            assert any("506 access terms ARE KEPT AS KB WROTE THEM" in s for s in said(app, "error"))


async def test_a_changed_rule_reaches_the_help_screen(seed_file, tmp_path):
    new = _changed(
        tmp_path,
        'en = "An e-plikt record must never be deleted manually."',
        'en = "NO E-PLIKT RECORD IS EVER DELETED."',
    )
    with table.use(new):
        app = build_app(seed_file)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press("f1")
            await pilot.pause()
            rules = str(app.screen.query_one("#rules").render())
            assert "EPL-NODELETE NO E-PLIKT RECORD IS EVER DELETED." in rules
            assert "HOLD-ADD A library may add a holding for its own sigel" in rules


async def test_messages_in_swedish_when_the_config_says_so(seed_file):
    from tui.core.formats import open_source
    from tui.core.rules.profile import FULL
    from tui.core.settings.config import Config
    from tui.ui.app import LibrisApp
    from tui.ui.session import Session

    app = LibrisApp(
        Session(open_source(seed_file), profile=FULL), config=Config(messages="sv"), steady_cursor=True, toasts=False
    )
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            screen = main_screen(app)
            screen.marc.focus()
            await pilot.pause()
            screen.marc.move_to(marc_index(app, "506"))
            await pilot.pause()
            assert "506[1]: 506 åtkomstvillkor i en e-pliktspost ligger kvar oförändrade" in screen_text(app)
    finally:
        table.set_language("en")
