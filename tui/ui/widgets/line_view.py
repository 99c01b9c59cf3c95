"""A pane of record lines with a cursor, drawn with the line API: the base of both views.

Lines are plain data (``ViewLine``): their text (already passed through ``textsafe.visible``)
and named style spans. Record text never becomes markup: it goes into ``rich.text.Text`` as
text, so ``[channel record]`` shows as written. Long lines wrap; the cursor moves over whole
lines (and, in the MARC view, over the parts of a line: indicators and subfields).

Every line has a gutter that reads without colour: ``RO`` where the data is protected
(EPL-PROTECT, CHN-READONLY, ...), ``*`` where it has been changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from rich._wrap import divide_line
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import actions

#: (tag, occurrence, subfield_index | None): where a line's data is in the record
Ref = tuple[str, int, "int | None"]

GUTTER = 4  # "RO* "


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

    def protection_of(self, part: int | None) -> object | None:
        if part is not None and 0 <= part < len(self.part_protection):
            return self.part_protection[part]
        return self.protection


class LineView(ScrollView, can_focus=True):
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
    }

    DEFAULT_CSS = """
    LineView {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
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

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    #: in the MARC view: which part of the cursor line (0 = indicators/data, 1.. = subfields)
    part: reactive[int | None] = reactive(None, init=False)

    class Moved(Message):
        """The cursor (or part) moved: the other view follows, the reason bar updates."""

        def __init__(self, view: "LineView", line: ViewLine | None, part: int | None) -> None:
            super().__init__()
            self.view = view
            self.line = line
            self.part = part

    def __init__(self, *, empty_text: str = "", name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lines: list[ViewLine] = []
        self.empty_text = empty_text
        #: indices of lines highlighted because the other view's cursor is on the same data
        self.linked: set[int] = set()
        self.linked_part: dict[int, int] = {}
        self._rows: list[tuple[int, int, int]] = []  # (line index, start, end)
        self._first_row: list[int] = []
        self._layout_width = -1
        self._styles: dict[str, Style] = {}
        #: rendered rows: (row, width, cursor?, focus, linked?, part) -> Strip
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)

    # -- data --------------------------------------------------------------------------------
    def set_lines(self, lines: list[ViewLine], *, keep_cursor: bool = False) -> None:
        old = self.cursor
        self.lines = lines
        self._strips.clear()
        self.linked = set()
        self.linked_part = {}
        self._layout_width = -1
        self._relayout()
        if keep_cursor and lines:
            target = min(old, len(lines) - 1)
        else:
            target = 0
        self.set_reactive(LineView.cursor, self._nearest_selectable(target))
        self.set_reactive(LineView.part, None)
        if not keep_cursor:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_to_cursor()
        self.refresh()
        self._post_moved()

    @property
    def current(self) -> ViewLine | None:
        if 0 <= self.cursor < len(self.lines):
            return self.lines[self.cursor]
        return None

    def set_linked(self, indices: Iterable[int], parts: dict[int, int] | None = None) -> None:
        self.linked = set(indices)
        self.linked_part = dict(parts or {})
        self.refresh()
        rows = [self._first_row[i] for i in self.linked if i < len(self._first_row)]
        if rows and not self.has_focus:
            self._scroll_rows_into_view(min(rows), max(rows))

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
    def _text_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width
        return max(8, width - GUTTER)

    def _relayout(self) -> None:
        width = self._text_width()
        self._rows = []
        self._first_row = []
        for i, line in enumerate(self.lines):
            self._first_row.append(len(self._rows))
            text = line.text
            offsets = divide_line(text, width, fold=True) if len(text) > width or "\n" in text else []
            starts = [0, *offsets]
            ends = [*offsets, len(text)]
            for s, e in zip(starts, ends):
                self._rows.append((i, s, e))
        self._layout_width = width
        self._strips.clear()
        self.virtual_size = Size(self.size.width, len(self._rows) or 1)

    def on_resize(self) -> None:
        if self._text_width() != self._layout_width:
            self._relayout()
            self._scroll_to_cursor()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._strips.clear()

    def _style(self, name: str) -> Style:
        st = self._styles.get(name)
        if st is None:
            st = self.get_component_rich_style(f"line-view--{name}", partial=True)
            self._styles[name] = st
        return st

    # -- drawing -----------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
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
        index, start, end = self._rows[row]
        is_cursor = index == self.cursor
        part = self.part if is_cursor else self.linked_part.get(index)
        key = (row, width, is_cursor, self.has_focus, index in self.linked, part)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(index, start, end, width, is_cursor, part)
            self._strips[key] = strip
        return strip

    def _render_row(self, index: int, start: int, end: int, width: int, is_cursor: bool,
                    part: int | None) -> Strip:
        base = self.rich_style
        line = self.lines[index]
        first = start == 0
        full = self._line_text(line, part)
        content = full if (start, end) == (0, len(line.text)) else full[start:end]
        gutter = Text(no_wrap=True)
        if first and line.selectable:
            if line.protection is not None:
                gutter.append("RO", self._style("mark-ro"))
            elif any(p is not None for p in line.part_protection):
                gutter.append("ro", self._style("mark-ro"))  # some subfields protected
            else:
                gutter.append("  ")
            gutter.append("*" if line.changed else " ", self._style("mark-changed"))
            gutter.append(" ")
        else:
            gutter.append(" " * GUTTER)
        text = Text(no_wrap=True, end="")
        text.append_text(gutter)
        text.append_text(content)
        text.truncate(width, pad=True)
        if is_cursor and line.selectable:
            text.stylize(self._style("cursor" if self.has_focus else "cursor-blurred"))
        elif index in self.linked:
            text.stylize(self._style("linked"), GUTTER)
        return Strip(list(text.render(self.app.console)), width).adjust_cell_length(width, base).apply_style(base)

    def _line_text(self, line: ViewLine, part: int | None) -> Text:
        text = Text(line.text, no_wrap=True, end="")
        if line.heading:
            text.stylize(self._style("heading"))
        for s, e, name in line.spans:
            text.stylize(self._style(name), s, e)
        if line.protection is not None:
            text.stylize(self._style("protected"))
        else:
            for k, prot in enumerate(line.part_protection):
                if prot is not None and k < len(line.parts):
                    s, e = line.parts[k]
                    text.stylize(self._style("protected"), s, e)
        if part is not None and 0 <= part < len(line.parts):
            s, e = line.parts[part]
            text.stylize(self._style("part"), s, e)
        return text

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
        self.refresh()
        self._post_moved()

    def watch_part(self, old, new) -> None:
        self.refresh()
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
        height = self.scrollable_content_region.height or self.size.height
        if height <= 0:
            return
        top = self.scroll_offset.y
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif last >= top + height:
            self.scroll_to(y=max(first, last - height + 1) if last - first < height else first,
                           animate=False, immediate=True)

    def on_focus(self) -> None:
        self.refresh()
        self._post_moved()

    def on_blur(self) -> None:
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
        return max(1, (self.scrollable_content_region.height or self.size.height) - 1)

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
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._rows):
            index, start, _ = self._rows[row]
            if self.lines[index].selectable:
                part = self._part_at(index, start + max(0, event.x - GUTTER))
                self.set_reactive(LineView.part, part)
                self.cursor = index

    def _part_at(self, index: int, offset: int) -> int | None:
        for k, (s, e) in enumerate(self.lines[index].parts):
            if s <= offset < e:
                return k
        return None
