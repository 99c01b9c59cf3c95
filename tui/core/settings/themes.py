"""Colour themes: small TOML files, checked and read into a ``ThemeSpec`` (Posting).

Shipped themes live in ``themes/`` (``tui.resources.themes_dir()``), the user's in
``<config dir>/themes/``; a user file overrides a shipped one of the same name. A theme file::

    # comment
    dark = true
    primary = "#4f9fd8"          # required; the others are derived when left out
    secondary = "#2e6f9e"
    accent = "#e0a030"
    foreground = "#e4e4e4"
    background = "#1c1c1c"
    surface = "#262626"
    panel = "#303030"
    warning = "#d7af00"
    error = "#d75f5f"
    success = "#5faf5f"
    ansi = false                 # true: colours are the terminal's own (ansi_red, ansi_default...)

    [variables]                  # Textual design variables, e.g.
    block-cursor-background = "#4f9fd8"

A broken file never stops the app: ``load_theme`` returns problems (file and line) and the app
shows a notification and falls back to the default theme.

Parsing is Textual-free; ``tui.ui.themes`` turns a ``ThemeSpec`` into a Textual theme.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui import resources
from tui.core.settings.config import config_dir

COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
OTHER_KEYS = ("name", "dark", "ansi", "luminosity-spread", "text-alpha", "variables", "description")

_TOML_LINE = re.compile(r"at line (\d+)")
_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


class ThemeError(ValueError):
    """A theme that cannot be used; ``str()`` names the file and line."""


@dataclass
class ThemeSpec:
    name: str
    colours: dict[str, str]
    dark: bool = True
    ansi: bool = False
    luminosity_spread: float = 0.15
    text_alpha: float = 0.95
    variables: dict[str, str] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def available_themes() -> list[str]:
    names = {p.stem for p in resources.themes_dir().glob("*.toml")}
    try:
        names |= {p.stem for p in user_themes_dir().glob("*.toml")}
    except OSError:
        pass
    return sorted(names)


def theme_path(name: str, user_dir: Path | None = None, shipped_dir: Path | None = None) -> Path | None:
    user = user_dir if user_dir is not None else user_themes_dir()
    for d in (user, shipped_dir or resources.themes_dir()):
        p = d / f"{name}.toml"
        try:
            if p.is_file():
                return p
        except OSError:
            continue
    return None


def _line_of(text: str, key: str) -> int | None:
    pat = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*=""")
    for n, line in enumerate(text.splitlines(), 1):
        if pat.match(line):
            return n
    return None


def _check_colour_syntax(value: Any) -> str | None:
    """A message when ``value`` is not even shaped like a colour; which names and functions a
    colour may use is the UI's to say (``parse_theme(check_colour=...)``)."""
    if not isinstance(value, str) or not value.strip():
        return 'must be a colour string such as "#1c1c1c", "rgb(28,28,28)" or "ansi_blue"'
    v = value.strip()
    if v.startswith("#") and not _HEX_COLOUR.fullmatch(v):
        return f"{v!r} is not a colour (a # colour has 3, 4, 6 or 8 hexadecimal digits)"
    return None


ColourCheck = Callable[[str], "str | None"]


def parse_theme(path: Path, name: str | None = None, check_colour: ColourCheck | None = None) -> ThemeSpec:
    """Read and check one theme file. Raises ``ThemeError`` naming the file and line.
    ``check_colour(value)`` says what is wrong with a colour value, or None (the UI passes its
    toolkit's own parser)."""
    p = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(f"{p}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        raise ThemeError(f"{p}" + (f", line {m.group(1)}" if m else "") + f": not valid TOML ({exc})") from None

    def where(key: str) -> str:
        line = _line_of(text, key)
        return p + (f", line {line}" if line else "")

    colours: dict[str, str] = {}
    for key, value in data.items():
        if key in COLOUR_KEYS:
            msg = _check_colour_syntax(value) or (check_colour(value.strip()) if check_colour else None)
            if msg:
                raise ThemeError(f"{where(key)}: {key}: {msg}")
            colours[key] = value.strip()
        elif key not in OTHER_KEYS:
            raise ThemeError(
                f"{where(key)}: unknown key {key!r} (colours: {', '.join(COLOUR_KEYS)}; also {', '.join(OTHER_KEYS)})"
            )
    if "primary" not in colours:
        raise ThemeError(f"{p}: 'primary' is required")
    for key in ("dark", "ansi"):
        if key in data and not isinstance(data[key], bool):
            raise ThemeError(f"{where(key)}: {key} must be true or false")
    nums = {}
    for key in ("luminosity-spread", "text-alpha"):
        if key in data:
            v = data[key]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1:
                raise ThemeError(f"{where(key)}: {key} must be a number from 0 to 1")
            nums[key] = float(v)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError(f"{where('variables')}: [variables] must be a table")
    for key, value in variables.items():
        if not isinstance(value, str):
            raise ThemeError(f"{where(key)}: variables.{key} must be a string")
    theme_name = name or data.get("name") or path.stem
    if not isinstance(theme_name, str) or not re.match(r"^[\w.-]+$", theme_name):
        raise ThemeError(f"{where('name')}: name must be letters, digits, '-', '_' or '.'")
    return ThemeSpec(
        name=theme_name,
        colours=colours,
        dark=data.get("dark", True),
        ansi=data.get("ansi", False),
        luminosity_spread=nums.get("luminosity-spread", 0.15),
        text_alpha=nums.get("text-alpha", 0.95),
        variables=dict(variables),
        description=str(data.get("description", "")),
        path=path,
    )


def load_theme(
    name: str,
    user_dir: Path | None = None,
    shipped_dir: Path | None = None,
    check_colour: ColourCheck | None = None,
) -> ThemeSpec:
    """The theme ``name`` (user file first). Raises ``ThemeError`` when missing or broken."""
    path = theme_path(name, user_dir, shipped_dir)
    if path is None:
        raise ThemeError(f"no theme named {name!r} (known: {', '.join(available_themes())})")
    # the file stem is the name the user asked for: register it under that name
    return parse_theme(path, name=name, check_colour=check_colour)
