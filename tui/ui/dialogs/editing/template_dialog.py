"""Pick a template for a new record (shipped ones and the user's own). Returns its name or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import _


class TemplateDialog(Dialog[str | None]):
    DEFAULT_CSS = """
    TemplateDialog OptionList {
        height: auto;
        max-height: 10;
    }
    """

    def __init__(self, templates: list, where: str, problems: list[str] | None = None) -> None:
        super().__init__()
        self._templates = templates
        self._where = where
        self._problems = problems or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="template-dialog") as box:
            box.border_title = _("New record from a template")
            box.border_subtitle = _("enter makes it · esc cancels")
            options = []
            for t in self._templates:
                label = Text(visible(t.title), "bold")
                label.append(
                    "  " + (_("holdings record on the record shown") if t.kind == "holdings" else _("new record"))
                )
                label.append("" if t.shipped else "  " + _("(yours)"), "italic")
                options.append(Option(label, id=t.name))
            yield OptionList(*options, id="templates")
            yield Static(
                Text(visible(_("Your own templates: {file} in {folder}").format(file="NAME.mrk", folder=self._where))),
                classes="hint",
            )
            for p in self._problems:
                yield Static(Text(visible(p)), classes="hint")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Make"), id="make", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "make":
            ol = self.query_one(OptionList)
            i = ol.highlighted
            self.dismiss(self._templates[i].name if i is not None else None)
        else:
            self.dismiss(None)
