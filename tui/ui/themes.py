"""Shipped and user themes as Textual themes: the core reads and checks the files
(``tui.core.settings.themes``), Textual parses the colours and builds the theme."""

from __future__ import annotations

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui.core.settings.themes import ThemeError, ThemeSpec, load_theme


def check_colour(value: str) -> str | None:
    """What is wrong with ``value`` as a Textual colour, or None."""
    try:
        Color.parse(value)
    except ColorParseError as exc:
        return f"{value!r} is not a colour ({exc})"
    return None


def load(name: str) -> ThemeSpec:
    """The theme ``name`` (the user's file first), its colours checked by Textual."""
    return load_theme(name, check_colour=check_colour)


def to_textual(spec: ThemeSpec):
    """``ThemeSpec`` -> ``textual.theme.Theme``; ``ThemeError`` naming the file if Textual refuses it."""
    try:
        theme = Theme(
            name=spec.name,
            dark=spec.dark,
            ansi=spec.ansi,
            luminosity_spread=spec.luminosity_spread,
            text_alpha=spec.text_alpha,
            variables=dict(spec.variables),
            **spec.colours,
        )
        theme.to_color_system().generate()  # fail here, not when the app applies it
    except Exception as exc:  # Textual's own errors vary by version; name the file
        raise ThemeError(f"{spec.path or spec.name}: cannot be used as a theme: {exc}") from None
    return theme
