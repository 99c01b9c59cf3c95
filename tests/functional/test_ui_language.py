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


async def _open(pilot, key: str, kind):
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, kind), (key, pilot.app.screen, pilot.app.said[-3:])
    return pilot.app.screen


async def _close(pilot) -> None:
    await pilot.press("escape")
    await pilot.pause()


async def _walk_dialogs(app, pilot) -> dict[str, str]:
    """Open the add-field, find-and-replace, search, task-list and add-holding dialogs in turn,
    with a problem or a count in each; what each showed, by name."""
    from textual.widgets import Static

    from tui.ui.dialogs.add_holding_dialog import AddHoldingDialog
    from tui.ui.dialogs.editing.add_field_dialog import AddFieldDialog
    from tui.ui.dialogs.editing.find_replace_dialog import FindReplaceDialog
    from tui.ui.dialogs.editing.task_dialog import TaskDialog
    from tui.ui.dialogs.search_dialog import SearchDialog

    seen: dict[str, str] = {}
    await pilot.pause()
    main_screen(app)._show_view("marc")
    main_screen(app).marc.focus()
    await pilot.pause()
    await _open(pilot, "a", AddFieldDialog)
    await pilot.press(*"650", "enter", "enter", "enter", *"#a Bildanalys")  # tag, both indicators, subfields
    await pilot.pause()
    seen["add-field"] = screen_text(app)
    await _close(pilot)
    await _open(pilot, "F", FindReplaceDialog)
    await pilot.press("enter")  # no pattern
    await pilot.pause()
    seen["find-replace"] = screen_text(app)
    await _close(pilot)
    dialog = await _open(pilot, "slash", SearchDialog)
    await pilot.press(*"bildspråket")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    seen["search"] = screen_text(app)
    assert dialog.query_one("#hits").option_count >= 1
    await _close(pilot)
    dialog = await _open(pilot, "T", TaskDialog)
    await pilot.press(*"no-such-tasks.toml", "enter")
    await pilot.pause()
    seen["tasks"] = screen_text(app)
    seen["tasks-problem"] = str(dialog.query_one("#problem", Static).render())  # the path may wrap
    await _close(pilot)
    await _open(pilot, "h", AddHoldingDialog)
    await pilot.press("enter")  # no sigel given
    await pilot.pause()
    seen["add-holding"] = screen_text(app)
    await _close(pilot)
    return seen


async def test_swedish_dialogs(seed_file):
    app = build_app(seed_file, ui_language="sv")
    async with app.run_test(size=(160, 50)) as pilot:
        seen = await _walk_dialogs(app, pilot)
    text = seen["add-field"]
    assert "Lägg till ett fält" in text and "enter lägger till · esc avbryter" in text
    assert "Fältkod" in text and "Indikatorer" in text and "Delfält som i MARC-vyn" in text
    assert "Lägger till: 650 -/- #a Bildanalys" in text, text  # the field itself as it is
    assert "Lägg till" in text and "Avbryt" in text
    text = seen["find-replace"]
    assert "Sök och ersätt i filen" in text and "Ersätt med" in text and "Förhandsgranska" in text
    assert "Ange ett mönster att söka efter." in text
    assert "Fältkod: 245, 100,700, 6XX eller * för alla fält" in text
    text = seen["search"]
    assert "enter hoppar · tab till träffarna · esc stänger" in text
    assert "1 post hittades" in text and SEED_TITLE in text
    text = seen["tasks"]
    assert "Kör en uppgiftslista" in text and "Den här posten" in text and "Alla poster i filen" in text
    assert seen["tasks-problem"].startswith("Filen ") and seen["tasks-problem"].endswith(
        "no-such-tasks.toml finns inte."
    )
    text = seen["add-holding"]
    assert "Lägg till bestånd (HOLD-ADD)" in text and "Ange ditt biblioteks sigel." in text
    assert "Ingen sigel är angiven i konfigurationen än." in text and "Kom ihåg sigeln i config.toml" in text
    for english in ("Cancel", "Preview", "Replace with", "record found", "Give your library", "Every record"):
        assert all(english not in t for t in seen.values()), english


async def test_english_dialogs_by_default(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        seen = await _walk_dialogs(app, pilot)
    assert "Add a field" in seen["add-field"] and "Will add: 650 -/- #a Bildanalys" in seen["add-field"]
    assert "Find and replace in the file" in seen["find-replace"] and "Give a pattern to find." in seen["find-replace"]
    assert "1 record found" in seen["search"]
    assert "Run a task list" in seen["tasks"] and seen["tasks-problem"].startswith("There is no file ")
    assert "Add a holding (HOLD-ADD)" in seen["add-holding"] and "Give your library's sigel." in seen["add-holding"]
    for swedish in ("Avbryt", "Förhandsgranska", "Ersätt med", "hittades", "Ange ditt", "Alla poster"):
        assert all(swedish not in t for t in seen.values()), swedish


async def test_swedish_validation_dialog_keeps_rule_ids(seed_file):
    from tui.ui.dialogs.findings_dialog import FindingsDialog

    app = build_app(seed_file, ui_language="sv")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        dialog = await _open(pilot, "v", FindingsDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "Validering" in text and "enter hoppar till fältet · esc stänger" in text and "Stäng" in text
        counts = {s: sum(1 for f in dialog._findings if f.severity == s) for s in ("error", "warning", "info")}
        assert f"{counts['error']} fel, " in text and ("anmärkning" in text or "Inga anmärkningar" in text)
        for f in dialog._findings[:3]:  # the severity word Swedish, the rule id as it is
            word = {"error": "fel", "warning": "varning", "info": "info"}[f.severity]
            assert any(word in ln and f.rule in ln for ln in text.splitlines()), (word, f.rule)
        assert " error " not in text and " warning " not in text
