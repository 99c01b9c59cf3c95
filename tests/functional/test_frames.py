"""How a move reaches the screen (moving to another record under 16 ms).

No timing is asserted here (benchmarks/run.py measures it). What is asserted is the shape that
makes a move fast: the record list, both views and the status line change in ONE frame (not the
list first and the views a frame interval later); the panes draw their own frame and scrollbar
(no Textual scrollbar widgets, no layout of the screen when a record is longer than the pane);
and the Textual internals the frame pacing relies on are still there (Textual is pinned).
"""

from __future__ import annotations

import textual
from functional_helpers import SAMPLES, build_app, main_screen, screen_text
from textual._compositor import CompositorUpdate
from textual.screen import Screen
from textual.widget import Widget

from tui.ui.frame_timer import FrameTimer, take_pending_repaints
from tui.ui.widgets.pane_chrome import THUMB, thumb_rows


class FrameLog:
    """Every frame Textual makes, with the ids of the widgets it paints."""

    def __init__(self, monkeypatch, app) -> None:
        self.frames: list[frozenset[str]] = []
        painted: set[str] = set()
        exchange = Widget._exchange_repaint_regions

        def exchange_repaint_regions(widget):
            regions = exchange(widget)
            if regions:
                painted.add(str(widget.id))
            return regions

        display = type(app)._display

        def _display(app_, screen, renderable):
            if isinstance(renderable, CompositorUpdate):
                self.frames.append(frozenset(painted))
            painted.clear()
            return display(app_, screen, renderable)

        monkeypatch.setattr(Widget, "_exchange_repaint_regions", exchange_repaint_regions)
        monkeypatch.setattr(type(app), "_display", _display)


async def test_a_move_is_drawn_in_one_frame(monkeypatch):
    app = build_app(SAMPLES / "mixed.mrc")
    log = FrameLog(monkeypatch, app)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert screen.records.count >= 3
        for key in ("n", "n", "p", "down"):
            before = screen.slot
            n = len(log.frames)
            await pilot.press(key)
            await pilot.pause()
            assert screen.slot != before
            moved = [f for f in log.frames[n:] if f & {"labels", "marc", "records"}]
            assert moved, f"{key}: no frame painted the move"
            # the first frame of the move has the list, both views and the status line in it
            assert {"records", "labels", "marc", "status"} <= moved[0], (key, moved)


async def test_panes_draw_their_frame_titles_and_scrollbar(monkeypatch):
    app = build_app(SAMPLES / "mixed.mrc")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        text = screen_text(app)
        assert "╭─ Records (" in text
        assert "╰─" in text and "─╯" in text
        # no Textual scrollbar widget: the panes draw their bar in the last column
        for pane in (screen.records, screen.labels, screen.marc):
            assert pane._vertical_scrollbar is None or not pane._vertical_scrollbar.display
        view = screen.labels if screen.labels.display else screen.marc
        if view.virtual_size.height - 2 > view.inner_height:
            rows = text.splitlines()
            assert any(THUMB in row for row in rows)
        # the mouse wheel still scrolls a pane whose rows do not fit
        if view.max_scroll_y:
            assert view.allow_vertical_scroll


def test_thumb_rows():
    assert thumb_rows(10, 10, 0) is None  # everything fits: no bar
    assert thumb_rows(10, 5, 0) is None
    assert thumb_rows(10, 20, 0) == (0, 5)
    assert thumb_rows(10, 20, 10) == (5, 10)  # at the end: the thumb at the bottom
    assert thumb_rows(10, 1_000_000, 0) == (0, 1)  # never thinner than a cell
    start, end = thumb_rows(10, 1_000_000, 999_990)
    assert end == 10 and end - start == 1


def test_the_textual_internals_frame_pacing_relies_on():
    """frame_timer.py and pane_chrome.py use these; a Textual upgrade must keep them (or both
    modules must change with it). Textual is pinned in pyproject.toml for this reason."""
    assert textual.__version__ == "8.2.8"
    assert hasattr(Screen, "_on_timer_update") and hasattr(Screen, "_refresh_layout")
    assert callable(FrameTimer._run)
    widget = Widget()
    for name in ("_repaint_regions", "_repaint_required", "_dirty_regions"):
        assert hasattr(widget, name), name
    assert isinstance(Widget.outer_size, property)
    assert callable(take_pending_repaints)


async def test_the_next_record_is_made_ready_while_the_keyboard_is_still():
    """After a record is drawn, the views break the next record into rows and draw its first
    screenful (``LineView.prepare``); moving there takes those rows instead of making them."""
    app = build_app(SAMPLES / "mixed.mrc")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause(0.2)  # the keyboard is still: the next record is prepared
        nxt = screen._slot_for_row(screen.records.cursor + 1)
        llines, mlines, _ = screen._view_cache[(nxt, app.session.generation, screen.language)]
        prepared = screen.marc._prepared
        assert prepared is not None and prepared[0] is mlines
        assert screen.labels._prepared is not None and screen.labels._prepared[0] is llines
        rows_made = prepared[2]
        assert len(rows_made)  # the first screenful, drawn
        await pilot.press("n")
        await pilot.pause()
        assert screen.slot == nxt and screen.marc.lines is mlines
        assert screen.marc._strips is rows_made  # taken, not made again
        text = screen_text(app)
        assert mlines[0].text.strip()[:20] in text


async def test_moving_between_records_leaves_no_cyclic_garbage():
    """Rows drawn and dropped are freed at once (``strip_cycles``; per-record caches are plain
    dicts): no strip waits for a garbage collection, which the app holds off while keys come."""
    import gc

    from textual.strip import Strip

    app = build_app(SAMPLES / "mixed.mrc")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        await pilot.press("n", "n", "p", "p")
        gc.collect()
        try:
            gc.set_debug(gc.DEBUG_SAVEALL)
            for key in ("n", "n", "n", "p", "p", "p", "n", "n"):
                await pilot.press(key)
                await pilot.pause()
            assert screen.slot is not None
            gc.collect()
            leaked = [o for o in gc.garbage if isinstance(o, Strip)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert leaked == []


def test_strips_that_change_nothing_do_not_keep_themselves():
    """``strip_cycles.install`` (done when the app is imported): same results as Textual's."""
    import gc

    from rich.segment import Segment
    from textual.strip import Strip

    import tui.ui.app  # noqa: F401  (installs)

    strip = Strip([Segment("abc"), Segment("def")], 6)
    assert strip.divide([6]) == [strip]
    assert [s.text for s in strip.divide([3, 6])] == ["abc", "def"]
    assert strip.adjust_cell_length(6) is strip and strip.adjust_cell_length(4).text == "abcd"
    assert strip.crop_extend(0, 6, None) is strip and strip.crop_extend(0, 8, None).text == "abcdef  "
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        s = Strip([Segment("xyz")], 3)
        s.divide([3]), s.adjust_cell_length(3), s.crop_extend(0, 3, None)
        del s
        gc.collect()
        assert not [o for o in gc.garbage if isinstance(o, Strip)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
