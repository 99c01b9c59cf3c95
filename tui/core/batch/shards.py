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
    return {cn: [(starts[j], ends[j], j) for j in slots] for cn, slots in src._holdings_index().items()}


def iter_slots(src, lo: int, hi: int, first: int, progress: Progress | None = None) -> Iterator[tuple]:
    """``(number, start, end, data, a, e, reason)`` for each slot in the bytes ``lo:hi`` of ``src``
    (record boundaries): its 1-based number, its offsets in the file, and where its bytes are
    (``data[a:e]``); ``reason`` is why indexing finds it broken (else None)."""
    from tui.core.formats import iso2709

    starts, ends, hold = array("q"), array("q"), array("q")
    bad: dict[int, str] = {}
    pos, want, slot = lo, iso2709.WINDOW, 0
    while pos < hi:
        if src._mm is None:  # a small file, in memory: the range at once
            end = hi
            window, wbase = src.buf[lo:hi], lo
        else:
            end = min(hi, pos + want)
            window, wbase = src.read_span(pos, end), pos
        s0 = slot
        p, slot, more = iso2709.segment(window, wbase, pos - wbase, end >= hi, slot, 1 << 62, starts, ends, bad, hold)
        for k in range(s0, slot):
            a, e = starts[k], ends[k]
            yield first + k + 1, a, e, window, a - wbase, e - wbase, bad.get(k)
        new = wbase + p
        if progress is not None:
            progress(new - lo, hi - lo)
        if new >= hi or end >= hi:
            break
        want = want * 2 if more and new == pos else iso2709.WINDOW
        pos = new


def iter_shard(shard: Shard, links: Links | None = None, progress: Progress | None = None) -> Iterator[Entry]:
    """The entries of ``shard`` (see the module's text)."""
    from tui.core.formats.iso2709 import parse_record

    src = shard_source(shard.file)
    path = src.path
    for number, start, _end, data, a, e, reason in iter_slots(src, shard.lo, shard.hi, shard.first, progress):
        if reason is not None:
            yield BrokenRecord(path, number, start, reason, raw=bytes(data[a:e]))
            continue
        rec = parse_record(data[a:e], path, number, start)
        if links and type(rec) is LibrisRecord and rec.kind == "bib":
            cn = rec.control_number
            found = links.get(cn.strip()) if cn else None
            if found:
                rec.holdings = [
                    h
                    for h in (parse_record(src.read_span(s, t), path, j + 1, s) for s, t, j in found)
                    if isinstance(h, LibrisRecord)
                ]
        yield rec


__all__ = ["Links", "holdings_links", "iter_slots", "iter_shard"]
