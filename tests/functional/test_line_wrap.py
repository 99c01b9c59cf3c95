"""Long lines in the label and MARC views wrap with a hanging indent: continuation rows start
under the line's data (after the tag and indicators, after the label), not under the RO mark."""

from __future__ import annotations

from functional_helpers import build_app, main_screen, screen_text
from rich.cells import cell_len

from tui.ui.widgets.line_view import GUTTER, wrap


def _check(text: str, first: int, rest: int) -> list[str]:
    rows = wrap(text, first, rest)
    assert rows[0][0] == 0 and rows[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(rows, rows[1:]))  # contiguous, nothing lost
    parts = [text[s:e] for s, e in rows]
    for k, part in enumerate(parts):
        assert cell_len(part.rstrip()) <= (first if k == 0 else rest)
    return parts


def test_wrap_breaks_after_spaces_and_folds_long_words():
    assert _check("short", 10, 5) == ["short"]
    assert _check("one two three four", 9, 6) == ["one two ", "three ", "four"]
    assert _check("x" * 25, 10, 8) == ["x" * 10, "x" * 8, "x" * 7]
    assert _check("ab " + "y" * 12, 6, 5) == ["ab ", "yyyyy", "yyyyy", "yy"]
    # wide characters count as two cells
    assert _check("漢字漢字漢字 abc", 6, 4) == ["漢字漢", "字漢", "字 ", "abc"]


async def test_continuation_rows_are_indented_under_the_data(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(80, 40)) as pilot:
        screen = main_screen(app)
        screen._show_view("marc")
        screen.marc.focus()
        await pilot.pause()
        view = screen.marc
        wrapped = [(i, ln) for i, ln in enumerate(view.lines) if len(ln.text) > view._layout_width]
        assert wrapped, "the test file should have a MARC line longer than the pane"
        index, line = wrapped[0]
        rows = [r for r in view._rows if r[0] == index]
        assert len(rows) > 1 and rows[0][3] == 0
        assert line.text.startswith("520") and line.indent == len("520 -/- ")
        assert all(r[3] == line.indent for r in rows[1:])
        # on screen: the continuation starts under the first subfield, not at the gutter
        text = screen_text(app)
        cont = line.text[rows[1][1] : rows[1][2]].rstrip()
        assert "│" + " " * (GUTTER + line.indent) + cont in text
