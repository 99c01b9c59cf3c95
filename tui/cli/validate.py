"""``libris-tui validate [--original ORIG] [--format text|json] FILE``

Checks structure, the e-plikt rules against the original (``--original``: records paired by
001, else by position) and gives advice (URI-MOVE, SUP-CLEAR, Katalogsupport items, duplicates).
Findings go to stdout, one a line (or one JSON document); exit 1 when any is an error, 0
otherwise, 2 when a file cannot be read at all.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from typing import TextIO

from ..core.formats import open_source
from ..core.model import LibrisError, LibrisRecord, UnreadableFile
from ..core.source import RecordSource
from ..core.textsafe import visible
from ..core.validate import Finding, errors, summary, validate, validate_source
from .progress import progress_for

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="check records: structure, e-plikt rules, advice",
        description="Check records: MARC structure; with --original, the e-plikt rules (EPL-PROTECT, "
                    "CHN-READONLY ...) against the original records; advice (URI-MOVE, SUP-CLEAR, "
                    "duplicates, what to report to Katalogsupport). Exit 1 when there is an error.")
    p.add_argument("file", metavar="FILE", help="the record file to check (any supported format)")
    p.add_argument("--original", metavar="ORIG",
                   help="the records as they were before editing (paired by 001, else by position)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.set_defaults(func=run)


def open_input(path: str, progress=None) -> RecordSource:
    """Open a record file, indexed completely. A reader missing from this build is reported like
    any unreadable file (exit 2). ``progress(done, total)`` while indexing."""
    try:
        src = open_source(path)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tui.core.formats."):
            raise UnreadableFile(path, f"no reader for this format ({exc.name.rsplit('.', 1)[-1]}) "
                                       "in this build") from None
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


#: characters JSON leaves as they are that must not reach a terminal raw (C1 controls, line and
#: paragraph separators, bidi controls); JSON's own escaping covers C0 controls
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_json(doc) -> str:
    """JSON with the characters a terminal would act on written as \\u escapes (the same data)."""
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def guarded(fn):
    """Our own errors (unreadable file, output that would replace the input ...) become one line on
    stderr with anything a terminal would act on made visible (file names come from outside too),
    and exit 2."""

    @functools.wraps(fn)
    def run(args, out=None, err=None):
        err = err or sys.stderr
        try:
            return fn(args, out, err)
        except LibrisError as exc:
            print(visible(f"libris-tui: {exc}"), file=err)
            return EXIT_USAGE

    return run


def finding_line(path: str, f: Finding) -> str:
    return visible(f"{path}: {f.describe()}")


def summary_line(findings: list[Finding], n_records: int) -> str:
    s = summary(findings)
    ks = sum(1 for f in findings if f.katalogsupport)
    line = (f"{s['error']} error{'s' if s['error'] != 1 else ''}, {s['warning']} warning"
            f"{'s' if s['warning'] != 1 else ''}, {s['info']} note{'s' if s['info'] != 1 else ''} "
            f"in {n_records} record{'s' if n_records != 1 else ''}")
    if ks:
        line += f"; {ks} to report to Katalogsupport (libris-tui report)"
    return line


@guarded
def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
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
