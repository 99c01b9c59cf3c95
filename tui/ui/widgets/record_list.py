"""The record list: one row per visible record, drawn with the line API (Toolong's LogLines).

Only the rows on screen are rendered; each rendered row sits in an ``LRUCache`` keyed by row
number, so a file of a million records scrolls as fast as one of ten. The rows come from a
``row_text(row) -> Text`` callback (the main screen owns the records and the channel filter);
the list knows nothing of MARC.
"""

from __future__ import annotations

from typing import Callable

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from .. import actions
from .quiet_scrollbar import QuietScrollbars

RowText = Callable[[int], Text]


class RecordList(QuietScrollbars, ScrollView, can_focus=True):
    """Rows of records; ``cursor`` is the highlighted row."""

    BINDINGS = actions.bindings("nav") + actions.bindings("pane", ids=("open-record",))

    COMPONENT_CLASSES = {
        "record-list--cursor",
        "record-list--cursor-blurred",
        "record-list--empty",
    }

    DEFAULT_CSS = """
    RecordList {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    RecordList > .record-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RecordList > .record-list--cursor-blurred {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    RecordList > .record-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to ``row``."""

        def __init__(self, record_list: "RecordList", row: int) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    class Opened(Message):
        """Enter on ``row``: show it and move into the views."""

        def __init__(self, record_list: "RecordList", row: int) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    def __init__(self, row_text: RowText, *, empty_text: str = "No records", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._row_text = row_text
        self._count = 0
        self._cache: LRUCache[int, Text] = LRUCache(2048)
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._base: Style | None = None
        self.empty_text = empty_text

    # -- data --------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int, *, keep_cache: bool = True) -> None:
        """The number of rows changed (indexing went on, or the filter changed)."""
        if not keep_cache:
            self._cache.clear()
        self._line_cache.clear()
        self._count = count
        size = Size(self.size.width or 1, count)
        height = self.size.height
        if height and self.virtual_size.height > height and count > height:
            # the list is at its greatest height already: no layout of the screen, only the
            # scrollbar (indexing reports every quarter second while a large file is read)
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size
        if self.cursor >= count and count:
            self.cursor = count - 1
        self.refresh()

    def refresh_row(self, row: int) -> None:
        """Row ``row``'s record changed: render it again."""
        self._cache.discard(row)
        for key in [k for k in self._line_cache.keys() if k[0] == row]:
            self._line_cache.discard(key)
        self._refresh_row_region(row)

    def reset(self) -> None:
        self._cache.clear()
        self._line_cache.clear()
        self.refresh()

    def _text(self, row: int) -> Text:
        text = self._cache.get(row)
        if text is None:
            text = self._row_text(row)
            self._cache[row] = text
        return text

    # -- drawing -----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._line_cache.clear()

    def on_resize(self) -> None:
        self._line_cache.clear()
        self.virtual_size = Size(self.size.width, self._count)

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.size.width
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if self._count == 0:
            if y == 0:
                style = self.get_component_rich_style("record-list--empty")
                text = Text(" " + self.empty_text, style=style, no_wrap=True, overflow="ellipsis")
                text.truncate(width, pad=True)
                return Strip(list(text.render(self.app.console)), width).apply_style(base)
            return Strip.blank(width, base)
        if row >= self._count:
            return Strip.blank(width, base)
        selected = row == self.cursor
        key = (row, width, selected, self.has_focus)
        strip = self._line_cache.get(key)
        if strip is None:
            text = self._text(row).copy()
            text.no_wrap = True
            text.overflow = "ellipsis"
            text.truncate(width, overflow="ellipsis", pad=True)
            if selected:
                name = "record-list--cursor" if self.has_focus else "record-list--cursor-blurred"
                text.stylize(self.get_component_rich_style(name))
            segments = list(text.render(self.app.console))
            strip = Strip(segments, width).adjust_cell_length(width, base).apply_style(base)
            self._line_cache[key] = strip
        return strip

    # -- cursor ------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if self._count:
            clamped = max(0, min(new, self._count - 1))
            if clamped != new:
                self.cursor = clamped
                return
        # the cache key has the cursor in it: only the two rows that changed are drawn again
        self._refresh_row_region(old)
        self._refresh_row_region(new)
        self.scroll_to_row(new)
        self.post_message(self.Highlighted(self, new))

    def _refresh_row_region(self, row: int) -> None:
        y = row - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def scroll_to_row(self, row: int) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def on_focus(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def _page(self) -> int:
        return max(1, (self.scrollable_content_region.height or self.size.height) - 1)

    def action_cursor_up(self) -> None:
        if self.cursor > 0:
            self.cursor -= 1

    def action_cursor_down(self) -> None:
        if self.cursor < self._count - 1:
            self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor = max(0, self.cursor - self._page())

    def action_page_down(self) -> None:
        self.cursor = max(0, min(self._count - 1, self.cursor + self._page()))

    def action_first_line(self) -> None:
        self.cursor = 0

    def action_last_line(self) -> None:
        self.cursor = max(0, self._count - 1)

    def action_open_record(self) -> None:
        if self._count:
            self.post_message(self.Opened(self, self.cursor))

    def on_click(self, event) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < self._count:
            self.cursor = row
            if getattr(event, "chain", 1) >= 2:
                self.post_message(self.Opened(self, row))
