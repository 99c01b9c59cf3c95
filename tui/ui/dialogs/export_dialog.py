"""Export: format, holdings form, path, and the validation report; refused while errors remain.

Returns ``(format id, path, holdings mode)`` or None. The dialog shows the findings it was given
(the main screen validates first); the export itself goes through ``tui.core.files.export``, which
validates again and refuses on errors, so nothing invalid is ever written.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Select, Static

from tui.core.formats import registry
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput
from tui.ui.dialogs.findings_dialog import finding_text

HOLDINGS = {"records": "holdings as MARC21 holdings records", "embedded": "holdings embedded ($5 sigel)"}


def default_path(source_path: str, fmt: str) -> str:
    """``NAME-export.EXT`` beside the file; relative to the working folder when it is below it."""
    p = Path(source_path)
    out = p.with_name(f"{p.stem}-export{registry.get(fmt).extension}")
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

    def __init__(self, source_path: str, source_format: str, findings: list, holdings: str = "records") -> None:
        super().__init__()
        self._source = source_path
        self._formats = registry.exportable()  # every format export writes, JSON-LD too
        self._fmt = source_format if source_format in registry.exportable_ids() else registry.DEFAULT_EXPORT.id
        self._holdings = holdings if holdings in HOLDINGS else "records"
        self._findings = findings
        self._errors = [f for f in findings if f.severity == "error"]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="export-dialog") as box:
            box.border_title = "Export"
            box.border_subtitle = "tab moves · esc cancels"
            with Horizontal(classes="field-row"):
                yield Label("Format", classes="field-label")
                yield Select(
                    [(f.label, f.id) for f in self._formats],
                    value=self._fmt,
                    allow_blank=False,
                    compact=True,
                    id="format",
                )
            with Horizontal(classes="field-row"):
                yield Label("Holdings", classes="field-label")
                yield Select(
                    [(v, k) for k, v in HOLDINGS.items()],
                    value=self._holdings,
                    allow_blank=False,
                    compact=True,
                    id="holdings",
                )
            with Horizontal(classes="field-row"):
                yield Label("File", classes="field-label")
                yield TextInput(default_path(self._source, self._fmt), id="path")
            warnings = len(self._findings) - len(self._errors)
            summary = Text()
            if self._errors:
                summary.append(
                    f"Refused: {len(self._errors)} error{'s' if len(self._errors) != 1 else ''} "
                    f"remain{'s' if len(self._errors) == 1 else ''}",
                    "bold red",
                )
                summary.append(". Fix them (validate lists them and jumps to each), then export.")
            else:
                summary.append("Valid", "bold green")
                summary.append(
                    f": no errors; {warnings} warning{'s' if warnings != 1 else ''} or note"
                    f"{'s' if warnings != 1 else ''}, written to a report beside the file."
                )
            yield Static(summary, id="summary")
            with VerticalScroll(classes="scroll-part", id="report"):
                for f in (self._errors or self._findings)[:100]:
                    yield Static(finding_text(f))
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton("Export", id="export-button", variant="primary", disabled=bool(self._errors))
                yield DialogButton("Cancel", id="cancel")

    def on_mount(self) -> None:
        if self._errors:
            self.query_one("#cancel", DialogButton).focus()
        else:
            self.query_one("#path", TextInput).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id != "format" or event.value == self._fmt:
            return
        path = self.query_one("#path", TextInput)
        if path.value == default_path(self._source, self._fmt):
            path.value = default_path(self._source, str(event.value))
        self._fmt = str(event.value)

    def on_input_changed(self, event: TextInput.Changed) -> None:
        """A file name with a known extension picks its format (seed.mrc -> ISO 2709)."""
        if event.input.id != "path":
            return
        by_name = registry.for_extension(event.value.strip())
        fmt = by_name.id if by_name is not None else None
        if fmt in registry.exportable_ids() and fmt != self._fmt:
            self._fmt = fmt
            self.query_one("#format", Select).value = fmt

    def _submit(self) -> None:
        if self._errors:
            self.show_problem("Export is refused while errors remain.")
            return
        out = self.query_one("#path", TextInput).value.strip()
        if not out:
            self.show_problem("Give a file name.")
            return
        holdings = str(self.query_one("#holdings", Select).value)
        self.dismiss((self._fmt, str(Path(out).expanduser()), holdings))

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: DialogButton.Pressed) -> None:
        event.stop()
        if event.button.id == "export-button":
            self._submit()
        else:
            self.dismiss(None)
