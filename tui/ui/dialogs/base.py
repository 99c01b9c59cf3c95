"""What every dialog shares: a modal screen, escape cancels, the box styled by dialog.tcss.

Every dialog returns its result through ``dismiss`` (``None`` when cancelled). Record text in a
dialog is data: it goes into ``rich.text.Text`` / ``Static(Text)`` through ``literal`` (never
markup, control characters shown as stand-ins: ``tui.ui.safe``), and into a ``TextInput``, which
shows it safely and gives back the record's own characters (read ``raw_value``, not ``value``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button

from tui.ui.safe import safe_text
from tui.ui.widgets.safe_input import SafeInput

R = TypeVar("R")

DIALOG_CSS = Path(__file__).with_name("dialog.tcss")


class Dialog(ModalScreen[R], Generic[R]):
    CSS_PATH = [DIALOG_CSS]
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    """

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_problem(self, text: str) -> None:
        """Say what is wrong with the input, in the dialog's problem line (hidden when empty)."""
        from textual.widgets import Static

        for w in self.query(".problem"):
            if isinstance(w, Static):
                w.update(literal(text))
                w.display = bool(text)


class FormDialog(Dialog[R]):
    """A dialog of inputs checked on submit: Enter in an input or the ``submit_id`` button calls
    ``_submit`` (which shows a problem and stays open, or dismisses with the values); any other
    button cancels."""

    submit_id = "preview"

    def _submit(self) -> None:
        raise NotImplementedError

    def on_input_submitted(self, event) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event) -> None:
        event.stop()
        if event.button.id == self.submit_id:
            self._submit()
        else:
            self.dismiss(None)


class TextInput(SafeInput):
    """A one-line input (compact: dialogs must fit 80x24); no blinking in scripted snapshots.

    A ``SafeInput``: it shows control characters as stand-ins; ``raw_value`` is what to keep.
    A placeholder is an example (``e.g. 650``), drawn dim and italic: never taken for a value."""

    DEFAULT_CSS = """
    TextInput > .input--placeholder {
        color: $text-disabled;
        text-style: italic;
    }
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        if getattr(self.app, "steady_cursor", False):
            self.cursor_blink = False


class DialogButton(Button):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)


def literal(text: Text | str, style: str = "") -> Text:
    """Record (or file) text for a widget: never markup, control characters made visible."""
    return safe_text(text, style)
