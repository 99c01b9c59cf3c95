"""Export: format, holdings form, path, and the validation report; refused while errors remain.

Returns ``(format id, path, holdings mode)`` or None. The dialog shows the findings it was given
(the main screen validates first); the export itself goes through ``tui.core.files.export``, which
validates again and refuses on errors, so nothing invalid is ever written.

Nothing is written by surprise: the focus starts on the format, Enter in the file name goes to
the Export button (it does not export), the file proposed is never the input and never a file
that exists (``tui.core.files.export.default_output``); a file that exists all the same (typed
in) is replaced only after a question naming it (the writing flow asks). Unreadable records are
no error here: what happens to them is asked next (keep byte for byte, or leave out).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Select, Static

from tui.core.files.export import default_output
from tui.core.formats import registry
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput
from tui.ui.dialogs.findings_dialog import finding_text
from tui.ui.i18n import N_, _, ngettext

HOLDINGS = {
    "keep": N_("holdings as the file has them"),
    "records": N_("holdings as MARC21 holdings records"),
    "embedded": N_("holdings embedded ($5 sigel)"),
}
#: the finding of a record that cannot be read: asked about after this dialog, not an error here
UNREADABLE = "STRUCT-UNREADABLE"


def default_path(source_path: str, fmt: str) -> str:
    """``NAME-export.EXT`` beside the file (``-2``, ``-3`` ... when that exists; never the input);
    relative to the working folder when it is below it."""
    out = default_output(source_path, fmt)
    try:
        return str(out.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(out)


class ExportDialog(Dialog[tuple[str, str, str] | None]):
    DEFAULT_CSS = """
    ExportDialog .dialog-box {
        width: 100%;
        max-width: 110;
    }
    """

    def __init__(self, source_path: str, source_format: str, findings: list, holdings: str = "keep") -> None:
        super().__init__()
        self._source = source_path
        self._formats = registry.exportable()  # every format export writes, JSON-LD too
        self._fmt = source_format if source_format in registry.exportable_ids() else registry.DEFAULT_EXPORT.id
        self._holdings = holdings if holdings in HOLDINGS else "keep"
        self._findings = findings
        self._errors = [f for f in findings if f.severity == "error" and f.rule != UNREADABLE]
        self._unreadable = sum(1 for f in findings if f.rule == UNREADABLE)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="export-dialog") as box:
            box.border_title = _("Export")
            box.border_subtitle = _("tab moves · esc cancels")
            with Horizontal(classes="field-row"):
                yield Label(_("Format"), classes="field-label")
                yield Select(
                    [(f.label, f.id) for f in self._formats],
                    value=self._fmt,
                    allow_blank=False,
                    compact=True,
                    id="format",
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Holdings"), classes="field-label")
                yield Select(
                    [(_(v), k) for k, v in HOLDINGS.items()],
                    value=self._holdings,
                    allow_blank=False,
                    compact=True,
                    id="holdings",
                )
            with Horizontal(classes="field-row"):
                yield Label(_("File"), classes="field-label")
                yield TextInput(default_path(self._source, self._fmt), id="path")
            warnings = sum(1 for f in self._findings if f.severity != "error")
            summary = Text()
            if self._errors:
                summary.append(
                    ngettext("Refused: {n} error remains", "Refused: {n} errors remain", len(self._errors)),
                    "bold red",
                )
                summary.append(". " + _("Fix them (validate lists them and jumps to each), then export."))
            else:
                summary.append(_("Valid"), "bold green")
                summary.append(
                    ": "
                    + ngettext(
                        "no errors; {n} warning or note, written to a report beside the file.",
                        "no errors; {n} warnings or notes, written to a report beside the file.",
                        warnings,
                    )
                )
            if self._unreadable and not self._errors:
                summary.append(
                    "\n"
                    + ngettext(
                        "{n} record cannot be read: you choose next whether it is kept or left out.",
                        "{n} records cannot be read: you choose next whether they are kept or left out.",
                        self._unreadable,
                    )
                )
            yield Static(summary, id="summary")
            with VerticalScroll(classes="scroll-part", id="report"):
                for f in (self._errors or [f for f in self._findings if f.rule != UNREADABLE])[:100]:
                    yield Static(finding_text(f))
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Export"), id="export-button", variant="primary", disabled=bool(self._errors))
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        # never on the file name: Enter there must not be the way to write by accident
        if self._errors:
            self.query_one("#cancel", DialogButton).focus()
        else:
            self.query_one("#format", Select).focus()
        self.call_after_refresh(self._show_file_name)

    def _show_file_name(self) -> None:
        """A long path shows its end, the file name (the input scrolls to its cursor)."""
        path = self.query_one("#path", TextInput)
        path.cursor_position = len(path.value)
        path.scroll_to(x=path.max_scroll_x, animate=False, immediate=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id != "format" or event.value == self._fmt:
            return
        path = self.query_one("#path", TextInput)
        if path.raw_value == default_path(self._source, self._fmt):
            path.value = default_path(self._source, str(event.value))
        self._fmt = str(event.value)

    def on_input_changed(self, event: TextInput.Changed) -> None:
        """A file name with a known extension picks its format (seed.mrc -> ISO 2709)."""
        if event.input.id != "path":
            return
        by_name = registry.for_extension(self.query_one("#path", TextInput).raw_value.strip())
        fmt = by_name.id if by_name is not None else None
        if fmt in registry.exportable_ids() and fmt != self._fmt:
            self._fmt = fmt
            self.query_one("#format", Select).value = fmt

    def _submit(self) -> None:
        if self._errors:
            self.show_problem(_("Export is refused while errors remain."))
            return
        out = self.query_one("#path", TextInput).raw_value.strip()
        if not out:
            self.show_problem(_("Give a file name."))
            return
        holdings = str(self.query_one("#holdings", Select).value)
        self.dismiss((self._fmt, str(Path(out).expanduser()), holdings))

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        """Enter in the file name goes to the Export button: pressing it exports."""
        event.stop()
        if self._errors:
            self._submit()
            return
        self.query_one("#export-button", DialogButton).focus()

    def on_button_pressed(self, event: DialogButton.Pressed) -> None:
        event.stop()
        if event.button.id == "export-button":
            self._submit()
        else:
            self.dismiss(None)
