"""What changed: per record, the MARC lines removed (``-``) and added (``+``), each with the
edit that made it and its rule id (``tui.core.editing.changes``).

Opened by ``show-changes`` at any time, and before every save and export: then it has a button
(and the save or export key again) that goes on to write; nothing else here writes. Enter goes to
the record (and the line) in the main screen; the undo key undoes the edit under the cursor (with
every later one: the history is a line). The list follows the session: after an undo it is made
again.

Returns ``("go", slot, SourceRef | None)``, ``("proceed",)`` or None.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import DialogButton
from tui.ui.i18n import _, ngettext

#: one row of the list: (the record's change, the line or None for the record's heading)
Row = tuple[object, object | None]


def change_summary(changes: list) -> str:
    """ "2 records changed: 3 lines removed, 4 added" (the title, and the toasts that count)."""
    removed = sum(ch.removed for ch in changes)
    added = sum(ch.added for ch in changes)
    return (
        ngettext("{n} record changed", "{n} records changed", len(changes))
        + ": "
        + ngettext("{n} line removed", "{n} lines removed", removed)
        + ", "
        + ngettext("{n} added", "{n} added", added)
    )


def cause_text(cause) -> str:
    """``Add 650 (EPL-UPGRADE)``: the edit and its rule id."""
    if cause is None:
        return _("(edit unknown)")
    return visible(cause.description) + (f" ({cause.rule})" if cause.rule else "")


class ChangesScreen(ModalScreen[tuple | None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [Binding("escape", "close", show=False)]

    def __init__(
        self,
        changes: Callable[[], list],
        *,
        undo: Callable[[object], None] | None = None,
        proceed: str | None = None,
        proceed_keys: tuple[str, ...] = (),
        file_name: str = "",
        note: str = "",
        title: str = "",
    ) -> None:
        """``changes()`` gives the session's ``RecordChange``s (asked again after an undo);
        ``undo(cause)`` undoes back to a cause; ``proceed``: the label of the button that goes on
        to write (``Save``), ``proceed_keys`` the keys that do the same (the save key again)."""
        super().__init__()
        self._changes_of = changes
        self._undo = undo
        self._proceed = proceed
        self._proceed_keys = proceed_keys
        self._file_name = file_name
        #: a line under the summary (a find and replace: what the rules keep unchanged)
        self._note = note
        self._title = title
        self._rows: list[Row] = []
        self._changes: list = []

    def compose(self) -> ComposeResult:
        with Vertical(id="changes-box") as box:
            box.border_subtitle = self._hints()
            yield Static("", id="changes-summary")
            if self._note:
                yield Static(Text(visible(self._note)), id="changes-note")
            yield OptionList(id="changes-list")
            with Horizontal(classes="buttons"):
                if self._proceed:
                    yield DialogButton(self._proceed, id="proceed", variant="primary")
                yield DialogButton(_("Cancel") if self._proceed else _("Close"), id="close")

    def _hints(self) -> str:
        """The keys, short enough for the border at 80 columns."""
        app = self.app
        parts = [_("enter: go to the record")]
        if self._undo is not None:
            parts.append(_("{key}: undo").format(key=app.key_hint("undo")))
        if self._proceed and self._proceed_keys:
            parts.append(f"{app.key_display(self._proceed_keys[0])}: {self._proceed.lower()}")
        parts.append(_("esc: close"))
        return " · ".join(parts)

    def on_mount(self) -> None:
        app = self.app
        if self._undo is not None:
            for key in app.keymap.keys("undo"):
                self._bindings.bind(key, "undo_here", show=False)
        for key in self._proceed_keys:
            self._bindings.bind(key, "proceed", show=False)
        self.reload()
        self.query_one(OptionList).focus()

    # -- the list ---------------------------------------------------------------------------------
    def reload(self, keep: int | None = None) -> None:
        self._changes = list(self._changes_of())
        box = self.query_one("#changes-box")
        title = _("Changes to {file}").format(file=visible(self._file_name)) if self._file_name else _("Changes")
        if self._title:
            title = visible(self._title)
        box.border_title = Text(title)
        summary = self.query_one("#changes-summary", Static)
        if not self._changes:
            summary.update(Text(_("No changes: the records are as in the file.")))
        else:
            summary.update(Text(change_summary(self._changes), style="bold"))
        options: list[Option] = []
        self._rows = []
        for ch in self._changes:
            self._rows.append((ch, None))
            options.append(Option(self._heading(ch)))
            lines = [ln for ln in ch.lines if ln.sign != " "]
            for k, ln in enumerate(lines):
                self._rows.append((ch, ln))
                # the edit under the last line of a run that it made
                last_of_run = k + 1 == len(lines) or lines[k + 1].cause != ln.cause
                options.append(Option(self._line(ln, show_cause=last_of_run)))
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_options(options)
        if options:
            ol.highlighted = min(keep or 0, len(options) - 1)

    def _heading(self, ch) -> Text:
        rec = ch.record
        t = Text(no_wrap=False)
        t.append(visible(ch.describe()), "bold")
        if rec.title:
            t.append(" " + visible(rec.title[:60]), "italic")
        t.append("  ")
        t.append(
            ngettext("{n} line removed", "{n} lines removed", ch.removed)
            + ", "
            + ngettext("{n} added", "{n} added", ch.added),
            "dim",
        )
        return t

    @staticmethod
    def _line(ln, show_cause: bool) -> Text:
        t = Text(no_wrap=False)
        style = "red" if ln.sign == "-" else "green"
        t.append(f"  {ln.sign} ", f"bold {style}")
        t.append(visible(ln.text), style)
        if show_cause:
            t.append("\n      ")
            t.append("← " + cause_text(ln.cause), "dim")
        return t

    def _current(self) -> Row | None:
        i = self.query_one(OptionList).highlighted
        return self._rows[i] if i is not None and 0 <= i < len(self._rows) else None

    # -- actions ----------------------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = self._rows[event.option_index] if 0 <= event.option_index < len(self._rows) else None
        if row is None:
            return
        ch, ln = row
        if ch.after is None:  # a record that is gone: nothing to go to
            self.app.say(_("That record is no longer in the file."), title=_("Changes"))
            return
        ref = ln.ref if ln is not None and ln.sign == "+" else (ln.ref if ln is not None else None)
        self.dismiss(("go", ch.after.slot, ref))

    def action_undo_here(self) -> None:
        row = self._current()
        if row is None or self._undo is None:
            return
        ch, ln = row
        cause = ln.cause if ln is not None else (ch.causes[0] if ch.causes else None)
        if cause is None or cause.step is None:
            self.app.say(_("Which edit made this line is not known: undo it from the main screen."), title=_("Undo"))
            return
        self._undo(cause)

    def action_proceed(self) -> None:
        if self._proceed:
            self.dismiss(("proceed",))

    def action_close(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "proceed":
            self.action_proceed()
        else:
            self.dismiss(None)
