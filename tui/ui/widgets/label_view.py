"""The label view: the record as Libris's cataloguing client shows it (sections, then
``Label / Label: value`` lines), from ``tui.core.labels``."""

from __future__ import annotations

from .line_view import LineView


class LabelView(LineView):
    pass
