"""Add a field: tag, indicators and subfields written as in the MARC view (``#a Value #2 sao``).

The text is read by the core's notation reader (``tui.core.formats.notation``), so what the
cataloguer types here is exactly what the MARC view shows. Returns a dict
``{"tag", "indicators", "subfields"}`` (data field) or ``{"tag", "data"}`` (control field), or None.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.core.formats.notation import NotationError, field_line, parse_field_line
from tui.core.model.record import ORPHAN
from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _, styled


def parse_new_field(tag: str, ind1: str, ind2: str, body: str) -> dict:
    """The field the cataloguer described, or ValueError with a sentence for them."""
    tag = tag.strip()
    if len(tag) != 3 or not tag.isalnum():
        raise ValueError(_("The tag is three digits, e.g. {example}.").format(example="650"))
    if tag < "010" and tag.isdigit():
        if not body.strip():
            raise ValueError(_("{tag} is a control field: give its value.").format(tag=tag))
        return {"tag": tag, "data": body.strip()}
    i1 = ind1.strip() or "-"
    i2 = ind2.strip() or "-"
    try:
        f = parse_field_line(f"{tag} {i1}/{i2} {body.strip()}")
    except NotationError as exc:
        raise ValueError(str(exc)) from None
    subs = [(sf.code, sf.value) for sf in f.subfields]
    if not subs:
        raise ValueError(_("Give at least one subfield, e.g. {example}").format(example="#a Bildanalys #2 sao"))
    if any(code == ORPHAN for code, _value in subs):
        raise ValueError(_("Start with a subfield code, e.g. {example}, before the text.").format(example="#a"))
    return {"tag": tag, "indicators": [f.indicator1, f.indicator2], "subfields": subs, "line": field_line(f)}


class AddFieldDialog(Dialog[dict | None]):
    def __init__(self, title: str = "", tag: str = "", body: str = "") -> None:
        super().__init__()
        self._title, self._tag, self._body = title or _("Add a field"), tag, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="add-field-dialog") as box:
            box.border_title = literal(self._title)  # may quote record data: never markup
            box.border_subtitle = _("enter adds · esc cancels")
            with Horizontal(classes="field-row"):
                yield Label(_("Tag"), classes="field-label")
                yield TextInput(
                    self._tag,
                    id="tag",
                    max_length=3,
                    restrict=r"[0-9A-Za-z]*",
                    classes="tag",
                    placeholder=_("e.g. {example}").format(example="650"),
                )
                yield Label(_("Indicators"), classes="field-label")
                for n in (1, 2):  # empty is blank, and says so
                    yield TextInput(
                        "",
                        id=f"ind{n}",
                        max_length=1,
                        restrict=r"[0-9a-z #_-]*",
                        classes="short",
                        placeholder=_("blank"),
                    )
            with Horizontal(classes="field-row"):
                yield Label(_("Subfields"), classes="field-label")
                yield TextInput(
                    self._body, id="body", placeholder=_("e.g. {example}").format(example="#a Bildanalys #2 sao")
                )
            yield Static(
                literal(
                    _(
                        "Subfields as in the MARC view: #a value #2 source. "
                        "A control field (001-009) takes its value as is."
                    )
                ),
                classes="hint",
            )
            yield Static("", id="preview", classes="hint")
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Add"), id="add", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#tag" if not self._tag else "#body", Input).focus()

    def _values(self) -> tuple[str, str, str, str]:
        return tuple(self.query_one(f"#{n}", TextInput).raw_value for n in ("tag", "ind1", "ind2", "body"))  # type: ignore

    def on_input_changed(self, event: Input.Changed) -> None:
        tag, i1, i2, body = self._values()
        preview = self.query_one("#preview", Static)
        if len(tag.strip()) == 3 and body.strip():
            try:
                d = parse_new_field(tag, i1, i2, body)
            except ValueError:
                preview.update("")
                return
            line = d.get("line") or f"{d['tag']} {d['data']}"
            t = styled(_("Will add: {line}"), line=(visible(line), "bold"))
            preview.update(t)
        else:
            preview.update("")

    def _submit(self) -> None:
        try:
            d = parse_new_field(*self._values())
        except ValueError as exc:
            self.show_problem(str(exc))
            return
        d.pop("line", None)
        self.dismiss(d)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["tag", "ind1", "ind2", "body"]
        i = order.index(event.input.id)
        if i + 1 < len(order) and event.input.id != "body":
            self.query_one(f"#{order[i + 1]}", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)
