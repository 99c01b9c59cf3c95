"""The status line: file, record n of N, hidden channel records, sigel, profile, unsaved changes.

Built as ``rich.text.Text`` (a file name is data too: ``[x].mrc`` must not be read as markup)
and drawn with the line API from a cached strip: it changes on every move to another record, and
a one-row widget has no layout to redo, so a move stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.core.model.textsafe import visible
from tui.ui.i18n import N_, _, ngettext

#: the participation profiles as the status line names them (translated where shown)
PROFILE_NAMES = {"full": N_("full"), "limited": N_("limited")}


@dataclass
class Status:
    file: str = ""
    position: int = 0  # the record's number in the file (1-based), 0 for none
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


class StatusLine(Widget):
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

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._status: Status | None = None
        self._strip: Strip | None = None
        self._base: Style | None = None

    def show(self, st: Status) -> None:
        if st == self._status:
            return
        self._status = st
        self._strip = None
        self.set_class(bool(st.unsaved), "-unsaved")
        self.refresh()

    @property
    def text(self) -> Text:
        """What the line says (for tests), as drawn at the current width."""
        return self._text(self._status or Status(), compact=bool(self.size.width) and self.size.width < 110)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None
        self._base = None

    def on_resize(self) -> None:
        self._strip = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y or self._status is None:
            return Strip.blank(width, base)
        strip = self._strip
        if strip is None or strip.cell_length != width:
            text = self._text(self._status, compact=width < 110)
            text.truncate(width, overflow="ellipsis", pad=True)
            strip = Strip(_segments(text, base), width)
            self._strip = strip
        return strip

    @staticmethod
    def _text(st: Status, compact: bool) -> Text:
        sep = (" │ " if compact else "  │  ", "dim")
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(visible(st.file), "bold")
        t.append(*sep)
        if st.shown:
            t.append(
                f"{st.position}/{st.total}"
                if compact
                else _("record {position} of {total}").format(position=st.position, total=st.total)
            )
        else:
            t.append(_("no records shown"))
        if st.indexing:
            t.append(" " + _("(indexing…)"), "italic")
        if st.hidden_channels and not st.channels_shown:
            n = st.hidden_channels
            t.append(
                " " + ngettext("+{n} channel hidden", "+{n} channel hidden", n)
                if compact
                else ", " + ngettext("{n} channel record hidden", "{n} channel records hidden", n)
            )
            if st.channel_key:
                t.append(
                    f" ({st.channel_key})" if compact else " " + _("({key} shows)").format(key=st.channel_key), "dim"
                )
        elif st.channels_shown and st.hidden_channels:
            t.append(" " + _("+channel") if compact else ", " + _("channel records shown"))
        t.append(*sep)
        t.append(
            f"{visible(st.sigel) if st.sigel else '–'}"
            if compact
            else _("sigel {sigel}").format(sigel=visible(st.sigel) if st.sigel else _("(not set)"))
        )
        t.append(*sep)
        profile = _(PROFILE_NAMES.get(st.profile, st.profile))
        t.append(profile if compact else _("{profile} participation").format(profile=profile))
        t.append(*sep)
        t.append(st.language if compact else _("labels {language}").format(language=st.language))
        t.append(*sep)
        if st.unsaved:
            t.append(
                _("UNSAVED {n}").format(n=st.unsaved)
                if compact
                else ngettext("UNSAVED: {n} record changed", "UNSAVED: {n} records changed", st.unsaved),
                "bold",
            )
        else:
            t.append(_("saved") if compact else _("no unsaved changes"))
        return t


def _segments(text: Text, base: Style) -> list[Segment]:
    """``text`` as segments over ``base`` (what ``Text.render`` gives for one unwrapped line, in
    a tenth of the time: the line changes on every move)."""
    plain = text.plain
    cuts = sorted({0, len(plain), *(p for span in text.spans for p in (span.start, span.end) if 0 <= p <= len(plain))})
    parse = _style
    out = []
    for a, b in zip(cuts, cuts[1:]):
        st = base + parse(text.style)
        for span in text.spans:
            if span.start <= a and b <= span.end:
                st += parse(span.style)
        out.append(Segment(plain[a:b], st))
    return out


def _style(style: str | Style) -> Style:
    return style if isinstance(style, Style) else Style.parse(style) if style else Style()
