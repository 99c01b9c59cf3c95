"""The footer: Textual's, with each key's title in the interface's language.

The bindings are made when the modules are imported, before the language is known
(``tui.ui.actions`` marks their titles with ``N_``): the titles are translated here, where they
are shown.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from tui.ui.i18n import _


class Footer(TextualFooter):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description)
            yield widget
