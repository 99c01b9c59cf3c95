"""Find and replace over the file: a regular expression, its replacement, which tag and
subfield (or all), ignore case. Returns a dict of ``FindReplace``'s parameters, or None.

The pattern and the tag are checked here (a problem is shown and the dialog stays open); what
the replace would change is shown next, as the changes screen, before anything changes."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static

from tui.core.editing.replace import TagSpec, compile_pattern, replacement_problem
from tui.ui.dialogs.base import DialogButton, FormDialog, TextInput
from tui.ui.i18n import _
from tui.ui.widgets.toggles import MarkedCheckbox


class FindReplaceDialog(FormDialog[dict | None]):
    def __init__(self, last: dict | None = None) -> None:
        super().__init__()
        self._last = last or {}

    def compose(self) -> ComposeResult:
        last = self._last
        with Vertical(classes="dialog-box", id="find-replace-dialog") as box:
            box.border_title = _("Find and replace in the file")
            box.border_subtitle = _("enter shows the changes first · esc cancels")
            with Horizontal(classes="field-row"):
                yield Label(_("Find (regex)"), classes="field-label")
                yield TextInput(
                    last.get("pattern", ""),
                    id="pattern",
                    placeholder=_("e.g. {example}").format(example=r"fargfilm|\bcolour\b"),
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Replace with"), classes="field-label")
                yield TextInput(
                    last.get("replacement", ""),
                    id="replacement",
                    placeholder=_("e.g. {example}, or {group} for a group").format(example="färgfilm", group=r"\1"),
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Tag"), classes="field-label")
                yield TextInput(last.get("tag", "*"), id="tag", classes="short", placeholder="*")
                yield Label(_("Subfield"), classes="field-label")
                yield TextInput(last.get("code", "*"), id="code", classes="short", max_length=1, restrict=r"[0-9a-z*]*")
            yield MarkedCheckbox(_("Ignore case"), "i" in last.get("flags", ""), id="ignore-case")
            yield Static(
                _("Tag: {examples} or * for every field; subfield: a code or * for all.").format(
                    examples="245, 100,700, 6XX"
                ),
                classes="hint",
            )
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Preview"), id="preview", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pattern", Input).focus()

    def values(self) -> dict:
        v = {k: self.query_one(f"#{k}", TextInput).raw_value for k in ("pattern", "replacement", "tag", "code")}
        v["tag"] = v["tag"].strip() or "*"
        v["code"] = v["code"].strip() or "*"
        v["flags"] = "i" if self.query_one("#ignore-case", Checkbox).value else ""
        return v

    def _submit(self) -> None:
        v = self.values()
        if not v["pattern"]:
            self.show_problem(_("Give a pattern to find."))
            return
        try:
            rx = compile_pattern(v["pattern"], v["flags"])
        except re.error as exc:
            self.show_problem(_("The pattern is not a valid regular expression: {error}").format(error=exc))
            return
        problem = replacement_problem(rx, v["replacement"]) or TagSpec.problem(v["tag"])
        if problem:
            self.show_problem(problem)
            return
        self.dismiss(v)
