"""Validated export: every record checked as it is written, nothing replaced on any error, the
report written before the output takes effect.

* Formats: every format ``tui.core.formats.registry`` says is exportable.
* Streaming: a ``RecordSource`` is read a record at a time (``stream.source_items``), each
  record parsed once, validated (the validator of ``tui.core.validation``, record by record, its
  cross-record checks on compact key tables) and written; only the findings' counts, the first
  ``KEEP_FINDINGS`` of them and the records Katalogsupport needs to hear about stay in memory, the
  rest of the findings wait in a temporary file for the report. An ISO 2709 record that was not
  edited is written as its input bytes, so an unedited ISO 2709 to ISO 2709 export copies every
  record byte for byte.
* Order and holdings: records go out in the input's order; holdings as ``stream.Planner`` says
  (``keep``, the default: as the file has them; ``records``: holdings records, embedded ones split
  out after their bib; ``embedded``: each in its one owner bib).
* Unreadable records: ``broken`` (``broken.BrokenPolicy``): keep (byte for byte, ISO 2709 to
  ISO 2709), drop, or refuse (the default); the choice and the count go into the report.
* Files: the output goes to a temporary file, is checked (ISO 2709: each new record's structure
  as it is written, and the written file indexed again: the same number of records, none
  unreadable but those kept), the report is written, and only then the output replaces anything.
  An existing file is replaced only when asked (``overwrite=True``; ``OutputExists`` says its size
  and time for the question, ``OutputIsInput`` when it is an input file); a replaced file is kept
  as a backup (``atomic.py``); temporary files a crash left beside the output are removed.
* Failures: ``ExportRefused`` (validation errors, nothing written), ``ExportFailed`` (a writer
  refused a record or the output did not read back, nothing written), ``WriteFailed`` (the disk
  said no: full, permission denied, a folder; the message names the file and the record, and
  says the old file is kept; ``report_written`` when the report was written but the output not).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import TextIO

from tui.core.files.atomic import (
    AtomicWriter,
    ExistingFile,
    WriteFailed,
    existing_file,
    write_failure,
)
from tui.core.files.broken import BrokenOutcome, BrokenPolicy, can_keep
from tui.core.files.stream import (
    HOLDINGS_MODES,
    PLAN_MODES,
    Item,
    Out,
    Planner,
    entry_items,
    entry_owners,
    holdings_owners,
    source_items,
)
from tui.core.formats import format_for_output, open_source, registry, write_records
from tui.core.model.record import BrokenRecord, Entry, LibrisError, LibrisRecord, Record
from tui.core.sources.base import RecordSource
from tui.core.validation.validate import Finding

#: findings kept in memory (the rest are counted, and written to the report from a spool)
KEEP_FINDINGS = 1000


class ExportRefused(LibrisError):
    """Validation found errors: nothing was written. ``errors`` has the first of them (up to
    ``KEEP_FINDINGS``), ``error_count`` how many there are, ``findings`` every finding kept."""

    def __init__(self, findings: list[Finding], error_count: int | None = None):
        self.findings = findings
        self.errors = [f for f in findings if f.severity == "error"]
        n = len(self.errors) if error_count is None else error_count
        self.error_count = n
        first = self.errors[0].describe() if self.errors else ""
        super().__init__(
            f"export refused: {n} error{'s' if n != 1 else ''}, nothing was written"
            + (f" (first: {first})" if first else "")
        )


class ExportFailed(LibrisError):
    """The records could not be written in the format asked for (the writer refused a record, or
    the written file did not read back); nothing was written."""


class OutputExists(LibrisError):
    """The output exists and ``overwrite`` was not given. ``existing``: its size and time."""

    def __init__(self, existing: ExistingFile, message: str | None = None):
        self.existing = existing
        super().__init__(
            message or f"{existing.describe()} exists; it is replaced only when you ask (--overwrite; a backup is kept)"
        )


class OutputIsInput(OutputExists):
    """The output would replace an input file and ``overwrite`` was not given."""

    def __init__(self, existing: ExistingFile):
        super().__init__(
            existing,
            f"{existing.path}: this is an input file; it is never overwritten unless you confirm "
            "(a backup of it is kept)",
        )


@dataclass
class ExportResult:
    path: Path
    report_path: Path | None
    format: str
    records: int
    holdings: int
    #: the findings (the first ``KEEP_FINDINGS``; ``summary`` counts them all)
    findings: list[Finding] = dc_field(default_factory=list)
    backup_path: Path | None = None
    summary: dict = dc_field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    broken: list[BrokenOutcome] = dc_field(default_factory=list)
    #: temporary files an earlier crash left beside the output, removed now
    stale_removed: list[Path] = dc_field(default_factory=list)
    #: records written as their input bytes (not encoded again)
    copied: int = 0
    holdings_mode: str = "records"

    @property
    def kept_broken(self) -> int:
        return sum(1 for b in self.broken if b.choice == "keep")

    @property
    def dropped_broken(self) -> int:
        return sum(1 for b in self.broken if b.choice == "drop")


def _real(p: str | os.PathLike) -> str:
    return os.path.realpath(os.fspath(p))


def input_paths(*collections) -> set[str]:
    """Real paths of the files the records came from (sources and records alike)."""
    out: set[str] = set()
    for c in collections:
        if c is None:
            continue
        if isinstance(c, (str, os.PathLike)):
            out.add(_real(c))
            continue
        if isinstance(c, RecordSource):
            if c.path:
                out.add(_real(c.path))
            continue  # its records come from it
        if isinstance(c, (list, tuple)):
            for e in c:
                p = getattr(e, "path", "")
                if p:
                    out.add(_real(p))
    return out


def check_output(out_path: str | os.PathLike, inputs: Iterable = (), overwrite: bool = False) -> ExistingFile | None:
    """May ``out_path`` be written? Raises ``OutputIsInput`` / ``OutputExists`` when it would
    replace a file and ``overwrite`` is false; returns what it would replace (None: nothing)."""
    target = Path(_real(out_path))
    existing = existing_file(target)
    if existing is None or overwrite:
        return existing
    if target.is_dir():
        return existing  # the writer says "is a folder"
    if str(target) in input_paths(*inputs):
        raise OutputIsInput(ExistingFile(Path(out_path), existing.size, existing.mtime))
    raise OutputExists(ExistingFile(Path(out_path), existing.size, existing.mtime))


def default_output(input_path: str | os.PathLike, fmt: str) -> Path:
    """A name for an export of ``input_path`` that is never the input and replaces nothing:
    ``NAME-export.EXT`` beside it, then ``NAME-export-2.EXT`` ..."""
    p = Path(input_path)
    ext = registry.get(fmt).extension if fmt in registry.ids() else (p.suffix or ".out")
    cand = p.with_name(f"{p.stem}-export{ext}")
    n = 2
    while cand.exists() or _real(cand) == _real(p):
        cand = p.with_name(f"{p.stem}-export-{n}{ext}")
        n += 1
    return cand


# -- findings ------------------------------------------------------------------------------------


class FindingLog:
    """Every finding of a run: counted, the first ``keep`` kept, all of them spooled as report
    lines to a temporary file (memory stays flat however many there are)."""

    def __init__(self, keep: int = KEEP_FINDINGS):
        self.keep = keep
        self.kept: list[Finding] = []
        self.counts = {"error": 0, "warning": 0, "info": 0}
        self.blocking = 0
        self.first_errors: list[Finding] = []
        self._spool: TextIO | None = None
        self.katalogsupport: list[Finding] = []

    def add(self, f: Finding, blocking: bool | None = None) -> None:
        self.counts[f.severity] = self.counts.get(f.severity, 0) + 1
        if blocking is None:
            blocking = f.severity == "error"
        if blocking:
            self.blocking += 1
            if len(self.first_errors) < self.keep:
                self.first_errors.append(f)
        if len(self.kept) < self.keep:
            self.kept.append(f)
        if f.katalogsupport:
            self.katalogsupport.append(f)
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="libris-tui-findings-")
        self._spool.write("  " + f.describe().replace("\n", " ") + "\n")

    def lines(self) -> Iterator[str]:
        if self._spool is None:
            return
        self._spool.flush()
        self._spool.seek(0)
        yield from self._spool
        self._spool.seek(0, 2)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


class RecordChecker:
    """The validator, record by record: ``check(item)`` gives the findings of one record;
    ``missing(original)`` those of an original record that is not in the output.

    Adapter over ``tui.core.validation.validate``'s per-record checks (its ``_Run``); nothing of
    the rules is here. Its cross-record tables (the first record of each 001 and of each duplicate
    key) are ``keytable.FirstSeen``: hashes and record numbers, memory flat in the keys' text;
    ``control_number(number)`` gives the 001 a duplicate finding quotes of the first record."""

    def __init__(self, duplicates: bool = True, control_number: Callable[[int], str | None] | None = None):
        from tui.core.files.keytable import FirstSeen
        from tui.core.validation import validate as v

        self._v = v
        self.run = v._Run(None)
        self.run.seen_001 = FirstSeen()  # type: ignore[assignment]  # the same get / []= as its dict
        self.run.dup_keys = FirstSeen(control_number, pairs=True)  # type: ignore[assignment]
        self.duplicates = duplicates

    def check(self, item: Item) -> list[Finding]:
        v, run = self._v, self.run
        start = len(run.findings)
        e = item.entry
        if isinstance(e, BrokenRecord):
            run.findings.append(v._unreadable(e, item.slot))
        elif isinstance(e, LibrisRecord):
            number = e.number or item.slot + 1
            v._check_record(run, e, number, item.original, self.duplicates, fresh=item.fresh)
            for h in e.holdings:
                if not h.number:  # made in memory: not an item of its own
                    v._check_record(run, h, number, None, False, holding_of=e)
        new = run.findings[start:]
        del run.findings[start:]
        return new

    def missing(self, original: LibrisRecord) -> list[Finding]:
        start = len(self.run.findings)
        self._v._missing(self.run, original)
        new = self.run.findings[start:]
        del self.run.findings[start:]
        return new


# -- pairing with an original ---------------------------------------------------------------------


def _cn(e) -> str:
    return (e.control_number or "").strip() if isinstance(e, LibrisRecord) else ""


def _paired_items(items: Iterator[Item], edited_keys: list[str], original) -> tuple[Iterator[Item], list]:
    """``items`` with ``original`` set from ``original`` (a list or a source), paired by 001
    then position (``changes.pair_records``); and the original records no item pairs with."""
    from tui.core.editing.changes import pair_records

    if isinstance(original, RecordSource):
        if not original.complete:
            original.build_index()
        n = len(original)

        def get(j: int):
            return original.entry(j)

        orig_keys = [_cn(original.entry(j)) for j in range(n)]
    else:
        olist = list(original)
        orig_keys = [_cn(o) for o in olist]

        def get(j: int):
            return olist[j]

    pairs = pair_records(orig_keys, edited_keys)
    of_edited = {b: a for a, b in pairs if a is not None and b is not None}
    unpaired = [a for a, b in pairs if b is None and a is not None]

    def gen() -> Iterator[Item]:
        for it in items:
            j = of_edited.get(it.slot)
            o = get(j) if j is not None else None
            it.original = o if isinstance(o, LibrisRecord) else None
            it.fresh = False
            yield it

    missing = []
    for j in unpaired:
        o = get(j)
        if isinstance(o, LibrisRecord):
            missing.append(o)
    return gen(), missing


# -- the input side: items, checked one at a time -------------------------------------------------


@dataclass
class Inputs:
    """What a run reads: the items in order, the holdings owners, and how to fetch a slot."""

    items: Iterator[Item]
    owners: dict[int, list[int]]
    fetch: Callable[[int], Entry]
    total: int
    path: str
    #: original records that no item pairs with (checked at the end: EPL-NODELETE ...)
    missing: list = dc_field(default_factory=list)


def open_inputs(records, original=None, *, edited=None, originals=None, progress=None) -> Inputs:
    """The ``Inputs`` of ``records`` (a ``RecordSource``, streamed, or entries in memory),
    paired with ``original`` (a list or a source) when given."""
    if isinstance(records, RecordSource):
        source = records
        if not source.complete:
            source.build_index(progress)
        owners = holdings_owners(source)
        items: Iterator[Item] = source_items(source, edited=edited, originals=originals, owners=owners)
        fetch = source.read_entry

        total = len(source)
        inp = Inputs(items, owners, fetch, total, source.path)
        if original is not None:
            keys = [_cn(source.read_entry(k)) for k in range(total)]
            inp.items, inp.missing = _paired_items(items, keys, original)
        return inp
    entries = list(records)
    inp = Inputs(entry_items(entries), entry_owners(entries), entries.__getitem__, len(entries), _names(entries))
    if original is not None:
        inp.items, inp.missing = _paired_items(inp.items, [_cn(e) for e in entries], original)
    return inp


class CheckedRun:
    """``(item, findings)`` for each item of ``inputs``, the validator run on each as it passes
    (after ``transform``); ``finish()`` checks the originals that nothing paired with. Keeps the
    records Katalogsupport needs to hear about (an unedited ISO 2709 one as its bytes) and the
    count of readable records; ``log`` is for the caller to fill."""

    def __init__(self, inputs: Inputs, *, transform=None, progress=None):
        self.inputs = inputs
        self.transform = transform
        self.progress = progress
        self._cn_cache: dict[int, str | None] = {}
        self.checker = RecordChecker(control_number=self._control_number)
        self.log = FindingLog()
        self.ks_records: dict[int, LibrisRecord | tuple] = {}
        self.readable = 0

    def __iter__(self) -> Iterator[tuple[Item, list[Finding]]]:
        total, progress = self.inputs.total, self.progress
        for k, it in enumerate(self.inputs.items):
            if progress is not None and not k % 5000:
                progress(k, total)
            if self.transform is not None:
                it = self.transform(it)
            findings = self.checker.check(it)
            e = it.entry
            if isinstance(e, LibrisRecord):
                self.readable += 1
                if any(f.katalogsupport for f in findings):
                    # an unedited ISO 2709 record waits as its bytes (a tenth of the parsed record)
                    keep_as = (it.raw, e.path, e.number, e.offset) if it.fresh and it.raw else e
                    self.ks_records.setdefault(e.number or it.slot + 1, keep_as)
            yield it, findings

    def _control_number(self, number: int) -> str | None:
        # the same first record answers for every copy of it: asked again, it is not read again
        hit = self._cn_cache.get(number, self._cn_cache)
        if hit is not self._cn_cache:
            return hit  # type: ignore[return-value]
        cn = self._read_control_number(number)
        if len(self._cn_cache) > 4096:
            self._cn_cache.clear()
        self._cn_cache[number] = cn
        return cn

    def _read_control_number(self, number: int) -> str | None:
        try:
            e = self.inputs.fetch(number - 1)
        except (IndexError, LibrisError):
            return None
        return e.control_number if isinstance(e, LibrisRecord) else None

    def finish(self) -> None:
        for o in self.inputs.missing:
            for f in self.checker.missing(o):
                self.log.add(f)

    def katalogsupport_records(self) -> list[LibrisRecord]:
        from tui.core.formats.iso2709 import parse_record

        out = []
        for r in self.ks_records.values():
            e = r if isinstance(r, LibrisRecord) else parse_record(*r)
            if isinstance(e, LibrisRecord):
                out.append(e)
        return out


# -- the export ---------------------------------------------------------------------------------


def _verify(path: Path, fmt: str, expected: int, broken: int = 0) -> str | None:
    """Read the written file back: None when it has ``expected`` records, ``broken`` of them
    unreadable (kept as they were). ISO 2709 is checked by indexing it again (a record length or
    terminator that is wrong shows there; each new record's structure was checked as it was
    written), MARCXML by a streaming parse (well-formed, its records counted), the others by
    reading them. Memory stays flat for the first two."""
    try:
        if fmt in ("marcxml", "turbomarc"):
            return _verify_xml(path, expected, fmt)
        src = open_source(path, fmt)
        src.build_index()
        bad = getattr(src, "bad", None)
        if fmt == "iso2709" and bad is not None:
            n = len(src)
            if len(bad) > broken:
                slot = min(bad)
                return f"record {slot + 1} does not read back: {bad[slot]}"
        else:
            n = nbad = 0
            for e in src:
                if isinstance(e, BrokenRecord):
                    nbad += 1
                    if nbad > broken:
                        return f"record {e.number} does not read back: {e.reason}"
                n += 1
    except LibrisError as exc:
        return str(exc).replace(str(path), "the written file")
    if n != expected:
        return f"{n} records read back, {expected} written"
    return None


def _verify_xml(path: Path, expected: int, fmt: str = "marcxml") -> str | None:
    from lxml import etree

    from tui.core.formats.marcxml import MARC_NS
    from tui.core.formats.turbomarc import TURBOMARC_NS

    record = f"{{{TURBOMARC_NS}}}r" if fmt == "turbomarc" else f"{{{MARC_NS}}}record"
    n = 0
    try:
        for _event, el in etree.iterparse(
            str(path), events=("end",), tag=record, resolve_entities=False, no_network=True, huge_tree=True
        ):
            n += 1
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        return f"not well-formed XML after record {n} ({exc.msg})"
    if n != expected:
        return f"{n} records read back, {expected} written"
    return None


class _Writer:
    """Writes ``Out`` records to a file in one format; ``position`` says where it is."""

    def __init__(self, fh, fmt: str, path: Path):
        self.fh = fh
        self.fmt = fmt
        self.path = path
        self.written = 0
        self.copied = 0
        self.number = 0  # the input record number being written

    def iso(self, outs: Iterable[Out]) -> None:
        from tui.core.formats.iso2709 import WriteError, record_bytes, structure_reason

        write = self.fh.write
        for o in outs:
            self.number = o.item.entry.number if o.item is not None else self.number
            if o.raw is not None:
                write(o.raw)
                self.copied += 1
            else:
                try:
                    data = record_bytes(o.marc)  # type: ignore[arg-type]
                except WriteError as exc:
                    raise ExportFailed(
                        f"{self.path}: cannot write record {self.number}: {exc}; nothing was written"
                    ) from None
                problem = structure_reason(data)
                if problem:
                    raise ExportFailed(
                        f"{self.path}: record {self.number} would not read back ({problem}); nothing was written"
                    )
                write(data)
            self.written += 1

    def other(self, outs: Iterable[Out]) -> None:
        def marcs() -> Iterator[Record]:
            for o in outs:
                self.number = o.item.entry.number if o.item is not None else self.number
                self.written += 1
                yield o.marc  # type: ignore[misc]

        try:
            write_records(marcs(), self.fh, self.fmt)
        except (OSError, ExportFailed, WriteFailed):
            raise
        except LibrisError as exc:
            raise ExportFailed(f"{self.path}: cannot write {self.fmt}: {exc}; nothing was written") from None

    def where(self) -> str:
        return f"while writing record {self.number}" if self.number else ""


def export(
    records,
    out_path: str | os.PathLike,
    fmt: str | None = None,
    original=None,
    holdings: str = "keep",
    overwrite: bool = False,
    *,
    inputs: Iterable = (),
    report: bool = True,
    verify: bool = True,
    source_name: str = "",
    original_name: str = "",
    sigel: str | None = None,
    unchanged_since=None,
    broken: BrokenPolicy | str | None = None,
    edited=None,
    originals=None,
    embed_new: bool = False,
    transform=None,
    progress=None,
) -> ExportResult:
    """Validate ``records`` (against ``original`` when given) and write them to ``out_path``.

    ``records``: a ``RecordSource`` (streamed: see the module docstring; ``edited`` the slots
    that differ from its file, by default those replaced in it, ``originals(slot)`` their
    records as read) or the entries themselves. ``original``: the records before editing (a
    list or a source), paired by 001 then position. ``holdings``: ``records`` / ``embedded`` /
    ``keep`` (``stream.Planner``). ``broken``: what to do with unreadable records
    (``BrokenPolicy``, or ``"keep"`` / ``"drop"`` / ``"refuse"``). ``transform(item) -> item``:
    called on each record before it is checked (a batch edit applies its command there, sets
    ``item.edited`` and ``item.original``, the record as read, when it changed the record).

    ``unchanged_since``: a ``filestamp.FileStamp`` of ``out_path`` taken when it was opened; it
    is checked immediately before the atomic replace, so a file changed on disk meanwhile is
    never written over (raises ``FileChangedOnDisk``, nothing written).

    Raises ``ExportRefused`` (nothing written) when validation finds an error, ``OutputIsInput``
    / ``OutputExists`` when ``out_path`` exists and ``overwrite`` is false, ``ExportFailed`` /
    ``WriteFailed`` when it cannot be written (the old file kept).
    """
    out = Path(out_path)
    fmt = format_for_output(out, fmt)
    if fmt not in registry.exportable_ids():
        raise LibrisError(f"cannot export to {fmt!r}; formats: {', '.join(registry.exportable_ids())}")
    if holdings not in PLAN_MODES:
        raise LibrisError(f"holdings {holdings!r}: use {', '.join(PLAN_MODES)}")
    policy = BrokenPolicy.of(broken)
    source = records if isinstance(records, RecordSource) else None
    if source is None:
        records = list(records)
    check_output(out, [source, None if source is not None else records, original, *list(inputs)], overwrite)
    source_format = source.format if source is not None else _entries_format(records)

    inp = open_inputs(records, original, edited=edited, originals=originals, progress=progress)
    planner = Planner(
        holdings,
        owners=inp.owners,
        fetch=inp.fetch,
        raw_ok=(source_format == fmt == "iso2709"),
        embed_new=embed_new,
    )
    run = CheckedRun(inp, transform=transform, progress=progress)
    log = run.log
    outcomes: list[BrokenOutcome] = []
    writer = AtomicWriter(out, backup=True)
    writer.open()
    w = _Writer(writer.file, fmt, writer.path)
    report_writer: AtomicWriter | None = None

    def planned() -> Iterator[Out]:
        for it, findings in run:
            e = it.entry
            keep = False
            if isinstance(e, BrokenRecord):
                choice = policy.choice(e)
                if choice != "refuse":
                    if choice == "keep" and not can_keep(source_format, fmt):
                        raise ExportFailed(
                            f"{e.path or out}: record {e.number} cannot be read, and only ISO 2709 to ISO 2709 "
                            f"keeps such a record as it is; leave it out (drop) or export to ISO 2709; "
                            "nothing was written"
                        )
                    outcomes.append(BrokenOutcome(e.number, e.offset, e.reason, choice, e.path))
                    keep = choice == "keep"
                for f in findings:
                    log.add(f, blocking=(choice == "refuse" and f.severity == "error"))
            else:
                for f in findings:
                    log.add(f)
            yield from planner.feed(it, keep_broken=keep)
        yield from planner.finish()
        run.finish()

    try:
        try:
            try:
                if fmt == "iso2709":
                    w.iso(planned())
                else:
                    w.other(planned())
            except ExportFailed:
                if log.blocking:  # the writer refused a record validation already refused: say why, as validate does
                    raise ExportRefused(log.first_errors, log.blocking) from None
                raise
            writer.flush()
        except OSError as exc:
            raise write_failure(writer.path, exc, w.where(), existed=writer.existed) from None
        if log.blocking:
            raise ExportRefused(log.first_errors, log.blocking)
        kept = sum(1 for b in outcomes if b.choice == "keep")
        if verify:
            problem = _verify(writer.temp_path, fmt, w.written, kept)  # type: ignore[arg-type]
            if problem:
                raise ExportFailed(f"{out}: the written {fmt} did not read back ({problem}); nothing was written")
        result = ExportResult(
            writer.path,
            None,
            fmt,
            planner.records - kept,
            planner.holdings,
            list(log.kept),
            None,
            dict(log.counts),
            outcomes,
            writer.stale_removed,
            w.copied,
            holdings,
        )
        if unchanged_since is not None and out.exists():
            unchanged_since.check(out)
        if report:
            rp = Path(str(writer.path) + ".report.txt")
            report_writer = AtomicWriter(rp, backup=False)
            report_writer.open()
            text = _report_lines(
                result,
                log,
                run.katalogsupport_records(),
                run.readable,
                source_name=source_name or inp.path,
                original_name=original_name or _original_name(original),
                sigel=sigel,
                replaces=writer.existed,
            )
            try:
                for line in text:
                    report_writer.file.write(line.encode("utf-8"))  # type: ignore[union-attr]
            except OSError as exc:
                raise write_failure(
                    rp, exc, f"(the report; {out} was not replaced either)", existed=report_writer.existed
                ) from None
            report_writer.flush()
            report_writer.commit()
            result.report_path = rp
        try:
            writer.commit()
        except WriteFailed as exc:
            if result.report_path is not None:
                exc.report_written = result.report_path  # type: ignore[attr-defined]
                exc.args = (f"{exc}; its report {result.report_path} was written",)
            raise
        result.backup_path = writer.backup_path
    except BaseException:
        writer.abort()
        if report_writer is not None and not report_writer.committed:
            report_writer.abort()
        raise
    finally:
        log.close()
    return result


def _entries_format(entries: list) -> str:
    for e in entries:
        f = getattr(e, "source_format", "")
        if f:
            return f
    return ""


def _original_name(original) -> str:
    if original is None:
        return ""
    if isinstance(original, RecordSource):
        return original.path
    return _names(original)


def _names(entries) -> str:
    seen: list[str] = []
    for e in entries or ():
        p = getattr(e, "path", "")
        if p and p not in seen:
            seen.append(p)
    return ", ".join(seen)


def _report_lines(
    result: ExportResult,
    log: FindingLog,
    ks_records: list[LibrisRecord],
    readable: int,
    *,
    source_name: str = "",
    original_name: str = "",
    sigel: str | None = None,
    replaces: bool = False,
) -> Iterator[str]:
    """The report written beside an export: what was written, from what, and every finding."""
    from tui.core.validation.report import collect, render

    s = result.summary
    how = {
        "records": "as MARC21 holdings records",
        "embedded": "embedded in their bib with $5 <sigel>",
        "keep": "as the file had them",
    }[result.holdings_mode]
    yield "libris-tui export report\n\n"
    yield f"Written:  {result.path} ({result.format})\n"
    yield f"Records:  {result.records} bibliographic and other records, {result.holdings} holdings ({how})\n"
    if source_name:
        yield f"From:     {source_name}\n"
    if result.copied:
        yield f"Unchanged records copied byte for byte: {result.copied}\n"
    if original_name:
        yield f"Checked against the original: {original_name} (paired by 001, else by position)\n"
    else:
        yield (
            "No original given: protected fields (EPL-PROTECT) and channel records (CHN-READONLY) were "
            "checked for structure only, not for changes\n"
        )
    if replaces:
        yield "Replaces: the file that was there (a backup of it is kept beside it)\n"
    if result.stale_removed:
        yield f"Removed {len(result.stale_removed)} temporary file(s) left by an earlier crash\n"
    if result.broken:
        yield (
            f"\nUnreadable records: {len(result.broken)}: {result.kept_broken} kept byte for byte, "
            f"{result.dropped_broken} left out\n"
        )
        for b in result.broken:
            yield f"  {b.describe()}\n"
    yield f"\nFindings: {s.get('error', 0)} errors, {s.get('warning', 0)} warnings, {s.get('info', 0)} notes\n\n"
    yield from log.lines()
    if log.katalogsupport:
        ks = collect(ks_records, log.katalogsupport, source_name)
        ks.total_records = readable
        if not ks.empty:
            yield (f"\n{len(ks)} item(s) to report to Katalogsupport (libris-tui report writes the message):\n\n")
            yield render(ks, sigel).rstrip("\n") + "\n"


def output_records(entries: list, holdings: str = "records") -> tuple[list[Record], int, int]:
    """The pymarc records an export of ``entries`` writes, in order; how many are not holdings
    records; how many holdings there are (as records, or embedded)."""
    planner = Planner(holdings, owners=entry_owners(entries), fetch=entries.__getitem__)
    marcs: list[Record] = []
    for it in entry_items(entries):
        for o in planner.feed(it):
            if o.marc is not None:
                marcs.append(o.marc)
    marcs += [o.marc for o in planner.finish() if o.marc is not None]
    return marcs, planner.records, planner.holdings


__all__ = [
    "export",
    "ExportResult",
    "ExportRefused",
    "ExportFailed",
    "OutputExists",
    "OutputIsInput",
    "check_output",
    "default_output",
    "output_records",
    "FindingLog",
    "RecordChecker",
    "Inputs",
    "open_inputs",
    "CheckedRun",
    "HOLDINGS_MODES",
    "input_paths",
]
