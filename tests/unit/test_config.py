"""config.toml: created on first use with comments, read tolerantly, changed in place."""

import tomllib

import pytest

from tui.core.settings import config as cfg


def test_created_on_first_use_with_comments(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(tmp_path / "conf"))
    assert not (tmp_path / "conf" / "config.toml").exists()
    c = cfg.load_config()
    path = tmp_path / "conf" / "config.toml"
    assert path.is_file() and c.path == path
    text = path.read_text("utf-8")
    assert text.count("#") > 10, "the file explains itself"
    assert tomllib.loads(text) == {
        "sigel": "",
        "participation": "full",
        "ui_language": "en",
        "language": "sv",
        "theme": "default",
        "keymap": "default",
        "mouse": True,
    }
    assert (c.sigel, c.participation, c.language, c.theme, c.keymap, c.mouse) == (
        "",
        "full",
        "sv",
        "default",
        "default",
        True,
    )
    assert c.problems == ()


def test_env_overrides_directories(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("LIBRIS_TUI_STATE_DIR", str(tmp_path / "b"))
    assert cfg.config_dir() == tmp_path / "a"
    assert cfg.state_dir() == tmp_path / "b"


def test_bad_values_fall_back_and_name_file_and_line(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('sigel = "Li"\nparticipation = "sometimes"\nmouse = "yes"\ncolour = "red"\n', "utf-8")
    c = cfg.load_config(p)
    assert c.sigel == "Li"
    assert c.participation == "full" and c.mouse is True
    joined = "\n".join(c.problems)
    assert f"{p}, line 2: participation" in joined
    assert f"{p}, line 3: mouse" in joined
    assert "unknown key 'colour'" in joined and "line 4" in joined


def test_broken_toml_gives_defaults_and_a_problem(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('sigel = "Li\n', "utf-8")
    c = cfg.load_config(p)
    assert c.sigel == "" and len(c.problems) == 1 and "not valid TOML" in c.problems[0]


def test_set_value_keeps_comments(tmp_path):
    p = cfg.ensure_config(tmp_path / "config.toml")
    cfg.set_value("sigel", "Gbg", p)
    cfg.set_value("mouse", False, p)
    text = p.read_text("utf-8")
    assert 'sigel = "Gbg"' in text and "mouse = false" in text
    assert "# Your library's sigel" in text
    c = cfg.load_config(p)
    assert c.sigel == "Gbg" and c.mouse is False
    with pytest.raises(ValueError):
        cfg.set_value("participation", "sometimes", p)


def test_overrides_from_the_command_line_are_checked():
    c = cfg.Config().with_overrides(sigel="Li", participation="limited", theme=None, language="xx")
    assert (c.sigel, c.participation, c.language) == ("Li", "limited", "sv")
    assert any("--language" in p for p in c.problems)
