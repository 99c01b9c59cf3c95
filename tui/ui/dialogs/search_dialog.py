"""Search and jump: titles, names, identifiers and control numbers, case and accents ignored
(``tui.core.views.search``: "ake" finds "Åke").

Searching runs in a worker thread over every record (a big file must not freeze the screen);
the first 200 hits are listed. Returns the slot of the record chosen, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui.core.model.record import LibrisRecord
from tui.core.model.textsafe import visible
from tui.core.rules.detect import is_channel
from tui.core.views.search import matches, searchable
from tui.ui.dialogs.base import Dialog, TextInput
from tui.ui.i18n import _, ngettext

LIMIT = 200


class SearchDialog(Dialog[int | None]):
    DEFAULT_CSS = """
    SearchDialog .dialog-box {
        width: 100%;
        max-width: 120;
        height: 80%;
    }
    SearchDialog OptionList {
        height: 1fr;
    }
    """

    def __init__(self, session) -> None:
        super().__init__()
        self._session = session

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="search-dialog") as box:
            box.border_title = _("Search")
            box.border_subtitle = _("enter jumps · tab to the hits · esc closes")
            yield TextInput(placeholder=_("e.g. a title, an ISBN, a URN or a control number"), id="query")
            yield Static("", id="count", classes="hint")
            yield OptionList(id="hits")

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._search(self.query_one("#query", TextInput).raw_value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        hits = self.query_one(OptionList)
        if hits.option_count:
            self.dismiss(int(hits.get_option_at_index(hits.highlighted or 0).id))

    @work(thread=True, exclusive=True)
    def _search(self, query: str) -> None:
        worker = get_current_worker()
        q = query.strip()
        hits: list[tuple[int, Text]] = []
        if len(q) >= 2:
            for slot in range(len(self._session)):
                if worker.is_cancelled:
                    return
                e = self._session.entry(slot)
                if not isinstance(e, LibrisRecord):
                    continue
                for what, value in searchable(e):
                    if matches(q, what, value):
                        t = Text(no_wrap=True, overflow="ellipsis")
                        t.append(f"{slot + 1:>5} ", "dim")
                        t.append(visible(e.title or _("(no title)")), "bold")
                        t.append(f"  {what}: ", "dim")
                        t.append(visible(value))
                        if is_channel(e):
                            t.append("  " + _("(channel record)"), "italic")
                        hits.append((slot, t))
                        break
                if len(hits) >= LIMIT:
                    break
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[tuple[int, Text]]) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_options([Option(t, id=str(slot)) for slot, t in hits])
        if hits:
            ol.highlighted = 0
        n = len(hits)
        if len(query.strip()) < 2:
            msg = ""
        elif not n:
            msg = _("nothing found")
        elif n >= LIMIT:
            msg = ngettext("{n}+ record found", "{n}+ records found", n)
        else:
            msg = ngettext("{n} record found", "{n} records found", n)
        self.query_one("#count", Static).update(Text(msg))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))
