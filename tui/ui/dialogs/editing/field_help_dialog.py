"""Field help: what the tag under the cursor is (name, whether it repeats, its indicators and
subfield codes with their meanings), from the MARC 21 definitions; for the leader and the
fixed fields their positions. Closes on escape, enter or the help key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog
from tui.ui.i18n import _


def fixed_help(tag: str, kind: str, lang: str) -> Text | None:
    """The positions of a fixed field, per layout (the 008's for each material)."""
    from tui.core.editing import fixedfields as ff

    if tag not in ff.TAGS:
        return None
    found = ff.layouts(tag, kind)
    if not found:
        return None
    t = Text()
    for layout in found:
        t.append(visible(f"{layout.title(lang)} · {layout.title('en')}") + "\n", "bold underline")
        for p in layout.positions:
            sv, en = p.name("sv"), p.name("en")
            t.append(f"  {p.span:<6}", "bold")
            t.append(visible(sv if sv == en else f"{sv} / {en}") + "\n")
    return t


def help_for(tag: str, kind: str = "bib", lang: str = "sv") -> Text | None:
    """The help text of ``tag`` (None when the definitions do not know it)."""
    from tui.ui.dialogs.editing import tag_help

    text = tag_help.tag_text(tag, kind, lang)
    fixed = fixed_help("000" if tag == "LDR" else tag, kind, lang)
    if text is None:
        return fixed
    if fixed is not None:
        text.append("\n")
        text.append_text(fixed)
    return text


class FieldHelpDialog(Dialog[None]):
    BINDINGS = [Binding("escape,enter,q", "cancel", "Close", show=False)]
    DEFAULT_CSS = """
    FieldHelpDialog #field-help-scroll {
        height: auto;
        max-height: 18;
    }
    """

    def __init__(self, tag: str, text: Text) -> None:
        super().__init__()
        self._tag = tag
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="field-help") as box:
            box.border_title = Text(_("Field help: {tag}").format(tag=self._tag))
            box.border_subtitle = _("esc closes")
            with VerticalScroll(id="field-help-scroll"):
                yield Static(self._text, id="field-help-text")

    def on_mount(self) -> None:
        self.query_one("#field-help-scroll").focus()
        for key in self.app.keymap.keys("field-help"):
            self._bindings.bind(key, "cancel", show=False)

    @property
    def shown_text(self) -> str:
        return self._text.plain
