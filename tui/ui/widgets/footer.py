"""The footer: only whole key hints.

Textual's footer lays its keys out in a row and draws what does not fit under the command
palette's key (docked at the right), so at 80 columns a hint is cut (``hHoldi``) and a stray
letter of the next one shows after ``^p Commands``. This one shows a key's hint only when all of
it fits: the keys come in their order (``tui.ui.actions``: help and quit first), one that does not
fit is left out and a later, shorter one may still take the room; the palette's key stays.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class FittingFooter(Footer):
    def on_resize(self) -> None:
        self.fit()

    def on_mount(self) -> None:
        super().on_mount()
        self.fit()

    async def recompose(self) -> None:
        await super().recompose()
        self.fit()

    def fit(self) -> None:
        """Show the keys that fit whole beside the palette's key; hide the others."""
        width = self.size.width
        if not width:
            return
        keys = [w for w in self.children if isinstance(w, FooterKey)]
        palette = [w for w in keys if w.has_class("-command-palette")]
        room = width - sum(_width(w) + w.styles.margin.width for w in palette)
        used = 0
        for w in keys:
            if w in palette:
                continue
            margin = w.styles.margin
            need = margin.left + _width(w)
            fits = used + need <= room
            if fits:
                used += need + margin.right
            if w.display != fits:
                w.display = fits


def _width(key: FooterKey) -> int:
    """The cells a key takes: its text, its padding and border (its margins are the footer's)."""
    return cell_len(key.render().plain) + key.styles.gutter.width
