"""Strips that do not keep themselves alive (Textual 8.2.8: no cyclic garbage per drawn row, so memory stays flat and moves stay fast).

Textual's ``Strip`` keeps the results of its operations in caches on the strip. Three of them
store the strip *itself* when the operation changes nothing: ``divide`` at its own length (the
compositor divides every row it draws, and most rows are one piece), ``adjust_cell_length`` to
its own length and ``crop_extend`` to its own span. A strip that refers to itself is freed only
by the cyclic garbage collector, so every row ever drawn stays in memory until a collection finds
it: some 900 objects a move in this app, 180,000 in 200 moves, which made the young collections
slow (5 ms, every fourth move) and the heap grow while a key was held (full collections wait for
a pause: ``LibrisApp.tune_gc``).

``install()`` wraps the three so that the do-nothing case returns the strip without caching it
(the cache saves nothing there); every other case is Textual's own code. Results are the same
strips Textual returns. ``tests/functional/test_frames.py`` checks both.
"""

from __future__ import annotations

from textual.strip import Strip

_installed = False


def install() -> None:
    """Wrap ``Strip.divide``, ``Strip.adjust_cell_length`` and ``Strip.crop_extend`` (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    divide = Strip.divide
    adjust_cell_length = Strip.adjust_cell_length
    crop_extend = Strip.crop_extend

    def divide_(self: Strip, cuts):
        cuts = list(cuts)
        length = self.cell_length
        if [cut for cut in cuts if cut <= length] == [length]:
            return [self]
        return divide(self, cuts)

    def adjust_cell_length_(self: Strip, cell_length: int, style=None) -> Strip:
        if cell_length == self.cell_length:
            return self
        return adjust_cell_length(self, cell_length, style)

    def crop_extend_(self: Strip, start: int, end: int, style) -> Strip:
        if start <= 0 and end == self.cell_length:
            return self
        return crop_extend(self, start, end, style)

    divide_.__doc__, adjust_cell_length_.__doc__, crop_extend_.__doc__ = (
        divide.__doc__,
        adjust_cell_length.__doc__,
        crop_extend.__doc__,
    )
    Strip.divide = divide_  # type: ignore[method-assign]
    Strip.adjust_cell_length = adjust_cell_length_  # type: ignore[method-assign]
    Strip.crop_extend = crop_extend_  # type: ignore[method-assign]
