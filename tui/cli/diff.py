"""``libris-tui diff A B [--format text|json] [-U N]``

The records of two files compared as MARC view lines: paired by 001, then by position; per
record the lines removed (``-``, only in A) and added (``+``, only in B), a unified-diff-like
listing. Exit 0 when the files hold the same records, 1 when they differ, 2 when a file cannot
be read at all. The two files may be of different formats (a record is the same when its MARC
lines are; the record length and base address in the leader are not compared).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.output import EXIT_FINDINGS, EXIT_OK, count, guarded, safe_json
from tui.cli.progress import progress_for
from tui.cli.validate import open_input
from tui.core.editing.changes import diff_sources, render_unified
from tui.core.model.textsafe import visible


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "diff",
        help="compare the records of two files, line by line of the MARC view",
        description="Compare the records of A and B: paired by 001, then by position; the MARC lines "
        "removed (-) and added (+) per record. Exit 1 when they differ.",
    )
    p.add_argument("a", metavar="A", help="the first record file (the 'before')")
    p.add_argument("b", metavar="B", help="the second record file (the 'after')")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument(
        "-U", "--context", type=int, default=0, metavar="N", help="unchanged lines shown around a change (default 0)"
    )
    p.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with progress_for("diff", args.a, err) as progress:
        a = open_input(args.a, progress)
        b = open_input(args.b, progress)
        changes = list(diff_sources(a, b, context=max(0, args.context)))
    kinds = {"changed": 0, "added": 0, "removed": 0, "unreadable": 0}
    for ch in changes:
        kinds[ch.status] += 1
    if args.format == "json":
        doc = {
            "a": args.a,
            "b": args.b,
            "differ": bool(changes),
            "records": {"a": len(a), "b": len(b)},
            "summary": kinds,
            "changes": [ch.to_json() for ch in changes],
        }
        out.write(safe_json(doc) + "\n")
    else:
        for line in render_unified(changes, args.a, args.b):
            out.write(visible(line) + "\n")
        if changes:
            parts = [count(n, f"{k} record") if k != "unreadable" else f"{n} unreadable" for k, n in kinds.items() if n]
            print(visible(f"{args.a} -> {args.b}: {', '.join(parts)}"), file=err)
    out.flush()
    return EXIT_FINDINGS if changes else EXIT_OK
