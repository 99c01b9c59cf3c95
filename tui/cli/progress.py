"""Progress of batch work on the terminal: ``with progress_for("validate", path) as p: work(progress=p)``.

A ``Progress`` is the ``progress(done, total)`` callback the core takes (``build_index``,
``scan_source``, ``validate_source``, ...). It draws one line on stderr, redrawn in place at most
a few times a second and erased when the work is done, so that the output of the command
(stdout, or stderr messages after it) is never mixed with it:

    libris-tui validate: big.mrc  42%  401 of 950 MB  12 s left

It draws nothing unless stderr is a terminal, and nothing when ``CI`` is set (to anything but
``false``/``0``) or ``LIBRIS_TUI_PROGRESS=0``: logs, pipes and CI runs stay clean. File names
pass through ``textsafe.visible`` (they come from outside, like record text).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from tui.core.model.textsafe import visible

#: seconds between redraws
INTERVAL = 0.2
#: no line at all for work that is over this quickly
DELAY = 0.5


def wanted(stream: TextIO | None = None) -> bool:
    """Should progress be drawn on ``stream`` (stderr by default)?"""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("LIBRIS_TUI_PROGRESS", "").strip() == "0":
        return False
    ci = os.environ.get("CI", "").strip().lower()
    if ci and ci not in ("0", "false", "no"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """A ``progress(done, total)`` callback that draws a progress line (see the module)."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        unit: str = "bytes",
        clock=time.monotonic,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.label = visible(label)
        self.unit = unit
        self.clock = clock
        self.started = clock()
        self.last = 0.0
        self.drawn = False
        self.done = 0
        self.total = 0
        #: ``stage`` text shown after the label ("indexing", "checking" ...)
        self.stage = ""

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < DELAY or (now - self.last < INTERVAL and done < total):
            return
        self.last = now
        self._draw(self.line(now))

    def set_stage(self, stage: str) -> None:
        self.stage = stage

    def line(self, now: float | None = None) -> str:
        """The text of the progress line for the current state."""
        now = self.clock() if now is None else now
        done, total = self.done, self.total
        parts = [self.label + (f" ({self.stage})" if self.stage else "")]
        if total > 0:
            frac = min(1.0, max(0.0, done / total))
            parts.append(f"{frac * 100:3.0f}%")
            parts.append(self._amount(done, total))
            elapsed = now - self.started
            if 0.02 < frac < 1.0 and elapsed > 1.0:
                left = elapsed * (1 - frac) / frac
                parts.append(f"{left:.0f} s left" if left < 120 else f"{left / 60:.0f} min left")
        return "  ".join(parts)

    def _amount(self, done: int, total: int) -> str:
        if self.unit == "bytes":
            if total >= 10 << 20:
                return f"{done / 2**20:,.0f} of {total / 2**20:,.0f} MB"
            return f"{done / 1024:,.0f} of {total / 1024:,.0f} kB"
        return f"{done:,} of {total:,} {self.unit}"

    def _draw(self, text: str) -> None:
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            width = 0
        text = text[: max(20, width - 1) if width > 0 else 100]
        try:
            self.stream.write("\r" + text + "\x1b[K")
            self.stream.flush()
            self.drawn = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        """Erase the line (the command's own output follows on a clean line)."""
        if self.drawn:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_for(command: str, path: str, stream: TextIO | None = None, **kwargs) -> Progress:
    """The progress line of ``libris-tui COMMAND`` working on ``path``."""
    return Progress(f"libris-tui {command}: {os.path.basename(path) or path}", stream, **kwargs)


__all__ = ["Progress", "progress_for", "wanted", "INTERVAL", "DELAY"]
