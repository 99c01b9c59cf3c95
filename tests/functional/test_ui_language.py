"""The Swedish user interface through the running app (Pilot): footer, help screen, status line,
messages and dialogs in Swedish with ``ui_language = "sv"`` (or ``--ui-lang sv``), English by
default; record data, rule ids, tags and key names the same in both; the label view's language
a toggle of its own."""

from __future__ import annotations

import argparse

import pytest
from functional_helpers import build_app, main_screen, said, screen_text

from tui.ui import i18n
from tui.ui.screens.help_screen import HelpScreen

SEED_TITLE = "Könsnormer i bildspråket - Fördjupning"


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    i18n.set_language("en")


def _footer(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_english_by_default(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        footer = _footer(app)
        assert "f1 Help" in footer and "q Quit" in footer and "^s Save" in footer, footer
        assert "Avsluta" not in screen_text(app)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "What it does" in text and "Keys: keymap 'default'" in text
        assert "Undo the last edit." in text


async def test_swedish_footer_help_status_and_messages(seed_file):
    app = build_app(seed_file, ui_language="sv")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        footer = _footer(app)
        for hint in ("f1 Hjälp", "q Avsluta", "/ Sök", "e Redigera", "u Ångra", "^s Spara", "x Exportera"):
            assert hint in footer, (hint, footer)
        assert "Quit" not in footer and "Help" not in footer
        # the list, the status line and the legend; the record itself as it is
        assert "Poster (1, 1 dold kanalpost)" in text
        assert "post 1 av 2, 1 kanalpost dold (c visar)" in text and "inga osparade ändringar" in text
        assert "fullt deltagande" in text and "sigel (inte angiven)" in text
        assert "E e-plikt · C kanal · S spärrad" in text
        assert f"245 1/0 #a {SEED_TITLE}" in text
        # a message: its words Swedish, the key name as it is
        await pilot.press("u")
        await pilot.pause()
        assert said(app)[-1] == "Ångra: Inget att ångra."
        # the help screen: every action's sentence, the binding ids and keys unchanged
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Tangenter: tangentkarta 'default'" in text
        assert "Vad den gör" in text and "Bindnings-id" in text
        assert any("u, ^z" in ln and "undo" in ln and "Ångrar den senaste ändringen." in ln for ln in text.splitlines())
        assert "Undo the last edit." not in text
        await pilot.press("escape")
        await pilot.pause()
        # the command palette's commands
        commands = {c.title: c.help for c in app.get_system_commands(main_screen(app))}
        assert commands["Avsluta"] == "Avslutar; frågar först om det finns osparade ändringar. (tangenter: q, f10)"
        assert "Ångra" in commands and "Tema" in commands and "Quit" not in commands


async def test_swedish_dialog_and_refusal_keep_rule_ids(seed_file):
    from tui.ui.dialogs.confirm import ConfirmDialog

    app = build_app(seed_file, ui_language="sv")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        screen._show_view("marc")
        screen.marc.focus()
        await pilot.pause()
        i = next(k for k, ln in enumerate(screen.marc.lines) if ln.text.startswith("520"))
        screen.marc.move_to(i)
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        text = screen_text(app)
        assert "Ta bort 520[1]" in text and "Ta bort det här fältet?" in text
        assert "Avbryt" in text and "ångra tar tillbaka det" in text
        await pilot.press("escape")
        await pilot.pause()
        # a protected field: the refusal's title Swedish, its rule id as it is
        i = next(k for k, ln in enumerate(screen.marc.lines) if ln.text.startswith("042"))
        screen.marc.move_to(i)
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert any(s.startswith("Nekas (EPL-PROTECT)") or s.startswith("Nekas (EPL-") for s in said(app)), said(app)


async def test_the_label_view_keeps_its_own_language(seed_file):
    app = build_app(seed_file, ui_language="sv", language="en")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Etiketter (en)" in text and "etiketter en" in text
        assert "Avsluta" in _footer(app)
        await pilot.press("l")
        await pilot.pause()
        assert main_screen(app).language == "sv"
        assert said(app)[-1] == "Etiketter: Etiketter på svenska."
        assert "Avsluta" in _footer(app), "the label view's toggle leaves the interface as it is"
        assert i18n.language() == "sv"


async def test_ui_lang_on_the_command_line(seed_file, tmp_path, monkeypatch):
    from tui.cli.app import build_parser, make_app

    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(tmp_path / "conf"))
    monkeypatch.setenv("LIBRIS_TUI_STATE_DIR", str(tmp_path / "state"))
    args: argparse.Namespace = build_parser().parse_args([str(seed_file), "--ui-lang", "sv"])
    app = make_app(args)
    app.toasts = False
    assert app.config.ui_language == "sv" and app.config.language == "sv"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "q Avsluta" in _footer(app)
    i18n.set_language("en")
    app = make_app(build_parser().parse_args([str(seed_file)]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "q Quit" in _footer(app)
