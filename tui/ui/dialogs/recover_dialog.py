"""Recover: the crash journals of this file (when, how many edits, whether they can still be
restored), to restore or discard one at any time, not only when the app starts.

Returns ``("restore", i)``, ``("discard", i)`` (``i`` into the list given) or None.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import _, ngettext


def journal_line(pending) -> Text:
    """One journal: when it was last written, how many edits, and why it cannot be restored."""
    when = datetime.fromtimestamp(pending.last_time).strftime("%Y-%m-%d %H:%M")
    t = Text(no_wrap=False)
    t.append(when, "bold")
    t.append("  " + ngettext("{n} unsaved edit", "{n} unsaved edits", pending.edits))
    if pending.host:
        t.append("  " + _("on {host}").format(host=visible(pending.host)), "dim")
    why = recover_problem(pending)
    if why:
        t.append("\n   " + _("cannot be restored: {why}").format(why=visible(why)), "italic")
    return t


def recover_problem(pending) -> str | None:
    """Why this journal cannot be restored (damaged, or the file changed since), or None."""
    return pending.problem or pending.file_change()


class RecoverDialog(Dialog[tuple[str, int] | None]):
    DEFAULT_CSS = """
    RecoverDialog .dialog-box {
        width: 100%;
        max-width: 100;
    }
    RecoverDialog #journals {
        height: auto;
        max-height: 12;
        border: none;
        padding: 0;
    }
    """

    def __init__(self, pending: list, file_name: str) -> None:
        super().__init__()
        self._pending = pending
        self._file_name = file_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="recover-dialog") as box:
            box.border_title = Text(_("Recover: crash journals of {file}").format(file=visible(self._file_name)))
            box.border_subtitle = _("esc closes")
            if not self._pending:
                yield Static(Text(_("No crash journals for this file: nothing to restore.")), id="recover-text")
            else:
                yield Static(
                    Text(
                        _(
                            "Sessions on this file that ended without saving (a crash, a killed process or a "
                            "dropped connection) left these edits. Restore one, or discard it for good."
                        )
                    ),
                    id="recover-text",
                )
                yield OptionList(*(Option(journal_line(p)) for p in self._pending), id="journals")
            with Horizontal(classes="buttons"):
                if self._pending:
                    yield DialogButton(_("Restore"), id="restore", variant="primary")
                    yield DialogButton(_("Discard"), id="discard", variant="error")
                yield DialogButton(_("Close"), id="close")
            yield Static("", classes="problem", id="problem")

    def on_mount(self) -> None:
        if self._pending:
            ol = self.query_one(OptionList)
            ol.highlighted = 0
            ol.focus()
        else:
            self.query_one("#close", Button).focus()

    def _chosen(self) -> int | None:
        if not self._pending:
            return None
        return self.query_one(OptionList).highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a journal: the buttons decide (nothing is restored or thrown away by Enter)."""
        event.stop()
        self.query_one("#restore", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        i = self._chosen()
        if event.button.id == "close" or i is None:
            self.dismiss(None)
            return
        if event.button.id == "restore" and recover_problem(self._pending[i]):
            self.show_problem(_("This journal cannot be restored: discard it, or close."))
            return
        self.dismiss((str(event.button.id), i))
