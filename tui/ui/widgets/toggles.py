"""Check boxes and radio buttons whose state is in the character, not only in its colour.

Textual draws a ticked and an unticked box with the same mark (``X``, ``●``) in different
colours: with NO_COLOR, in 16 colours with a close palette or in a screen reader's text the two
look alike. These draw the mark only when the box is ticked (``▐X▌`` / ``▐ ▌``), so the state
can be read in every terminal.
"""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 (Textual's name)
        return "X" if self.value else " "


class MarkedRadioButton(RadioButton):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 (Textual's name)
        return "\u25cf" if self.value else " "


__all__ = ["MarkedCheckbox", "MarkedRadioButton"]
