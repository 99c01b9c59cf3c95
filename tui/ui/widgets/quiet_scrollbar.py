"""Scrollbars that are repainted only when the thumb they draw moves.

Textual repaints a widget's vertical scrollbar whenever its virtual size or scroll position is
set, and a scrollbar is drawn through a Rich renderable: about a millisecond for a bar the height
of a view. Moving to the next record sets both (a record list of a million rows scrolls by one
row; the next record has a few rows more or less), yet the thumb mostly stays where it was, to
the eighth of a cell it is drawn at. ``QuietScrollbars`` keeps the scrollbar's values up to date
and repaints it only when the thumb it would draw differs (issue 6: under 16 ms a move); and its
scrollbar keeps what it drew for the last few thumbs, since records of a file come in a few
lengths.
"""

from __future__ import annotations

from math import ceil

from textual.cache import LRUCache
from textual.geometry import Size
from textual.scrollbar import ScrollBar

_EIGHTHS = 8  # ScrollBarRender draws the ends of the thumb in eighths of a cell


def thumb(size: int, virtual_size: float, window_size: float, position: float) -> tuple[int, int] | None:
    """Where ``ScrollBarRender.render_bar`` puts the thumb, in eighths of a cell (or None)."""
    window = window_size if window_size < virtual_size else 0
    virtual, window = ceil(virtual_size), ceil(window)
    if not (window and size and virtual and size != virtual):
        return None
    ratio = virtual / size
    thumb_size = max(1, window / ratio)
    start = int((size - thumb_size) * (position / (virtual - window)) * _EIGHTHS)
    return max(0, start), max(0, start + ceil(thumb_size * _EIGHTHS))


def set_quietly(bar: ScrollBar, *, virtual_size: float | None = None, window_size: float | None = None,
                position: float | None = None) -> None:
    """Set a vertical scrollbar's values; repaint it only if its thumb moves or changes size."""
    size = bar.size.height
    before = thumb(size, bar.window_virtual_size, bar.window_size, bar.position)
    if virtual_size is not None:
        bar.set_reactive(ScrollBar.window_virtual_size, virtual_size)
    if window_size is not None:
        bar.set_reactive(ScrollBar.window_size, window_size)
    if position is not None:
        bar.set_reactive(ScrollBar.position, bar.validate_position(position))
    if thumb(size, bar.window_virtual_size, bar.window_size, bar.position) != before:
        bar.refresh()


class CachedScrollBar(ScrollBar):
    """A ScrollBar that draws a thumb it has drawn before from a cache."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._drawn: LRUCache[tuple, object] = LRUCache(32)

    def _render_content(self) -> None:
        try:
            r = self.render()
            key = (self.size, getattr(r, "virtual_size", None), getattr(r, "window_size", None),
                   getattr(r, "position", None), getattr(r, "thickness", None), getattr(r, "vertical", None),
                   getattr(r, "style", None), self.visual_style)
            hash(key)
        except Exception:  # pragma: no cover - a Textual without these: draw as Textual does
            super()._render_content()
            return
        drawn = self._drawn.get(key)
        if drawn is None:
            super()._render_content()
            self._drawn[key] = self._render_cache
        else:
            self._render_cache = drawn
            self._dirty_regions.clear()


class QuietScrollbars:
    """Mixin for a vertically scrolling widget (no horizontal scrollbar) using ``set_quietly``."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:  # Textual's, with a CachedScrollBar
        bar = self._vertical_scrollbar  # type: ignore[attr-defined]
        if bar is None:
            bar = self._vertical_scrollbar = CachedScrollBar(  # type: ignore[attr-defined]
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical)  # type: ignore[attr-defined]
            bar.display = False
            self.app._start_widget(self, bar)  # type: ignore[attr-defined]
        return bar

    def _scroll_update(self, virtual_size: Size) -> None:  # Textual's, without the forced repaint
        if self.show_horizontal_scrollbar:  # type: ignore[attr-defined]
            super()._scroll_update(virtual_size)  # type: ignore[misc]
            return
        self._refresh_scrollbars()  # type: ignore[attr-defined]
        _width, height = self.container_size  # type: ignore[attr-defined]
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:  # type: ignore[attr-defined]
            set_quietly(self.vertical_scrollbar, virtual_size=virtual_size.height,  # type: ignore[attr-defined]
                        window_size=height - self.scrollbar_size_horizontal)  # type: ignore[attr-defined]
        self.scroll_x = self.validate_scroll_x(self.scroll_x)  # type: ignore[attr-defined]
        self.scroll_y = self.validate_scroll_y(self.scroll_y)  # type: ignore[attr-defined]

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if self.show_vertical_scrollbar:  # type: ignore[attr-defined]
            set_quietly(self.vertical_scrollbar, position=new_value)  # type: ignore[attr-defined]
        if self._anchored and self._anchor_released:  # type: ignore[attr-defined]
            self._check_anchor()  # type: ignore[attr-defined]
        if round(old_value) != round(new_value):
            self._refresh_scroll()  # type: ignore[attr-defined]
