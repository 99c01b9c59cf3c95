"""Validated export: validate first, refuse on any error (nothing written), else write atomically
with a report beside it (``OUT.report.txt``).

* Formats: every format ``tui.core.formats.registry`` says is exportable.
* Holdings: as MARC21 holdings records right after their bib (``holdings="records"``, the
  default; embedded ``$5`` fields are split out), or embedded in the bib with ``$5 <sigel>``
  (``holdings="embedded"``, the Libris export form).
* The written file is read back before it replaces anything: the same number of records, none
  broken. An input file is never overwritten unless asked (``overwrite=True``); a replaced file
  is kept as a backup (``atomic.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Literal

from tui.core.files.atomic import AtomicWriter, atomic_write
from tui.core.formats import format_for_output, open_source, registry, write_records
from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord, Record
from tui.core.rules import detect
from tui.core.sources.base import RecordSource
from tui.core.validation.validate import Finding, errors, summary, validate

HoldingsMode = Literal["records", "embedded"]
HOLDINGS_MODES = ("records", "embedded")


class ExportRefused(LibrisError):
    """Validation found errors: nothing was written. ``findings`` has them all."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        self.errors = errors(findings)
        n = len(self.errors)
        first = self.errors[0].describe() if self.errors else ""
        super().__init__(
            f"export refused: {n} error{'s' if n != 1 else ''}, nothing was written"
            + (f" (first: {first})" if first else "")
        )


class ExportFailed(LibrisError):
    """The records could not be written in the format asked for (the writer refused a record, or
    the written file did not read back); nothing was written."""


class OutputIsInput(LibrisError):
    """The output would replace an input file and ``overwrite`` was not given."""


@dataclass
class ExportResult:
    path: Path
    report_path: Path | None
    format: str
    records: int
    holdings: int
    findings: list[Finding] = dc_field(default_factory=list)
    backup_path: Path | None = None


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
        if isinstance(c, RecordSource) and c.path:
            out.add(_real(c.path))
        if isinstance(c, (list, tuple, RecordSource)):
            for e in c:
                p = getattr(e, "path", "")
                if p:
                    out.add(_real(p))
    return out


def _key(r: LibrisRecord):
    return (r.path, r.number) if r.number else ("", id(r))


def output_records(entries: list, holdings: HoldingsMode = "records") -> tuple[list[Record], int, int]:
    """The pymarc records to write, in order; how many of them are not holdings records; how many
    holdings there are (as records, or embedded).

    ``records``: each bib, then its holdings records (linked in the file by 004 = 001, added in
    memory, or split out of embedded ``$5`` fields). ``embedded``: each bib with its holdings
    embedded. Holdings records whose bib is not in the set stay where they are.
    """
    from tui.core.model import holdings as hmod

    bibs: dict[str, LibrisRecord] = {}
    for e in entries:
        if isinstance(e, LibrisRecord) and e.kind != "holdings" and e.control_number:
            bibs.setdefault(e.control_number.strip(), e)
    attached: dict[int, list[LibrisRecord]] = {}
    consumed: set[int] = set()
    for e in entries:
        if isinstance(e, LibrisRecord) and e.kind == "holdings" and e.linked_bib in bibs:
            attached.setdefault(id(bibs[e.linked_bib]), []).append(e)
            consumed.add(id(e))
    out: list[Record] = []
    n_hold = n_other = 0
    for e in entries:
        if not isinstance(e, LibrisRecord) or id(e) in consumed:
            continue
        if e.kind != "bib":
            out.append(e.marc)
            if e.kind == "holdings":
                n_hold += 1
            else:
                n_other += 1
            continue
        n_other += 1
        group: list[LibrisRecord] = []
        seen = set()
        # the file's own holdings records first (they carry any edit made to them), then those
        # linked in memory only (a holding added in this session)
        for h in attached.get(id(e), []) + list(e.holdings):
            k = _key(h)
            if k not in seen:
                seen.add(k)
                group.append(h)
        if holdings == "embedded":
            if group:
                out.append(hmod.embed(e.marc, [h.marc for h in group]))
            else:
                out.append(e.marc)
            n_hold += len(detect.embedded_holding_sigels(out[-1]))
        else:
            if detect.embedded_holding_sigels(e.marc):
                bib, split = hmod.split_embedded(e.marc)
            else:
                bib, split = e.marc, []
            out.append(bib)
            out.extend(split)
            out.extend(h.marc for h in group)
            n_hold += len(split) + len(group)
    return out, n_other, n_hold


def _verify(path: Path, fmt: str, expected: int) -> str | None:
    """Read the written file back: None when it has ``expected`` readable records."""
    try:
        src = open_source(path, fmt)
        src.build_index()
        n = 0
        for e in src:
            if isinstance(e, BrokenRecord):
                return f"record {e.number} does not read back: {e.reason}"
            n += 1
    except LibrisError as exc:
        return str(exc)
    if n != expected:
        return f"{n} records read back, {expected} written"
    return None


def export(
    records,
    out_path: str | os.PathLike,
    fmt: str | None = None,
    original=None,
    holdings: HoldingsMode = "records",
    overwrite: bool = False,
    *,
    inputs: Iterable = (),
    report: bool = True,
    verify: bool = True,
    source_name: str = "",
    original_name: str = "",
    sigel: str | None = None,
    unchanged_since=None,
) -> ExportResult:
    """Validate ``records`` (against ``original`` when given) and write them to ``out_path``.

    ``unchanged_since``: a ``filestamp.FileStamp`` of ``out_path`` taken when it was opened; it
    is checked immediately before the atomic replace, so a file changed on disk meanwhile is
    never written over (issue 7; raises ``FileChangedOnDisk``, nothing written).

    Raises ``ExportRefused`` (nothing written) when validation finds an error, ``OutputIsInput``
    when ``out_path`` is an input file and ``overwrite`` is false.
    """
    out = Path(out_path)
    fmt = format_for_output(out, fmt)
    if fmt not in registry.exportable_ids():
        raise LibrisError(f"cannot export to {fmt!r}; formats: {', '.join(registry.exportable_ids())}")
    if holdings not in HOLDINGS_MODES:
        raise LibrisError(f"holdings {holdings!r}: use 'records' or 'embedded'")
    entries = list(records)
    orig_entries = list(original) if original is not None else None
    ins = input_paths(
        records if isinstance(records, RecordSource) else None, entries, original, orig_entries, *list(inputs)
    )
    target = _real(out)
    if target in ins and not overwrite:
        raise OutputIsInput(
            f"{out}: this is an input file; it is never overwritten unless you ask (--overwrite, which keeps a backup)"
        )

    findings = validate(entries, orig_entries)
    if errors(findings):
        raise ExportRefused(findings)

    marcs, n_other, n_hold = output_records(entries, holdings)
    writer = AtomicWriter(out, backup=True)
    writer.open()
    try:
        try:
            write_records(marcs, writer.file, fmt)
        except LibrisError as exc:
            raise ExportFailed(f"{out}: cannot write {fmt}: {exc}; nothing was written") from None
        writer.flush()
        if verify:
            problem = _verify(writer.temp_path, fmt, len(marcs))
            if problem:
                raise ExportFailed(f"{out}: the written {fmt} did not read back ({problem}); nothing was written")
        if unchanged_since is not None and out.exists():
            unchanged_since.check(out)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    result = ExportResult(writer.path, None, fmt, n_other, n_hold, findings, writer.backup_path)
    if report:
        rp = Path(str(writer.path) + ".report.txt")
        text = export_report(
            result,
            entries,
            source_name=source_name or _names(entries),
            original_name=original_name or (_names(orig_entries) if orig_entries else ""),
            holdings=holdings,
            sigel=sigel,
        )
        atomic_write(rp, text.encode("utf-8"), backup=False)
        result.report_path = rp
    return result


def _names(entries) -> str:
    seen = []
    for e in entries or ():
        p = getattr(e, "path", "")
        if p and p not in seen:
            seen.append(p)
    return ", ".join(seen)


def export_report(
    result: ExportResult,
    entries: list,
    *,
    source_name: str = "",
    original_name: str = "",
    holdings: HoldingsMode = "records",
    sigel: str | None = None,
) -> str:
    """The report written beside an export: what was written, from what, and every finding."""
    from tui.core.validation.report import collect, render

    s = summary(result.findings)
    how = (
        "as MARC21 holdings records after their bib"
        if holdings == "records"
        else "embedded in their bib with $5 <sigel>"
    )
    lines = [
        "libris-tui export report",
        "",
        f"Written:  {result.path} ({result.format})",
        f"Records:  {result.records} bibliographic and other records, {result.holdings} holdings ({how})",
    ]
    if source_name:
        lines.append(f"From:     {source_name}")
    if original_name:
        lines.append(f"Checked against the original: {original_name} (paired by 001, else by position)")
    else:
        lines.append(
            "No original given: protected fields (EPL-PROTECT) and channel records (CHN-READONLY) were "
            "checked for structure only, not for changes"
        )
    if result.backup_path:
        lines.append(f"Backup of the replaced file: {result.backup_path}")
    lines += ["", f"Findings: {s['error']} errors, {s['warning']} warnings, {s['info']} notes", ""]
    for f in result.findings:
        lines.append("  " + f.describe())
    ks = collect(entries, result.findings, source_name)
    if not ks.empty:
        lines += [
            "",
            f"{len(ks)} item(s) to report to Katalogsupport (libris-tui report writes the message):",
            "",
            render(ks, sigel),
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = [
    "export",
    "ExportResult",
    "ExportRefused",
    "ExportFailed",
    "OutputIsInput",
    "output_records",
    "export_report",
    "HOLDINGS_MODES",
    "input_paths",
]
