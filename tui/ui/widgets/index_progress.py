"""Indexing progress (Toolong's scan progress bar): fed by messages from the indexing worker."""

from __future__ import annotations

from textual.widgets import ProgressBar


class IndexProgress(ProgressBar):
    DEFAULT_CSS = """
    IndexProgress {
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $panel;
    }
    IndexProgress.-done {
        display: none;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(total=None, show_eta=False, **kwargs)

    def report(self, done: int, total: int) -> None:
        self.update(total=max(total, 1), progress=done)

    def finish(self) -> None:
        self.add_class("-done")
