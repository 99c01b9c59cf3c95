"""Indexed sources: a record file known by the byte offsets of its records, each record parsed
when it is asked for (ISO 2709, MARCXML).

The file is mapped (``mmap``; files up to ``IN_MEMORY_LIMIT`` are simply read, so that another
program truncating them cannot hurt) and indexed a step at a time: record start and end offsets
in two ``array('q')``, the reason of each slot found broken while indexing, and the slots that
may be holdings records. ``index_step()`` may run in a worker thread while the app shows the
first records: the arrays are only ever appended to, under a lock, so ``len()`` grows while
they are read. A mapped file's bytes are read with ``pread`` (``read_span``), not through the
mapping, so the page cache holds the file, not this process (under 200 MB with a 1M-record file
open).

A subclass says how to find the next records (``_index``) and how to read one slot's bytes
(``parse_slot``); this class does the rest: offsets, lazy parsing, broken slots, holdings links.
"""

from __future__ import annotations

import mmap
import os
import threading
from abc import abstractmethod
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence

from tui.core.model.record import BrokenRecord, Entry
from tui.core.sources.base import Progress, RecordSource, close_file_buffer, open_file_buffer

_PREAD = getattr(os, "pread", None)


class IndexedSource(RecordSource):
    #: files up to this size are read into memory; larger ones are mapped (no copy, no read time)
    IN_MEMORY_LIMIT = 16 * 1024 * 1024
    #: records indexed by ``open_source`` before it returns (the first screenful, at once)
    FIRST_STEP = 2000
    #: records indexed by one ``index_step()``
    STEP = 50000

    def __init__(self, path: str, data: bytes | None = None):
        super().__init__(path)
        self._fh = None
        self._mm: mmap.mmap | None = None
        if data is None:
            self._fh, self._mm, data = open_file_buffer(path, self.IN_MEMORY_LIMIT)
        #: the file's bytes (in memory, or the mapping)
        self.buf: bytes | mmap.mmap = data if data is not None else self._mm  # type: ignore[assignment]
        self.size = len(self.buf)
        self.starts = array("q")
        self.ends = array("q")
        #: slot -> why indexing found it broken
        self.bad: dict[int, str] = {}
        #: slots that may be holdings records (leader/06 u v x y, or a leader not read raw)
        self.holdings_slots = array("q")
        self._pos = 0
        self._lock = threading.Lock()

    def _use_bytes(self, data: bytes) -> None:
        """Read ``data`` instead of the file (a document converted in memory): the file is closed."""
        close_file_buffer(self._fh, self._mm)
        self._fh = self._mm = None
        self.buf = data
        self.size = len(data)

    # -- to implement ---------------------------------------------------------------------------
    @abstractmethod
    def _index(self, stop: int) -> None:
        """Index slots from ``self._pos`` until there are ``stop`` of them or the file ends:
        append to ``starts``/``ends`` (``bad``, ``holdings_slots``), move ``self._pos`` on, and
        set ``self.complete`` when the end is reached. Called under the lock."""

    @abstractmethod
    def parse_slot(self, i: int) -> Entry:
        """Slot ``i`` (not broken while indexing) parsed: a record, or a BrokenRecord. Never raises."""

    # -- indexing -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ends)

    @property
    def mapped(self) -> bool:
        """Whether the file is mapped rather than read into memory."""
        return self._mm is not None

    @property
    def indexed_bytes(self) -> int:
        return self._pos

    def index_step(self, max_records: int | None = None) -> bool:
        """Index up to ``max_records`` more records (default ``STEP``); True once complete.
        Safe to call from a worker thread while others read: only appends, under a lock."""
        with self._lock:
            if self.complete:
                return True
            self._index(len(self.ends) + (max_records or self.STEP))
            if self.complete and len(self.holdings_slots):
                self.forget_parsed()  # bibs parsed before their holdings were indexed
            return self.complete

    def build_index(self, progress: Progress | None = None) -> None:
        while not self.index_step():
            if progress is not None:
                progress(self._pos, self.size)
        if progress is not None:
            progress(self.size, self.size)

    def entry(self, i: int) -> Entry:
        if i >= len(self) and not self.complete and i >= 0:
            while i >= len(self) and not self.index_step(max(i + 1 - len(self), 1000)):
                pass
        return super().entry(i)

    # -- new records: a slot with no bytes in the file, its record pinned ----------------------------
    def _append_slot(self, entry) -> int:
        with self._lock:
            self.starts.append(self.size)
            self.ends.append(self.size)
            return len(self.ends) - 1

    def _drop_slot(self) -> None:
        with self._lock:
            self.starts.pop()
            self.ends.pop()

    # -- bytes ----------------------------------------------------------------------------------
    def read_span(self, start: int, end: int) -> bytes:
        """The file's bytes ``start:end``: read with ``pread`` from a mapped file (thread-safe, and
        the pages do not count towards this process's memory), sliced from a file in memory."""
        if self._mm is not None and self._fh is not None and _PREAD is not None:
            out = _PREAD(self._fh.fileno(), end - start, start)
            if len(out) == end - start:
                return out
        return bytes(self.buf[start:end])

    def raw_slots(self, lo: int, hi: int, window: int = 4 << 20) -> Iterator[tuple[int, bytes]]:
        """``(slot, bytes)`` for the slots ``lo:hi`` in order, read ``window`` bytes at a time (one
        read for many records of a mapped file; slices of a file in memory)."""
        starts, ends = self.starts, self.ends
        i = lo
        while i < hi:
            first = starts[i]
            j = max(i + 1, bisect_right(ends, first + window, i, hi))
            if self._mm is None:
                data, base = self.buf, 0
            else:
                data, base = self.read_span(first, ends[j - 1]), first
            for k in range(i, j):
                yield k, bytes(data[starts[k] - base : ends[k] - base])
            i = j

    def span(self, i: int) -> tuple[int, int]:
        """Byte offsets ``(start, end)`` of slot ``i`` (end exclusive)."""
        return self.starts[i], self.ends[i]

    def raw(self, i: int) -> bytes:
        """Slot ``i``'s bytes (``read_span``: a record shown leaves no pages of the mapping here)."""
        return self.read_span(self.starts[i], self.ends[i])

    def offset(self, i: int) -> int | None:
        return self.starts[i]

    def slot_at(self, byte_offset: int) -> int:
        """The slot containing ``byte_offset`` (-1 before the first record)."""
        return bisect_right(self.starts, byte_offset, 0, len(self)) - 1

    # -- slots ----------------------------------------------------------------------------------
    def _parse(self, i: int) -> Entry:
        pinned = self._pinned.get(i)
        if pinned is not None:  # a new record has no bytes in the file to parse
            return pinned
        reason = self.bad.get(i)
        if reason is not None:
            return self.broken_slot(i, reason)
        return self.parse_slot(i)

    def broken_slot(self, i: int, reason: str) -> BrokenRecord:
        """The BrokenRecord of slot ``i``, found broken for ``reason``."""
        return BrokenRecord(self.path, i + 1, self.starts[i], reason, raw=self.raw(i))

    def holdings_candidates(self) -> Sequence[int]:
        return self.holdings_slots

    def close(self) -> None:
        close_file_buffer(self._fh, self._mm)
        self._fh = self._mm = None
