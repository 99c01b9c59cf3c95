"""URI-MOVE shows the change first: each 856 before and after. Returns True to apply."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import _


class MoveUrisDialog(Dialog[bool | None]):
    DEFAULT_CSS = """
    MoveUrisDialog #changes {
        height: auto;
        max-height: 12;
    }
    """

    def __init__(self, changes: list[tuple[str, str]]) -> None:
        super().__init__()
        self._changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="move-uris-dialog") as box:
            box.border_title = _("Move restricted URIs ({rule})").format(rule="URI-MOVE")
            box.border_subtitle = _("enter moves · esc cancels")
            intro = Text(
                _(
                    "In e-plikt records with 506 restricted, a URI under 856 second indicator 0 "
                    "(Tillhörande media) usually points to a home page; it may move to second indicator 2 "
                    "(Relaterad beskrivning) without notice. This will change:"
                )
            )
            yield Static(intro, classes="context")
            with VerticalScroll(id="changes"):
                for before, after in self._changes:
                    t = Text()
                    t.append("- ", "bold red")
                    t.append(visible(before))
                    t.append("\n+ ", "bold green")
                    t.append(visible(after))
                    yield Static(t)
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Move"), id="move", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#move", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "move")
