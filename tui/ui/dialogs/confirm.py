"""A question with a few answers (unsaved changes, delete a field, ...)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.ui.dialogs.base import Dialog, DialogButton, literal
from tui.ui.i18n import _


class ConfirmDialog(Dialog[str | None]):
    """Returns the id of the button chosen, or None (escape)."""

    def __init__(
        self,
        title: str,
        body: Text | str,
        buttons: list[tuple[str, str, str]],
        focus: str | None = None,
        subtitle: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._body = literal(body if isinstance(body, Text) else Text(body))  # it may quote record data
        self._buttons = buttons
        self._focus = focus or (buttons[0][0] if buttons else None)
        self._subtitle = subtitle

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="confirm-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = literal(self._subtitle or _("esc cancels"))
            yield Static(self._body, id="body")
            with Horizontal(classes="buttons"):
                for bid, label, variant in self._buttons:
                    yield DialogButton(label, id=bid, variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        if self._focus:
            self.query_one(f"#{self._focus}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)
