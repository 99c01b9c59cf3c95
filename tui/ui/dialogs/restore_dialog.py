"""Crash recovery: a session that did not end cleanly left edits in its journal.
Offer to restore them. Returns "restore", "discard" or None (ask again next time)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import _


class RestoreDialog(Dialog[str | None]):
    def __init__(self, description: str, can_restore: bool = True) -> None:
        super().__init__()
        self._description = description
        self._can_restore = can_restore

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="restore-dialog") as box:
            box.border_title = _("Unsaved edits from a session that ended")
            box.border_subtitle = _("esc: decide later")
            t = Text(
                _(
                    "An earlier session on this file ended without saving (a crash, a killed process or a "
                    "dropped connection). Its edits were journalled:"
                )
                + "\n\n"
            )
            t.append(visible(self._description), "bold")
            t.append("\n\n" + _("Restore them now? Discarding throws them away for good."))
            yield Static(t, id="restore-text")
            with Horizontal(classes="buttons"):
                if self._can_restore:
                    yield DialogButton(_("Restore"), id="restore", variant="primary")
                yield DialogButton(_("Discard"), id="discard", variant="error")
                yield DialogButton(_("Later"), id="later")

    def on_mount(self) -> None:
        self.query_one("#restore" if self._can_restore else "#later", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "later" else event.button.id)
