"""``libris-tui export FILE [--original ORIG] [--to FMT] [--holdings records|embedded] [--overwrite] -o OUT``

Validates first and writes nothing when there is an error (exit 1, the errors on stderr);
otherwise writes OUT atomically with ``OUT.report.txt`` beside it (exit 0). The input file is
never overwritten unless ``--overwrite`` is given, and then a backup is kept.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.output import EXIT_FINDINGS, EXIT_OK, count, finding_line, guarded, kept, say
from tui.cli.progress import progress_for
from tui.cli.validate import open_input, read_all
from tui.core.files.export import (
    HOLDINGS_MODES,
    ExportFailed,
    ExportRefused,
    ExportResult,
    export,
)
from tui.core.formats import registry


def add_output_options(p: argparse.ArgumentParser, holdings_default: str | None = "records") -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    p.add_argument(
        "--to",
        choices=registry.exportable_ids(),
        metavar="FMT",
        help=f"output format: {registry.choices_help()} (default: from OUT's extension, else the input's format)",
    )
    default = (
        "records, the default"
        if holdings_default == "records"
        else "default: as in the input (embedded when it has embedded holdings)"
    )
    p.add_argument(
        "--holdings",
        choices=HOLDINGS_MODES,
        default=holdings_default,
        help="holdings as MARC21 holdings records after their bib (records) or embedded in the bib "
        f"with $5 <sigel> (embedded); {default}",
    )
    p.add_argument("--overwrite", action="store_true", help="allow OUT to be an input file (a backup of it is kept)")
    p.add_argument(
        "--skip-broken",
        action="store_true",
        help="leave out records that cannot be read (each is named on stderr; exit status 1) "
        "instead of refusing the whole export",
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="validate, then write records in another format",
        description="Validate the records (against --original when given) and, when there is no error, "
        "write them atomically to OUT with a report OUT.report.txt beside it.",
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


def input_holdings_mode(entries) -> str:
    """How the input holds its holdings: ``embedded`` when any bib has ``$5`` holding fields."""
    from tui.core.model.record import LibrisRecord
    from tui.core.rules.detect import embedded_holding_sigels

    for e in entries:
        if isinstance(e, LibrisRecord) and e.kind == "bib" and embedded_holding_sigels(e):
            return "embedded"
    return "records"


def write_out(
    entries,
    args,
    input_path: str,
    input_format: str,
    original,
    err: TextIO,
    out: TextIO,
    source_name: str = "",
    sigel: str | None = None,
) -> int:
    """Export ``entries`` as the command line asked; print the outcome. Returns the exit status."""
    holdings = args.holdings or input_holdings_mode(entries)
    skipped = []
    if getattr(args, "skip_broken", False):
        from tui.core.model.record import BrokenRecord

        skipped = [e for e in entries if isinstance(e, BrokenRecord)]
        entries = [e for e in entries if not isinstance(e, BrokenRecord)]
        if original is not None:
            original = [e for e in original if not isinstance(e, BrokenRecord)]
        for b in skipped:
            say(err, f"libris-tui: left out: {b.describe()}")
    try:
        res: ExportResult = export(
            entries,
            args.output,
            output_format(args, input_format),
            original=original,
            holdings=holdings,
            overwrite=args.overwrite,
            inputs=[input_path],
            source_name=source_name or input_path,
            original_name=getattr(args, "original", None) or (input_path if original else ""),
            sigel=sigel,
        )
    except ExportRefused as exc:
        say(err, f"libris-tui: {args.output}: export refused, nothing was written: {count(len(exc.errors), 'error')}")
        for f in exc.errors:
            print(finding_line(input_path, f), file=err)
        if all(f.rule == "STRUCT-UNREADABLE" for f in exc.errors):
            print("libris-tui: only unreadable records stand in the way: --skip-broken writes the rest", file=err)
        return EXIT_FINDINGS
    except ExportFailed as exc:
        say(err, f"libris-tui: {exc}")
        return EXIT_FINDINGS
    shown = 0
    warnings = [f for f in res.findings if f.severity == "warning"]
    for f in warnings:
        if not f.rule.startswith("STRUCT-") and shown < 20:
            print(finding_line(input_path, f), file=err)
            shown += 1
    if len(warnings) > shown:
        say(err, f"{input_path}: {count(len(warnings), 'warning')} in all; see the report")
    hold = f", {count(res.holdings, 'holding')}" if res.holdings else ""
    say(
        out,
        f"wrote {count(res.records, 'record')}{hold} to {res.path} ({res.format}); "
        f"report: {res.report_path}{kept(res.backup_path)}",
    )
    return EXIT_FINDINGS if skipped else EXIT_OK


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with progress_for("export", args.file, err) as progress:  # reading; erased before the output
        src = open_input(args.file, progress)
        entries = read_all(src, progress)
        original = list(open_input(args.original)) if args.original else None
    return write_out(entries, args, args.file, src.format, original, err, out)
