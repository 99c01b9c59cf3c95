"""Run a task list (the TOML file ``libris-tui batch`` runs) on this record or on every record
of the file. Returns ``{"path", "text", "scope"}`` (scope ``record`` or ``file``), or None.

The file is read and parsed here, so a missing file or a malformed task list is shown at once
(file, line and what is wrong) and the dialog stays open; what the task list would change is
shown next, as the changes screen, before anything changes."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from tui.core.batch.tasks import TaskFileError, parse_tasks
from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import DialogButton, FormDialog, TextInput
from tui.ui.i18n import _
from tui.ui.widgets.toggles import MarkedRadioButton


class TaskDialog(FormDialog[dict | None]):
    def __init__(self, last: dict | None = None, start_dir: str | None = None) -> None:
        super().__init__()
        self._last = last or {}
        self._start_dir = start_dir

    def compose(self) -> ComposeResult:
        last = self._last
        with Vertical(classes="dialog-box", id="task-dialog") as box:
            box.border_title = _("Run a task list")
            box.border_subtitle = _("enter shows the changes first · esc cancels")
            with Horizontal(classes="field-row"):
                yield Label(_("Task list"), classes="field-label")
                yield TextInput(
                    last.get("path", ""),
                    id="path",
                    placeholder=_("e.g. {example}").format(example="~/tasks/fix-856.toml"),
                )
            with RadioSet(id="scope"):
                yield MarkedRadioButton(
                    _("This record"), value=last.get("scope", "record") == "record", id="scope-record"
                )
                yield MarkedRadioButton(
                    _("Every record of the file"), value=last.get("scope") == "file", id="scope-file"
                )
            yield Static(
                _("A TOML file of {tables} tables, as {command} runs ({doc}).").format(
                    tables="[[operation]]", command="libris-tui batch", doc="docs/tasks.md"
                ),
                classes="hint",
            )
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Preview"), id="preview", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _path(self) -> Path | None:
        raw = self.query_one("#path", TextInput).raw_value.strip()
        if not raw:
            return None
        p = Path(raw).expanduser()
        if not p.is_absolute() and self._start_dir:
            p = Path(self._start_dir) / p
        return p

    def _submit(self) -> None:
        p = self._path()
        if p is None:
            self.show_problem(_("Give the path of a task list (a .toml file)."))
            return
        try:
            text = p.read_text("utf-8")
        except FileNotFoundError:
            self.show_problem(_("There is no file {file}.").format(file=visible(str(p))))
            return
        except UnicodeDecodeError as exc:
            self.show_problem(_("{file} is not UTF-8 text (byte {byte}).").format(file=visible(str(p)), byte=exc.start))
            return
        except OSError as exc:
            self.show_problem(
                _("{file} cannot be read: {error}.").format(file=visible(str(p)), error=exc.strerror or exc)
            )
            return
        try:
            parse_tasks(text, str(p))
        except TaskFileError as exc:
            self.show_problem(visible(str(exc)))
            return
        scope = "file" if self.query_one("#scope-file", RadioButton).value else "record"
        self.dismiss({"path": str(p), "text": text, "scope": scope})
