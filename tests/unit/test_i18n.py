"""The Swedish user interface: every UI string has its Swedish entry, the compiled .mo is the .po's,
and the app's words change with the setting while record data, rule ids and keys do not."""

from __future__ import annotations

import importlib.util
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from tui.ui import actions, i18n

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    i18n.set_language("en")  # the language is the process's: the next test starts in English


def _tool():
    pytest.importorskip("babel", reason="babel is not installed: pip install '.[test]' (or '.[dev]')")
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- the catalogue against the code (Babel's extraction, in memory) ----------------------------------
def test_every_ui_string_has_a_swedish_entry_and_the_mo_is_compiled():
    tool = _tool()
    template = tool.extract()
    assert len([m for m in template if m.id]) > 300, "the extraction found the package's strings"
    problems = tool.check()
    assert not problems, "run `python tools/i18n.py`, translate what it lists, run it again:\n" + "\n".join(problems)
    assert tool.main(["--check"]) == 0


def test_the_check_fails_on_a_missing_entry_a_wrong_field_and_a_stale_mo():
    tool = _tool()
    template = tool.extract()
    po = tool.po_path("sv")
    mo = po.with_suffix(".mo").read_bytes()

    catalog = tool.read_catalog(po, "sv")
    assert not tool.problems(template, catalog, mo)

    catalog.delete("Quit")
    found = tool.problems(template, catalog, mo)
    assert any("no Swedish entry for 'Quit'" in p for p in found)
    assert any(".mo is not the .po's" in p for p in found), "the .mo still has 'Quit': stale"

    catalog = tool.read_catalog(po, "sv")
    catalog.get("Edit {tag}").string = "Redigera {tagg}"
    found = tool.problems(template, catalog, tool.compile_mo(catalog))
    assert any("'Edit {tag}'" in p and "fields" in p for p in found)

    catalog = tool.read_catalog(po, "sv")
    catalog.get("Save").string = ""
    assert any("'Save' is empty" in p for p in tool.problems(template, catalog, tool.compile_mo(catalog)))
    assert any("missing" in p for p in tool.problems(template, tool.read_catalog(po, "sv"), None))


def test_a_new_string_in_the_code_is_found(tmp_path):
    """A string marked in any module of tui/ui is extracted: here one in a module of its own."""
    tool = _tool()
    (tmp_path / "m.py").write_text(
        "from tui.ui.i18n import N_, _, ngettext\n"
        "A = N_('Marked')\n"
        "def f(n):\n"
        "    return _('Shown {x}').format(x=1) + ngettext('{n} post', '{n} posts', n)\n",
        encoding="utf-8",
    )
    ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in tool.extract(tmp_path) if m.id}
    assert ids == {"Marked", "Shown {x}", ("{n} post", "{n} posts")}


# -- the compiled catalogue as the app reads it (standard library gettext; no Babel needed) ----------
def test_swedish_words_english_by_default():
    assert i18n.set_language("en") == "en"
    assert i18n._("Quit") == "Quit"
    assert i18n.set_language("sv") == "sv"
    assert (i18n._("Quit"), i18n._("Undo"), i18n._("Redo"), i18n._("Save")) == ("Avsluta", "Ångra", "Gör om", "Spara")
    assert (i18n._("Export"), i18n._("Help"), i18n._("Search")) == ("Exportera", "Hjälp", "Sök")
    assert i18n.ngettext("{n} record", "{n} records", 1) == "1 post"
    assert i18n.ngettext("{n} record", "{n} records", 3) == "3 poster"
    assert i18n.set_language("xx") == "en", "an unknown language is English"
    assert i18n._("Quit") == "Quit"


def test_every_action_title_and_help_is_swedish():
    """The footer, the help screen and the palette show these; a few words are the same in both."""
    same = {"Sv/En", "E-plikt"}
    i18n.set_language("sv")
    untranslated = [
        text
        for spec in actions.ACTIONS
        for text in (spec.title, spec.help)
        if i18n._(text) == text and text not in same
    ]
    untranslated += [title for title, _ids in actions.HELP_SECTIONS if i18n._(title) == title and title not in same]
    assert not untranslated


def test_translations_keep_rule_ids_and_marc_terms():
    i18n.set_language("sv")
    for english in (
        "Show or hide channel records (CHN-HIDE: hidden until you ask).",
        "Remove 599 $a SUPPRESSRECORD from the record (SUP-CLEAR).",
        "Channel records shown ({n}). They are read-only (CHN-READONLY).",
    ):
        sv = i18n._(english)
        assert sv != english
        for token in ("CHN-HIDE", "SUPPRESSRECORD", "SUP-CLEAR", "599 $a", "CHN-READONLY", "{n}"):
            assert (token in english) == (token in sv), (token, sv)


# -- shipped in the package --------------------------------------------------------------------------
def test_the_catalogues_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = cfg["tool"]["setuptools"]["package-data"]["tui.ui"]
    for f in (ROOT / "tui" / "ui" / "locale").rglob("*"):
        if f.is_file():
            rel = f.relative_to(ROOT / "tui" / "ui").as_posix()
            assert any(fnmatch(rel, p) for p in patterns), f"{rel} is not in tui.ui's package-data"
    assert (i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "libris-tui.mo").is_file()
    extras = cfg["project"]["optional-dependencies"]
    assert any(d.startswith("babel") for d in extras["test"]), "CI installs .[test]: the check must run there"
    assert not any(d.startswith("babel") for d in cfg["project"]["dependencies"]), "the app reads .mo with gettext"


# -- the setting and the command line ---------------------------------------------------------------
def test_ui_language_in_config_and_on_the_command_line(tmp_path, monkeypatch):
    from tui.cli.app import build_parser
    from tui.core.settings import config as cfg

    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(tmp_path / "conf"))
    c = cfg.load_config()
    assert c.ui_language == "en" and "ui_language" in c.path.read_text("utf-8")
    cfg.set_value("ui_language", "sv")
    assert cfg.load_config().ui_language == "sv"
    (tmp_path / "conf" / "config.toml").write_text('ui_language = "de"\n', encoding="utf-8")
    bad = cfg.load_config()
    assert bad.ui_language == "en"
    assert any("line 1" in p and "ui_language" in p and "'de'" in p for p in bad.problems)

    args = build_parser().parse_args(["x.mrc", "--ui-lang", "sv", "--lang", "en"])
    assert (args.ui_lang, args.lang) == ("sv", "en")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["x.mrc", "--ui-lang", "de"])
