"""The one safe-text path of the app: everything that reaches the terminal passes here.

Record text (and a file name, a keymap line, a journal's host) is data. Before it goes into a
widget it is made visible (``tui.core.model.textsafe``): C0 and C1 controls, DEL, bidi controls
and lone surrogates become stand-ins (``␛[2J``, ``\\x9b``, ``\\u202e``), exactly as the list,
label and MARC views show them, and it never becomes markup:

- ``safe(text)``: a string for a toast, a title, a label, a palette entry;
- ``safe_text(text)``: a ``rich.text.Text`` (a ``str`` or a styled ``Text``, whose spans are kept
  on the characters they styled) for a ``Static``, an ``Option``, a border title;
- ``tui.ui.widgets.safe_input.SafeInput``: the input every dialog uses (it shows the stand-ins,
  and gives back the record's own characters for what the cataloguer did not edit);
- ``safe_paste(text)``: what a bracketed paste delivers to an input (``LibrisApp.on_event``).

Behind them, ``ControlFilter`` is the net: a line filter on every line the app draws (Textual's
own filters, like the one for NO_COLOR) that removes any control character still left (each one
is drawn zero cells wide, so the layout does not move) and counts it in ``caught``. It should
never catch anything: the tests (``tests/functional/test_dialog_safety.py``) drive every dialog
over the hostile files and assert both that the terminal got no raw control byte and that the
net caught nothing (so every widget had already made its text visible).
"""

from __future__ import annotations

import re

from rich.segment import Segment
from rich.text import Span, Text
from textual.color import Color
from textual.filter import LineFilter

from tui.core.model.textsafe import has_unsafe, visible, visible_map

__all__ = ["ControlFilter", "safe", "safe_paste", "safe_text"]


def safe(text: object) -> str:
    """``text`` as a string with every control character shown as a visible stand-in."""
    return visible(text if isinstance(text, str) else str(text))


def safe_text(text: Text | str, style: str = "") -> Text:
    """``text`` as a ``Text`` that is never markup and has no control character.

    A ``str`` is a piece of data (a title, a value): every control character is shown, a newline
    too (``␊``). A ``Text`` is composed (a dialog's body): its line breaks are its layout and
    stay, every other control character is shown, and its styles stay on the characters they
    styled."""
    if isinstance(text, str):
        return Text(visible(text), style=style)
    plain = text.plain
    if not has_unsafe(plain.replace("\n", "")):
        return text
    shown, starts = visible_map(plain)
    if "\n" in plain:  # a newline's stand-in is one character: the line break goes back in place
        cells = list(shown)
        for i, ch in enumerate(plain):
            if ch == "\n":
                cells[starts[i]] = "\n"
        shown = "".join(cells)
    out = Text(
        shown,
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
    )
    out.spans = [Span(starts[s.start], starts[min(s.end, len(plain))], s.style) for s in text.spans]
    return out


def safe_paste(text: str) -> str:
    """A paste into an input: its lines kept apart (an input takes the first), the control
    characters in each shown as stand-ins (and taken as those characters: a paste puts no
    control character into a record)."""
    if not has_unsafe(text):
        return text
    return "\n".join(visible(line) for line in text.splitlines())


#: what the net takes out of a drawn line (the characters ``textsafe`` makes visible)
_NET = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class ControlFilter(LineFilter):
    """The net under every drawn line: no control character reaches the terminal raw.

    A control character is drawn zero cells wide, so it is removed (the line keeps its width);
    a lone surrogate (one cell) becomes U+FFFD. ``caught`` counts what was taken out: it stays 0
    when every widget made its text visible first, as they all should (``safe``, ``SafeInput``).
    """

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled)
        self.caught = 0
        #: a few of the lines that needed the net (what they were, made visible), for a test's message
        self.examples: list[str] = []

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out: list[Segment] | None = None
        for i, seg in enumerate(segments):
            text = seg.text
            if seg.control or not has_unsafe(text):
                if out is not None:
                    out.append(seg)
                continue
            if out is None:
                out = list(segments[:i])
            self.caught += 1
            if len(self.examples) < 5:
                self.examples.append(visible(text))
            out.append(Segment(_SURROGATE.sub("\ufffd", _NET.sub("", text)), seg.style, seg.control))
        return segments if out is None else out
