"""The MARC view: one field a line in the seed's notation, with a cursor over the parts of a line
(indicators, then each subfield) so that one subfield or the indicators can be edited."""

from __future__ import annotations

from tui.ui import actions
from tui.ui.widgets.line_view import LineView


class MarcView(LineView):
    BINDINGS = actions.bindings("pane", ids=("previous-part", "next-part"))

    def action_next_part(self) -> None:
        line = self.current
        if line is None or not line.parts:
            return
        if self.part is None:
            self.part = 1 if len(line.parts) > 1 else 0
        elif self.part < len(line.parts) - 1:
            self.part += 1

    def action_previous_part(self) -> None:
        line = self.current
        if line is None or not line.parts or self.part is None:
            return
        if self.part > 0:
            self.part -= 1
        else:
            self.part = None
