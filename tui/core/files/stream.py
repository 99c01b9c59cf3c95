"""The records a save or an export writes, one at a time, in the file's order.

``Item``: one record slot of the input as the writer sees it: the entry (a ``LibrisRecord`` or
a ``BrokenRecord``), its bytes as they stand in the input file (``raw``), whether it was edited,
and the record as it was before (``original``, for the validator).

``source_items(src, ...)`` gives the items of a ``RecordSource`` without keeping them: an ISO 2709
file is read a window at a time, each record parsed once (the same parser as ``entry``), and
nothing is cached; edited records (``RecordSource.replace``) come as they are now.

``Planner`` turns items into what is written (``Out``): a record to encode, or bytes to copy.
Holdings (embedded with $5 sigel, or holdings records linked by 004), three ways:

* ``keep`` (a save, and an export unless told otherwise): records as they are, holdings records stay holdings records and embedded
  holdings stay embedded; a holding added in this session goes where the file keeps holdings:
  embedded in its bib when the bib embeds (or the file does and the bib has no holdings records),
  else a holdings record after the bib and the holdings records that follow it.
* ``records``: the same, with embedded ``$5`` holdings split out into
  holdings records right after their bib.
* ``embedded``: every holdings record of the file embedded in ONE bib, its owner: the nearest bib
  before it whose 001 its 004 names, else the first one after (``holdings_owners``). A file with a
  bib's 001 twice therefore writes each holding once (DUP-REPORT says the 001 is doubled), never
  once per copy. Holdings whose bib is not in the file stay holdings records.

Linked holdings are attached to their owner by this identity, never by looking up every holding
with that 001 (which gave n copies of a bib n x n holdings). The owners are found by a pass over
the holdings records and the bibs' 001s (raw bytes for ISO 2709), only when the file has holdings
records.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass

from tui.core.model import holdings as hmod
from tui.core.model.record import BrokenRecord, Entry, LibrisRecord, Record
from tui.core.rules.detect import embedded_holding_sigels
from tui.core.sources.base import RecordSource

HOLDINGS_MODES = ("keep", "records", "embedded")
#: how far after its bib a holdings record may stand for the bib's parse of it to be reused
AHEAD = 64
PLAN_MODES = HOLDINGS_MODES


@dataclass
class Item:
    slot: int
    entry: Entry
    raw: bytes | None = None
    edited: bool = False
    original: LibrisRecord | None = None
    #: parsed from ISO 2709 just now and not changed since (the validator's fast path)
    fresh: bool = False


@dataclass
class Out:
    """One record to write: ``marc`` to encode, or ``raw`` bytes to copy as they are."""

    marc: Record | None
    raw: bytes | None
    holdings: int  # holdings it stands for: 1 for a holdings record, n for n embedded
    kind: str  # bib / holdings / authority / unreadable
    item: Item | None = None


# -- reading ------------------------------------------------------------------------------------


def _iso_slots(src, lo: int, hi: int) -> Iterator[tuple[int, bytes]]:
    """``(slot, bytes)`` of an ISO 2709 source's slots ``lo:hi``, read a window at a time."""
    from tui.core.formats.iso2709 import WINDOW

    return src.raw_slots(lo, hi, WINDOW)


def _is_iso(src) -> bool:
    from tui.core.formats.iso2709 import Iso2709Source

    return isinstance(src, Iso2709Source)


def _pinned(src: RecordSource) -> Mapping[int, Entry]:
    return src.edited_entries()


def holdings_owners(src: RecordSource) -> dict[int, list[int]]:
    """bib slot -> the holdings slots it owns (see the module docstring): each holdings record of
    the file has at most one owner. Empty when the file has no linked holdings records."""
    if not src.complete:
        src.build_index()
    hidx = src.link_holdings()  # 001 named in 004 -> holdings slots (raw bytes for ISO 2709)
    if not hidx:
        return {}
    link_of: dict[int, str] = {j: key for key, slots in hidx.items() for j in slots}
    wanted = set(hidx)
    pinned = _pinned(src)

    bad = getattr(src, "bad", {})

    def control_numbers() -> Iterator[tuple[int, str | None]]:
        if _is_iso(src):
            from tui.core.formats.iso2709 import field_bytes

            for k, raw in _iso_slots(src, 0, len(src)):
                if k in pinned:
                    e = pinned[k]
                    yield k, _bib_cn(e)
                elif k in link_of or k in bad or raw[6:7] in (b"u", b"v", b"x", b"y"):
                    yield k, None
                else:
                    try:
                        cn = field_bytes(bytes(raw), b"001")
                    except Exception:
                        yield k, None
                        continue
                    yield k, cn[0].decode("utf-8", "replace").strip() if cn else None
        else:
            for k in range(len(src)):
                yield k, _bib_cn(src.read_entry(k))

    return _assign_owners(((k, link_of.get(k), cn) for k, cn in control_numbers()), wanted)


def _assign_owners(slots: Iterable[tuple[int, str | None, str | None]], wanted: set[str]) -> dict[int, list[int]]:
    """``(slot, 004 of a holdings record, 001 of a bib)`` in file order -> bib slot -> the holdings
    slots it owns: the nearest bib before a holding whose 001 its 004 names, else the first after."""
    last_bib: dict[str, int] = {}
    waiting: dict[str, list[int]] = {}
    owners: dict[int, list[int]] = {}
    for k, key, cn in slots:
        if key is not None:
            if key in last_bib:
                owners.setdefault(last_bib[key], []).append(k)
            else:
                waiting.setdefault(key, []).append(k)
        elif cn and cn in wanted:
            last_bib[cn] = k
            early = waiting.pop(cn, None)
            if early:
                owners.setdefault(k, []).extend(early)
    return owners


def _bib_cn(e: Entry) -> str | None:
    if isinstance(e, LibrisRecord) and e.kind != "holdings":
        return (e.control_number or "").strip() or None
    return None


def source_items(
    src: RecordSource,
    *,
    edited: Container[int] | None = None,
    originals: Callable[[int], Entry | None] | None = None,
    owners: dict[int, list[int]] | None = None,
) -> Iterator[Item]:
    """The items of ``src`` in order, one at a time (see the module docstring).

    ``edited``: slots whose records differ from the file (default: every replaced slot);
    ``originals(slot)``: the record as read, for an edited slot; ``owners``: from
    ``holdings_owners`` (computed when not given): each bib's ``holdings`` are the holdings records
    it owns (the validator's record state needs them: an APIS holding makes an e-plikt record)."""
    if not src.complete:
        src.build_index()
    pinned = _pinned(src)
    if edited is None:
        edited = set(pinned)
    if owners is None:
        owners = holdings_owners(src)
    n = len(src)

    #: holdings records parsed for the bib just before them: their own item takes that parse
    ahead: dict[int, Entry] = {}

    def linked(slot: int) -> list[LibrisRecord]:
        out = []
        for j in owners.get(slot, ()):
            h = src.read_entry(j)
            if isinstance(h, LibrisRecord):
                out.append(h)
                if slot < j <= slot + AHEAD and j not in pinned:
                    ahead[j] = h
        return out

    def item(k: int, e: Entry, raw: bytes | None, fresh: bool) -> Item:
        ed = k in edited
        orig = None
        if ed and originals is not None:
            o = originals(k)
            orig = o if isinstance(o, LibrisRecord) else None
        return Item(k, e, raw, ed, orig, fresh and not ed)

    if _is_iso(src):
        from tui.core.formats.iso2709 import parse_record

        bad, starts, path = src.bad, src.starts, src.path  # type: ignore[attr-defined]
        for k, raw in _iso_slots(src, 0, n):
            b = bytes(raw)
            p = pinned.get(k)
            if p is not None:
                yield item(k, p, b, False)
                continue
            reason = bad.get(k)
            if reason is not None:
                yield item(k, BrokenRecord(path, k + 1, starts[k], reason, raw=b), b, False)
                continue
            e = ahead.pop(k, None) or parse_record(b, path, k + 1, starts[k])
            if owners and type(e) is LibrisRecord and k in owners:
                e.holdings = linked(k)
            yield item(k, e, b, True)
        return
    for k in range(n):
        p = pinned.get(k)
        if p is not None:
            yield item(k, p, src.raw(k) or None, False)
            continue
        e = ahead.pop(k, None) or src.read_entry(k)
        if isinstance(e, LibrisRecord) and e.kind == "bib":
            e.holdings = linked(k)
        yield item(k, e, src.raw(k) or None, False)


def entry_items(
    entries: Iterable[Entry], originals: Callable[[int, Entry], LibrisRecord | None] | None = None
) -> Iterator[Item]:
    """Items of records in memory (no file bytes: every record is encoded)."""
    for k, e in enumerate(entries):
        yield Item(k, e, None, True, originals(k, e) if originals is not None else None)


def entry_owners(entries: list[Entry]) -> dict[int, list[int]]:
    """``holdings_owners`` for records in memory."""
    keys = {e.linked_bib for e in entries if isinstance(e, LibrisRecord) and e.kind == "holdings" and e.linked_bib}
    if not keys:
        return {}

    def slots() -> Iterator[tuple[int, str | None, str | None]]:
        for k, e in enumerate(entries):
            if isinstance(e, LibrisRecord):
                if e.kind == "holdings":
                    if e.linked_bib:
                        yield k, e.linked_bib, None
                else:
                    yield k, None, _bib_cn(e)

    return _assign_owners(slots(), keys)


# -- planning -----------------------------------------------------------------------------------


def _new_holdings(e: LibrisRecord) -> list[LibrisRecord]:
    """Holdings made in memory (HOLD-ADD in this session: no place in the file yet)."""
    return [h for h in e.holdings if not h.number]


class Planner:
    """Items in, ``Out`` records out, in order (see the module docstring).

    ``owners`` / ``fetch(slot)``: for ``embedded`` (each bib's holdings records, as they are now);
    ``raw_ok``: an unedited record may be written as its input bytes (the output format is the
    input's and its writer takes them); ``embed_new``: in ``keep``, a new holding of a bib that
    has no embedded holdings is embedded all the same (the file is a Libris export)."""

    def __init__(
        self,
        mode: str,
        *,
        owners: dict[int, list[int]] | None = None,
        fetch: Callable[[int], Entry] | None = None,
        raw_ok: bool = False,
        embed_new: bool = False,
    ):
        if mode not in PLAN_MODES:
            raise ValueError(f"holdings {mode!r}: use {', '.join(PLAN_MODES)}")
        self.mode = mode
        self.owners = owners or {}
        self.owned = {j for v in self.owners.values() for j in v} if mode == "embedded" else set()
        self.fetch = fetch
        self.raw_ok = raw_ok
        self.embed_new = embed_new
        self._pending: list[LibrisRecord] = []
        self._pending_bib: str | None = None
        self.records = 0  # records written that are not holdings records
        self.holdings = 0  # holdings written, as records or embedded

    def _out(self, marc: Record | None, raw: bytes | None, kind: str, item: Item | None, holdings: int = 0) -> Out:
        if kind == "holdings":
            self.holdings += 1
            holdings = 1
        else:
            self.records += 1
            self.holdings += holdings
        return Out(marc, raw, holdings, kind, item)

    def _flush_pending(self) -> list[Out]:
        out = [self._out(h.marc, None, "holdings", None) for h in self._pending]
        self._pending = []
        self._pending_bib = None
        return out

    def feed(self, item: Item, *, keep_broken: bool = False) -> list[Out]:
        """What to write for ``item`` (and for anything it ends). A ``BrokenRecord`` is written
        as its bytes when ``keep_broken``, else left out (the caller decides and reports)."""
        e = item.entry
        out: list[Out] = []
        if self._pending and not (
            isinstance(e, LibrisRecord) and e.kind == "holdings" and e.linked_bib == self._pending_bib
        ):
            out += self._flush_pending()
        if isinstance(e, BrokenRecord):
            if keep_broken:
                out.append(self._out(None, e.raw, "unreadable", item))
            return out
        if not isinstance(e, LibrisRecord):
            return out
        as_is = item.raw if (self.raw_ok and item.raw and not item.edited) else None
        if e.kind != "bib":
            if e.kind == "holdings" and item.slot in self.owned:
                return out  # embedded in its owner
            out.append(self._out(e.marc if as_is is None else None, as_is, e.kind, item))
            return out
        new = _new_holdings(e)
        if self.mode == "embedded":
            group: list[LibrisRecord] = []
            if self.fetch is not None:
                for j in self.owners.get(item.slot, ()):
                    h = self.fetch(j)
                    if isinstance(h, LibrisRecord):
                        group.append(h)
            group += new
            marc = hmod.embed(e.marc, [h.marc for h in group]) if group else e.marc
            n = len(embedded_holding_sigels(marc))
            raw = as_is if not group else None
            out.append(self._out(marc if raw is None else None, raw, "bib", item, n))
            return out
        embedded = embedded_holding_sigels(e.marc)
        if self.mode == "records" and embedded:
            bib, split = hmod.split_embedded(e.marc)
            out.append(self._out(bib, None, "bib", item))
            out += [self._out(h, None, "holdings", None) for h in split]
        elif new and (embedded or (self.embed_new and item.slot not in self.owners)):
            # keep: embedded where the bib embeds, or where the file does and the bib has no
            # holdings records of its own
            marc = hmod.embed(e.marc, [h.marc for h in new])
            out.append(self._out(marc, None, "bib", item, len(embedded_holding_sigels(marc))))
            return out
        else:
            out.append(self._out(e.marc if as_is is None else None, as_is, "bib", item, len(embedded)))
        if new:
            self._pending = list(new)
            self._pending_bib = (e.control_number or "").strip() or None
        return out

    def finish(self) -> list[Out]:
        return self._flush_pending()


__all__ = [
    "Item",
    "Out",
    "Planner",
    "source_items",
    "entry_items",
    "holdings_owners",
    "entry_owners",
    "HOLDINGS_MODES",
    "PLAN_MODES",
]
