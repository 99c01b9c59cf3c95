"""Frame pacing for the main screen: a frame as soon as there is something to draw, at most one a
frame interval.

Textual draws a screen from a timer that runs while something is dirty. After a pause, that timer
waits for the next-but-one tick of its original schedule (its catch-up arithmetic skips one tick
too many), so a key pressed at the rate a held key repeats (about 30 a second) is drawn 17-33 ms
after its work is done, twice the work itself (moving to another record must take under 16 ms).
``FrameTimer`` ticks at once when the last frame is more than an interval ago, and otherwise at
the end of that interval; ``FRAME_RATE`` frames a second at most, only while there are changes.

One frame per move. Moving to another record touches several widgets: the list scrolls, both
views, the reason bar and the status line repaint. Each widget tells the screen by a message from
its own task, so a frame could start when only the first of them had (the list scrolling), and
the views came one frame interval later: 17-23 ms after the key instead of 8-10.
``take_pending_repaints`` lets each frame take along every widget with regions waiting to be
repainted, whether its message has reached the screen or not.

This module and ``widgets/pane_chrome.py`` are where the app relies on Textual's internals
(``Timer._run``, ``Screen._dirty_widgets``, ``Compositor.visible_widgets``,
``Widget._repaint_regions``): Textual is pinned exactly, and ``tests/functional/test_frames.py`` fails
if these change.
"""

from __future__ import annotations

from textual import _time
from textual.timer import EventTargetGone, Timer

#: at most this many frames a second (Textual's default is 60): moves that come faster than
#: 60 a second (a fast key repeat) are drawn one frame of 8 ms after their work, not 17
FRAME_RATE = 120


class FrameTimer(Timer):
    """A screen update timer: ``callback`` once per resume, no sooner than ``interval`` after the
    last time it ran."""

    async def _run(self) -> None:
        interval = self._interval
        last = _time.get_time() - interval
        while True:
            await self._active.wait()
            wait = last + interval - _time.get_time()
            if wait > 0:
                await _time.sleep(wait)
                await self._active.wait()
            self._reset = False
            last = _time.get_time()
            try:
                await self._tick(next_timer=last, count=0)
            except EventTargetGone:
                break


def take_pending_repaints(screen) -> None:
    """Put every widget on ``screen`` with regions waiting to be repainted into the frame about to
    be drawn (its own message to the screen, when it comes, then finds nothing left to do)."""
    dirty = screen._dirty_widgets
    for widget in screen._compositor.visible_widgets:
        if widget._repaint_regions:
            widget._repaint_required = False
            dirty.add(widget)


def frame_timer(screen, callback) -> Timer:
    """A started, paused ``FrameTimer`` for ``screen`` (which stops it with its other timers)."""
    timer = FrameTimer(screen, 1 / FRAME_RATE, name="screen_update", callback=callback, pause=True)
    timer._start()
    screen._timers.add(timer)
    return timer
