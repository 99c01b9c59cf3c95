"""The status line: file, record n of N, hidden channel records, sigel, profile, unsaved changes.

Built as ``rich.text.Text`` (a file name is data too: ``[x].mrc`` must not be read as markup).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from ...core.textsafe import visible


@dataclass
class Status:
    file: str = ""
    position: int = 0  # 1-based among the rows shown, 0 for none
    shown: int = 0
    total: int = 0
    hidden_channels: int = 0
    channels_shown: bool = False
    channel_key: str = ""
    sigel: str = ""
    profile: str = "full"
    unsaved: int = 0
    indexing: bool = False
    language: str = "sv"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    StatusLine.-unsaved {
        background: $warning 30%;
    }
    """

    def show(self, st: Status) -> None:
        self._status = st
        self.set_class(bool(st.unsaved), "-unsaved")
        self.update(self._text(st, compact=self.size.width and self.size.width < 110))

    def on_resize(self) -> None:
        if getattr(self, "_status", None) is not None:
            self.update(self._text(self._status, compact=self.size.width < 110))

    @staticmethod
    def _text(st: Status, compact: bool) -> Text:
        sep = (" │ " if compact else "  │  ", "dim")
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(visible(st.file), "bold")
        t.append(*sep)
        if st.shown:
            t.append(f"{st.position}/{st.shown}" if compact else f"record {st.position} of {st.shown}")
        else:
            t.append("no records shown")
        if st.indexing:
            t.append(" (indexing…)", "italic")
        if st.hidden_channels and not st.channels_shown:
            n = st.hidden_channels
            t.append(f" +{n} channel hidden" if compact else
                     f", {n} channel record{'s' if n != 1 else ''} hidden")
            if st.channel_key:
                t.append(f" ({st.channel_key})" if compact else f" ({st.channel_key} shows)", "dim")
        elif st.channels_shown and st.hidden_channels:
            t.append(" +channel" if compact else ", channel records shown")
        t.append(*sep)
        t.append(f"{visible(st.sigel) if st.sigel else '–'}" if compact else
                 f"sigel {visible(st.sigel) if st.sigel else '(not set)'}")
        t.append(*sep)
        t.append(st.profile if compact else f"{st.profile} participation")
        t.append(*sep)
        t.append(st.language if compact else f"labels {st.language}")
        t.append(*sep)
        if st.unsaved:
            t.append(f"UNSAVED {st.unsaved}" if compact else
                     f"UNSAVED: {st.unsaved} record{'s' if st.unsaved != 1 else ''} changed", "bold")
        else:
            t.append("saved" if compact else "no unsaved changes")
        return t
