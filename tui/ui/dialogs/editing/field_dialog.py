"""Edit a whole data field: its indicators and the value (and code) of each subfield.

Returns ``(ind1, ind2, [(code, value), ...])`` with one pair per subfield, in order, or None.
Adding and deleting subfields are commands of their own (add-subfield, delete-subfield).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.dialogs.editing.indicator_dialog import shown
from tui.ui.i18n import _


class FieldDialog(Dialog[tuple[str, str, list[tuple[str, str]]] | None]):
    DEFAULT_CSS = """
    FieldDialog #subfields {
        height: auto;
        max-height: 12;
    }
    FieldDialog .code {
        width: 7;
    }
    """

    def __init__(self, title: str, context: str, ind1: str, ind2: str, subfields: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title, self._context_text = title, context
        self._ind = (shown(ind1), shown(ind2))
        self._subfields = subfields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="field-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("tab moves · enter on the last saves · esc cancels")
            yield Static(literal(self._context_text), classes="context")
            with Horizontal(classes="field-row"):
                yield Label(_("Indicators"), classes="field-label")
                yield TextInput(self._ind[0], id="ind1", max_length=1, restrict=r"[0-9a-z #_-]*", classes="short")
                yield TextInput(self._ind[1], id="ind2", max_length=1, restrict=r"[0-9a-z #_-]*", classes="short")
            with VerticalScroll(id="subfields"):
                for k, (code, value) in enumerate(self._subfields):
                    with Horizontal(classes="field-row"):
                        yield Label(_("Subfield {n}").format(n=k + 1), classes="field-label")
                        yield TextInput(
                            code,
                            id=f"code-{k}",
                            max_length=1,
                            restrict=r"[0-9a-z]*",
                            classes="short code",
                            placeholder="?",
                        )
                        yield TextInput(value, id=f"value-{k}")
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        target = "#value-0" if self._subfields else "#ind1"
        self.query_one(target, Input).focus()

    def _result(self):
        ind1 = self.query_one("#ind1", TextInput).raw_value or " "
        ind2 = self.query_one("#ind2", TextInput).raw_value or " "
        subs = []
        for k, (old_code, _old_value) in enumerate(self._subfields):
            code = self.query_one(f"#code-{k}", TextInput).raw_value.strip()
            value = self.query_one(f"#value-{k}", TextInput).raw_value
            if not code and old_code:
                self.show_problem(_("Subfield {n} needs a code.").format(n=k + 1))
                return None
            subs.append((code, value))
        return ind1, ind2, subs

    def _submit(self) -> None:
        result = self._result()
        if result is not None:
            self.dismiss(result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        i = inputs.index(event.input)
        if i + 1 < len(inputs):
            inputs[i + 1].focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)
