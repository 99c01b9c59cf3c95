"""The fixed-field editor: the leader, 006, 007 or 008 position by position.

One row per position: where it is (``06``, ``18-21``), its name in Swedish and English, the code
(a blank shown as ``_``, as Libris writes it) and what the code means. A position with a code list
lets through only characters of its codes (an invalid code cannot be typed); a code of several
characters is checked on enter. The codes of the focused position, with their meanings, are
listed under the rows. Returns the new value, or None when cancelled.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from tui.core.editing.fixedfields import Layout, Position, compose, problem, value_at
from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton, TextInput, literal
from tui.ui.i18n import _

BLANK = "_"


def shown(text: str) -> str:
    return text.replace(" ", BLANK)


def typed(text: str) -> str:
    return text.replace(BLANK, " ")


class FixedFieldDialog(Dialog[str | None]):
    DEFAULT_CSS = """
    FixedFieldDialog #fixed-rows {
        height: auto;
        max-height: 12;
    }
    FixedFieldDialog .fixed-row {
        height: 1;
    }
    FixedFieldDialog .fixed-name {
        width: 31;
        color: $text-muted;
    }
    FixedFieldDialog .fixed-row Input {
        margin-right: 1;
    }
    FixedFieldDialog .fixed-meaning {
        width: 1fr;
    }
    FixedFieldDialog .fixed-meaning.-bad {
        color: $error;
    }
    FixedFieldDialog #fixed-codes {
        height: auto;
        max-height: 4;
        color: $text-muted;
        margin-top: 1;
    }
    """

    def __init__(self, title: str, layout: Layout, value: str, lang: str = "sv", note: str = "") -> None:
        super().__init__()
        self._title = title
        self.fixed_layout = layout
        self._old_value = value
        self._language = lang
        self._note_text = note
        self._by_id: dict[str, Position] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="fixed-dialog") as box:
            box.border_title = literal(self._title)
            box.border_subtitle = _("tab: next position · enter saves · esc cancels")
            yield Static(Text(visible(f"{self.fixed_layout.title('sv')} · {self.fixed_layout.title('en')}"), "bold"))
            with VerticalScroll(id="fixed-rows"):
                for p in self.fixed_layout.positions:
                    wid = f"pos-{p.offset}"
                    self._by_id[wid] = p
                    current = value_at(self._old_value, p)
                    restrict = None
                    if p.codes is not None:
                        chars = shown(p.characters())
                        restrict = f"[{re.escape(chars)}]*"
                    with Horizontal(classes="fixed-row"):
                        yield Label(self._row_name(p), classes="fixed-name")
                        box_in = TextInput(shown(current), id=wid, max_length=p.length, restrict=restrict)
                        box_in.styles.width = p.length + 2
                        yield box_in
                        yield Static(self._meaning_text(p, current), classes="fixed-meaning", id=f"meaning-{p.offset}")
            yield Static("", id="fixed-codes")
            if self._note_text:
                yield Static(literal(self._note_text), classes="hint")
            yield Static("", classes="problem", id="problem")
            with Horizontal(classes="buttons"):
                yield DialogButton(_("Save"), id="save", variant="primary")
                yield DialogButton(_("Cancel"), id="cancel")

    def _row_name(self, p: Position) -> Text:
        t = Text(f"{p.span} ", "bold")
        sv, en = p.name("sv"), p.name("en")
        t.append(visible(sv if sv == en else f"{sv} / {en}"))
        t.truncate(31, overflow="ellipsis")
        return t

    def _meaning_text(self, p: Position, code: str) -> Text:
        if p.codes is None:
            return Text("")
        m = p.meaning(code, self._language)
        if m is not None:
            return Text(visible(m))
        if code == "|" * p.length:
            return Text("no attempt to code" if self._language == "en" else "ingen kodning gjord")
        return Text(_("{code} is not a code here").format(code=repr(shown(code))), "bold")

    def on_mount(self) -> None:
        first = next(iter(self._by_id), None)
        if first is not None:
            self.query_one(f"#{first}", Input).focus()

    def on_descendant_focus(self, event) -> None:
        w = event.widget
        p = self._by_id.get(getattr(w, "id", "") or "")
        codes = self.query_one("#fixed-codes", Static)
        if p is None or p.codes is None:
            codes.update(Text(_("free text") if p is not None else ""))
            return
        t = Text()
        for k, (code, (sv, en)) in enumerate(sorted(p.codes.items())):
            if k:
                t.append(" · ")
            t.append(shown(code), "bold")
            t.append(" " + visible((sv if self._language == "sv" else en) or sv or en))
        codes.update(t)

    def on_input_changed(self, event: Input.Changed) -> None:
        p = self._by_id.get(event.input.id or "")
        if p is None:
            return
        event.stop()
        meaning = self.query_one(f"#meaning-{p.offset}", Static)
        text = typed(self.query_one(f"#{event.input.id}", TextInput).raw_value)
        meaning.update(self._meaning_text(p, text.ljust(p.length)) if len(text) == p.length else Text(""))

    def edits(self) -> dict[int, str]:
        out = {}
        for wid, p in self._by_id.items():
            text = typed(self.query_one(f"#{wid}", TextInput).raw_value)
            if text != value_at(self._old_value, p).rstrip() and text != value_at(self._old_value, p):
                out[p.offset] = text
        return out

    def _submit(self) -> None:
        edits = self.edits()
        for off, text in edits.items():
            p = next(q for q in self.fixed_layout.positions if q.offset == off)
            why = problem(p, text.ljust(p.length) if p.codes is None else text)
            if why:
                self.show_problem(why)
                self.query_one(f"#pos-{off}", Input).focus()
                return
        self.dismiss(compose(self._old_value, self.fixed_layout, {k: v.ljust(self._len(k)) for k, v in edits.items()}))

    def _len(self, offset: int) -> int:
        return next(p.length for p in self.fixed_layout.positions if p.offset == offset)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)
