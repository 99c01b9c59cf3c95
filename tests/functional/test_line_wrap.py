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


def _reference_wrap(text: str, first: int, rest: int) -> list[tuple[int, int]]:
    """The folding as it was written first (a character at a time): what ``wrap`` must still do."""
    from rich.cells import cell_len

    from tui.ui.widgets.line_view import _WORD

    if len(text) <= first and cell_len(text) <= first:
        return [(0, len(text))]
    rows: list[tuple[int, int]] = []
    row_start, width, used = 0, max(1, first), 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        word = m.group()
        stripped = word.rstrip()
        wlen = cell_len(stripped)
        if used + wlen <= width:
            used += cell_len(word)
            continue
        if used and start > row_start:
            rows.append((row_start, start))
            row_start, width, used = start, max(1, rest), 0
            if wlen <= width:
                used = cell_len(word)
                continue
        pos, word_end = start, start + len(stripped)
        while True:
            if used + cell_len(text[pos:word_end]) <= width:
                used += cell_len(text[pos:end])
                break
            cut, c = pos, used
            while cut < word_end and c + cell_len(text[cut]) <= width:
                c += cell_len(text[cut])
                cut += 1
            if cut == pos:
                if used:
                    rows.append((row_start, pos))
                    row_start, width, used = pos, max(1, rest), 0
                    continue
                cut = pos + 1
            rows.append((row_start, cut))
            row_start, pos, width, used = cut, cut, max(1, rest), 0
    rows.append((row_start, len(text)))
    return rows


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab xyz-/") + ["世", "界", "\u0301", "å", "\t"]), max_size=300),
    st.integers(1, 40),
    st.integers(1, 40),
)
def test_folding_long_words_is_the_same_as_a_character_at_a_time(text, first, rest):
    assert wrap(text, first, rest) == _reference_wrap(text, first, rest)


def test_a_word_of_200000_characters_folds_into_whole_rows():
    """(A mangled 200,000-character tag took a minute to show: each row re-measured the rest of the
    word. benchmarks/ is where speed is measured; here only what the rows are.)"""
    rows = wrap("[" * 200_000, 70, 70)
    assert len(rows) == -(-200_000 // 70) and all(b - a == 70 for a, b in rows[:-1])
