"""``libris-tui export FILE [--original ORIG] [--to FMT] [--holdings records|embedded]
[--broken keep|drop|refuse] [--overwrite] -o OUT``

Validates every record as it writes it and replaces nothing when there is an error (exit 1, the
errors on stderr); otherwise OUT is written atomically with ``OUT.report.txt`` beside it, the
report first (exit 0). The file is read a record at a time: memory stays flat however large it
is. An existing OUT (the input above all) is replaced only with ``--overwrite``, and then a
backup of it is kept.

Exit status: 0 written; 1 refused for findings, or written with unreadable records kept or left
out (each named on stderr); 2 bad usage, an input that cannot be read at all, or an OUT that
exists without ``--overwrite``; 3 OUT cannot be written (the disk is full, permission denied,
OUT is a folder ...): the message names OUT and says that the old file is kept, and whether
the report was written.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.output import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, EXIT_WRITE, count, finding_line, guarded, kept, say
from tui.cli.progress import progress_for
from tui.cli.validate import open_input
from tui.core.files.atomic import WriteFailed
from tui.core.files.broken import CHOICES
from tui.core.files.export import (
    HOLDINGS_MODES,
    ExportFailed,
    ExportRefused,
    ExportResult,
    OutputExists,
    export,
)
from tui.core.formats import registry
from tui.core.model.record import LibrisRecord
from tui.core.rules.detect import embedded_holding_sigels


def add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    p.add_argument(
        "--to",
        choices=registry.exportable_ids(),
        metavar="FMT",
        help=f"output format: {registry.choices_help()} (default: from OUT's extension, else the input's format)",
    )
    p.add_argument(
        "--holdings",
        choices=HOLDINGS_MODES,
        default="keep",
        help="holdings as the input has them (keep, the default: holdings records stay records, embedded "
        "ones stay embedded), all as MARC21 holdings records (records), or all embedded in their bib "
        "with $5 <sigel> (embedded)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace OUT when it exists, even an input file (a backup is kept)"
    )
    p.add_argument(
        "--broken",
        choices=CHOICES,
        default=None,
        help="records that cannot be read: keep them byte for byte (ISO 2709 to ISO 2709 only), drop them "
        "(each named on stderr), or refuse the whole write (the default); exit status 1 when any was kept or dropped",
    )
    p.add_argument("--skip-broken", action="store_true", help="the same as --broken drop")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="validate, then write records in another format",
        description="Validate the records (against --original when given) and, when there is no error, "
        "write them atomically to OUT with a report OUT.report.txt beside it.",
        epilog="Exit status: 0 written; 1 refused, or unreadable records kept or dropped; 2 bad usage or "
        "OUT exists (give --overwrite); 3 OUT cannot be written (the old file is kept).",
    )
    p.add_argument("file", metavar="FILE", help="the record file to export")
    p.add_argument(
        "--original", metavar="ORIG", help="the records as they were before editing (paired by 001, else by position)"
    )
    add_output_options(p)
    p.set_defaults(func=run)


def output_format(args, input_format: str) -> str:
    if args.to:
        return args.to
    offered = registry.exportable_ids()
    by_name = registry.for_extension(args.output)
    if by_name is not None and by_name.id in offered:
        return by_name.id
    return input_format if input_format in offered else registry.DEFAULT_EXPORT.id


def embeds_holdings(src, probe: int = 200) -> bool:
    """Does the input embed its holdings (a Libris export)? One of its first ``probe`` bibs has
    ``$5`` holding fields: then a holding added by a batch edit is embedded too."""
    for k in range(min(len(src), probe)):
        e = src.entry(k)
        if isinstance(e, LibrisRecord) and e.kind == "bib" and embedded_holding_sigels(e):
            return True
    return False


def broken_choice(args) -> str:
    if getattr(args, "skip_broken", False):
        return "drop"
    return getattr(args, "broken", None) or "refuse"


def write_out(
    src,
    args,
    input_path: str,
    input_format: str,
    original,
    err: TextIO,
    out: TextIO,
    source_name: str = "",
    sigel: str | None = None,
    transform=None,
    progress=None,
) -> int:
    """Export ``src`` (a ``RecordSource``) as the command line asked, each record passed through
    ``transform(item)`` first when given (the batch edits); print the outcome. Returns the exit
    status."""
    holdings = args.holdings or "keep"
    if progress is not None:
        progress.set_stage("writing")
        progress.unit = "records"
    try:
        res: ExportResult = export(
            src,
            args.output,
            output_format(args, input_format),
            original=original,
            holdings=holdings,
            overwrite=args.overwrite,
            inputs=[input_path],
            source_name=source_name or input_path,
            original_name=getattr(args, "original", None) or "",
            sigel=sigel,
            broken=broken_choice(args),
            transform=transform,
            embed_new=holdings == "keep" and embeds_holdings(src),
            progress=progress,
        )
    except ExportRefused as exc:
        if progress is not None:
            progress.close()
        say(
            err,
            f"libris-tui: {args.output}: export refused, nothing was written: {count(exc.error_count, 'error')}",
        )
        for f in exc.errors:
            print(finding_line(input_path, f), file=err)
        if exc.error_count > len(exc.errors):
            say(err, f"{input_path}: {exc.error_count - len(exc.errors)} more errors not shown")
        if exc.errors and all(f.rule == "STRUCT-UNREADABLE" for f in exc.errors):
            say(
                err,
                "libris-tui: only unreadable records stand in the way: --broken drop writes the rest "
                "(--broken keep copies them as they are, ISO 2709 to ISO 2709)",
            )
        return EXIT_FINDINGS
    except ExportFailed as exc:
        say(err, f"libris-tui: {exc}")
        return EXIT_FINDINGS
    except OutputExists as exc:
        say(err, f"libris-tui: {exc}")
        return EXIT_USAGE
    except WriteFailed as exc:
        say(err, f"libris-tui: {exc}")
        return EXIT_WRITE
    if progress is not None:
        progress.close()
    for b in res.broken:
        what = "kept as it was" if b.choice == "keep" else "left out"
        say(err, f"libris-tui: {what}: {input_path}: {b.describe()}")
    shown = 0
    warnings = [f for f in res.findings if f.severity == "warning"]
    for f in warnings:
        if not f.rule.startswith("STRUCT-") and shown < 20:
            print(finding_line(input_path, f), file=err)
            shown += 1
    n_warn = res.summary.get("warning", 0)
    if n_warn > shown:
        say(err, f"{input_path}: {count(n_warn, 'warning')} in all; see the report")
    hold = f", {count(res.holdings, 'holding')}" if res.holdings else ""
    unread = ""
    if res.broken:
        unread = f"; unreadable: {res.kept_broken} kept, {res.dropped_broken} left out"
    say(
        out,
        f"wrote {count(res.records, 'record')}{hold} to {res.path} ({res.format}){unread}; "
        f"report: {res.report_path}{kept(res.backup_path)}",
    )
    return EXIT_FINDINGS if res.broken else EXIT_OK


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with progress_for("export", args.file, err) as progress:
        src = open_input(args.file, progress)
        original = open_input(args.original) if args.original else None
        return write_out(src, args, args.file, src.format, original, err, out, progress=progress)
