"""Edit a control field (001-009) or the leader as a whole. Returns the new value or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _


class ControlFieldDialog(Dialog[str | None]):
    def __init__(self, title: str, tag: str, value: str, hint: str = "") -> None:
        super().__init__()
        self._title, self._tag, self._value, self._hint = title, tag, value, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="control-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("enter saves · esc cancels")
            with Horizontal(classes="field-row"):
                yield Label(literal(self._tag), classes="field-label")
                yield TextInput(self._value, id="value")
            if self._hint:
                yield Static(literal(self._hint), classes="hint")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self.query_one("#value", TextInput).raw_value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.query_one("#value", TextInput).raw_value if event.button.id == "save" else None)
