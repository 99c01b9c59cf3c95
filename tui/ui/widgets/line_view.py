"""A pane of record lines with a cursor, drawn with the line API: the base of both views.

Lines are plain data (``ViewLine``): their text (already passed through ``textsafe.visible``)
and named style spans. Record text never becomes markup: it is cut into ``Segment``s as text, so
``[channel record]`` shows as written. Long lines wrap with a hanging indent (continuation rows
start under the line's data, not under its tag or label); the cursor moves over whole lines
(and, in the MARC view, over the parts of a line: indicators and subfields).

Every line has a gutter that reads without colour: ``RO`` where the data is protected
(EPL-PROTECT, CHN-READONLY, ...), ``*`` where it has been changed.

Drawing is Toolong's: only the rows on screen are rendered, each once, into a per-record cache of
``Strip``s; a line's styled runs are worked out once per record, and a row is cut from them
straight into segments (moving to another record redraws both views in a few ms).
Changing the record never asks for a layout of the screen; the scrollbar is drawn in the last
column by the view itself (``drawn_scrollbar``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tui.ui import actions
from tui.ui.widgets.pane_chrome import COMPONENT_CLASSES as CHROME_CLASSES
from tui.ui.widgets.pane_chrome import FRAME, PANE_CSS, PaneChrome, chrome_css

#: (tag, occurrence, subfield_index | None): where a line's data is in the record
Ref = tuple[str, int, "int | None"]

GUTTER = 4  # "RO* "
_WORD = re.compile(r"\s*\S+\s*")


@dataclass
class ViewLine:
    text: str
    #: (start, end, component-class suffix) e.g. (0, 3, "tag")
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    #: the record data this line shows
    refs: tuple[Ref, ...] = ()
    #: MARC view: (start, end) of each part (indicators, then one per subfield)
    parts: list[tuple[int, int]] = field(default_factory=list)
    #: the Protection (or anything with rule / reason_en / label_sv) when protected
    protection: object | None = None
    #: the protection of each part, when parts differ (856 $u without $z vs the rest)
    part_protection: list[object | None] = field(default_factory=list)
    changed: bool = False
    #: section headings and blank lines are not cursor stops
    selectable: bool = True
    heading: bool = False
    #: where the data starts in ``text`` (after the tag and indicators, after ``label: ``):
    #: continuation rows of a wrapped line are indented to it
    indent: int = 0

    def protection_of(self, part: int | None) -> object | None:
        if part is not None and 0 <= part < len(self.part_protection):
            return self.part_protection[part]
        return self.protection


def wrap(text: str, first: int, rest: int) -> list[tuple[int, int]]:
    """Where ``text`` breaks into rows: ``first`` cells wide, then ``rest`` cells wide.

    Breaks after white space (which may hang past the edge, as in Rich); a word longer than a
    row is folded. Returns (start, end) character offsets, one pair a row.
    """
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
        if used and start > row_start:  # the word goes to the next row
            rows.append((row_start, start))
            row_start, width, used = start, max(1, rest), 0
            if wlen <= width:
                used = cell_len(word)
                continue
        # fold a word longer than a row: each character's cells are counted once, so a word of
        # 200,000 characters (a mangled tag, a URL with no spaces) folds in linear time
        pos, word_end = start, start + len(stripped)
        pre = [0, *accumulate(map(get_character_cell_size, stripped))]  # pre[i]: cells of stripped[:i]
        while True:
            here = pre[pos - start]
            if used + pre[-1] - here <= width:
                used += pre[-1] - here + cell_len(text[word_end:end])
                break
            # the furthest cut with used + cells(text[pos:cut]) <= width
            cut = max(pos, start + bisect_right(pre, here + width - used, lo=pos - start) - 1)
            if cut == pos:
                if used:
                    rows.append((row_start, pos))
                    row_start, width, used = pos, max(1, rest), 0
                    continue
                cut = pos + 1  # one character wider than the row
            rows.append((row_start, cut))
            row_start, pos, width, used = cut, cut, max(1, rest), 0
    rows.append((row_start, len(text)))
    return rows


class LineView(PaneChrome, ScrollView, can_focus=True):
    """A scrollable list of ``ViewLine``s with a cursor line (and a cursor part)."""

    BINDINGS = actions.bindings("nav")

    COMPONENT_CLASSES = {
        "line-view--cursor",
        "line-view--cursor-blurred",
        "line-view--linked",
        "line-view--part",
        "line-view--protected",
        "line-view--mark-ro",
        "line-view--mark-changed",
        "line-view--heading",
        "line-view--tag",
        "line-view--indicator",
        "line-view--code",
        "line-view--label",
        "line-view--orphan",
        "line-view--empty",
    } | CHROME_CLASSES

    DEFAULT_CSS = (
        """
    LineView {
        background: $surface;"""
        + PANE_CSS
        + """
    }
    LineView > .line-view--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    LineView > .line-view--cursor-blurred {
        background: $block-cursor-blurred-background;
    }
    LineView > .line-view--linked {
        background: $primary 25%;
        text-style: underline;
    }
    LineView > .line-view--part {
        text-style: bold reverse;
    }
    LineView > .line-view--protected {
        color: $text-disabled;
        text-style: italic;
    }
    LineView > .line-view--mark-ro {
        color: $warning;
        text-style: bold;
    }
    LineView > .line-view--mark-changed {
        color: $success;
        text-style: bold;
    }
    LineView > .line-view--heading {
        color: $accent;
        text-style: bold;
    }
    LineView > .line-view--tag {
        color: $primary;
        text-style: bold;
    }
    LineView > .line-view--indicator {
        color: $secondary;
    }
    LineView > .line-view--code {
        color: $accent;
    }
    LineView > .line-view--label {
        color: $text-muted;
    }
    LineView > .line-view--orphan {
        color: $error;
        text-style: underline;
    }
    LineView > .line-view--empty {
        color: $text-muted;
        text-style: italic;
    }
    """
        + chrome_css("LineView")
    )

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    #: in the MARC view: which part of the cursor line (0 = indicators/data, 1.. = subfields)
    part: reactive[int | None] = reactive(None, init=False)

    class Moved(Message):
        """The cursor (or part) moved: the other view follows, the reason bar updates."""

        def __init__(self, view: LineView, line: ViewLine | None, part: int | None) -> None:
            super().__init__()
            self.view = view
            self.line = line
            self.part = part

    def __init__(
        self, *, empty_text: str = "", name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lines: list[ViewLine] = []
        self.empty_text = empty_text
        #: indices of lines highlighted because the other view's cursor is on the same data
        self.linked: set[int] = set()
        self.linked_part: dict[int, int] = {}
        self._rows: list[tuple[int, int, int, int]] = []  # (line index, start, end, indent)
        self._first_row: list[int] = []
        self._layout_width = -1
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None
        #: each line's styled runs, (start, end, style), worked out once per record
        self._runs: dict[int, list[tuple[int, int, Style]]] = {}
        #: rendered rows: (row, cursor?, focus, linked?, part) -> Strip (cleared with the layout)
        #: this record's rendered rows (a plain dict: dropped with the record, freed at once)
        self._strips: dict[tuple, Strip] = {}
        #: (lines, runs, strips) of the record made ready by ``prepare``
        self._prepared: tuple | None = None
        #: rows of recent line lists: (id(lines), width, height) -> (lines, (text width, rows, first rows))
        self._layouts: LRUCache[tuple, tuple] = LRUCache(8)
        #: what is on screen: y -> the strip drawn there last, at this scroll offset and width
        self._shown: dict[int, tuple[Strip, str]] = {}
        self._batch_depth = 0
        self._repaint_wanted = False
        self._shown_at: tuple[int, int] = (-1, -1)

    # -- data --------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Changes inside are compared with what is on screen once, at the end (a new record
        sets the lines, moves the cursor and the linked lines: one pass over the rows, not three)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if not self._batch_depth and self._repaint_wanted:
                self._repaint_wanted = False
                self._repaint()

    def set_lines(self, lines: list[ViewLine], *, keep_cursor: bool = False) -> None:
        old = self.cursor
        prepared, self._prepared = self._prepared, None
        if prepared is None or prepared[0] is not lines:
            prepared = None
        self.lines = lines
        self._runs = prepared[1] if prepared else {}
        self.linked = set()
        self.linked_part = {}
        self._relayout(prepared[2] if prepared else None)
        if keep_cursor and lines:
            target = min(old, len(lines) - 1)
        else:
            target = 0
        self.set_reactive(LineView.cursor, self._nearest_selectable(target))
        self.set_reactive(LineView.part, None)
        if not keep_cursor and self.scroll_offset.y:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_to_cursor()
        self._repaint()
        self._post_moved()

    @property
    def current(self) -> ViewLine | None:
        if 0 <= self.cursor < len(self.lines):
            return self.lines[self.cursor]
        return None

    def set_linked(self, indices: Iterable[int], parts: dict[int, int] | None = None) -> None:
        linked, linked_part = set(indices), dict(parts or {})
        changed = linked != self.linked or linked_part != self.linked_part
        self.linked = linked
        self.linked_part = linked_part
        rows = [self._first_row[i] for i in self.linked if i < len(self._first_row)]
        if rows and not self.has_focus:
            self._scroll_rows_into_view(min(rows), max(rows))
        if changed:
            self._repaint()

    def find_line(self, ref_match) -> int | None:
        for i, line in enumerate(self.lines):
            if line.selectable and ref_match(line):
                return i
        return None

    def move_to(self, index: int, part: int | None = None) -> None:
        if 0 <= index < len(self.lines):
            self.set_reactive(LineView.part, part)
            self.cursor = index

    # -- layout ------------------------------------------------------------------------------
    @staticmethod
    def _wrap_all(lines: list[ViewLine], width: int) -> tuple[list[tuple[int, int, int, int]], list[int]]:
        rows: list[tuple[int, int, int, int]] = []
        first_row: list[int] = []
        append = rows.append
        for i, line in enumerate(lines):
            first_row.append(len(rows))
            text = line.text
            if len(text) <= width and cell_len(text) <= width:
                append((i, 0, len(text), 0))
                continue
            indent = line.indent if 0 < line.indent <= width // 2 else min(2, max(0, line.indent))
            for k, (s, e) in enumerate(wrap(text, width, width - indent)):
                append((i, s, e, indent if k else 0))
        return rows, first_row

    def _layout_for(self, lines: list[ViewLine]) -> tuple[int, list, list] | None:
        """(text width, rows, first row of each line) of ``lines`` at the pane's size (less the
        scrollbar's column, always: text does not re-wrap when a record needs the bar)."""
        full, height = self.size
        if full <= 0:
            return None
        key = (id(lines), full, height)
        hit = self._layouts.get(key)
        if hit is not None and hit[0] is lines:
            return hit[1]
        width = max(8, self.inner_width - GUTTER)
        rows, first_row = self._wrap_all(lines, width)
        layout = (width, rows, first_row)
        self._layouts[key] = (lines, layout)
        return layout

    def prepare(self, lines: list[ViewLine]) -> None:
        """Break ``lines`` into rows and draw the rows that will show first, ahead of
        ``set_lines`` (the record the cataloguer most likely goes to next, while the keyboard is
        still): moving there then only compares and frames rows already made."""
        layout = self._layout_for(lines)
        if layout is None or lines is self.lines or not lines:
            return
        text_width, rows, first_row = layout
        width = self.inner_width
        runs: dict = {}
        strips: dict[tuple, Strip] = {}
        saved = (self.lines, self._rows, self._first_row, self._runs)
        try:  # _render_row reads these: the coming record's, for a moment (nothing draws meanwhile)
            self.lines, self._rows, self._first_row, self._runs = lines, rows, first_row, runs
            cursor = self._nearest_selectable(0)
            focus = self.has_focus
            base = self._base if self._base is not None else self.rich_style
            for row in range(min(len(rows), self.inner_height)):
                is_cursor = rows[row][0] == cursor
                strips[(row, is_cursor, focus, False, None)] = self._render_row(
                    row, width, base, is_cursor, False, None, focus
                )
        finally:
            self.lines, self._rows, self._first_row, self._runs = saved
        self._prepared = (lines, runs, strips)

    def _relayout(self, strips: dict | None = None) -> None:
        """Break the lines into rows for the pane's width (``_layout_for``); ``strips``: rows
        drawn ahead by ``prepare``."""
        self._strips = strips if strips is not None else {}
        layout = self._layout_for(self.lines)
        if layout is None:  # not laid out yet: on_resize does it
            self._layout_width = -1
            self._rows, self._first_row = [], []
            return
        self._layout_width, self._rows, self._first_row = layout
        self._set_virtual_height(len(self._rows) or 1)

    def _set_virtual_height(self, height: int) -> None:
        """A new virtual size WITHOUT a layout of the screen (``virtual_size`` is a layout
        reactive); the scrollbar's column is drawn with the rows (``_repaint``)."""
        size = Size(self.size.width, self.framed_height(height))
        if size == self.virtual_size:
            return
        self.set_reactive(Widget.virtual_size, size)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def on_resize(self) -> None:
        self._relayout()
        self._scroll_to_cursor()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._base = None
        self._runs = {}
        self._strips.clear()
        self._prepared = None
        self._layouts.clear()
        self.forget_chrome()

    def _style(self, name: str) -> Style:
        st = self._styles.get(name)
        if st is None:
            st = self.get_component_rich_style(f"line-view--{name}", partial=True)
            self._styles[name] = st
        return st

    # -- drawing -----------------------------------------------------------------------------
    def _repaint(self) -> None:
        """Repaint only the rows on screen whose strip differs from the one drawn there last.

        Moving to a record like the last one keeps headings, blank lines and many fields where
        they were; moving the cursor changes two rows. A scroll or a new width repaints it all.
        """
        if self._batch_depth:
            self._repaint_wanted = True
            return
        scroll_y, width = self.scroll_offset.y, self.outer_size.width
        if self._shown_at != (scroll_y, width) or not self._shown:
            self.refresh_inner_rows()  # the rows, not the frame and its titles
            return
        shown = self._shown
        focus = self.has_focus
        thumb = self.thumb()
        text_width = self.inner_width
        regions = []
        for y in range(self.inner_height):
            old = shown.get(y)
            new = shown[y] = (self._render_line(y, scroll_y, text_width, focus), self.bar_cell(y, thumb))
            if old is None or old[1] != new[1] or (old[0] is not new[0] and old[0] != new[0]):
                regions.append(Region(0, FRAME + y, width, 1))
        if regions:
            self.refresh(*regions)

    def render_row(self, y: int, width: int, cell: str) -> Strip:
        """Row ``y`` inside the frame (``PaneChrome.render_line`` frames it)."""
        scroll_y = self.scroll_offset.y
        strip = self._render_line(y, scroll_y, width, self.has_focus)
        at = (scroll_y, self.outer_size.width)
        if at != self._shown_at:
            self._shown = {}
            self._shown_at = at
        self._shown[y] = (strip, cell)
        return strip

    def _render_line(self, y: int, scroll_y: int, width: int, focus: bool) -> Strip:
        row = scroll_y + y
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if not self.lines:
            if y == 0 and self.empty_text:
                text = Text(" " + self.empty_text, style=self._style("empty"), no_wrap=True)
                text.truncate(width, pad=True)
                return Strip(list(text.render(self.app.console)), width).apply_style(base)
            return Strip.blank(width, base)
        if self._layout_width < 0:
            self._relayout()
        if row >= len(self._rows):
            return Strip.blank(width, base)
        index = self._rows[row][0]
        is_cursor = index == self.cursor
        linked = index in self.linked
        part = self.part if is_cursor else self.linked_part.get(index)
        key = (row, is_cursor, focus, linked, part)
        strip = self._strips.get(key)
        if strip is None or strip.cell_length != width:
            strip = self._render_row(row, width, base, is_cursor, linked, part, focus)
            self._strips[key] = strip
        return strip

    def _line_runs(self, index: int) -> list[tuple[int, int, Style]]:
        """The styled runs of line ``index`` (spans, protection, heading), start to end."""
        runs = self._runs.get(index)
        if runs is not None:
            return runs
        line = self.lines[index]
        n = len(line.text)
        style = self._style
        layers: list[tuple[int, int, Style]] = []
        if line.heading:
            layers.append((0, n, style("heading")))
        layers.extend((s, e, style(name)) for s, e, name in line.spans)
        if line.protection is not None:
            layers.append((0, n, style("protected")))
        else:
            for k, prot in enumerate(line.part_protection):
                if prot is not None and k < len(line.parts):
                    s, e = line.parts[k]
                    layers.append((s, e, style("protected")))
        cuts = sorted({0, n, *(p for s, e, _ in layers for p in (s, e) if 0 <= p <= n)})
        runs = []
        for a, b in zip(cuts, cuts[1:]):
            st = Style()
            for s, e, layer in layers:
                if s <= a and b <= e:
                    st += layer
            runs.append((a, b, st))
        self._runs[index] = runs
        return runs

    def _render_row(
        self, row: int, width: int, base: Style, is_cursor: bool, linked: bool, part: int | None, focus: bool
    ) -> Strip:
        index, start, end, indent = self._rows[row]
        line = self.lines[index]
        text = line.text
        style = self._style
        over: Style | None = None  # what goes over the whole row (the cursor)
        over_text: Style | None = None  # what goes over the text only (a linked line)
        if is_cursor and line.selectable:
            over = style("cursor" if focus else "cursor-blurred")
        elif linked:
            over_text = style("linked")
        segs: list[Segment] = []
        append = segs.append

        def put(chunk: str, st: Style | None, in_text: bool) -> None:
            st = base + st if st else base
            if over_text is not None and in_text:
                st += over_text
            if over is not None:
                st += over
            append(Segment(chunk, st))

        if start == 0 and line.selectable:
            ro = style("mark-ro")
            if line.protection is not None:
                put("RO", ro, False)
            elif any(p is not None for p in line.part_protection):
                put("ro", ro, False)  # some subfields protected
            else:
                put("  ", None, False)
            put("*" if line.changed else " ", style("mark-changed"), False)
            put(" ", None, False)
        else:
            put(" " * GUTTER, None, False)
        used = GUTTER
        if indent:
            put(" " * indent, None, True)
            used += indent
        ps = pe = -1
        if part is not None and 0 <= part < len(line.parts):
            ps, pe = line.parts[part]
        part_style = style("part")
        for a, b, st in self._line_runs(index):
            if b <= start or a >= end:
                continue
            a, b = max(a, start), min(b, end)
            if ps < b and pe > a:  # the selected part: its own style over the run's
                for x, y, in_part in ((a, max(a, ps), False), (max(a, ps), min(b, pe), True), (min(b, pe), b, False)):
                    if x < y:
                        chunk = text[x:y]
                        put(chunk, st + part_style if in_part else st, True)
                        used += cell_len(chunk)
            else:
                chunk = text[a:b]
                put(chunk, st, True)
                used += cell_len(chunk)
        if used < width:
            put(" " * (width - used), None, True)
            return Strip(segs, width)
        return Strip(segs, used).crop(0, width) if used > width else Strip(segs, width)

    def _part_at(self, index: int, offset: int) -> int | None:
        for k, (s, e) in enumerate(self.lines[index].parts):
            if s <= offset < e:
                return k
        return None

    # -- cursor ------------------------------------------------------------------------------
    def _nearest_selectable(self, index: int, step: int = 1) -> int:
        if not self.lines:
            return 0
        index = max(0, min(index, len(self.lines) - 1))
        for i in range(index, len(self.lines) if step > 0 else -1, step):
            if self.lines[i].selectable:
                return i
        for i in range(index, len(self.lines) if step < 0 else -1, -step):
            if self.lines[i].selectable:
                return i
        return index

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self._repaint()
        self._post_moved()

    def watch_part(self, old, new) -> None:
        self._repaint()
        self._post_moved()

    def _post_moved(self) -> None:
        self.post_message(self.Moved(self, self.current, self.part))

    def _scroll_to_cursor(self) -> None:
        if not self._first_row or self.cursor >= len(self._first_row):
            return
        first = self._first_row[self.cursor]
        last = (self._first_row[self.cursor + 1] - 1) if self.cursor + 1 < len(self._first_row) else len(self._rows) - 1
        self._scroll_rows_into_view(first, last)

    def _scroll_rows_into_view(self, first: int, last: int) -> None:
        height = self.inner_height
        if height <= 0:
            return
        top = self.scroll_offset.y
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif last >= top + height:
            self.scroll_to(
                y=max(first, last - height + 1) if last - first < height else first, animate=False, immediate=True
            )

    def on_focus(self) -> None:
        self.forget_chrome()
        self.refresh()
        self._post_moved()

    def on_blur(self) -> None:
        self.forget_chrome()
        self.refresh()

    def _step(self, step: int) -> None:
        i = self.cursor + step
        while 0 <= i < len(self.lines):
            if self.lines[i].selectable:
                self.set_reactive(LineView.part, None)
                self.cursor = i
                return
            i += step

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def _page(self) -> int:
        return max(1, self.inner_height - 1)

    def action_page_down(self) -> None:
        if not self._rows:
            return
        row = min(len(self._rows) - 1, self._first_row[self.cursor] + self._page())
        self.set_reactive(LineView.part, None)
        self.cursor = self._nearest_selectable(self._rows[row][0])

    def action_page_up(self) -> None:
        if not self._rows:
            return
        row = max(0, self._first_row[self.cursor] - self._page())
        self.set_reactive(LineView.part, None)
        self.cursor = self._nearest_selectable(self._rows[row][0], -1)

    def action_first_line(self) -> None:
        self.set_reactive(LineView.part, None)
        self.cursor = self._nearest_selectable(0)

    def action_last_line(self) -> None:
        self.set_reactive(LineView.part, None)
        self.cursor = self._nearest_selectable(len(self.lines) - 1, -1)

    def on_click(self, event) -> None:
        if self.bar_click(event):
            return
        at = self.inner_point(event)
        if at is None:
            return
        x, y = at
        row = y + self.scroll_offset.y
        if 0 <= row < len(self._rows):
            index, start, _end, indent = self._rows[row]
            if self.lines[index].selectable:
                part = self._part_at(index, start + max(0, x - GUTTER - indent))
                self.set_reactive(LineView.part, part)
                self.cursor = index
