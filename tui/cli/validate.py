"""``libris-tui validate [--original ORIG] [--format text|json] [--lang en|sv] FILE``

Checks structure, the e-plikt rules against the original (``--original``: records paired by
001, else by position) and gives advice (URI-MOVE, SUP-CLEAR, Katalogsupport items, duplicates).
Findings go to stdout, one a line (or one JSON document); exit 1 when any is an error, 0
otherwise, 2 when a file cannot be read at all.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.output import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    count,
    finding_line,
    guarded,
    safe_json,
)
from tui.cli.progress import progress_for
from tui.core.formats import open_source
from tui.core.model.record import LibrisRecord, UnreadableFile
from tui.core.model.textsafe import visible
from tui.core.rules import table
from tui.core.sources.base import RecordSource
from tui.core.validation.validate import Finding, errors, summary, validate, validate_source


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check records: structure, e-plikt rules, advice",
        description="Check records: MARC structure; with --original, the e-plikt rules (EPL-PROTECT, "
        "CHN-READONLY ...) against the original records; advice (URI-MOVE, SUP-CLEAR, "
        "duplicates, what to report to Katalogsupport). Exit 1 when there is an error.",
    )
    p.add_argument("file", metavar="FILE", help="the record file to check (any supported format)")
    p.add_argument(
        "--original", metavar="ORIG", help="the records as they were before editing (paired by 001, else by position)"
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--lang", choices=table.LANGUAGES, default="en", help="language of the messages (default: en)")
    p.set_defaults(func=run)


def open_input(path: str, progress=None) -> RecordSource:
    """Open a record file, indexed completely. A reader missing from this build is reported like
    any unreadable file (exit 2). ``progress(done, total)`` while indexing."""
    try:
        src = open_source(path)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tui.core.formats."):
            raise UnreadableFile(
                path, f"no reader for this format ({exc.name.rsplit('.', 1)[-1]}) in this build"
            ) from None
        raise
    if not src.complete:
        src.build_index(progress)
    return src


def read_all(src: RecordSource, progress=None) -> list:
    """``list(src)`` (the same entries), telling ``progress(records, total)`` how far it got."""
    if progress is None:
        return list(src)
    if hasattr(progress, "unit"):
        progress.unit = "records"
    out = []
    n = len(src)
    for k, e in enumerate(src):
        out.append(e)
        if not k % 1000:
            progress(k, n)
    progress(n, n)
    return out


def summary_line(findings: list[Finding], n_records: int) -> str:
    s = summary(findings)
    ks = sum(1 for f in findings if f.katalogsupport)
    line = (
        f"{count(s['error'], 'error')}, {count(s['warning'], 'warning')}, {count(s['info'], 'note')} "
        f"in {count(n_records, 'record')}"
    )
    if ks:
        line += f"; {ks} to report to Katalogsupport (libris-tui report)"
    return line


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with table.speaking(getattr(args, "lang", None) or "en"):
        return _run(args, out, err)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with progress_for("validate", args.file, err) as progress:
        progress.set_stage("reading")
        src = open_input(args.file, progress)
        if args.original:
            entries = list(src)
            original = list(open_input(args.original))
            findings = validate(entries, original)
            n = sum(1 for e in entries if isinstance(e, LibrisRecord))
        else:
            # a record at a time (and on every core for ISO 2709): the same findings as validate()
            progress.set_stage("checking")
            findings, n = validate_source(src, progress=progress)
    if args.format == "json":
        doc = {
            "file": args.file,
            "original": args.original,
            "records": n,
            "summary": summary(findings),
            "katalogsupport": sum(1 for f in findings if f.katalogsupport),
            "findings": [f.to_json() for f in findings],
        }
        out.write(safe_json(doc) + "\n")
    else:
        for f in findings:
            out.write(finding_line(args.file, f) + "\n")
        out.write(visible(f"{args.file}: {summary_line(findings, n)}") + "\n")
    out.flush()
    return EXIT_FINDINGS if errors(findings) else EXIT_OK


__all__ = [
    "register",
    "run",
    "open_input",
    "read_all",
    "summary_line",
    "finding_line",
    "safe_json",
    "guarded",
    "EXIT_OK",
    "EXIT_FINDINGS",
    "EXIT_USAGE",
]
