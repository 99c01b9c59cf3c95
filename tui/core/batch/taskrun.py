"""Running a task list over record files: every record through the operations, in order, with
the same edit commands and rules as the app; a report of what was done and refused, by rule id.

ISO 2709 in and out (the usual case, and the fast one): the files are cut into shards
(record-offset ranges, ``engine``) that the workers edit on their own, each writing its records
to a part file beside the output, which is then put together in order and replaced atomically.
A shard does not parse every record: the operations say what must stand in a record's bytes for
them to act on it at all (``TaskList.needles``: tags, literal text of patterns, markers), found
with one search a window; a record without them is copied as its bytes, since no operation can
change it (the first operation that could change a record must find its needles in the record as
read, the ones before it having left it as it was). Every other record is parsed and edited; a
record the operations leave as it was is copied as its bytes too. So the output is the same,
byte for byte, as when every record is parsed (a test holds the two together), whatever the
engine.

An edited record is checked against itself as read (``validate``, with the original): an error
the edit brought in (none should: the commands enforce the rules) makes the record stay as it was,
counted under the error's rule. Holdings that ``hold-add`` makes go right after their bib as
MARC 21 holdings records, or into it with ``$5`` (``holdings="embedded"``). Records that cannot be
read are copied as they are (ISO 2709) or left out (other formats) and named in the report.

Other formats (in or out) run in this process, record by record, written by the format's writer.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.batch.tasks import Outcome, TaskList
from tui.core.editing.commands import EditContext
from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord, Record
from tui.core.rules.profile import FULL, Profile

#: records whose changes a dry run (or a report) shows line by line, at most
SHOW_DEFAULT = 20
#: the smallest and largest shard of a file edited on several workers
SHARD_MIN_BYTES = 4 << 20
SHARD_MAX_BYTES = 48 << 20
#: broken records named in the report, at most (all are counted)
NAMED_BROKEN = 200


@dataclass
class Change:
    """One record the task list changed: who it is, its MARC lines before and after, and what did it."""

    path: str
    number: int
    control_number: str | None
    before: list[str]
    after: list[str]
    causes: list[str]


@dataclass
class OpCount:
    changed: int = 0
    refused: Counter[str] = field(default_factory=Counter)


@dataclass
class BatchReport:
    """What a run did, per operation and in all."""

    operations: list[OpCount]
    records: int = 0
    changed: int = 0
    parsed: int = 0
    broken: int = 0
    holdings_added: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    broken_named: list[str] = field(default_factory=list)
    #: records that could not be written in the output format (other formats only), named
    left_out: int = 0
    written: int = 0

    def add(self, other: BatchReport, show: int) -> None:
        for mine, theirs in zip(self.operations, other.operations):
            mine.changed += theirs.changed
            mine.refused.update(theirs.refused)
        for k in ("records", "changed", "parsed", "broken", "holdings_added", "left_out", "written"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.refused.update(other.refused)
        self.changes.extend(other.changes[: max(0, show - len(self.changes))])
        self.broken_named.extend(other.broken_named[: max(0, NAMED_BROKEN - len(self.broken_named))])


@dataclass
class Options:
    """How records are edited and written (travels to the workers once)."""

    profile: Profile = FULL
    sigel: str | None = None
    holdings: str = "records"
    show: int = SHOW_DEFAULT
    #: keep the lines before and after of changed records (a dry run, or a report that shows them)
    diffs: bool = False


# -- one record ------------------------------------------------------------------------------------


class _Editor:
    """The task list applied to records one at a time, counting into ``report``."""

    def __init__(self, tasks: TaskList, opts: Options, report: BatchReport):
        self.tasks, self.opts, self.report = tasks, opts, report

    def edit(self, rec: LibrisRecord, source, raw: bytes | None = None) -> list[Record] | None:
        """The records to write for ``rec`` edited (itself, and holdings it was given), or None
        when it stays as it was (write its bytes). ``raw``: its bytes (ISO 2709), from which it
        is read again as it was when it changed; without them it is copied first."""
        from tui.core.formats.notation import record_lines

        rep = self.report
        rep.parsed += 1
        original = None if raw is not None else _copy(rec)
        had = list(rec.holdings)
        ctx = EditContext(rec, self.opts.profile, self.opts.sigel or self.tasks.sigel, source)
        outcomes: list[Outcome] = self.tasks.run(rec, ctx)
        for count, o in zip(rep.operations, outcomes):
            count.refused.update(o.refused)
            rep.refused.update(o.refused)
            if o.changed:
                count.changed += 1
        if not any(o.changed for o in outcomes):
            return None
        if original is None:
            from tui.core.formats.iso2709 import parse_record

            again = parse_record(raw or b"", rec.path, rec.number, rec.offset)
            assert isinstance(again, LibrisRecord)  # it was read from these very bytes
            original = again
        new = [h for h in rec.holdings if not any(h is x for x in had)]
        problem = _new_error(rec, original)
        if problem is not None:  # the edit would bring in an error: the record stays as it was
            rep.refused[problem] += 1
            for count, o in zip(rep.operations, outcomes):
                if o.changed:
                    count.changed -= 1
                    count.refused[problem] += 1
            return None
        rep.changed += 1
        rep.holdings_added += len(new)
        if self.opts.diffs and len(rep.changes) < self.opts.show:
            after = record_lines(rec.marc) + [ln for h in new for ln in ["", *record_lines(h.marc)]]
            causes = [c.describe() for o in outcomes for c in o.commands]
            rep.changes.append(
                Change(rec.path, rec.number, rec.control_number, record_lines(original.marc), after, causes)
            )
        if self.opts.holdings == "embedded" and new:
            from tui.core.model.holdings import embed

            return [embed(rec.marc, [h.marc for h in new])]
        return [rec.marc] + [h.marc for h in new]


def _copy(rec: LibrisRecord) -> LibrisRecord:
    import copy

    return LibrisRecord(
        marc=copy.deepcopy(rec.marc),
        path=rec.path,
        number=rec.number,
        offset=rec.offset,
        source_format=rec.source_format,
        holdings=list(rec.holdings),
    )


def _new_error(edited: LibrisRecord, original: LibrisRecord) -> str | None:
    """The rule of an error that checking ``edited`` against ``original`` finds and checking
    ``original`` alone does not (None: the edit brought in no error)."""
    from tui.core.validation.validate import validate

    def errors(findings) -> Counter:
        return Counter((f.rule, f.tag, f.message) for f in findings if f.severity == "error")

    now = errors(validate([edited], [original], duplicates=False))
    if not now:
        return None
    new = now - errors(validate([original], duplicates=False))
    return next(iter(new))[0] if new else None


# -- ISO 2709 shards ------------------------------------------------------------------------------


class _Needles:
    """Which records of a window some operation may act on (see the module's text)."""

    def __init__(self, tasks: TaskList):
        self.ops = [[(re.compile(pat), low) for pat, low in op] for op in tasks.needles()]
        self.all = any(not op for op in self.ops)
        self.lower = any(low for op in self.ops for _, low in op)

    def candidates(self, window: bytes, slots: list[tuple]) -> set[int] | None:
        """Indexes into ``slots`` of the records that may be touched; None: every one."""
        if self.all:
            return None
        ends = [s[2] for s in slots]
        lo, hi = slots[0][1], slots[-1][2]
        low = window[lo:hi].lower() if self.lower else b""
        out: set[int] = set()
        for op in self.ops:
            found: set[int] | None = None
            for rx, lowered in op:
                buf, base = (low, lo) if lowered else (window, 0)
                start = 0 if lowered else lo
                stop = (hi - lo) if lowered else hi
                hits = {bisect_right(ends, m.start() + base) for m in rx.finditer(buf, start, stop)}
                found = hits if found is None else found & hits
                if not found:
                    break
            if found:
                out |= found
        n = len(slots)
        out.discard(n)
        for k, (_, a, _e, _r) in enumerate(slots):  # MARC-8: escapes split text; such a record is parsed
            if window[a + 9 : a + 10] != b"a":
                out.add(k)
        return out


def _edit_shard(common, shard, part: str | None):
    """One shard: its records edited, written to ``part`` (unless a dry run); its report."""
    from tui.core.batch.engine import shard_source
    from tui.core.batch.shards import LinkedHoldings, iter_windows
    from tui.core.formats.iso2709 import RT_B, parse_record, record_bytes

    tasks, opts, links = common
    src = shard_source(shard.file)
    report = BatchReport([OpCount() for _ in tasks.operations])
    editor = _Editor(tasks, opts, report)
    needles = _Needles(tasks)
    holdings = LinkedHoldings(src, links)
    out = open(part, "wb", buffering=1 << 20) if part else None
    written = copied_bad = 0
    try:
        for window, _wbase, slots in iter_windows(src, shard.lo, shard.hi, shard.first):
            cand = needles.candidates(window, slots)
            run_start = run_end = -1
            for k, (number, a, e, reason) in enumerate(slots):
                report.records += 1
                touched = None
                if reason is not None:
                    report.broken += 1
                    truncated = window[e - 1 : e] != RT_B  # it would run into what follows
                    if len(report.broken_named) < NAMED_BROKEN:
                        name = BrokenRecord(src.path, number, _wbase + a, reason).describe()
                        report.broken_named.append(name + ("; left out" if truncated else "; copied as it is"))
                    if truncated:
                        report.left_out += 1
                        if out is not None and run_end > run_start:
                            out.write(window[run_start:run_end])
                        run_start = run_end = -1
                        continue
                    copied_bad += 1
                elif cand is None or k in cand:
                    rec = parse_record(window[a:e], src.path, number, _wbase + a)
                    if isinstance(rec, BrokenRecord):
                        report.broken += 1
                        if len(report.broken_named) < NAMED_BROKEN:
                            report.broken_named.append(rec.describe() + "; copied as it is")
                    else:
                        touched = editor.edit(rec, holdings, window[a:e])
                if touched is None:  # its own bytes: runs of them in one write
                    if a == run_end:
                        run_end = e
                    else:
                        if out is not None and run_end > run_start:
                            out.write(window[run_start:run_end])
                        run_start, run_end = a, e
                    written += 1
                else:
                    if out is not None:
                        if run_end > run_start:
                            out.write(window[run_start:run_end])
                        for r in touched:
                            out.write(record_bytes(r))
                    run_start = run_end = -1
                    written += len(touched)
            if out is not None and run_end > run_start:
                out.write(window[run_start:run_end])
    finally:
        if out is not None:
            out.close()
    report.written = written
    if part:
        _verify_part(part, written, copied_bad)
    return report


def _verify_part(part: str, expected: int, bad: int) -> None:
    """A part reads back as ``expected`` records (its index: lengths and terminators), of which
    ``bad`` were unreadable as read and copied as they were."""
    from tui.core.formats.iso2709 import Iso2709Source

    if expected == 0 and os.path.getsize(part) == 0:
        return
    src = Iso2709Source(part)
    try:
        src.build_index()
        if len(src) != expected or len(src.bad) != bad:
            first = min(src.bad) + 1 if src.bad else None
            raise LibrisError(
                f"the edited records did not read back ({len(src)} of {expected}"
                + (f"; record {first}: {src.bad[first - 1]}" if first else "")
                + "); nothing was written"
            )
    finally:
        src.close()


# -- running it all --------------------------------------------------------------------------------


def run_tasks(
    tasks: TaskList,
    inputs: list[str],
    output: str | None,
    *,
    fmt: str | None = None,
    opts: Options | None = None,
    engine=None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BatchReport:
    """Run ``tasks`` over ``inputs`` into ``output`` (None: a dry run, nothing written). Raises
    ``LibrisError`` for files that cannot be read or written (nothing is written then)."""
    from tui.core.files.atomic import AtomicWriter
    from tui.core.files.export import check_output
    from tui.core.formats import detect, format_for_output

    opts = opts or Options()
    formats = [detect(p) for p in inputs]
    out_fmt = None
    if output is not None:
        out_fmt = format_for_output(output, fmt) if fmt or Path(output).suffix else formats[0]
        check_output(output, inputs, overwrite)  # an input, or any file there: only when asked
    report = BatchReport([OpCount() for _ in tasks.operations])
    fast = all(f == "iso2709" for f in formats) and out_fmt in (None, "iso2709")
    writer = AtomicWriter(output, backup=True) if output is not None else None
    if writer is not None:
        writer.open()
    try:
        if fast:
            sizes = [os.path.getsize(p) for p in inputs]
            total = sum(sizes)
            for k, path in enumerate(inputs):
                base = sum(sizes[:k])

                def moved(d: int, _t: int, base: int = base) -> None:
                    if progress is not None:
                        progress(min(total, base + d), total)

                _run_iso(tasks, path, writer, opts, engine, report, moved)
        else:
            records = _edited_entries(tasks, inputs, opts, report, writer is not None)
            if writer is None:
                for _ in records:
                    pass
            else:
                _write(records, writer.file, out_fmt or "iso2709")
        if writer is not None:
            writer.flush()
            writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return report


def _run_iso(tasks, path: str, writer, opts: Options, engine, report: BatchReport, moved) -> None:
    from tui.core.batch import engine as engines
    from tui.core.batch.shards import holdings_links
    from tui.core.formats.iso2709 import open_source

    src = open_source(path)
    try:
        src.build_index()
        links = holdings_links(src)
        eng = engine or engines.LocalEngine()
        with engines.shared_source(src) as key:
            if eng.workers > 1 or not isinstance(eng, (engines.LocalEngine, engines.InlineEngine)):
                shards = engines.slot_shards(src, key, eng.workers, smallest=SHARD_MIN_BYTES, largest=SHARD_MAX_BYTES)
            else:
                shards = [engines.Shard(key, 0, src.size, 0, len(src))] if len(src) else []
            parts: list[str | None] = [None] * len(shards)
            if writer is not None:
                folder, name = Path(writer.temp_path).parent, Path(writer.path).name
                parts = [str(folder / f".{name}.part{os.getpid()}-{k}") for k in range(len(shards))]
            finished = [0]

            def done(k: int) -> None:
                finished[0] += shards[k].hi - shards[k].lo
                moved(finished[0], src.size)

            try:
                items = list(zip(shards, parts))
                for k, shard_report in enumerate(eng.map(_edit_shard, items, (tasks, opts, links), done=done)):
                    report.add(shard_report, opts.show)
                    part = parts[k]
                    if writer is not None and part:
                        _append(writer.file, part)
                        os.unlink(part)
                        parts[k] = None
            finally:
                for part in parts:
                    if part:
                        try:
                            os.unlink(part)
                        except OSError:
                            pass
    finally:
        src.close()


def _append(out, part: str) -> None:
    import shutil

    with open(part, "rb") as fh:
        shutil.copyfileobj(fh, out, 1 << 20)


def _edited_entries(tasks, inputs: list[str], opts: Options, report: BatchReport, writing: bool) -> Iterator[Record]:
    """Any format, in this process: the records of every input, each edited, for the format's
    writer (which sees all of them in one go: MARCXML and JSON have a header and a footer)."""
    from tui.core.formats import open_source

    editor = _Editor(tasks, opts, report)
    for path in inputs:
        src = open_source(path)
        try:
            src.build_index()
            for e in src:
                report.records += 1
                if isinstance(e, BrokenRecord):
                    report.broken += 1
                    report.left_out += 1
                    if len(report.broken_named) < NAMED_BROKEN:
                        report.broken_named.append(e.describe() + "; left out")
                    continue
                holdings = list(e.holdings)
                e.holdings = []  # the file's own holdings records are entries of their own
                touched = editor.edit(e, src)
                e.holdings = holdings
                marcs = touched if touched is not None else [e.marc]
                report.written += len(marcs)
                yield from marcs
        finally:
            close = getattr(src, "close", None)
            if close is not None:
                close()


def _write(records: Iterable[Record], out, fmt: str) -> None:
    from tui.core.formats import write_records

    try:
        write_records(records, out, fmt)
    except LibrisError as exc:
        raise LibrisError(f"cannot write {fmt}: {exc}; nothing was written") from None


__all__ = ["run_tasks", "BatchReport", "OpCount", "Change", "Options", "SHOW_DEFAULT"]
