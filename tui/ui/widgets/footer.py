"""The footer: Textual's, with each key's title in the interface's language, and only the key
hints that fit whole.

The bindings are made when the modules are imported, before the language is known
(``tui.ui.actions`` marks their titles with ``N_``): the titles are translated here, where they
are shown. The hints come in the order of ``tui.ui.actions`` (help and quit first); on a narrow
terminal the ones that would not fit whole beside the command palette's key are left out (and
come back when the terminal is wider), never cut in the middle.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from tui.ui.i18n import _


def hint_width(key: FooterKey, compact: bool) -> int:
    """Cells a key hint takes in the footer, its right margin included."""
    pad = 0 if compact else 2
    width = cell_len(key.key_display) + pad
    if key.description:
        width += cell_len(key.description) + (1 if compact else 2)
    return width + 1


class Footer(TextualFooter):
    _composed_width = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        for w in widgets:
            if isinstance(w, FooterKey):
                w.description = _(w.description)
        width = self.size.width or self.app.size.width
        self._composed_width = width
        keys = [w for w in widgets if isinstance(w, FooterKey)]
        if len(keys) != len(widgets) or not width:  # binding groups (none of ours): as Textual lays them out
            yield from widgets
            return
        palette = [k for k in keys if k.has_class("-command-palette")]
        room = width - sum(hint_width(k, self.compact) for k in palette)
        for k in keys:
            if k in palette:
                continue
            need = hint_width(k, self.compact) - 1  # the last hint's margin may fall off the edge
            if need > room:
                break
            room -= need + 1
            yield k
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
