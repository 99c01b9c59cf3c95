"""The records of one shard of an ISO 2709 file, read in a worker that has no index of the file.

``iter_shard(shard, links)`` gives the entries of the shard's byte range exactly as
``Iso2709Source.iter_entries`` gives those slots: the same record numbers (from the shard's
first slot), ``BrokenRecord`` where indexing finds one, and each bibliographic record with the
holdings records of the file that link to it (004 = 001), from ``holdings_links(src)``, which the
parent makes once from its index and hands to every worker. The range is read a window at a time
(``pread``) and cut into slots by the index's own code (``iso2709.segment``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from tui.core.batch.engine import Shard, shard_source
from tui.core.model.record import BrokenRecord, Entry, LibrisRecord
from tui.core.sources.base import Progress

#: 001 of a bib -> ``(start, end, slot)`` of each holdings record linked to it, in file order
Links = dict[str, list[tuple[int, int, int]]]


def holdings_links(src) -> Links | None:
    """The holdings links of an indexed ISO 2709 source, for ``iter_shard`` (None: it has none)."""
    if not len(src.holdings_slots):
        return None
    starts, ends = src.starts, src.ends
    return {cn: [(starts[j], ends[j], j) for j in slots] for cn, slots in src.link_holdings().items()}


def iter_windows(src, lo: int, hi: int, first: int, progress: Progress | None = None) -> Iterator[tuple]:
    """``(window, wbase, slots)`` for the bytes ``lo:hi`` of ``src`` (record boundaries), a
    window at a time: the window's bytes (the file's from offset ``wbase``) and its slots as
    ``(number, a, e, reason)``: 1-based number, where its bytes are (``window[a:e]``), and why
    indexing finds it broken (else None)."""
    from tui.core.formats import iso2709

    starts, ends, hold = array("q"), array("q"), array("q")
    bad: dict[int, str] = {}
    pos, want, slot = lo, iso2709.WINDOW, 0
    while pos < hi:
        if not src.mapped:  # a small file, in memory: the range at once
            end = hi
            window, wbase = src.buf[lo:hi], lo
        else:
            end = min(hi, pos + want)
            window, wbase = src.read_span(pos, end), pos
        s0 = slot
        p, slot, more = iso2709.segment(window, wbase, pos - wbase, end >= hi, slot, 1 << 62, starts, ends, bad, hold)
        if slot > s0:
            yield (
                window,
                wbase,
                [(first + k + 1, starts[k] - wbase, ends[k] - wbase, bad.get(k)) for k in range(s0, slot)],
            )
        new = wbase + p
        if progress is not None:
            progress(new - lo, hi - lo)
        if new >= hi or end >= hi:
            break
        want = want * 2 if more and new == pos else iso2709.WINDOW
        pos = new


def iter_slots(src, lo: int, hi: int, first: int, progress: Progress | None = None) -> Iterator[tuple]:
    """``(number, start, end, data, a, e, reason)`` for each slot of ``iter_windows``: its
    number, its offsets in the file, where its bytes are (``data[a:e]``) and why it is broken."""
    for window, wbase, slots in iter_windows(src, lo, hi, first, progress):
        for number, a, e, reason in slots:
            yield number, wbase + a, wbase + e, window, a, e, reason


class LinkedHoldings:
    """What an edit command asks a source for, in a worker: the holdings records of the file
    linked to a bib (``holdings_for``), read from the links the parent made."""

    def __init__(self, src, links: Links | None):
        self.src, self.links = src, links or {}

    def holdings_for(self, bib: LibrisRecord) -> list[LibrisRecord]:
        from tui.core.formats.iso2709 import parse_record

        cn = bib.control_number
        found = self.links.get(cn.strip()) if cn else None
        if not found:
            return []
        path = self.src.path
        out = (parse_record(self.src.read_span(s, t), path, j + 1, s) for s, t, j in found)
        return [h for h in out if isinstance(h, LibrisRecord)]


def iter_shard(shard: Shard, links: Links | None = None, progress: Progress | None = None) -> Iterator[Entry]:
    """The entries of ``shard`` (see the module's text)."""
    from tui.core.formats.iso2709 import parse_record

    src = shard_source(shard.file)
    path = src.path
    linked = LinkedHoldings(src, links) if links else None
    prev = -1  # where the slot before ended (-1: before the shard, not known here)
    for number, start, end, data, a, e, reason in iter_slots(src, shard.lo, shard.hi, shard.first, progress):
        if reason is not None:
            prev = end
            yield BrokenRecord(path, number, start, reason, raw=bytes(data[a:e]))
            continue
        rec = parse_record(data[a:e], path, number, start)
        if type(rec) is LibrisRecord:
            _filler(src, rec, prev, start, end, shard.hi)
        prev = end
        if linked is not None and type(rec) is LibrisRecord and rec.kind == "bib":
            rec.holdings = linked.holdings_for(rec)
        yield rec


def _filler(src, rec: LibrisRecord, prev: int, start: int, end: int, hi: int) -> None:
    """STRUCT-FILLER on ``rec`` as ``Iso2709Source.iter_entries`` puts it, found without the
    index: the bytes skipped before it (before the shard's first record, found by looking back),
    and after it when it is the file's last record (only filler follows)."""
    from tui.core.formats.iso2709 import filler_edge, filler_issue

    gaps = []
    before = prev if prev >= 0 else (filler_edge(src, start, False) if start > 0 else 0)
    if before != start:
        gaps.append(filler_issue(src, before, start, False))
    if end == hi and end < src.size and filler_edge(src, end, True) >= src.size:
        gaps.append(filler_issue(src, end, src.size, True))
    if gaps:
        rec.issues[:0] = gaps


__all__ = ["Links", "LinkedHoldings", "holdings_links", "iter_windows", "iter_slots", "iter_shard"]
