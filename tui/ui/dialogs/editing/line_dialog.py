"""Edit a whole field as one line of MARC text (MarcEdit's editor: ``=245  10$aTitle$bSub``).

The line is checked when the cataloguer presses enter (``check(text)``: the flow asks the line
form and the rules); a problem is shown under the line with a caret at its column, the cursor
goes there, and the dialog stays open. Returns the accepted line, or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.core.model.textsafe import shown_index, visible
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _

#: (column, message): 1-based column in the line as typed; None when the line is accepted
Problem = tuple[int | None, str]
Check = Callable[[str], Problem | None]

#: the widest part of the line shown above the caret (the box is 76 wide at 80 columns)
_WINDOW = 70


def caret_lines(text: str, column: int | None, message: str, width: int = _WINDOW) -> Text:
    """The line (a window of it around ``column``), a caret under the column, then the message.

    ``text`` is the line as the record has it and ``column`` a column in it; the line is shown
    with its control characters as stand-ins, the caret under the column's character there."""
    out = Text()
    if column is not None and column >= 1:
        shown = visible(text)
        at = shown_index(text, column - 1)  # 0-based, in the shown line
        start = max(0, min(at - width // 2, len(shown) - width))
        window = shown[start : start + width]
        out.append(window + "\n", "bold")
        out.append(" " * (at - start) + "^", "bold")
        out.append(" " + _("column {column}").format(column=column) + "\n")
    out.append(visible(message))
    return out


class LineDialog(Dialog[str | None]):
    DEFAULT_CSS = """
    LineDialog #line-problem {
        color: $error;
        height: auto;
        display: none;
    }
    """

    def __init__(self, title: str, line: str, check: Check, hint: str = "") -> None:
        super().__init__()
        self._title = title
        self._line = line
        self._check = check
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="line-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("enter checks and saves · esc cancels")
            yield TextInput(self._line, id="line", select_on_focus=False)
            yield Static(
                literal(
                    self._hint
                    or _(
                        "{sign} before each subfield code, {blank} for a blank indicator, {dollar} for a literal {sign}"
                    ).format(sign="$", blank="\\", dollar="{dollar}")
                ),
                classes="hint",
            )
            yield Static("", id="line-problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        line = self.query_one("#line", Input)
        line.focus()
        line.cursor_position = len(line.value)

    def problem(self, column: int | None, message: str) -> None:
        """Show what is wrong, at its column, and put the cursor there."""
        line = self.query_one("#line", TextInput)
        box = self.query_one("#line-problem", Static)
        raw = line.raw_value
        box.update(caret_lines(raw, column, message))
        box.display = True
        if column is not None:
            line.cursor_position = shown_index(raw, column - 1)
        line.focus()

    @property
    def shown_problem(self) -> str:
        """The problem on display (tests read it), or ''."""
        box = self.query_one("#line-problem", Static)
        return str(box.render()) if box.display else ""

    def _submit(self) -> None:
        text = self.query_one("#line", TextInput).raw_value
        found = self._check(text)
        if found is not None:
            self.problem(*found)
            return
        self.dismiss(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)
