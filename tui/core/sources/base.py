"""Record sources: a file of records, addressed by record number, read lazily where it can be.

Every reader returns a ``RecordSource``. ISO 2709 and MARCXML are *indexed* (record offsets
first, each record parsed when asked for, STYLE.md / Toolong); the small text formats
(MARC-in-JSON, MARCMaker, the seed notation, JSON-LD) are parsed whole into memory.

The contract the rest of the program relies on:

* ``len(source)``: the number of record slots indexed so far (bib, holdings and broken alike).
* ``source.entry(i)``: 0-based; a ``LibrisRecord`` or a ``BrokenRecord``, never an exception.
* ``source.raw(i)``: the bytes of slot ``i`` as they stand in the file (for raw scans/filters).
* ``source.build_index(progress)``: finish indexing; ``progress(done_bytes, total_bytes)``
  is called now and then. ``source.complete`` says whether it is done.
* ``source.holdings_for(record)``: holdings records in the same file linked by 004 = 001.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from tui.core.model.record import BrokenRecord, Entry, LibrisRecord, UnreadableFile

Progress = Callable[[int, int], None]


def open_file_buffer(path: str, in_memory_limit: int):
    """For the indexed formats: ``(fh, mm, data)``: small files read whole (``data``; another
    program truncating them cannot hurt us), larger ones mapped (``fh`` and ``mm`` kept open).
    ``UnreadableFile`` with a one-line reason when the file cannot be opened or is empty."""
    import mmap
    import os

    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise UnreadableFile(path, "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(path, "is a directory, not a record file") from None
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc)) from None
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        fh.close()
        raise UnreadableFile(path, "the file is empty")
    if size <= in_memory_limit:
        data = fh.read()
        fh.close()
        return None, None, data
    return fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), None


def close_file_buffer(fh, mm) -> None:
    """Close what ``open_file_buffer`` opened (either may be None)."""
    if mm is not None:
        try:
            mm.close()
        except BufferError:  # a slice is still in use; the OS cleans up at exit
            pass
    if fh is not None:
        fh.close()


def read_file_bytes(path: str | Path) -> bytes:
    """The whole file, or ``UnreadableFile`` with a one-line reason (for the parse-whole formats)."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(str(path), "is a directory, not a record file") from None
    except OSError as exc:
        raise UnreadableFile(str(path), exc.strerror or str(exc)) from None


class RecordSource(ABC):
    """Record slots addressed by number, each parsed when first asked for and kept in a small
    cache; an edited record put in its slot with ``replace`` stays there."""

    format: str = ""
    #: parsed entries kept (least recently used ones are dropped)
    CACHE_SIZE = 512

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.complete = False
        self._cache: OrderedDict[int, Entry] = OrderedDict()
        self._pinned: dict[int, Entry] = {}
        #: (slots looked at, 001 of a bib -> slots of holdings records naming it in 004)
        self._hidx: tuple[int, dict[str, list[int]]] = (0, {})

    # -- to implement ---------------------------------------------------------------------------
    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _parse(self, i: int) -> Entry:
        """Parse slot ``i`` (0-based). Must not raise: return a BrokenRecord instead."""

    @abstractmethod
    def raw(self, i: int) -> bytes: ...

    def build_index(self, progress: Progress | None = None) -> None:
        self.complete = True

    def offset(self, i: int) -> int | None:
        return None

    def close(self) -> None:
        """Release the file (indexed sources keep it open or mapped); the records read stay usable.
        Sources parsed whole hold no file."""
        return None

    # -- shared ---------------------------------------------------------------------------------
    def entry(self, i: int) -> Entry:
        cache = self._cache
        if i in cache:
            cache.move_to_end(i)
            return cache[i]
        if i < 0 or i >= len(self):
            raise IndexError(i)
        e = self._parse(i)
        if isinstance(e, LibrisRecord) and e.kind == "bib":
            e.holdings = self.holdings_for(e)
        cache[i] = e
        if len(cache) > self.CACHE_SIZE:
            cache.popitem(last=False)
        return e

    def replace(self, i: int, entry: Entry) -> None:
        """Put an edited record in place of slot ``i`` (kept until the source is closed)."""
        self._cache[i] = entry
        self._pinned[i] = entry

    # -- new records (a new record from a template) ----------------------------------------------
    def append(self, entry: Entry) -> int:
        """Put a new record after the file's last one (indexed through first); kept like an edited
        one. Returns its slot."""
        if not self.complete:
            self.build_index()
        slot = self._append_slot(entry)
        self.replace(slot, entry)
        return slot

    def pop_appended(self, slot: int) -> None:
        """Take back the last record ``append`` put in (its slot must be the last one)."""
        if slot != len(self) - 1 or slot not in self._pinned:
            raise IndexError(slot)
        self._drop_slot()
        self._pinned.pop(slot, None)
        self._cache.pop(slot, None)

    def _append_slot(self, entry: Entry) -> int:
        raise NotImplementedError(f"{type(self).__name__} cannot take new records")

    def _drop_slot(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot take new records")

    @property
    def has_edits(self) -> bool:
        """Whether any slot holds an edited record (``replace``)."""
        return bool(self._pinned)

    def read_entry(self, i: int) -> Entry:
        """Slot ``i``'s record as ``entry`` gives it, but read afresh and not kept in the cache
        (whole-file passes: memory stays flat)."""
        pinned = self._pinned.get(i)
        return pinned if pinned is not None else self._parse(i)

    def edited_entries(self) -> Mapping[int, Entry]:
        """Slot -> edited record, for every slot ``replace`` has put a record in (read only)."""
        return MappingProxyType(self._pinned)

    def edited(self, i: int) -> Entry | None:
        """The edited record in slot ``i``, or None when it holds what the file holds."""
        return self._pinned.get(i)

    def forget_parsed(self) -> None:
        """Drop the parsed entries (not the edited ones): bibs parsed before all their holdings
        records were indexed are linked again when next asked for."""
        self._cache = OrderedDict(self._pinned)

    def __iter__(self) -> Iterator[Entry]:
        if not self.complete:
            self.build_index()
        pinned = self._pinned
        for i in range(len(self)):
            yield pinned[i] if i in pinned else self.entry(i)

    def records(self) -> Iterator[LibrisRecord]:
        for e in self:
            if isinstance(e, LibrisRecord):
                yield e

    def broken(self) -> Iterator[BrokenRecord]:
        for e in self:
            if isinstance(e, BrokenRecord):
                yield e

    # -- holdings linking (004 = 001, same file) -----------------------------------------------
    def holdings_for(self, bib: LibrisRecord) -> list[LibrisRecord]:
        cn = bib.control_number
        if not cn:
            return []
        idx = self.link_holdings()
        return [h for h in (self._parse(j) for j in idx.get(cn.strip(), ())) if isinstance(h, LibrisRecord)]

    def link_holdings(self) -> dict[str, list[int]]:
        """001 of a bib -> slots of the holdings records naming it in 004. Made once for the slots
        indexed so far and extended as the index grows (call it once before sharing work out)."""
        done, hidx = self._hidx
        slots = self.holdings_candidates()
        n = len(slots)  # indexing may append meanwhile (a worker thread)
        if done == n:
            return hidx
        hidx = {k: list(v) for k, v in hidx.items()}
        for j in slots[done:n]:
            key = self.linked_bib_of(j)
            if key:
                hidx.setdefault(key, []).append(j)
        self._hidx = (n, hidx)
        return hidx

    def holdings_candidates(self) -> Sequence[int]:
        """Slots that may be holdings records, ascending (only ever appended to). Indexed sources
        answer from what indexing saw; this answer is every slot."""
        return range(len(self))

    def linked_bib_of(self, j: int) -> str | None:
        """The 001 the holdings record in slot ``j`` names in its 004 (None if it is not one)."""
        e = self._parse(j)
        return e.linked_bib if isinstance(e, LibrisRecord) and e.kind == "holdings" else None


class ListSource(RecordSource):
    """A source whose records were all parsed up front (small text formats, JSON-LD)."""

    def __init__(self, path: str | Path, entries: list[Entry], raws: list[bytes] | None = None, fmt: str = ""):
        super().__init__(path)
        self._entries = entries
        self._raws = raws or [b""] * len(entries)
        self.format = fmt or self.format
        self.complete = True

    def __len__(self) -> int:
        return len(self._entries)

    def _parse(self, i: int) -> Entry:
        return self._entries[i]

    def raw(self, i: int) -> bytes:
        return self._raws[i]

    def offset(self, i: int) -> int | None:
        e = self._entries[i]
        return e.offset

    def _append_slot(self, entry: Entry) -> int:
        self._entries.append(entry)
        self._raws.append(b"")
        return len(self._entries) - 1

    def _drop_slot(self) -> None:
        self._entries.pop()
        self._raws.pop()
