"""Add a holding for the library's sigel (HOLD-ADD); on a record with SUPPRESSRECORD, offer to
remove it at the same time (SUP-CLEAR). Returns ``(sigel, remember, clear_suppress)`` or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static

from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _, styled
from tui.ui.safe import safe
from tui.ui.widgets.toggles import MarkedCheckbox


class AddHoldingDialog(Dialog[tuple[str, bool, bool] | None]):
    def __init__(self, sigel: str, suppressed: bool, title: str = "") -> None:
        super().__init__()
        self._sigel = sigel
        self._suppressed = suppressed
        self._record_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="add-holding-dialog") as box:
            box.border_title = _("Add a holding ({rule})").format(rule="HOLD-ADD")
            box.border_subtitle = _("enter adds · esc cancels")
            t = styled(
                _("Your library holds {title}. One holding per sigel and title: adding it again changes nothing."),
                title=(safe(self._record_title), "bold"),
            )
            yield Static(t, classes="context")
            with Horizontal(classes="field-row"):
                yield Label(_("Sigel"), classes="field-label")
                yield TextInput(
                    self._sigel,
                    id="sigel",
                    restrict=r"[A-Za-z0-9_-]*",
                    max_length=16,
                    placeholder=_("e.g. {example}").format(example="Li"),
                    classes="short" if self._sigel else "",
                )
            if not self._sigel:
                yield MarkedCheckbox(
                    _("Remember this sigel in {file}").format(file="config.toml"), value=True, id="remember"
                )
                yield Static(literal(_("No sigel is set in the configuration yet.")), classes="hint")
            if self._suppressed:
                yield MarkedCheckbox(
                    _("Remove {field} too ({rule})").format(field="599 $a SUPPRESSRECORD", rule="SUP-CLEAR"),
                    value=True,
                    id="clear",
                )
                yield Static(
                    literal(_("Otherwise the record never reaches Libris search or your local system.")), classes="hint"
                )
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Add holding"), id="add", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        if self._sigel:
            self.query_one("#add", Button).focus()
        else:
            self.query_one("#sigel", Input).focus()

    def _submit(self) -> None:
        sigel = self.query_one("#sigel", TextInput).raw_value.strip()
        if not sigel:
            self.show_problem(_("Give your library's sigel."))
            self.query_one("#sigel", Input).focus()
            return
        remember = bool(self.query("#remember") and self.query_one("#remember", Checkbox).value)
        clear = bool(self.query("#clear") and self.query_one("#clear", Checkbox).value)
        self.dismiss((sigel, remember, clear))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)
