"""Edit the two indicators of a data field. Blank is a space, "-" or nothing.
Returns ``(ind1, ind2)`` as typed (the command turns blank glyphs into blanks) or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _


def shown(ind: str) -> str:
    return "-" if ind in (" ", "") else ind


class IndicatorDialog(Dialog[tuple[str, str] | None]):
    def __init__(self, title: str, context: str, ind1: str, ind2: str) -> None:
        super().__init__()
        self._title, self._context_text = title, context
        self._ind = (shown(ind1), shown(ind2))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="indicators-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("enter saves · esc cancels")
            yield Static(literal(self._context_text), classes="context")
            with Horizontal(classes="field-row"):
                yield Label(_("Indicator {n}").format(n=1), classes="field-label")
                yield TextInput(self._ind[0], id="ind1", max_length=1, restrict=r"[0-9a-z #_-]*", classes="short")
            with Horizontal(classes="field-row"):
                yield Label(_("Indicator {n}").format(n=2), classes="field-label")
                yield TextInput(self._ind[1], id="ind2", max_length=1, restrict=r"[0-9a-z #_-]*", classes="short")
            yield Static(literal(_("Blank: {dash} (or a space, or nothing).").format(dash="'-'")), classes="hint")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#ind1", Input).focus()

    def _values(self) -> tuple[str, str]:
        return tuple(self.query_one(f"#ind{n}", TextInput).raw_value or " " for n in (1, 2))  # type: ignore[return-value]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "ind1":
            self.query_one("#ind2", Input).focus()
        else:
            self.dismiss(self._values())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._values() if event.button.id == "save" else None)
