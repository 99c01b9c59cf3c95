"""The record list: one row per visible record, drawn with the line API (Toolong's LogLines).

Only the rows on screen are rendered; each rendered row sits in an ``LRUCache`` keyed by row
number, so a file of a million records scrolls as fast as one of ten. The rows come from a
``row_text(row) -> Text`` callback (the main screen owns the records and the channel filter);
the list knows nothing of MARC.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tui.ui import actions
from tui.ui.i18n import _
from tui.ui.widgets.pane_chrome import COMPONENT_CLASSES as CHROME_CLASSES
from tui.ui.widgets.pane_chrome import PANE_CSS, PaneChrome, chrome_css

RowText = Callable[[int], Text]


class RecordList(PaneChrome, ScrollView, can_focus=True):
    """Rows of records; ``cursor`` is the highlighted row."""

    BINDINGS = actions.bindings("nav") + actions.bindings("pane", ids=("open-record",))

    COMPONENT_CLASSES = {
        "record-list--cursor",
        "record-list--cursor-blurred",
        "record-list--empty",
    } | CHROME_CLASSES

    DEFAULT_CSS = (
        """
    RecordList {
        background: $surface;"""
        + PANE_CSS
        + """
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
        + chrome_css("RecordList")
    )

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to ``row``."""

        def __init__(self, record_list: RecordList, row: int) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    class Opened(Message):
        """Enter on ``row``: show it and move into the views."""

        def __init__(self, record_list: RecordList, row: int) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    def __init__(
        self,
        row_text: RowText,
        *,
        empty_text: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        on_highlight: Callable[[int], None] | None = None,
    ) -> None:
        """``on_highlight(row)``, if given, is called as the cursor moves, instead of posting
        ``Highlighted``: the owner shows the row's record in the same handler, so that one frame
        draws the cursor and the record (moving to another record must take under 16 ms)."""
        super().__init__(name=name, id=id, classes=classes)
        self._on_highlight = on_highlight
        self._row_text = row_text
        self._count = 0
        self._cache: LRUCache[int, Text] = LRUCache(2048)
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._base: Style | None = None
        self.empty_text = _("No records") if empty_text is None else empty_text

    # -- data --------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int, *, keep_cache: bool = True) -> None:
        """The number of rows changed (indexing went on, or the filter changed)."""
        old = self._count
        if not keep_cache:
            self._cache.clear()
            self._line_cache.clear()
        self._count = count
        size = Size(self.size.width or 1, self.framed_height(count))
        height = self.inner_height
        if height and self.virtual_size.height > self.size.height and count > height:
            # the list is at its greatest height already: no layout of the screen, only the
            # scrollbar (indexing reports every quarter second while a large file is read)
            thumb = self.thumb()
            self.set_reactive(Widget.virtual_size, size)
            if self.thumb() != thumb:
                self.refresh_inner_rows()
        else:
            self.virtual_size = size
        if self.cursor >= count and count:
            self.cursor = count - 1
        top = self.scroll_offset.y
        if not keep_cache or min(old, count) < top + height or not height:
            self.refresh_inner_rows()
        # else: the rows on screen are as they were (the indexing worker reports more rows four
        # times a second while a large file is read; only the scrollbar changes)

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
        self.forget_chrome()

    def on_resize(self) -> None:
        self._line_cache.clear()
        self.virtual_size = Size(self.size.width, self.framed_height(self._count))

    def render_row(self, y: int, width: int, cell: str = "") -> Strip:
        row = self.scroll_offset.y + y
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
        if self._on_highlight is not None:
            # at once, in this handler: the record shown changes in the same frame as the cursor
            self._on_highlight(new)
        else:
            self.post_message(self.Highlighted(self, new))

    def _refresh_row_region(self, row: int) -> None:
        self.refresh_inner_rows(row - self.scroll_offset.y, 1)

    def scroll_to_row(self, row: int) -> None:
        height = self.inner_height or 1
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def on_focus(self) -> None:
        self._line_cache.clear()
        self.forget_chrome()
        self.refresh()

    def on_blur(self) -> None:
        self._line_cache.clear()
        self.forget_chrome()
        self.refresh()

    def _page(self) -> int:
        return max(1, self.inner_height - 1)

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
        if self.bar_click(event):
            return
        at = self.inner_point(event)
        if at is None:
            return
        row = at[1] + self.scroll_offset.y
        if 0 <= row < self._count:
            self.cursor = row
            if getattr(event, "chain", 1) >= 2:
                self.post_message(self.Opened(self, row))
