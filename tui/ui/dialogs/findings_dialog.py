"""The validation findings: one line each (severity, rule id, where, message); choosing one
jumps to its record and field. Returns the Finding chosen, or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import N_, _, ngettext

_MARK = {"error": ("E", "bold red"), "warning": ("W", "bold yellow"), "info": ("i", "dim")}
#: the severity words, translated where shown (the letter before them and the rule id stay as they are)
_SEVERITY = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}


def finding_text(f) -> Text:
    mark, style = _MARK.get(f.severity, ("?", ""))
    t = Text(no_wrap=False)
    t.append(f"{mark} {_(_SEVERITY.get(f.severity, f.severity)):<7} ", style)
    t.append(f"{f.rule:<14} ", "bold")
    where = f.where
    if where:
        t.append(visible(where) + ": ", "cyan")
    t.append(visible(f.message))
    if getattr(f, "katalogsupport", False):
        t.append("  " + _("(report to Katalogsupport)"), "italic")
    return t


class FindingsDialog(Dialog[object | None]):
    DEFAULT_CSS = """
    FindingsDialog .dialog-box {
        width: 100%;
        max-width: 140;
        height: 90%;
    }
    FindingsDialog OptionList {
        height: 1fr;
    }
    """

    def __init__(self, findings: list, file_name: str = "") -> None:
        super().__init__()
        order = {"error": 0, "warning": 1, "info": 2}
        self._findings = sorted(findings, key=lambda f: (order.get(f.severity, 3), f.record_number or 0))
        self._file = file_name

    def compose(self) -> ComposeResult:
        counts = {s: sum(1 for f in self._findings if f.severity == s) for s in ("error", "warning", "info")}
        with Vertical(classes="dialog-box", id="findings-dialog") as box:
            box.border_title = _("Validation")
            box.border_subtitle = _("enter jumps to the field · esc closes")
            summary = Text()
            summary.append(visible(self._file), "bold")
            summary.append(
                ": "
                + ", ".join(
                    (
                        ngettext("{n} error", "{n} errors", counts["error"]),
                        ngettext("{n} warning", "{n} warnings", counts["warning"]),
                        ngettext("{n} note", "{n} notes", counts["info"]),
                    )
                )
            )
            if counts["error"]:
                summary.append(" " + _("(export is refused while errors remain)"), "italic")
            yield Static(summary, classes="context")
            if self._findings:
                yield OptionList(*[Option(finding_text(f), id=str(i)) for i, f in enumerate(self._findings)], id="list")
            else:
                yield Static(Text(_("No findings: the records are valid.")), id="none")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Close"), id="close")

    def on_mount(self) -> None:
        if self._findings:
            self.query_one(OptionList).focus()
        else:
            self.query_one("#close", Button).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._findings[int(event.option.id)])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
