"""Which record slots are channel records (CHN-HIDE), decided range by range, kept compactly.

The record list hides channel records (CHN-DETECT: ``245 $h [channel record]``). For a file of a
million records that must neither parse every record nor leave the file in this process's
memory (under 200 MB with a 1M-record file open):

* the bytes of a range of slots are read in chunks of a few MiB: with the source's
  ``read_span`` (``pread``: page cache, not this process's pages) where it has one, else from
  its buffer, releasing a mapping's pages again with ``madvise(MADV_DONTNEED)``;
* each chunk is searched once (C speed) for ``channel record`` in any ASCII case with any
  whitespace between (MARCXML: also any character reference, which could spell it); only the
  records with a hit are parsed and decided by ``detect.is_channel``, the rule itself;
* what is kept is the sorted channel slots in an ``array('q')`` (about 1% of a Libris export):
  rows <-> slots are computed from it by bisection, no Python object per record.
"""

from __future__ import annotations

import mmap
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from tui.core.formats.registry import MARCXML, TURBOMARC
from tui.core.sources.indexed import IndexedSource

#: a record whose bytes (lowered: ASCII only) do not hold this cannot be a channel record
#: (``str.lower`` maps no non-ASCII letter onto these letters, so the parsed test can only say
#: yes where this matched)
_HINT = re.compile(rb"channel\s+record")
#: MARCXML: a character reference to one of those letters or to white space could spell it too
_LETTERS = "channelrecordCHANNELRECORD \t\n\r"
_HINT_XML = re.compile(
    rb"channel\s+record|&#(?:0*(?:"
    + b"|".join(b"%d" % ord(c) for c in sorted(set(_LETTERS)))
    + b")|x0*(?:"
    + b"|".join(b"%x" % ord(c) for c in sorted(set(_LETTERS)))
    + b"));"
)

CHUNK_BYTES = 1 << 20  # a chunk is searched in about a millisecond (the GIL is held meanwhile)
_PAGE = mmap.PAGESIZE


class ChannelIndex:
    """The channel slots among slots ``0 .. upto-1`` (those classified so far)."""

    __slots__ = ("upto", "channels")

    def __init__(self) -> None:
        self.upto = 0
        self.channels = array("q")

    def add(self, upto: int, channel_slots) -> None:
        """Slots up to ``upto`` are classified; ``channel_slots`` (ascending) are the channel
        records among them. Slots classified before (below the old ``upto``) are not added
        again, so two classifications may overlap."""
        if upto <= self.upto:
            return
        old = self.upto
        self.channels.extend(s for s in channel_slots if s >= old)
        self.upto = upto

    @property
    def channel_count(self) -> int:
        return len(self.channels)

    def is_channel(self, slot: int) -> bool:
        ch = self.channels
        i = bisect_left(ch, slot)
        return i < len(ch) and ch[i] == slot

    def rows(self, show_channels: bool) -> int:
        return self.upto if show_channels else self.upto - len(self.channels)

    def row_for_slot(self, slot: int, show_channels: bool) -> int | None:
        if slot < 0 or slot >= self.upto:
            return None
        if show_channels:
            return slot
        if self.is_channel(slot):
            return None
        return slot - bisect_left(self.channels, slot)

    def nearest_row(self, slot: int) -> int:
        """The row (channel records hidden) of the first shown slot at or after ``slot``."""
        return max(0, slot - bisect_left(self.channels, slot))

    def slot_for_row(self, row: int, show_channels: bool) -> int:
        if show_channels or not self.channels:
            return row
        ch = self.channels
        # the smallest slot s with (s + 1 - channels <= s) == row + 1: a shown slot, by bisection
        lo, hi = row, row + len(ch)
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + 1 - bisect_right(ch, mid) >= row + 1:
                hi = mid
            else:
                lo = mid + 1
        return lo


#: a page fault in a mapping maps the pages around it too (Linux: 64 KiB by default)
_FAULT_AROUND = 64 << 10


def release_pages(src, start: int = 0, end: int | None = None) -> None:
    """Drop the pages of ``src``'s file mapping between ``start`` and ``end`` (all of it by default)
    from this process. They stay in the page cache; touching them again maps them again. Reading
    a record through a mapping maps a fault-around window of pages with it, so parsing every
    hundredth record of a large file would otherwise leave most of the file in ru_maxrss."""
    if not isinstance(src, IndexedSource) or not isinstance(src.buf, mmap.mmap):
        return
    buf = src.buf
    try:
        size = len(buf)
        lo = max(0, (start - _FAULT_AROUND) // _PAGE * _PAGE)
        hi = size if end is None else min(size, end + _FAULT_AROUND)
        if hi > lo:
            buf.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
    except (AttributeError, OSError, ValueError):  # closed, or no madvise on this platform
        pass


def _reader(src):
    """``read(start, end) -> (data, base)`` over the source's file bytes (``data[i]`` is the
    byte at ``base + i``; searched between ``start - base`` and ``end - base``), and
    ``release(start, end)`` for a mapping's pages, or (None, None) when it has no such bytes."""
    if not isinstance(src, IndexedSource):
        return None, None
    buf = src.buf
    if isinstance(buf, mmap.mmap):

        def release(start: int, end: int) -> None:
            release_pages(src, start, end)

        return (lambda s, e: (src.read_span(s, e), s)), release
    return (lambda s, e: (buf, 0)), None


def channel_slots(
    src,
    start: int,
    end: int,
    decide: Callable[[int], bool],
    *,
    cancelled: Callable[[], bool] = lambda: False,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[int]:
    """The channel slots among ``start .. end-1`` of ``src`` (ascending).

    ``decide(slot)`` says whether a slot whose bytes mention a channel record really is one (it
    parses the record: ``detect.is_channel``). Indexed sources (``starts``/``ends`` offsets) are
    read a chunk at a time; any other source slot by slot with ``raw``.
    """
    if start >= end:
        return []
    hint = _HINT_XML if src.format in (MARCXML.id, TURBOMARC.id) else _HINT
    read, release = _reader(src)
    out: list[int] = []
    if read is None:
        for slot in range(start, end):
            try:
                raw = src.raw(slot)
            except Exception:
                raw = b""
            if (not raw or hint.search(raw.lower())) and decide(slot):
                out.append(slot)
        return out
    assert isinstance(src, IndexedSource)  # _reader reads only indexed sources
    starts, ends = src.starts, src.ends
    slot = start
    while slot < end:
        if cancelled():
            break
        # the records that start within a chunk's length (at least one)
        first_byte = starts[slot]
        stop = bisect_right(starts, first_byte + chunk_bytes, slot + 1, end)
        last_byte = ends[stop - 1]
        data, base = read(first_byte, last_byte)
        low = data[first_byte - base : last_byte - base].lower()
        del data
        hits: list[int] = []
        seen = -1
        for m in hint.finditer(low):
            s = bisect_right(starts, first_byte + m.start(), slot, stop) - 1
            if s != seen and s >= slot:
                hits.append(s)
                seen = s
        del low
        for s in hits:
            if decide(s):  # parses the record: through the mapping, perhaps
                out.append(s)
        if release is not None:
            release(first_byte, last_byte)
        slot = stop
    return out
