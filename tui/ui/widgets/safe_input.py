"""The one input of the app's dialogs: record text is shown safely and kept as it is.

Textual's ``Input`` draws its value as it is, so an ESC in a subfield would reach the terminal
(``ESC [ 2 J`` clears it, OSC 52 writes the clipboard). ``SafeInput`` holds two things:

- ``value`` (what Textual draws and the cataloguer edits): the text with every control
  character shown as its visible stand-in, as in the views (``␛[2J``, ``\\x9b``, ``\\u202e``);
- ``raw_value`` (what a dialog gives back): the text the cataloguer means, with the record's
  own characters wherever they did not edit.

How editing round-trips (the rule of ``tui.core.model.textsafe.unshow``): an input that was not
edited gives back the original exactly (its ESC bytes, and also a ``␛`` or ``\\x9b`` that was
plain text in the record). An edit anywhere keeps the characters of every part it did not
touch: changing "före" in ``före␛[2J`` keeps the ESC. Deleting a stand-in deletes its control
character. Typing inside a stand-in (``\\x9b`` -> ``\\x9c``) leaves what is left of it as text.
What is typed or pasted is taken as the characters it is (typing ``␛`` enters U+241B): a record
gets no control character from a dialog; a paste's control characters arrive as stand-ins.

The input follows each edit (Textual edits an input through ``replace`` only), so what was
touched is known exactly, whatever the text; ``unshow`` (a comparison of the two texts) is the
fallback should the value ever change some other way.

Setting ``value`` from code sets the raw text (shown safely): ``input.value = record_text``.
"""

from __future__ import annotations

from textual.widgets import Input

from tui.core.model.textsafe import has_unsafe, unshow, visible, visible_map

#: a run of the shown text and the original characters it stands for (the same, for plain text)
Piece = tuple[str, str]


def pieces_of(raw: str) -> list[Piece]:
    """``raw`` as pieces: each control character's stand-in on its own, plain runs between."""
    if not has_unsafe(raw):
        return [(raw, raw)] if raw else []
    shown, starts = visible_map(raw)
    out: list[Piece] = []
    run = 0  # where the current plain run starts, in raw
    for i, ch in enumerate(raw):
        s = shown[starts[i] : starts[i + 1]]
        if s != ch:
            if run < i:
                out.append((raw[run:i], raw[run:i]))
            out.append((s, ch))
            run = i + 1
    if run < len(raw):
        out.append((raw[run:], raw[run:]))
    return out


def replaced(pieces: list[Piece], text: str, start: int, end: int) -> list[Piece]:
    """``pieces`` with shown[start:end] replaced by ``text`` (taken as typed). A stand-in cut by
    the edit keeps what is left of it as text."""
    if start == end and not text:
        return pieces
    out: list[Piece] = []
    pos = 0
    inserted = False
    for shown, raw in pieces:
        a, b = pos, pos + len(shown)
        pos = b
        if b <= start or a >= end:  # untouched (before, or after, the edit)
            if a >= end and not inserted:
                if text:
                    out.append((text, text))
                inserted = True
            out.append((shown, raw))
            continue
        whole = shown == raw
        head, tail = shown[: max(0, start - a)], shown[max(0, end - a) :]
        if head:
            out.append((head, head if not whole else raw[: len(head)]))
        if not inserted:
            if text:
                out.append((text, text))
            inserted = True
        if tail:
            out.append((tail, tail if not whole else raw[len(raw) - len(tail) :]))
    if not inserted and text:
        out.append((text, text))
    return out


class SafeInput(Input):
    """An ``Input`` that never draws a control character and keeps the record's own bytes."""

    def __init__(self, value: str | None = None, *args, **kwargs) -> None:
        self._original = value or ""
        self._pieces: list[Piece] = pieces_of(self._original)
        self._editing = False
        super().__init__(value, *args, **kwargs)

    # -- what the dialog reads --------------------------------------------------------------------
    @property
    def raw_value(self) -> str:
        """The text as the cataloguer left it, with the original's own characters where they did
        not edit (the ESC of an untouched ``␛[2J`` comes back as ESC)."""
        value = self.value
        if "".join(s for s, _ in self._pieces) == value:
            return "".join(r for _, r in self._pieces)
        return unshow(self._original, value)

    @property
    def edited(self) -> bool:
        """Has the cataloguer changed the text?"""
        return self.raw_value != self._original

    # -- how the value changes ----------------------------------------------------------------------
    def validate_value(self, value: str) -> str:
        """Set from code: that is the raw text (shown with stand-ins). Typed or pasted: already
        made visible by ``replace``."""
        if self._editing:
            return value
        self._original = value
        self._pieces = pieces_of(value)
        return visible(value) if has_unsafe(value) else value

    def replace(self, text: str, start: int, end: int) -> None:
        """Typing, pasting, deleting (Textual's one way to edit): what comes in is made visible,
        and the edit is noted on the pieces (what it did not touch keeps its characters)."""
        text = visible(text) if has_unsafe(text) else text
        before = self.value
        a, b = sorted((max(0, start), min(len(before), end)))
        self._editing = True
        try:
            super().replace(text, start, end)
        finally:
            self._editing = False
        if self.value != before:  # not refused (max_length, restrict)
            self._pieces = replaced(self._pieces, text, a, b)
