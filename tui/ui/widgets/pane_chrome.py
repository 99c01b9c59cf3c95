"""The frame and scrollbar of a line-API pane, drawn by the pane itself.

The record list and both views look like bordered Textual panes (a rounded frame, the title at
the top left, a subtitle at the bottom right, the frame in the accent colour when focused, a
scrollbar at the right), but draw all of it in ``render_line`` instead of leaving it to Textual:

* Textual puts a CSS border around every row it draws, each frame (joins, styles, cuts), and gives
  a scrolling widget a scrollbar *widget* that is drawn again whenever the widget's height or
  position changes, and comes and goes (a layout of the whole screen) when a record needs it and
  the last did not. Moving to another record redraws most rows of three panes: the border and the
  scrollbars were 4-6 ms of every move on the machine we measure on (a move has 16 ms).
* Here each row's framed strip is made once and kept (``LRUCache``), the two frame rows are kept
  per width, title and focus, and the scrollbar is one more cached cell on each row. The bar's
  column is always kept, so text never re-wraps when a record needs the bar.

Scrolling stays Textual's (``scroll_to``, ``scroll_offset``, the mouse wheel); the widget has
``overflow: hidden`` so that Textual makes no scrollbar, ``allow_vertical_scroll`` lets the wheel
scroll it anyway, and a click in the bar's column jumps there (``bar_click``). The virtual height
counts the two frame rows (``framed_height``), so Textual's scroll limits come out right.
Scrolling repaints the rows inside the frame only, with no layout of the screen.

Everything reads without colour: the frame is box drawing, the thumb a full block, the track
blank (a shade where there is colour).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip

from tui.core.model.textsafe import visible
from tui.ui.safe import safe

#: the scrollbar's column (always kept: text is laid out one cell narrower)
BAR = 1
THUMB, TRACK = "█", " "
#: rows (top and bottom) and columns (left and right) the frame takes
FRAME = 1

COMPONENT_CLASSES = {
    "pane--frame",
    "pane--frame-focus",
    "pane--title",
    "pane--subtitle",
    "pane--thumb",
    "pane--track",
}

PANE_CSS = """
    border: none;
    padding: 0;
    overflow-x: hidden;
    overflow-y: hidden;
    scrollbar-size-vertical: 0;
"""


def chrome_css(widget: str) -> str:
    """Default styles of the frame and bar of widget type ``widget`` (for its DEFAULT_CSS)."""
    return f"""
    {widget} > .pane--frame {{
        color: $panel-lighten-2;
    }}
    {widget} > .pane--frame-focus {{
        color: $accent;
    }}
    {widget} > .pane--title {{
        color: $foreground;
        text-style: bold;
    }}
    {widget} > .pane--subtitle {{
        color: $text-muted;
    }}
    {widget} > .pane--thumb {{
        color: $scrollbar;
    }}
    {widget} > .pane--track {{
        background: $scrollbar-background;
    }}
    """


def thumb_rows(height: int, virtual: int, offset: int) -> tuple[int, int] | None:
    """Rows ``[start, end)`` of the thumb in a bar ``height`` rows high over ``virtual`` rows
    scrolled by ``offset``; None when everything fits (no bar)."""
    if height <= 0 or virtual <= height:
        return None
    size = max(1, min(height, round(height * height / virtual)))
    span = virtual - height
    start = round((height - size) * min(max(offset, 0), span) / span)
    return start, start + size


class PaneChrome:
    """Mixin for a line-API ``ScrollView`` that draws its own frame, titles and scrollbar.

    The widget implements ``render_row(y, width, cell)``: row ``y`` of the area inside the frame,
    ``width`` cells wide (``cell``: the bar's cell beside it). It keeps its virtual height at ``framed_height(rows)``, uses
    ``inner_height`` / ``inner_width`` for its own arithmetic and ``inner_point(event)`` for
    mouse positions, and sets its titles with ``set_titles``.
    """

    def _chrome(self) -> dict:
        chrome = self.__dict__.get("_pane_chrome")
        if chrome is None:
            chrome = self.__dict__["_pane_chrome"] = {
                "title": "",
                "subtitle": "",
                "styles": None,
                "edges": {},  # (which, width, focus) -> Strip
                "rows": LRUCache(256),  # id(strip) -> (strip, cell, focus, framed)
            }
        return chrome

    # -- geometry ---------------------------------------------------------------------------
    @property
    def inner_height(self) -> int:
        return max(0, self.outer_size.height - 2 * FRAME)  # type: ignore[attr-defined]

    @property
    def inner_width(self) -> int:
        return max(0, self.outer_size.width - 2 * FRAME - BAR)  # type: ignore[attr-defined]

    @staticmethod
    def framed_height(rows: int) -> int:
        """The virtual height of ``rows`` rows inside the frame."""
        return rows + 2 * FRAME

    def inner_point(self, event) -> tuple[int, int] | None:
        """A mouse event's (x, y) inside the frame, or None on the frame or the bar."""
        x, y = event.x - FRAME, event.y - FRAME
        if 0 <= x < self.inner_width and 0 <= y < self.inner_height:
            return x, y
        return None

    def refresh_inner_rows(self, first: int = 0, count: int | None = None) -> None:
        """Repaint rows ``first``.. inside the frame (all of them by default), not the frame."""
        height = self.inner_height
        count = height - first if count is None else count
        if count > 0 and 0 <= first < height:
            self.refresh(Region(0, FRAME + first, self.outer_size.width, min(count, height - first)))  # type: ignore[attr-defined]

    # -- titles ---------------------------------------------------------------------------------
    def set_titles(self, title: str | None = None, subtitle: str | None = None) -> None:
        """The frame's title (top left) and subtitle (bottom right); only a changed one is drawn.
        Titles may quote record data: shown safely (``tui.ui.safe``)."""
        title = None if title is None else safe(title)
        subtitle = None if subtitle is None else safe(subtitle)
        chrome = self._chrome()
        width, height = self.outer_size  # type: ignore[attr-defined]
        if title is not None and title != chrome["title"]:
            chrome["title"] = title
            if height:
                self.refresh(Region(0, 0, width, 1))  # type: ignore[attr-defined]
        if subtitle is not None and subtitle != chrome["subtitle"]:
            chrome["subtitle"] = subtitle
            if height:
                self.refresh(Region(0, height - 1, width, 1))  # type: ignore[attr-defined]

    @property
    def pane_title(self) -> str:
        return self._chrome()["title"]

    @property
    def pane_subtitle(self) -> str:
        return self._chrome()["subtitle"]

    # -- styles ------------------------------------------------------------------------------
    def _chrome_styles(self) -> dict[str, Style]:
        chrome = self._chrome()
        styles = chrome["styles"]
        if styles is None:
            base = self.rich_style  # type: ignore[attr-defined]
            get = self.get_component_rich_style  # type: ignore[attr-defined]
            styles = {
                name: base + get(f"pane--{name}", partial=True)
                for name in ("frame", "frame-focus", "title", "subtitle", "thumb", "track")
            }
            styles["base"] = base
            chrome["styles"] = styles
        return styles

    def forget_chrome(self) -> None:
        """Styles or focus changed: the frame is made again (call from notify_style_update,
        on_focus, on_blur)."""
        chrome = self._chrome()
        chrome["styles"] = None
        chrome["edges"] = {}
        chrome["rows"] = LRUCache(256)

    # -- the scrollbar ------------------------------------------------------------------------
    @property
    def allow_vertical_scroll(self) -> bool:  # Textual's asks for a Textual scrollbar
        if self._check_disabled():  # type: ignore[attr-defined]
            return False
        return self.max_scroll_y > 0  # type: ignore[attr-defined]

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:  # ScrollView's, no bar widget
        if round(old_value) != round(new_value):
            self.refresh_inner_rows()

    def thumb(self) -> tuple[int, int] | None:
        return thumb_rows(
            self.inner_height,
            self.virtual_size.height - 2 * FRAME,  # type: ignore[attr-defined]
            self.scroll_offset.y,
        )  # type: ignore[attr-defined]

    def bar_cell(self, y: int, thumb: tuple[int, int] | None | bool = False) -> str:
        """``THUMB``, ``TRACK`` or ``""`` (no bar) on inner row ``y`` (``thumb``: ``thumb()``)."""
        t = self.thumb() if thumb is False else thumb
        if t is None:
            return ""
        return THUMB if t[0] <= y < t[1] else TRACK

    def bar_click(self, event) -> bool:
        """A click in the bar's column scrolls there (True: it was in the bar)."""
        if event.x != self.outer_size.width - FRAME - BAR or self.thumb() is None:  # type: ignore[attr-defined]
            return False
        height = self.inner_height
        y = min(max(event.y - FRAME, 0), height - 1)
        self.scroll_to(
            y=round(self.max_scroll_y * y / max(1, height - 1)),  # type: ignore[attr-defined]
            animate=False,
            immediate=True,
        )
        return True

    # -- drawing ------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual's, without its per-row styling pass where the pane needs none.

        Textual passes every row of a widget through its styles cache (borders, padding, tint,
        opacity, hatch), making new strips each frame. A pane's rows are complete (frame and
        background drawn, kept from frame to frame), so they only get Textual's line filters
        (NO_COLOR, ANSI colours: ``App.get_line_filters``), which keep their results on the
        strip. Should a theme give a pane padding, a border, tint or opacity, Textual's way is used.
        """
        styles = self.styles  # type: ignore[attr-defined]
        if (
            any(styles.gutter)
            or any(styles.outline.spacing)
            or styles.tint.a
            or styles.opacity != 1.0
            or styles.text_opacity != 1.0
            or (styles.has_rule("hatch") and styles.hatch != "none")
        ):
            self._styles_cache.clear()  # type: ignore[attr-defined]
            return super().render_lines(crop)  # type: ignore[misc]
        render_line = self.render_line
        strips = [render_line(y) for y in crop.line_range]
        filters = self.app.get_line_filters()  # type: ignore[attr-defined]
        if filters:
            background = self.background_colors[1]  # type: ignore[attr-defined]
            for line_filter in filters:
                strips = [strip.apply_filter(line_filter, background) for strip in strips]
        x1, x2 = crop.column_span
        if (x1, x2) != (0, self.outer_size.width):  # type: ignore[attr-defined]
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        # (outer_size, not size: the pane has no border or padding of Textual's, and size looks the
        # widget up in the compositor each time, a few microseconds a row)
        width, height = self.outer_size  # type: ignore[attr-defined]
        focus = self.has_focus  # type: ignore[attr-defined]
        if y == 0:
            return self._edge("top", width, focus)
        if y == height - 1:
            return self._edge("bottom", width, focus)
        inner = y - FRAME
        thumb = thumb_rows(
            height - 2 * FRAME,
            self.virtual_size.height - 2 * FRAME,  # type: ignore[attr-defined]
            self.scroll_offset.y,
        )  # type: ignore[attr-defined]
        cell = "" if thumb is None else THUMB if thumb[0] <= inner < thumb[1] else TRACK
        return self.framed(self.render_row(inner, width - 2 * FRAME - BAR, cell), cell, focus)

    def render_row(self, y: int, width: int, cell: str) -> Strip:  # pragma: no cover - the widget's
        """Row ``y`` inside the frame, ``width`` cells (``cell``: what the bar has beside it)."""
        raise NotImplementedError

    def framed(self, strip: Strip, cell: str, focus: bool) -> Strip:
        """``strip`` between the frame's sides, the bar's ``cell`` before the right side."""
        rows = self._chrome()["rows"]
        key = id(strip)
        hit = rows.get(key)
        if hit is not None and hit[0] is strip and hit[1] == cell and hit[2] == focus:
            return hit[3]
        st = self._chrome_styles()
        side = Segment("│", st["frame-focus" if focus else "frame"])
        bar = (
            Segment(THUMB, st["thumb"])
            if cell == THUMB
            else Segment(" ", st["track"])
            if cell == TRACK
            else Segment(" ", st["base"])
        )
        framed = Strip([side, *strip, bar, side], strip.cell_length + 2 * FRAME + BAR)
        rows[key] = (strip, cell, focus, framed)
        return framed

    def _edge(self, which: str, width: int, focus: bool) -> Strip:
        chrome = self._chrome()
        key = (which, width, focus, chrome["title"], chrome["subtitle"])
        strip = chrome["edges"].get(key)
        if strip is None:
            strip = chrome["edges"][key] = self._make_edge(which, width, focus)
        return strip

    def _make_edge(self, which: str, width: int, focus: bool) -> Strip:
        st = self._chrome_styles()
        frame = st["frame-focus" if focus else "frame"]
        left, right = ("╭", "╮") if which == "top" else ("╰", "╯")
        if width < 2:
            return Strip([Segment(left[:width], frame)], width)
        label = visible(self._chrome()["title" if which == "top" else "subtitle"])
        room = width - 6  # corner, rule and a space each side
        segs = [Segment(left, frame)]
        if label and room > 0:
            text = Text(label, no_wrap=True, overflow="ellipsis")
            text.truncate(room, overflow="ellipsis")
            lab = text.plain
            used = cell_len(lab) + 4
            fill = "─" * (width - 2 - used)
            lab_style = st["title" if which == "top" else "subtitle"]
            if which == "top":
                segs += [Segment("─ ", frame), Segment(lab, lab_style), Segment(" " + fill + "─", frame)]
            else:
                segs += [Segment(fill + "─ ", frame), Segment(lab, lab_style), Segment(" ─", frame)]
        else:
            segs.append(Segment("─" * (width - 2), frame))
        segs.append(Segment(right, frame))
        return Strip(segs, width)


__all__ = ["BAR", "FRAME", "THUMB", "TRACK", "COMPONENT_CLASSES", "PANE_CSS", "PaneChrome", "chrome_css", "thumb_rows"]
