"""What the cursor is on, and why it may not be changed (EPL-PROTECT, CHN-READONLY, ...).

Two lines above the status line. For protected data it gives the rule id, the sentence and the
Swedish label (``RO`` reads without colour); otherwise where the line is in the record.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.core.model.textsafe import visible


class ReasonBar(Static):
    DEFAULT_CSS = """
    ReasonBar {
        height: 2;
        background: $boost;
        color: $text-muted;
        padding: 0 1;
    }
    ReasonBar.-protected {
        color: $foreground;
        background: $warning 15%;
    }
    """

    def show_protection(self, where: str, protection) -> None:
        t = Text(overflow="ellipsis")
        t.append("RO ", "bold")
        t.append(f"{protection.rule}", "bold")
        t.append(f"  {visible(where)}: ")
        t.append(visible(protection.reason))
        if getattr(protection, "label_sv", ""):
            t.append(f" [{visible(protection.label_sv)}]", "italic")
        self._show(t, True)

    def show_info(self, text: str | Text) -> None:
        t = text if isinstance(text, Text) else Text(visible(text), overflow="ellipsis")
        self._show(t, False)

    def _show(self, t: Text, protected: bool) -> None:
        key = (t.plain, tuple(t.spans), protected)
        if key == getattr(self, "_shown", None):
            return
        self._shown = key
        self.set_class(protected, "-protected")
        # two rows, always: no layout of the screen (moving between records never relayouts the screen)
        self.update(t, layout=False)
