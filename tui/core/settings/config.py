"""``config.toml`` in the platformdirs config directory (created on first use, with comments).

Keys (all optional; a missing or wrong one falls back to its default and says so):

* ``sigel``: the library's sigel, used by add-holding (HOLD-ADD); empty means "ask".
* ``participation``: ``full`` or ``limited`` (seed 000: limited participation libraries add
  holdings but do not catalogue).
* ``ui_language``: ``en`` or ``sv``, the language of the user interface itself (footer,
  dialogs, messages, help, palette: the gettext catalogue of ``tui.ui.i18n``); the command
  line's ``--ui-lang`` overrides it.
* ``language``: ``sv`` or ``en``, the labels of the label view (a toggle of its own).
* ``messages``: ``en`` or ``sv``, the language of refusals, findings and the reason bar (the
  rule table's sentences).
* ``theme``: a theme name (shipped in ``themes/`` or a user file in ``<config>/themes/``).
* ``keymap``: a keymap name (shipped in ``keymaps/`` or a user file in ``<config>/keymaps/``).
* ``mouse``: ``true``/``false``; every action also works without a mouse.

``LIBRIS_TUI_CONFIG_DIR`` and ``LIBRIS_TUI_STATE_DIR`` override the directories (tests set them
so that they never touch the user's own files).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from tui.core.rules.detect import is_sigel

APP_NAME = "libris-tui"
CONFIG_FILE = "config.toml"

PARTICIPATIONS = ("full", "limited")
LANGUAGES = ("sv", "en")


TEMPLATE = """\
# libris-tui configuration. Created on first use; edit freely.
# A wrong value falls back to its default and the app says which.

# Your library's sigel (e.g. "Li"), used when you add a holding (HOLD-ADD).
# Leave it empty to be asked each time.
sigel = ""

# How your library takes part in Libris: "full" (catalogues in Libris) or "limited"
# (adds holdings and orders, does not edit bibliographic data).
participation = "full"

# The app's own words (footer, dialogs, messages, help): "en" or "sv" (svenska).
ui_language = "en"

# Labels of the label view: "sv" (Swedish, as in Libris) or "en".
language = "sv"

# Refusals, findings and the reason bar speak English; for Swedish, remove the "#":
# messages = "sv"

# Colour theme: "default", "high-contrast", "ansi" (the terminal's own colours),
# or the name of a file <name>.toml in the themes/ folder beside this file.
theme = "default"

# Key bindings: "default", "vim", or the name of a file <name>.toml in the keymaps/
# folder beside this file. A user file overrides the shipped one of the same name.
keymap = "default"

# Mouse support. Every action also works from the keyboard.
mouse = true
"""


def config_dir() -> Path:
    env = os.environ.get("LIBRIS_TUI_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """Where journals and other state live (the crash-recovery journals)."""
    env = os.environ.get("LIBRIS_TUI_STATE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


@dataclass(frozen=True)
class Config:
    sigel: str = ""
    participation: str = "full"
    ui_language: str = "en"
    language: str = "sv"
    messages: str = "en"
    theme: str = "default"
    keymap: str = "default"
    mouse: bool = True
    #: where it was read from (None: defaults only)
    path: Path | None = field(default=None, compare=False)
    #: problems found while reading: one message each, naming the file and the key or line
    problems: tuple[str, ...] = field(default=(), compare=False)

    def with_overrides(self, **values) -> Config:
        """The same config with the non-None ``values`` (command-line options) put in."""
        given = {k: v for k, v in values.items() if v is not None}
        problems: list[str] = list(self.problems)
        for key, value in list(given.items()):
            msg = _check(key, value)
            if msg:
                problems.append(f"--{key}: {msg}")
                del given[key]
        return replace(self, problems=tuple(problems), **given)


def _check(key: str, value) -> str | None:
    """A message when ``value`` is not acceptable for ``key``; None when it is."""
    if key == "sigel":
        if not isinstance(value, str):
            return "must be a string"
        if value and not is_sigel(value):
            return f"{value!r} does not look like a sigel (letters and digits, at most 16)"
    elif key == "participation":
        if value not in PARTICIPATIONS:
            return f"{value!r} is not one of {', '.join(PARTICIPATIONS)}"
    elif key in ("ui_language", "language", "messages"):
        if value not in LANGUAGES:
            return f"{value!r} is not one of {', '.join(LANGUAGES)}"
    elif key in ("theme", "keymap"):
        if not isinstance(value, str) or not re.match(r"^[\w.-]+$", value):
            return f"{value!r} is not a {key} name"
    elif key == "mouse":
        if not isinstance(value, bool):
            return "must be true or false"
    else:
        return "unknown key"
    return None


_KEYS = tuple(f.name for f in fields(Config) if f.name not in ("path", "problems"))


def _line_of(text: str, key: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return n
    return None


def ensure_config(path: Path | None = None) -> Path:
    """Create the commented config file if there is none. Returns its path."""
    path = path or config_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(TEMPLATE, encoding="utf-8")
        os.replace(tmp, path)
    return path


def load_config(path: Path | None = None, create: bool = True) -> Config:
    """Read the config; create it first if ``create``. Never raises on bad content: problems
    are listed in ``Config.problems`` and the defaults are used for the keys concerned."""
    path = path or config_path()
    if create:
        try:
            ensure_config(path)
        except OSError as exc:
            return Config(problems=(f"{path}: cannot create the config file: {exc.strerror or exc}",))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        return Config(path=path, problems=(f"{path}: cannot read: {exc}",))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Config(path=path, problems=(f"{path}: not valid TOML: {exc}; using the defaults",))
    values: dict = {}
    problems: list[str] = []
    for key, value in data.items():
        line = _line_of(text, key)
        where = f"{path}" + (f", line {line}" if line else "")
        if key not in _KEYS:
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(_KEYS)})")
            continue
        msg = _check(key, value)
        if msg:
            problems.append(f"{where}: {key}: {msg}; using {getattr(Config, key)!r}")
            continue
        values[key] = value
    return Config(path=path, problems=tuple(problems), **values)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def set_value(key: str, value, path: Path | None = None) -> Path:
    """Change one key in the config file, keeping its comments and layout."""
    if key not in _KEYS:
        raise KeyError(key)
    msg = _check(key, value)
    if msg:
        raise ValueError(f"{key}: {msg}")
    path = ensure_config(path or config_path())
    text = path.read_text(encoding="utf-8")
    line = f"{key} = {_toml_value(value)}"
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=.*$", re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: line, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + line + "\n"
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
