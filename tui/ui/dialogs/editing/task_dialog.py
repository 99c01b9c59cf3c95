"""Run a task list (the TOML file ``libris-tui batch`` runs) on this record or on every record
of the file. Returns ``{"path", "text", "scope"}`` (scope ``record`` or ``file``), or None.

The file is read and parsed here, so a missing file or a malformed task list is shown at once
(file, line and what is wrong) and the dialog stays open; what the task list would change is
shown next, as the changes screen, before anything changes."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.core.batch.tasks import TaskFileError, parse_tasks
from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput


class TaskDialog(Dialog[dict | None]):
    def __init__(self, last: dict | None = None, start_dir: str | None = None) -> None:
        super().__init__()
        self._last = last or {}
        self._start_dir = start_dir

    def compose(self) -> ComposeResult:
        last = self._last
        with Vertical(classes="dialog-box", id="task-dialog") as box:
            box.border_title = "Run a task list"
            box.border_subtitle = "enter shows the changes first · esc cancels"
            with Horizontal(classes="field-row"):
                yield Label("Task list", classes="field-label")
                yield TextInput(last.get("path", ""), id="path", placeholder="e.g. ~/tasks/fix-856.toml")
            with RadioSet(id="scope"):
                yield RadioButton("This record", value=last.get("scope", "record") == "record", id="scope-record")
                yield RadioButton("Every record of the file", value=last.get("scope") == "file", id="scope-file")
            yield Static(
                "A TOML file of [[operation]] tables, as libris-tui batch runs (docs/tasks.md).", classes="hint"
            )
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton("Preview", id="preview", variant="primary")
                yield DialogButton("Cancel", id="cancel")

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
            self.show_problem("Give the path of a task list (a .toml file).")
            return
        try:
            text = p.read_text("utf-8")
        except FileNotFoundError:
            self.show_problem(f"There is no file {visible(str(p))}.")
            return
        except UnicodeDecodeError as exc:
            self.show_problem(f"{visible(str(p))} is not UTF-8 text (byte {exc.start}).")
            return
        except OSError as exc:
            self.show_problem(f"{visible(str(p))} cannot be read: {exc.strerror or exc}.")
            return
        try:
            parse_tasks(text, str(p))
        except TaskFileError as exc:
            self.show_problem(visible(str(exc)))
            return
        scope = "file" if self.query_one("#scope-file", RadioButton).value else "record"
        self.dismiss({"path": str(p), "text": text, "scope": scope})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "preview":
            self._submit()
        else:
            self.dismiss(None)
