"""Edit one subfield (code and value), or add one. Returns ``(code, value)`` or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _


class SubfieldDialog(Dialog[tuple[str, str] | None]):
    def __init__(self, title: str, context: str, code: str = "", value: str = "", hint: str = "") -> None:
        super().__init__()
        self._title = title
        self._context_text = context
        self._code = code
        self._value = value
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="subfield-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("enter saves · esc cancels")
            yield Static(literal(self._context_text), classes="context")
            with Horizontal(classes="field-row"):
                yield Label(_("Code"), classes="field-label")
                yield TextInput(
                    self._code,
                    id="code",
                    max_length=1,
                    restrict=r"[0-9a-z]*",
                    classes="short",
                    placeholder=_("e.g. {example}").format(example="a"),
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Value"), classes="field-label")
                yield TextInput(self._value, id="value", placeholder=_("e.g. {example}").format(example="Bildanalys"))
            if self._hint:
                yield Static(literal(self._hint), classes="hint")
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code" if not self._code else "#value", Input).focus()

    def _submit(self) -> None:
        code = self.query_one("#code", TextInput).raw_value.strip()
        value = self.query_one("#value", TextInput).raw_value
        if not code:
            self.show_problem(_("Give a subfield code: one digit or lowercase letter."))
            self.query_one("#code", Input).focus()
            return
        self.dismiss((code, value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "code":
            self.query_one("#value", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)
