"""The main screen: record list on top, label view and MARC view side by side, the reason bar,
the status line and the footer.

Below 100 columns the two views do not fit side by side: one is shown at a time and
``switch-view`` (or moving the focus) changes which. Every command of issue 4 is an action here;
every edit goes through ``Session`` to the core's command objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import monotonic, sleep

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from tui.core.batch.channel_filter import ChannelIndex, channel_slots, release_pages
from tui.core.editing.commands import (
    AddField,
    AddHolding,
    AddSubfield,
    ClearSuppress,
    DeleteField,
    DeleteSubfield,
    EditCommand,
    MoveRestrictedUris,
    Refusal,
    Refused,
    SetControlField,
    SetIndicator,
    SetSubfield,
)
from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord
from tui.core.model.textsafe import visible
from tui.core.rules import eplikt as rules
from tui.core.rules.detect import is_channel
from tui.core.rules.eplikt import field_at
from tui.core.rules.table import say
from tui.ui import actions
from tui.ui.frame_timer import frame_timer, take_pending_repaints
from tui.ui.session import Change, Session
from tui.ui.view_lines import holding_of, label_lines, linked_lines, marc_lines
from tui.ui.widgets.index_progress import IndexProgress
from tui.ui.widgets.label_view import LabelView
from tui.ui.widgets.line_view import LineView, ViewLine
from tui.ui.widgets.marc_view import MarcView
from tui.ui.widgets.reason_bar import ReasonBar
from tui.ui.widgets.record_list import RecordList
from tui.ui.widgets.status_line import Status, StatusLine

NARROW = 100  # below this many columns the views are switched, not side by side
SYNC_CLASSIFY = 20_000  # complete sources up to this many records are classified at once
FIRST_CLASSIFY = 256  # of a large file, this many records are classified before the first frame (a screenful)
REPORT_EVERY = 0.25  # seconds between the indexing worker's reports (each one redraws the list)
PREFETCH_AFTER = 0.01  # seconds after a record is drawn, the next one's view lines are made
#: while a file is being indexed, the list is kept this many rows ahead of the cursor, by
#: classifying CLASSIFY_AHEAD more records at once (a held key outruns the polite worker)
KEEP_AHEAD, CLASSIFY_AHEAD = 128, 1024
INDEX_STEP = 2_000  # records indexed between two looks at whether the cataloguer is busy (a few ms)

LEGEND = "E e-plikt · C channel · S suppressed · * changed · ! error · ? warning"


@dataclass
class Target:
    """What an edit command acts on: record slot, field (tag, occurrence) and part."""

    slot: int
    tag: str
    occurrence: int
    part: int | None  # None: the whole field; 0: indicators / control data; k: subfield k-1
    line: ViewLine
    #: from the label view: a line stands for its field, so the field's protection decides
    via_label: bool = False


class MainScreen(Screen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = actions.bindings(
        "global", ids=tuple(a.id for a in actions.ACTIONS if a.group == "global" and a.id != "command-palette")
    )

    # -- messages from the indexing worker -------------------------------------------------------
    class Indexed(Message):
        def __init__(self, generation: int, done: int, total: int) -> None:
            super().__init__()
            self.generation, self.done, self.total = generation, done, total

    class Classified(Message):
        """Slots up to ``upto`` are classified; ``channel_slots`` are the channel records among
        those new since the last report (ascending)."""

        def __init__(self, generation: int, upto: int, channel_slots: list[int], final: bool) -> None:
            super().__init__()
            self.generation, self.upto, self.channel_slots, self.final = generation, upto, channel_slots, final

    def __init__(self, session: Session, *, language: str = "sv") -> None:
        super().__init__()
        self.session = session
        self.language = language
        self.show_channels = False
        self.slot: int | None = None
        #: the channel filter (CHN-HIDE): compact, rows <-> slots by bisection
        self._chan = ChannelIndex()
        #: a new generation for each (re)indexing: reports of an older worker are dropped
        self._index_generation = 0
        self.index_done = False
        #: (slot, session generation, language) -> (label lines, MARC lines, subtitle)
        self._view_cache: LRUCache[tuple, tuple] = LRUCache(64)
        self._direction = 1  # the way the cataloguer is moving through the list (prefetch)
        self._drawn_at = 0.0  # when the record shown was drawn
        self._number_width = 3  # of the record numbers in the list
        self._active: LineView | None = None
        self._linked_key: tuple | None = None  # what _link last linked
        self._shown_view = "labels"
        self.findings_by_slot: dict[int, list] = {}
        session.listeners.append(self._on_change)

    @property
    def _update_timer(self):
        """Textual's screen update timer, replaced by one that draws a frame as soon as there is
        something to draw (``tui.ui.frame_timer``)."""
        timer = self.__dict__.get("_frame_timer")
        if timer is None:
            timer = self.__dict__["_frame_timer"] = frame_timer(self, self._draw_frame)
        return timer

    def _draw_frame(self) -> None:
        # a move touches the list, both views, the reason bar and the status line: one frame
        take_pending_repaints(self)
        self._on_timer_update()

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # kept: these are asked for on every move (a query walks the DOM)
        self._records_widget = RecordList(
            self._row_text, id="records", empty_text="No records (yet)", on_highlight=self._on_row_highlighted
        )
        self._labels_widget = LabelView(id="labels", empty_text="No record")
        self._marc_widget = MarcView(id="marc", empty_text="No record")
        yield self._records_widget
        with Horizontal(id="views"):
            yield self._labels_widget
            yield self._marc_widget
        self._reason_widget = ReasonBar(id="reason")
        self._status_widget = StatusLine(id="status")
        yield self._reason_widget
        yield IndexProgress(id="progress")
        yield self._status_widget
        yield Footer(compact=True)

    @property
    def records(self) -> RecordList:
        return self._records_widget

    @property
    def labels(self) -> LabelView:
        return self._labels_widget

    @property
    def marc(self) -> MarcView:
        return self._marc_widget

    def on_mount(self) -> None:
        _retitle(self.records, "Records")
        _retitle(self.records, LEGEND, subtitle=True)
        _retitle(self.labels, f"Labels ({self.language})")
        _retitle(self.marc, "MARC21")
        self._active = self.labels
        self._apply_width(self.app.size.width)
        self._start_index()
        self.records.focus()
        self._update_status()

    def on_resize(self, event) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self._show_view(self._shown_view)

    def _show_view(self, which: str) -> None:
        self._shown_view = which
        narrow = self.has_class("-narrow")
        self.labels.set_class(narrow and which != "labels", "-hidden")
        self.marc.set_class(narrow and which != "marc", "-hidden")

    # -- the record index (CHN-HIDE) --------------------------------------------------------------
    def _decide_channel(self, slot: int) -> bool:
        """CHN-DETECT on the parsed record (only for slots whose bytes mention a channel record)."""
        e = self.session.entry(slot)
        return isinstance(e, LibrisRecord) and is_channel(e)

    def _start_index(self) -> None:
        """Classify what is indexed already (a small file: all of it) at once, so the first record
        is in the first frame; a worker goes on through the rest of the file after that frame."""
        self._index_generation += 1
        generation = self._index_generation
        src = self.session.source
        n = len(src)
        upto = n if (src.complete and n <= SYNC_CLASSIFY) else min(n, FIRST_CLASSIFY)
        final = src.complete and upto == n
        self._take_classified(generation, upto, channel_slots(src, 0, upto, self._decide_channel), final)
        if not final:
            # a bar that knows its total from the start (an indeterminate one animates, 15 frames
            # a second, while the cataloguer moves through the records)
            bar = self.query_one(IndexProgress)
            bar.remove_class("-done")
            bar.report(_indexed_bytes(src), getattr(src, "size", 0) or 1)
            # after the first frame: the worker's GIL time must not delay it
            self.call_after_refresh(self._index_worker, generation, upto)

    @work(thread=True, exclusive=True, group="index")
    def _index_worker(self, generation: int, upto: int) -> None:
        """Index the rest of the file and classify it, in small steps, reporting now and then.

        Polite: while the cataloguer is busy (a key in the last moments, a record being drawn)
        it waits between steps, so that its Python time never competes with a frame for the
        interpreter (issue 6: moving to another record under 16 ms while a file is indexed).
        """
        worker = get_current_worker()
        app = self.app
        src = self.session.source
        state = {"upto": upto, "pending": [], "reported": monotonic(), "progress": 0.0}

        def checkpoint() -> bool:
            """Between two steps: wait while the app is busy; True when this worker must stop."""
            while app.busy and not worker.is_cancelled and generation == self._index_generation:
                # until the busy moment is over (each waking takes the interpreter from the UI)
                sleep(min(1.0, max(0.02, app.busy_until - monotonic())))
            return worker.is_cancelled or generation != self._index_generation

        def classify_more(final: bool = False) -> None:
            n = len(src)
            if n > state["upto"]:
                state["pending"] += channel_slots(src, state["upto"], n, self._decide_channel, cancelled=checkpoint)
                state["upto"] = n
            now = monotonic()
            if not checkpoint() and (final or now - state["reported"] >= REPORT_EVERY):
                self.post_message(self.Classified(generation, state["upto"], state["pending"], final))
                state["pending"], state["reported"] = [], now

        def progress(done: int, total: int) -> None:
            if checkpoint():
                raise _Stopped
            now = monotonic()
            if now - state["progress"] >= REPORT_EVERY or done >= total:
                self.post_message(self.Indexed(generation, done, total))
                state["progress"] = now
            classify_more()

        try:
            step = getattr(src, "index_step", None)
            while not src.complete:
                if step is None:
                    src.build_index(progress)
                    break
                before = _indexed_bytes(src)
                step(INDEX_STEP)
                done = _indexed_bytes(src)
                release_pages(src, before, done)  # what indexing read through a mapping (issue 6: memory)
                progress(done, getattr(src, "size", 0) or 1)
            classify_more(final=True)
        except _Stopped:
            return

    def on_main_screen_indexed(self, message: Indexed) -> None:
        if message.generation == self._index_generation and not self.index_done:
            self.query_one(IndexProgress).report(message.done, message.total)

    def on_main_screen_classified(self, message: Classified) -> None:
        self._take_classified(message.generation, message.upto, message.channel_slots, message.final)

    def _take_classified(self, generation: int, upto: int, channels: list[int], final: bool) -> None:
        if generation != self._index_generation:
            return
        self._chan.add(upto, channels)
        if final:
            self.index_done = True
            self.query_one(IndexProgress).finish()
        # the record numbers' column is as wide as the largest number (it grows while indexing)
        width = max(3, len(str(len(self.session))))
        if width != self._number_width:
            self._number_width = width
            self.records.set_count(self._row_count(), keep_cache=False)
        else:
            self.records.set_count(self._row_count())
        if self.slot is None:
            if self._row_count():
                self.records.cursor = 0
                self._select_slot(self._slot_for_row(0))
            elif final:  # nothing to show (every record a hidden channel record): shown as such
                self.call_after_refresh(self.app.record_shown)
        self._update_status()

    def reset_index(self) -> None:
        """The source was read again (after a save): classify its records afresh."""
        keep = self.slot
        self._chan = ChannelIndex()
        self._view_cache.clear()
        self.findings_by_slot = {}
        self.slot = None
        self.index_done = False
        self.records.set_count(0, keep_cache=False)
        self._start_index()
        if keep is not None and keep < len(self.session):
            self.go_to_slot(keep)

    def _classify_through(self, slot: int) -> None:
        """Classify (and index) at once up to ``slot``, ahead of the worker (which skips it)."""
        src = self.session.source
        if slot >= len(src) and not src.complete:
            try:
                src.entry(slot)  # indexes up to it
            except IndexError:
                pass
        upto = min(len(src), slot + 1)
        if upto > self._chan.upto:
            start = self._chan.upto
            self._take_classified(
                self._index_generation,
                upto,
                channel_slots(src, start, upto, self._decide_channel),
                src.complete and upto == len(src),
            )

    def _row_count(self) -> int:
        return self._chan.rows(self.show_channels)

    def _slot_for_row(self, row: int) -> int:
        return self._chan.slot_for_row(row, self.show_channels)

    def _row_for_slot(self, slot: int) -> int | None:
        return self._chan.row_for_slot(slot, self.show_channels)

    # -- the record list ------------------------------------------------------------------------
    def _row_text(self, row: int) -> Text:
        slot = self._slot_for_row(row)
        e = self.session.entry(slot)
        width = self._number_width
        t = Text(no_wrap=True)
        t.append(f"{slot + 1:>{width}} ", "dim")
        if isinstance(e, BrokenRecord):
            t.append("    ! ", "bold")  # unreadable: an error
            t.append(visible(f"unreadable: {e.reason}"), "italic")
            return t
        st = rules.record_state(e, self.session.source)
        changed = self.session.is_changed(slot)
        severities = {i.severity for i in e.issues} | {f.severity for f in self.findings_by_slot.get(slot, ())}
        problem = "!" if "error" in severities else "?" if "warning" in severities else " "
        marks = (
            ("E" if st.eplikt else " ")
            + ("C" if st.channel else " ")
            + ("S" if st.suppressed else " ")
            + ("*" if changed else " ")
            + problem
        )
        t.append(marks, "bold")
        t.append(" ")
        ident = visible(_identifier(e) or "—")
        t.append(f"{ident[:20]:<20} ", "cyan" if not st.channel else "dim")
        title = visible(e.title or "(no title)")
        t.append(title, "dim italic" if st.channel else "")
        return t

    def _on_row_highlighted(self, row: int) -> None:
        """The list's cursor moved (called from its watcher, so that the same frame shows it)."""
        if self.records.count and row == self.records.cursor < self.records.count:
            slot = self._slot_for_row(row)
            if slot != self.slot:  # already shown (go_to_slot, toggling) keeps its cursor
                self._select_slot(slot)

    def on_record_list_opened(self, message: RecordList.Opened) -> None:
        self._select_slot(self._slot_for_row(message.row))
        view = self.labels if self._shown_view == "labels" else self.marc
        view.focus()

    def _select_slot(self, slot: int, *, keep_cursor: bool = False) -> None:
        self.app.interacting()
        changed_record = slot != self.slot
        self.slot = slot
        self._render_record(keep_cursor=keep_cursor and not changed_record)
        self._update_status()
        # the frame now: it takes every repaint asked for (frame_timer.take_pending_repaints)
        # without waiting for the widgets' messages to reach the screen
        self._update_timer.resume()
        if not self.index_done and self._row_count() - self.records.cursor <= KEEP_AHEAD:
            # the worker waits while keys come in: a held key must not run out of rows
            self.call_after_refresh(self._classify_ahead)

    def _classify_ahead(self) -> None:
        if not self.index_done and self._row_count() - self.records.cursor <= KEEP_AHEAD:
            self._classify_through(self._chan.upto + CLASSIFY_AHEAD - 1)

    def _render_record(self, keep_cursor: bool = False) -> None:
        self._linked_key = None  # the reason bar is worked out afresh (edits, profile, language)
        if self.slot is None:
            self.labels.set_lines([])
            self.marc.set_lines([])
            return
        self.call_after_refresh(self.app.record_shown)
        e = self.session.entry(self.slot)
        _retitle(self.labels, f"Labels ({self.language})")
        if isinstance(e, BrokenRecord):
            msg = ViewLine(text=visible(e.describe()), selectable=False)
            self.labels.set_lines([msg])
            raw = e.raw.decode("utf-8", "replace") if e.raw else ""
            self.marc.set_lines(
                [msg] + [ViewLine(text=visible(line), selectable=False) for line in raw.splitlines()[:200]]
            )
            _retitle(self.marc, "unreadable", subtitle=True)
            return
        keep_marc = self.marc.current.refs[0] if keep_cursor and self.marc.current and self.marc.current.refs else None
        keep_part = self.marc.part if keep_cursor else None
        keep_label = self.labels.current.refs if keep_cursor and self.labels.current else None
        # one comparison with the screen per view, after lines, cursor and linked lines are set
        with self.labels.batch(), self.marc.batch():
            llines, mlines, subtitle = self._view_lines(self.slot, e)
            self.labels.set_lines(llines, keep_cursor=keep_cursor)
            self.marc.set_lines(mlines, keep_cursor=keep_cursor)
            if keep_marc is not None:
                i = self.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0] == keep_marc)
                if i is not None:
                    part = keep_part if keep_part is not None and keep_part < len(mlines[i].parts) else None
                    self.marc.move_to(i, part)
            if keep_label:
                i = self.labels.find_line(lambda ln: ln.refs == keep_label)
                if i is not None:
                    self.labels.move_to(i)
            _retitle(self.marc, subtitle, subtitle=True)
            # the other view's linked lines and the reason bar now, not when the views' Moved messages
            # come in (which would draw the move in two frames)
            self._link()
        # the record the cataloguer most likely goes to next, made while the keyboard is still
        # (after the frame that shows this record, and only if no other record is shown by then)
        self._drawn_at = drawn_at = monotonic()
        self.call_after_refresh(self.set_timer, PREFETCH_AFTER, partial(self._prefetch_next, drawn_at))

    def _prefetch_next(self, drawn_at: float) -> None:
        if (
            self.slot is None
            or drawn_at != self._drawn_at
            or self.app.busy_until - self.app.BUSY_WINDOW > self._drawn_at
        ):
            return  # another record or key has come in since: that one is drawn first
        row = self._row_for_slot(self.slot)
        if row is None:
            return
        for r in (row + self._direction, row - self._direction):
            if 0 <= r < self._row_count():
                slot = self._slot_for_row(r)
                if (slot, self.session.generation, self.language) not in self._view_cache:
                    e = self.session.entry(slot)
                    if isinstance(e, LibrisRecord):
                        llines, mlines, _ = self._view_lines(slot, e)
                        self.labels.prepare(llines)
                        self.marc.prepare(mlines)
                    return

    def _view_lines(self, slot: int, e: LibrisRecord) -> tuple[list[ViewLine], list[ViewLine], str]:
        """The two views' lines of record ``slot``, made once per record, edit and language (the
        rules' protection of every line is worked out here, not when drawing)."""
        key = (slot, self.session.generation, self.language)
        hit = self._view_cache.get(key)
        if hit is None:
            changed_ids = self.session.changed_field_ids(slot)
            mlines = marc_lines(e, changed_ids)
            changed_refs = {ln.refs[0][:2] for ln in mlines if ln.changed and ln.refs}
            llines = label_lines(e, self.language, changed_refs)
            hit = (llines, mlines, rules.record_state(e, self.session.source).describe())
            self._view_cache[key] = hit
        return hit

    # -- linking the views, the reason bar ---------------------------------------------------
    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, LineView):
            self._active = widget
            self._shown_view = "labels" if widget is self.labels else "marc"
            self._show_view(self._shown_view)
        self._link()

    def on_line_view_moved(self, message: LineView.Moved) -> None:
        if message.view is self._active:
            self._link()

    def _link(self) -> None:
        src = self._active or self.marc
        other = self.labels if src is self.marc else self.marc
        key = (src, id(src.lines), src.cursor, src.part, id(other.lines))
        if key == self._linked_key:
            return  # (the views' Moved messages after a record was shown and linked at once)
        self._linked_key = key
        src.set_linked(())
        line = src.current
        if line is None:
            other.set_linked(())
            self._reason_widget.show_info("")
            return
        part = src.part if src is self.marc else None
        idx, parts = linked_lines(line, part, other.lines)
        other.set_linked(idx, parts)
        self._update_reason(src, line, part)

    def _update_reason(self, view: LineView, line: ViewLine, part: int | None) -> None:
        bar = self._reason_widget
        if not line.refs:
            bar.show_info("")
            return
        tag, occ, sub = line.refs[part] if (part is not None and part < len(line.refs)) else line.refs[0]
        if view is self.labels:
            subs = [r for r in line.refs if r[2] is not None]
            if subs:
                tag, occ, sub = subs[0]
        h, bare = holding_of(tag)
        where = f"{bare}[{occ}]" + (f" subfield {sub + 1}" if sub is not None else "")
        if h is not None:
            bar.show_info(
                Text(
                    f"{where} in holdings record {h + 1}: added with add-holding "
                    f"({self.app.key_hint('add-holding')}), not edited here"
                )
            )
            return
        prot = line.protection_of(part) if view is self.marc else line.protection
        if prot is not None:
            bar.show_protection(where, prot)
            return
        e = self.session.entry(self.slot) if self.slot is not None else None
        t = Text(no_wrap=False)
        t.append(where, "bold")
        refusal = self.session.profile.refusal("edit")
        if refusal is not None:
            t.append(
                ": " + say("PROFILE-LIMITED", "read-only", profile=self.session.profile.name) + f" ({refusal.rule})"
            )
        else:
            st = rules.record_state(e, self.session.source) if isinstance(e, LibrisRecord) else None
            if st is not None and st.eplikt:
                t.append(": " + say("EPL-UPGRADE", "may") + " (EPL-UPGRADE)")
            else:
                t.append(": may be changed")
            t.append(
                f"  · {self.app.key_hint('edit-field')} edit  {self.app.key_hint('add-field')} add field  "
                f"{self.app.key_hint('delete-field')} delete field",
                "dim",
            )
            if view is self.marc:
                t.append(f"  {self.app.key_hint('previous-part')}/{self.app.key_hint('next-part')} subfields", "dim")
        bar.show_info(t)

    # -- status -------------------------------------------------------------------------------------
    def _update_status(self) -> None:
        row = self._row_for_slot(self.slot) if self.slot is not None else None
        st = Status(
            file=Path(self.session.path).name,
            position=(row + 1) if row is not None else 0,
            shown=self._row_count(),
            total=len(self.session),
            hidden_channels=self._chan.channel_count,
            channels_shown=self.show_channels,
            channel_key=self.app.key_hint("toggle-channel"),
            sigel=self.session.sigel or "",
            profile=self.session.profile.name,
            unsaved=self.session.changed_count() if self.session.dirty else 0,
            indexing=not self.index_done,
            language=self.language,
        )
        if self.session.dirty and not st.unsaved:
            st.unsaved = 1
        self._status_widget.show(st)
        _retitle(
            self.records,
            f"Records ({st.shown}"
            + (
                f", {self._chan.channel_count} channel hidden"
                if self._chan.channel_count and not self.show_channels
                else ""
            )
            + ")",
        )

    # -- after every edit, undo and redo -------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        self.findings_by_slot.pop(change.slot, None)
        row = self._row_for_slot(change.slot)
        if row is not None:
            self.records.refresh_row(row)
        if change.slot == self.slot:
            self._render_record(keep_cursor=True)
        self._update_status()

    # == actions ===================================================================================
    def say(self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None):
        self.app.say(message, title=title, severity=severity, timeout=timeout)

    def refuse(self, refusal: Refusal) -> None:
        self.say(str(refusal), title=f"Refused ({refusal.rule})", severity="error", timeout=10)

    # -- records ----------------------------------------------------------------------------------
    def action_next_record(self) -> None:
        self._direction = 1
        if self.records.cursor < self.records.count - 1:
            self.records.cursor += 1

    def action_previous_record(self) -> None:
        self._direction = -1
        if self.records.cursor > 0:
            self.records.cursor -= 1

    def action_toggle_channel(self) -> None:
        self.set_show_channels(not self.show_channels, announce=True)

    def set_show_channels(self, show: bool, announce: bool = False) -> None:
        if show == self.show_channels:
            return
        keep = self.slot
        self.show_channels = show
        self.records.set_count(self._row_count(), keep_cache=False)
        if keep is not None:
            row = self._row_for_slot(keep)
            if row is None:  # the record shown was a channel record: go to the nearest shown one
                row = min(self._chan.nearest_row(keep), max(0, self._row_count() - 1))
            if self._row_count():
                self.records.cursor = row
                self._select_slot(self._slot_for_row(row))
        self._update_status()
        if announce:
            n = self._chan.channel_count
            if show:
                self.say(f"Channel records shown ({n}). They are read-only (CHN-READONLY).", title="Channel records")
            else:
                self.say(f"Channel records hidden ({n}), as in Libris search (CHN-HIDE).", title="Channel records")

    def go_to_slot(self, slot: int) -> None:
        """Show record ``slot`` in the list (showing channel records if it is one)."""
        self._classify_through(slot)  # a search hit may lie beyond what the worker has reached
        if self._row_for_slot(slot) is None and not self.show_channels:
            self.set_show_channels(True)
            self.say("That is a channel record: channel records are shown now.", title="Channel records")
        row = self._row_for_slot(slot)
        if row is not None:
            self.records.cursor = row
            self._select_slot(slot)

    def action_toggle_language(self) -> None:
        self.language = "en" if self.language == "sv" else "sv"
        self._render_record(keep_cursor=True)
        self._update_status()
        self.say(f"Labels in {'English' if self.language == 'en' else 'Swedish'}.", title="Labels")

    def action_switch_view(self) -> None:
        target = self.marc if self._shown_view == "labels" else self.labels
        self._show_view("marc" if target is self.marc else "labels")
        target.focus()

    # -- where an edit goes -----------------------------------------------------------------------
    def _target(self) -> Target | None:
        if self.slot is None:
            return None
        view = self.focused if isinstance(self.focused, LineView) else (self._active or self.marc)
        line = view.current
        if line is None or not line.selectable or not line.refs:
            return None
        if view is self.labels:
            subs = [r for r in line.refs if r[2] is not None]
            tag, occ, sub = subs[0] if subs else line.refs[0]
            return Target(self.slot, tag, occ, None if sub is None else sub + 1, line, via_label=True)
        tag, occ, _ = line.refs[0]
        return Target(self.slot, tag, occ, view.part, line)

    def _record(self) -> LibrisRecord | None:
        e = self.session.entry(self.slot) if self.slot is not None else None
        return e if isinstance(e, LibrisRecord) else None

    def _precheck(
        self, tag: str | None = None, occ: int | None = None, code: str | None = None, action: str = "edit"
    ) -> bool:
        refusal = self.session.precheck(self.slot, tag, occ, code, action)
        if refusal is not None:
            self.refuse(refusal)
            return False
        return True

    def run_commands(self, commands: list[EditCommand], *, slot: int | None = None, what: str = "") -> bool:
        """Apply ``commands`` to one record as one step: all, or (on a refusal) none."""
        slot = self.slot if slot is None else slot
        before = len(self.session.history)
        try:
            advice = self.session.do_all(slot, commands)
        except Refused as exc:
            self.refuse(exc.refusal)
            return False
        except LibrisError as exc:  # the core could not do it (e.g. a holding for a bib with no 001)
            self.say(str(exc), title="Not done", severity="error", timeout=10)
            return False
        done = len(self.session.history) - before
        if not done:
            self.say("Nothing changed.", title=what or "Edit")
            return False
        described = "; ".join(c.describe() for c in commands if getattr(c, "changed", True))
        self.say(described or what, title=what or "Done")
        for a in {str(a): a for a in advice}.values():
            self.say(str(a), title=f"Advice ({a.rule})", severity="warning", timeout=12)
        if self.session.journal_problem:
            self.say(self.session.journal_problem, title="Crash journal", severity="error", timeout=12)
        return True

    def _holding_target(self, t: Target) -> bool:
        h, bare = holding_of(t.tag)
        if h is not None:
            self.say(
                f"{bare} belongs to holdings record {h + 1}; holdings are added with add-holding "
                f"({self.app.key_hint('add-holding')}).",
                title="Holdings",
                severity="warning",
            )
            return True
        return False

    # -- editing ----------------------------------------------------------------------------------
    def action_edit_field(self) -> None:
        from tui.ui.dialogs.control_field_dialog import ControlFieldDialog
        from tui.ui.dialogs.field_dialog import FieldDialog
        from tui.ui.dialogs.indicator_dialog import IndicatorDialog
        from tui.ui.dialogs.subfield_dialog import SubfieldDialog

        t = self._target()
        rec = self._record()
        if t is None or rec is None:
            self.say("Move the cursor to a field in the label or MARC view first.", title="Edit")
            return
        if self._holding_target(t):
            return
        slot = t.slot
        if t.tag == "000":
            if not self._precheck("000", 1):
                return
            self.app.push_screen(
                ControlFieldDialog("Edit the leader", "000", str(rec.marc.leader), "24 characters."),
                lambda v: v is not None and self.run_commands([SetControlField("000", v)], slot=slot, what="Leader"),
            )
            return
        f = field_at(rec, t.tag, t.occurrence)
        if f is None:
            return
        context = visible(t.line.text)
        if f.is_control_field():
            if not self._precheck(t.tag, t.occurrence):
                return
            self.app.push_screen(
                ControlFieldDialog(f"Edit {t.tag}", t.tag, f.data or ""),
                lambda v: (
                    v is not None
                    and self.run_commands([SetControlField(t.tag, v, t.occurrence)], slot=slot, what=f"Edit {t.tag}")
                ),
            )
            return
        where = f"{t.tag}[{t.occurrence}]"
        if t.part is None:
            if not self._precheck(t.tag, t.occurrence):
                self._hint_free_parts(t, rec)
                return
            subs = [(sf.code, sf.value) for sf in f.subfields]
            self.app.push_screen(
                FieldDialog(f"Edit {where}", context, f.indicator1, f.indicator2, subs),
                lambda r: r is not None and self._apply_field_form(slot, t, f, r),
            )
            return
        if t.part == 0:
            if not self._precheck(t.tag, t.occurrence):
                return
            self.app.push_screen(
                IndicatorDialog(f"Indicators of {where}", context, f.indicator1, f.indicator2),
                lambda r: r is not None and self._apply_indicators(slot, t, f, r),
            )
            return
        index = t.part - 1
        if index >= len(f.subfields):
            return
        sf = f.subfields[index]
        if t.via_label and not self._precheck(t.tag, t.occurrence):
            self._hint_free_parts(t, rec)
            return
        if not self._precheck(t.tag, t.occurrence, sf.code or None):
            return
        label = f"${sf.code}" if sf.code else "text before the first subfield code"
        hint = "Give this text a subfield code." if not sf.code else ""
        self.app.push_screen(
            SubfieldDialog(f"Edit {where} {label}", context, sf.code, sf.value, hint),
            lambda r: (
                r is not None
                and self.run_commands(
                    [SetSubfield(t.tag, t.occurrence, index, r[1], None if r[0] == sf.code else r[0])],
                    slot=slot,
                    what=f"Edit {where}",
                )
            ),
        )

    def _hint_free_parts(self, t: Target, rec: LibrisRecord) -> None:
        """A protected field with a part the rules free (URI-FIX's $u): say how to reach it."""
        line = t.line
        if t.via_label:  # the MARC line of the field says which parts are free
            i = self.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (t.tag, t.occurrence))
            line = self.marc.lines[i] if i is not None else line
        free = [k for k, p in enumerate(line.part_protection) if p is None and k > 0]
        if free:
            self.say(
                f"Parts of {t.tag}[{t.occurrence}] may still be corrected: select them with "
                f"{self.app.key_hint('next-part')} in the MARC view and edit them.",
                title="Hint",
            )

    def _apply_field_form(self, slot: int, t: Target, f, result) -> None:
        ind1, ind2, subs = result
        cmds: list[EditCommand] = []
        from tui.ui.dialogs.indicator_dialog import shown

        for pos, (old, new) in enumerate(((f.indicator1, ind1), (f.indicator2, ind2)), 1):
            if shown(old) != shown(new if new != " " else " "):
                cmds.append(SetIndicator(t.tag, t.occurrence, pos, new))
        for k, (code, value) in enumerate(subs):
            old = f.subfields[k]
            if code != old.code or value != old.value:
                cmds.append(SetSubfield(t.tag, t.occurrence, k, value, None if code == old.code else code))
        if not cmds:
            self.say("Nothing changed.", title=f"Edit {t.tag}")
            return
        self.run_commands(cmds, slot=slot, what=f"Edit {t.tag}[{t.occurrence}]")

    def _apply_indicators(self, slot: int, t: Target, f, result) -> None:
        from tui.ui.dialogs.indicator_dialog import shown

        cmds = [
            SetIndicator(t.tag, t.occurrence, pos, new)
            for pos, (old, new) in enumerate(((f.indicator1, result[0]), (f.indicator2, result[1])), 1)
            if shown(old) != shown(new)
        ]
        if cmds:
            self.run_commands(cmds, slot=slot, what=f"Indicators of {t.tag}[{t.occurrence}]")
        else:
            self.say("Nothing changed.", title="Indicators")

    def action_add_field(self) -> None:
        from tui.ui.dialogs.add_field_dialog import AddFieldDialog

        if self._record() is None:
            self.say("No record to add a field to.", title="Add field")
            return
        if not self._precheck():
            return
        slot = self.slot

        def done(d: dict | None) -> None:
            if d is None:
                return
            if "data" in d:
                cmd = AddField(d["tag"], data=d["data"])
            else:
                cmd = AddField(d["tag"], d["indicators"], d["subfields"])
            if self.run_commands([cmd], slot=slot, what=f"Add {d['tag']}"):
                self._focus_last_of(d["tag"])

        self.app.push_screen(AddFieldDialog(), done)

    def _focus_last_of(self, tag: str) -> None:
        rec = self._record()
        if rec is None:
            return
        n = len(rec.marc.get_fields(tag))
        i = self.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (tag, n))
        if i is not None:
            self.marc.move_to(i)
            if self._shown_view == "marc" or not self.has_class("-narrow"):
                self.marc.focus()

    def action_delete_field(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        t = self._target()
        if t is None or self._record() is None:
            self.say("Move the cursor to a field first.", title="Delete field")
            return
        if self._holding_target(t):
            return
        if t.tag == "000":
            self.refuse(Refusal.of("EDIT-TARGET", "leader-delete"))
            return
        if not self._precheck(t.tag, t.occurrence):
            return
        rec = self._record()
        f = field_at(rec, t.tag, t.occurrence)
        from tui.core.formats.notation import field_line

        body = Text("Delete this field?\n\n")
        body.append(visible(field_line(f)), "bold")
        slot = t.slot
        self.app.push_screen(
            ConfirmDialog(
                f"Delete {t.tag}[{t.occurrence}]",
                body,
                [("delete", "Delete", "error"), ("cancel", "Cancel", "default")],
                focus="cancel",
                subtitle="undo brings it back",
            ),
            lambda r: (
                r == "delete"
                and self.run_commands([DeleteField(t.tag, t.occurrence)], slot=slot, what=f"Delete {t.tag}")
            ),
        )

    def action_add_subfield(self) -> None:
        from tui.ui.dialogs.subfield_dialog import SubfieldDialog

        t = self._target()
        rec = self._record()
        if t is None or rec is None or t.tag == "000":
            self.say("Move the cursor to a data field first.", title="Add subfield")
            return
        if self._holding_target(t):
            return
        f = field_at(rec, t.tag, t.occurrence)
        if f is None or f.is_control_field():
            self.refuse(Refusal.of("EDIT-TARGET", "control-no-subfields", tag=t.tag))
            return
        if not self._precheck(t.tag, t.occurrence):
            return
        index = t.part if t.part is not None and t.part >= 1 else None  # after the selected subfield
        slot = t.slot
        self.app.push_screen(
            SubfieldDialog(f"Add a subfield to {t.tag}[{t.occurrence}]", visible(t.line.text)),
            lambda r: (
                r is not None
                and self.run_commands(
                    [AddSubfield(t.tag, t.occurrence, r[0], r[1], index)], slot=slot, what=f"Add subfield to {t.tag}"
                )
            ),
        )

    def action_delete_subfield(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        t = self._target()
        rec = self._record()
        if t is None or rec is None:
            self.say("Move the cursor to a subfield first.", title="Delete subfield")
            return
        if self._holding_target(t):
            return
        if t.part is None or t.part == 0:
            self.say(
                f"Select the subfield with {self.app.key_hint('next-part')} in the MARC view first.",
                title="Delete subfield",
            )
            return
        f = field_at(rec, t.tag, t.occurrence)
        index = t.part - 1
        if f is None or f.is_control_field() or index >= len(f.subfields):
            return
        sf = f.subfields[index]
        if not self._precheck(t.tag, t.occurrence, sf.code or None):
            return
        body = Text(f"Delete subfield {index + 1} of {t.tag}[{t.occurrence}]?\n\n")
        body.append(visible(f"#{sf.code} {sf.value}" if sf.code else sf.value), "bold")
        slot = t.slot
        self.app.push_screen(
            ConfirmDialog(
                "Delete subfield",
                body,
                [("delete", "Delete", "error"), ("cancel", "Cancel", "default")],
                focus="cancel",
                subtitle="undo brings it back",
            ),
            lambda r: (
                r == "delete"
                and self.run_commands(
                    [DeleteSubfield(t.tag, t.occurrence, index)], slot=slot, what=f"Delete subfield of {t.tag}"
                )
            ),
        )

    def action_undo(self) -> None:
        change = self.session.undo()
        if change is None:
            self.say("Nothing to undo.", title="Undo")
            return
        self._jump_to_change(change)
        self.say(change.command.describe(), title="Undone")

    def action_redo(self) -> None:
        try:
            change = self.session.redo()
        except Refused as exc:
            self.refuse(exc.refusal)
            return
        if change is None:
            self.say("Nothing to redo.", title="Redo")
            return
        self._jump_to_change(change)
        self.say(change.command.describe(), title="Redone")

    def _jump_to_change(self, change: Change) -> None:
        if change.slot >= 0 and change.slot != self.slot:
            self.go_to_slot(change.slot)

    # -- e-plikt commands ---------------------------------------------------------------------
    def action_add_holding(self) -> None:
        from tui.ui.dialogs.add_holding_dialog import AddHoldingDialog

        rec = self._record()
        if rec is None:
            self.say("No record to add a holding to.", title="Add holding")
            return
        st = rules.record_state(rec, self.session.source)
        if st.channel:
            self.refuse(Refusal.of("CHN-READONLY", "add-to"))
            return
        slot = self.slot

        def done(r) -> None:
            if r is None:
                return
            sigel, remember, clear = r
            if not self.session.sigel:
                self.session.sigel = sigel
                self._update_status()
            if remember:
                self.app.remember_sigel(sigel)
            cmds: list[EditCommand] = [AddHolding(sigel)]
            if clear and st.suppressed:
                cmds.append(ClearSuppress())
            self.run_commands(cmds, slot=slot, what="Add holding")

        self.app.push_screen(
            AddHoldingDialog(self.session.sigel or "", st.suppressed, title=visible(rec.title or "this record")), done
        )

    def action_clear_suppress(self) -> None:
        if self._record() is None:
            return
        self.run_commands([ClearSuppress()], what="SUPPRESSRECORD")

    def action_move_restricted_uris(self) -> None:
        from tui.ui.dialogs.move_uris_dialog import MoveUrisDialog

        rec = self._record()
        if rec is None:
            return
        preview = self.session.preview(self.slot, MoveRestrictedUris())
        if isinstance(preview, Refusal):
            self.refuse(preview)
            return
        slot = self.slot
        self.app.push_screen(
            MoveUrisDialog(preview),
            lambda ok: ok and self.run_commands([MoveRestrictedUris()], slot=slot, what="URI-MOVE"),
        )

    # -- validate, export, save -------------------------------------------------------------------
    def action_validate(self) -> None:
        self.say("Validating…", title="Validate", timeout=2)
        self._validate_worker("show")

    @work(thread=True, exclusive=True, group="validate")
    def _validate_worker(self, then: str) -> None:
        findings = self.session.validate()
        self.app.call_from_thread(self._validated, findings, then)

    def _validated(self, findings: list, then: str) -> None:
        by_slot: dict[int, list] = {}
        for f in findings:
            if f.record_number:
                by_slot.setdefault(f.record_number - 1, []).append(f)
        self.findings_by_slot = by_slot
        self.records.reset()
        if then == "show":
            from tui.ui.dialogs.findings_dialog import FindingsDialog

            self.app.push_screen(FindingsDialog(findings, Path(self.session.path).name), self._jump_to_finding)
        elif then == "export":
            from tui.ui.dialogs.export_dialog import ExportDialog

            self.app.push_screen(
                ExportDialog(self.session.path, self.session.source.format, findings, self.session.holdings_mode()),
                self._export_chosen,
            )

    def _jump_to_finding(self, finding) -> None:
        if finding is None or not finding.record_number:
            return
        slot = finding.record_number - 1
        if slot >= len(self.session):
            return
        self.go_to_slot(slot)
        if finding.tag:
            occ = finding.occurrence or 1
            i = self.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (finding.tag, occ))
            if i is None:
                i = self.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][0] == finding.tag)
            if i is not None:
                self._show_view("marc")
                self.marc.move_to(i)
                self.marc.focus()

    def action_export(self) -> None:
        self.say("Validating before export…", title="Export", timeout=2)
        self._validate_worker("export")

    def _export_chosen(self, choice) -> None:
        if choice is None:
            return
        fmt, out, holdings = choice
        self._export_worker(fmt, out, holdings)

    @work(thread=True, exclusive=True, group="export")
    def _export_worker(self, fmt: str, out: str, holdings: str) -> None:
        try:
            result = self.session.export(out, fmt, holdings)
        except Exception as exc:  # ExportRefused, FileExists, OSError...: told, never a crash
            self.app.call_from_thread(self._export_failed, exc, "Export")
            return
        self.app.call_from_thread(self._exported, result, out)

    def _export_failed(self, exc: Exception, what: str) -> None:
        findings = getattr(exc, "findings", None)
        if findings:
            from tui.ui.dialogs.findings_dialog import FindingsDialog

            errors = [f for f in findings if f.severity == "error"]
            self.say(
                f"{what} refused: {len(errors)} error{'s' if len(errors) != 1 else ''} remain. Fix them first.",
                title=f"{what} refused",
                severity="error",
                timeout=10,
            )
            self.app.push_screen(FindingsDialog(findings, Path(self.session.path).name), self._jump_to_finding)
        else:
            self.say(str(exc), title=f"{what} failed", severity="error", timeout=12)

    def _exported(self, result, out: str) -> None:
        n = result.records
        msg = f"{n} record{'s' if n != 1 else ''}"
        if result.holdings:
            msg += f" and {result.holdings} holding{'s' if result.holdings != 1 else ''}"
        msg += f" written to {result.path} ({result.format})."
        if result.report_path:
            msg += f" Report: {result.report_path}."
        if result.backup_path:
            msg += f" The file it replaced is kept as {result.backup_path}."
        self.say(msg, title="Exported", timeout=12)

    def action_save(self) -> None:
        if not self.session.dirty:
            self.say("No unsaved changes.", title="Save")
            return
        self._save_worker(False)

    @work(thread=True, exclusive=True, group="save")
    def _save_worker(self, then_quit: bool) -> None:
        try:
            result = self.session.save()
        except Exception as exc:
            self.app.call_from_thread(self._export_failed, exc, "Save")
            return
        self.app.call_from_thread(self._saved, result, then_quit)

    def _saved(self, result, then_quit: bool) -> None:
        self.reset_index()
        msg = f"{Path(self.session.path).name} saved ({result.records} records)."
        if result.backup_path:
            msg += f" The previous version is kept as {result.backup_path.name}."
        self.say(msg, title="Saved")
        if then_quit:
            self.app.quit_clean()

    # -- search, help, quit ---------------------------------------------------------------------
    def action_search(self) -> None:
        from tui.ui.dialogs.search_dialog import SearchDialog

        self.app.push_screen(SearchDialog(self.session), lambda slot: slot is not None and self.go_to_slot(slot))

    def action_help(self) -> None:
        from tui.ui.screens.help_screen import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        if not self.session.dirty:
            self.app.quit_clean()
            return
        n = max(1, self.session.changed_count())
        body = Text(f"{n} record{'s' if n != 1 else ''} changed in ")
        body.append(visible(Path(self.session.path).name), "bold")
        body.append(" and not saved.\nSave before quitting?")

        def done(choice: str | None) -> None:
            if choice == "save":
                self._save_worker(True)
            elif choice == "discard":
                self.app.quit_clean()

        self.app.push_screen(
            ConfirmDialog(
                "Unsaved changes",
                body,
                [
                    ("save", "Save and quit", "primary"),
                    ("discard", "Quit without saving", "error"),
                    ("cancel", "Cancel", "default"),
                ],
                focus="cancel",
            ),
            done,
        )


def _retitle(widget, text: str, *, subtitle: bool = False) -> None:
    """Set a pane's frame title (or subtitle); the pane draws it again only when it changes."""
    if subtitle:
        widget.set_titles(subtitle=text)
    else:
        widget.set_titles(title=text)


def _indexed_bytes(src) -> int:
    """How far into the file the source's index has come (for the progress bar)."""
    done = getattr(src, "indexed_bytes", None)
    if done is None:
        ends = getattr(src, "ends", None)
        done = ends[len(src) - 1] if ends is not None and len(src) else 0
    return done


class _Stopped(Exception):
    """The indexing worker was cancelled, or a newer one has started."""


def _identifier(rec: LibrisRecord) -> str:
    """What identifies the record in the list: 001, else the first 02X $a, else 035 $a."""
    cn = rec.control_number
    if cn and cn.strip():
        return cn.strip()
    for f in rec.marc.fields:
        if f.tag.startswith("02") and not f.is_control_field():
            for sf in f.subfields:
                if sf.code == "a" and sf.value.strip():
                    return sf.value.strip()
    for f in rec.marc.get_fields("035"):
        for sf in f.subfields:
            if sf.code == "a" and sf.value.strip():
                return sf.value.strip()
    return ""
