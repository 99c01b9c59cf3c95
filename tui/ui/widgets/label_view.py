"""The label view: the record as Libris's cataloguing client shows it (sections, then
``Label / Label: value`` lines), from ``tui.core.views.labels``."""

from __future__ import annotations

from tui.ui.widgets.line_view import LineView


class LabelView(LineView):
    pass
