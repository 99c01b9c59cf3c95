"""The record index and the channel filter (CHN-HIDE): rows of the list <-> record slots.

A small file is classified at once, so that its first record is in the first frame; a large one
is indexed and classified by a worker that keeps out of the cataloguer's way (a move to another
record under 16 ms while a file is indexed) and reports now and then.
"""

from __future__ import annotations

from time import monotonic, sleep

from textual.message import Message
from textual.worker import get_current_worker

from tui.core.batch.channel_filter import ChannelIndex, channel_slots, release_pages
from tui.core.model.record import LibrisRecord
from tui.core.rules.detect import is_channel
from tui.ui.flows.base import Flow
from tui.ui.widgets.index_progress import IndexProgress

SYNC_CLASSIFY = 20_000  # complete sources up to this many records are classified at once
FIRST_CLASSIFY = 256  # of a large file, this many records are classified before the first frame (a screenful)
REPORT_EVERY = 0.25  # seconds between the indexing worker's reports (each one redraws the list)
#: while a file is being indexed, the list is kept this many rows ahead of the cursor, by
#: classifying CLASSIFY_AHEAD more records at once (a held key outruns the polite worker)
KEEP_AHEAD, CLASSIFY_AHEAD = 128, 1024
INDEX_STEP = 2_000  # records indexed between two looks at whether the cataloguer is busy (a few ms)


class Indexed(Message):
    """The indexing worker's progress (bytes of the file indexed)."""

    def __init__(self, generation: int, done: int, total: int) -> None:
        super().__init__()
        self.generation, self.done, self.total = generation, done, total


class Classified(Message):
    """Slots up to ``upto`` are classified; ``channel_slots`` are the channel records among
    those new since the last report (ascending)."""

    def __init__(self, generation: int, upto: int, channel_slots: list[int], final: bool) -> None:
        super().__init__()
        self.generation, self.upto, self.channel_slots, self.final = generation, upto, channel_slots, final


class IndexFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        #: the channel filter (CHN-HIDE): compact, rows <-> slots by bisection
        self.chan = ChannelIndex()
        #: a new generation for each (re)indexing: reports of an older worker are dropped
        self.generation = 0
        self.done = False
        self.number_width = 3  # of the record numbers in the list

    # -- rows <-> slots ---------------------------------------------------------------------------
    def row_count(self) -> int:
        return self.chan.rows(self.screen.show_channels)

    def slot_for_row(self, row: int) -> int:
        return self.chan.slot_for_row(row, self.screen.show_channels)

    def row_for_slot(self, slot: int) -> int | None:
        return self.chan.row_for_slot(slot, self.screen.show_channels)

    # -- classifying ------------------------------------------------------------------------------
    def _decide_channel(self, slot: int) -> bool:
        """CHN-DETECT on the parsed record (only for slots whose bytes mention a channel record)."""
        e = self.session.entry(slot)
        return isinstance(e, LibrisRecord) and is_channel(e)

    def start(self) -> None:
        """Classify what is indexed already (a small file: all of it) at once, so the first record
        is in the first frame; a worker goes on through the rest of the file after that frame."""
        self.generation += 1
        generation = self.generation
        src = self.session.source
        n = len(src)
        upto = n if (src.complete and n <= SYNC_CLASSIFY) else min(n, FIRST_CLASSIFY)
        final = src.complete and upto == n
        self.take_classified(generation, upto, channel_slots(src, 0, upto, self._decide_channel), final)
        if not final:
            # a bar that knows its total from the start (an indeterminate one animates, 15 frames
            # a second, while the cataloguer moves through the records)
            bar = self.screen.query_one(IndexProgress)
            bar.remove_class("-done")
            bar.report(_indexed_bytes(src), getattr(src, "size", 0) or 1)
            # after the first frame: the worker's GIL time must not delay it
            self.screen.call_after_refresh(self.in_thread, self._index_worker, generation, upto, group="index")

    def _index_worker(self, generation: int, upto: int) -> None:
        """Index the rest of the file and classify it, in small steps, reporting now and then.

        Polite: while the cataloguer is busy (a key in the last moments, a record being drawn)
        it waits between steps, so that its Python time never competes with a frame for the
        interpreter (moving to another record under 16 ms while a file is indexed).
        """
        worker = get_current_worker()
        app = self.app
        screen = self.screen
        src = self.session.source
        state = {"upto": upto, "pending": [], "reported": monotonic(), "progress": 0.0}

        def checkpoint() -> bool:
            """Between two steps: wait while the app is busy; True when this worker must stop."""
            while app.busy and not worker.is_cancelled and generation == self.generation:
                # until the busy moment is over (each waking takes the interpreter from the UI)
                sleep(min(1.0, max(0.02, app.busy_until - monotonic())))
            return worker.is_cancelled or generation != self.generation

        def classify_more(final: bool = False) -> None:
            n = len(src)
            if n > state["upto"]:
                state["pending"] += channel_slots(src, state["upto"], n, self._decide_channel, cancelled=checkpoint)
                state["upto"] = n
            now = monotonic()
            if not checkpoint() and (final or now - state["reported"] >= REPORT_EVERY):
                screen.post_message(Classified(generation, state["upto"], state["pending"], final))
                state["pending"], state["reported"] = [], now

        def progress(done: int, total: int) -> None:
            if checkpoint():
                raise _Stopped
            now = monotonic()
            if now - state["progress"] >= REPORT_EVERY or done >= total:
                screen.post_message(Indexed(generation, done, total))
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
                release_pages(src, before, done)  # what indexing read through a mapping (memory)
                progress(done, getattr(src, "size", 0) or 1)
            classify_more(final=True)
        except _Stopped:
            return

    def indexed(self, message: Indexed) -> None:
        if message.generation == self.generation and not self.done:
            self.screen.query_one(IndexProgress).report(message.done, message.total)

    def classified(self, message: Classified) -> None:
        self.take_classified(message.generation, message.upto, message.channel_slots, message.final)

    def take_classified(self, generation: int, upto: int, channels: list[int], final: bool) -> None:
        if generation != self.generation:
            return
        screen = self.screen
        self.chan.add(upto, channels)
        if final:
            self.done = True
            screen.query_one(IndexProgress).finish()
            screen.call_after_refresh(screen.broken.indexed)  # unreadable records are told
        # the record numbers' column is as wide as the largest number (it grows while indexing)
        width = max(3, len(str(len(self.session))))
        if width != self.number_width:
            self.number_width = width
            screen.records.set_count(self.row_count(), keep_cache=False)
        else:
            screen.records.set_count(self.row_count())
        if screen.slot is None:
            if self.row_count():
                screen.records.cursor = 0
                screen.navigation.select_slot(self.slot_for_row(0))
            elif final:  # nothing to show (every record a hidden channel record): shown as such
                screen.call_after_refresh(self.app.record_shown)
        screen.navigation.update_status()

    def reset(self) -> None:
        """The source was read again (after a save): classify its records afresh."""
        screen = self.screen
        keep = screen.slot
        self.chan = ChannelIndex()
        screen.navigation.view_cache.clear()
        screen.validation.forget()
        screen.slot = None
        self.done = False
        screen.records.set_count(0, keep_cache=False)
        self.start()
        if keep is not None and keep < len(self.session):
            screen.navigation.go_to_slot(keep)

    def classify_through(self, slot: int) -> None:
        """Classify (and index) at once up to ``slot``, ahead of the worker (which skips it)."""
        src = self.session.source
        if slot >= len(src) and not src.complete:
            try:
                src.entry(slot)  # indexes up to it
            except IndexError:
                pass
        upto = min(len(src), slot + 1)
        if upto > self.chan.upto:
            start = self.chan.upto
            self.take_classified(
                self.generation,
                upto,
                channel_slots(src, start, upto, self._decide_channel),
                src.complete and upto == len(src),
            )

    def keep_ahead(self) -> None:
        """While indexing: keep the list ``KEEP_AHEAD`` rows ahead of the cursor (after the frame)."""
        if not self.done and self.row_count() - self.screen.records.cursor <= KEEP_AHEAD:
            # the worker waits while keys come in: a held key must not run out of rows
            self.screen.call_after_refresh(self._classify_ahead)

    def _classify_ahead(self) -> None:
        if not self.done and self.row_count() - self.screen.records.cursor <= KEEP_AHEAD:
            self.classify_through(self.chan.upto + CLASSIFY_AHEAD - 1)


def _indexed_bytes(src) -> int:
    """How far into the file the source's index has come (for the progress bar)."""
    done = getattr(src, "indexed_bytes", None)
    if done is None:
        ends = getattr(src, "ends", None)
        done = ends[len(src) - 1] if ends is not None and len(src) else 0
    return done


class _Stopped(Exception):
    """The indexing worker was cancelled, or a newer one has started."""
