"""The safe input's bookkeeping (``tui.ui.widgets.safe_input``): every edit is noted on the pieces
of the shown text, so what the cataloguer did not touch keeps the record's own characters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.model.textsafe import has_unsafe, unshow, visible
from tui.ui.safe import safe_paste, safe_text
from tui.ui.widgets.safe_input import pieces_of, replaced

ALPHABET = list("aäQ \\x9b") + ["\x1b", "\x07", "\x9b", "\u202e", "\x00", "\ud800", "␛"]
texts = st.lists(st.sampled_from(ALPHABET), max_size=20).map("".join)


def cells(raw: str) -> list[tuple[str, int | None, str]]:
    """The model: one cell per shown character (its character, the stand-in it is part of or
    None for plain text, the original character of that stand-in)."""
    out = []
    for i, ch in enumerate(raw):
        s = visible(ch)
        if s == ch:
            out.append((ch, None, ch))
        else:
            out.extend((c, i, ch) for c in s)
    return out


def model_raw(cs) -> str:
    out, k = [], 0
    while k < len(cs):
        c, tok, raw = cs[k]
        if tok is None:
            out.append(c)
            k += 1
            continue
        run = k
        while run < len(cs) and cs[run][1] == tok:
            run += 1
        whole = "".join(x[0] for x in cs[k:run]) == visible(raw)
        out.append(raw if whole else "".join(x[0] for x in cs[k:run]))
        k = run
    return "".join(out)


@settings(max_examples=500, derandomize=True, database=None)
@given(
    texts,
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from(["", "Z", "\\x", "␛"])), max_size=5),
)
def test_edits_keep_what_they_do_not_touch(raw, edits):
    pieces = pieces_of(raw)
    cs = cells(raw)
    assert "".join(s for s, _ in pieces) == visible(raw) and "".join(r for _, r in pieces) == raw
    shown = visible(raw)
    for start, end, text in edits:
        start, end = sorted((min(start, len(shown)), min(end, len(shown))))
        pieces = replaced(pieces, text, start, end)
        cs = cs[:start] + [(c, None, c) for c in text] + cs[end:]
        shown = shown[:start] + text + shown[end:]
        assert "".join(s for s, _ in pieces) == shown
        assert "".join(r for _, r in pieces) == model_raw(cs)


def test_unedited_and_simply_edited_texts():
    raw = "före\x1b[2J\x1b[Hefter"
    pieces = pieces_of(raw)
    assert "".join(r for _, r in pieces) == raw
    shown = visible(raw)
    end = len(shown)
    assert "".join(r for _, r in replaced(pieces, " mer", end, end)) == raw + " mer"
    assert "".join(r for _, r in replaced(pieces, "", 4, 5)) == "före[2J\x1b[Hefter"  # the first ␛ deleted
    assert "".join(r for _, r in replaced(pieces, "F", 0, 1)) == "Före\x1b[2J\x1b[Hefter"
    # the same, by comparing the texts (the fallback)
    assert unshow(raw, "F" + shown[1:]) == "Före\x1b[2J\x1b[Hefter"


def test_safe_text_keeps_styles_on_their_characters():
    from rich.text import Text

    t = Text("a")
    t.append("\x1b[2J", "bold")
    t.append("b\u202e", "red")
    s = safe_text(t)
    assert s.plain == "a␛[2Jb\\u202e"
    assert [(s.plain[sp.start : sp.end], sp.style) for sp in s.spans] == [("␛[2J", "bold"), ("b\\u202e", "red")]
    assert safe_text("[bold]x[/bold]").plain == "[bold]x[/bold]"  # never markup
    assert safe_text(Text("plain")).plain == "plain"


def test_a_paste_keeps_its_lines_and_shows_its_controls():
    assert safe_paste("a\x1b[2J\nb\x07") == "a␛[2J\nb␇"
    assert safe_paste("plain\ntext") == "plain\ntext"
    assert not has_unsafe(safe_paste("x\x9b\u202e\r\ny").replace("\n", ""))


def test_a_composed_text_keeps_its_line_breaks():
    from rich.text import Text

    t = Text("Delete this field?\n\n")
    t.append("=500  \\\\$aföre\x1b[2J", "bold")
    s = safe_text(t)
    assert s.plain == "Delete this field?\n\n=500  \\\\$aföre␛[2J"
    assert s.spans[0].style == "bold" and s.plain[s.spans[0].start :] == "=500  \\\\$aföre␛[2J"
    assert safe_text("a\nb").plain == "a␊b"  # a piece of data shows its newline
