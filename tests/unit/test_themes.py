"""Themes: shipped ones load; user themes override; broken files are named with their line."""

import pytest

from tui import resources
from tui.core.settings import themes
from tui.ui import themes as ui_themes


@pytest.mark.parametrize("name", ["default", "high-contrast", "ansi"])
def test_shipped_themes_become_textual_themes(name):
    spec = themes.load_theme(name, user_dir=resources.themes_dir() / "none")
    theme = ui_themes.to_textual(spec)
    assert theme.name == name
    assert theme.primary


def test_ansi_theme_uses_the_terminals_colours():
    spec = themes.load_theme("ansi", user_dir=resources.themes_dir() / "none")
    assert spec.ansi is True
    assert all(v.startswith("ansi_") for v in spec.colours.values())


def test_default_theme_colours_are_xterm_256_exact():
    # readable in 256 colours: every colour of the default theme is in the xterm-256 palette
    levels = {0, 95, 135, 175, 215, 255}
    greys = {8 + 10 * i for i in range(24)}
    spec = themes.load_theme("default", user_dir=resources.themes_dir() / "none")
    for key, value in list(spec.colours.items()) + list(spec.variables.items()):
        if not value.startswith("#"):
            continue
        r, g, b = (int(value[i : i + 2], 16) for i in (1, 3, 5))
        assert {r, g, b} <= levels or (r == g == b and r in greys), f"{key} {value} is not an xterm-256 colour"


def test_user_theme_overrides_shipped(tmp_path):
    (tmp_path / "default.toml").write_text('primary = "#ff0000"\n', "utf-8")
    spec = themes.load_theme("default", user_dir=tmp_path)
    assert spec.colours["primary"] == "#ff0000" and spec.path == tmp_path / "default.toml"


def test_broken_theme_names_file_and_line(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('dark = true\nprimary = "#12"\n', "utf-8")
    with pytest.raises(themes.ThemeError) as e:
        themes.load_theme("mine", user_dir=tmp_path)
    assert str(e.value).startswith(f"{f}, line 2: primary")


def test_unknown_key_and_missing_primary(tmp_path):
    (tmp_path / "a.toml").write_text('primary = "#123456"\nbackgrund = "#000000"\n', "utf-8")
    with pytest.raises(themes.ThemeError, match="line 2: unknown key 'backgrund'"):
        themes.load_theme("a", user_dir=tmp_path)
    (tmp_path / "b.toml").write_text('background = "#000000"\n', "utf-8")
    with pytest.raises(themes.ThemeError, match="'primary' is required"):
        themes.load_theme("b", user_dir=tmp_path)


def test_invalid_toml(tmp_path):
    (tmp_path / "c.toml").write_text("primary = \n", "utf-8")
    with pytest.raises(themes.ThemeError, match="line 1: not valid TOML"):
        themes.load_theme("c", user_dir=tmp_path)


def test_missing_theme():
    with pytest.raises(themes.ThemeError, match="no theme named 'nope'"):
        themes.load_theme("nope")
