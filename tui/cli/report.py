"""``libris-tui report FILE [--original ORIG] [--sigel SIGEL] [-o OUT]``

The Katalogsupport report: errors in protected fields of e-plikt records (EPL-PROTECT), anything
wrong in a channel record (CHN-READONLY) and likely duplicates (DUP-REPORT), as a plain-text
message ready to send, since the rules say these are reported, not fixed. On stdout, or written
atomically to OUT. The file is checked a record at a time (only the records with something to
report are kept). Exit 0 when there is nothing to report, 1 when there is, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from tui.cli.output import EXIT_FINDINGS, EXIT_OK, count, guarded, kept, say
from tui.cli.validate import open_input
from tui.core.files.atomic import atomic_write
from tui.core.files.export import CheckedRun, open_inputs
from tui.core.model.record import LibrisError
from tui.core.model.textsafe import visible
from tui.core.validation.report import collect, render


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="the Katalogsupport report (protected-field errors, duplicates)",
        description="Write the report for KB's Katalogsupport: errors in protected fields of e-plikt "
        "records and in channel records, and likely duplicates, which the rules say are "
        "reported rather than fixed. Exit 1 when there is something to report.",
    )
    p.add_argument("file", metavar="FILE", help="the record file")
    p.add_argument("--original", metavar="ORIG", help="the records as they were before editing")
    p.add_argument("--sigel", help="your library's sigel, to sign the report (default: from the config)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the report here instead of stdout")
    p.set_defaults(func=run)


def _sigel(args) -> str | None:
    if args.sigel:
        return args.sigel
    try:
        from tui.core.settings.config import load_config

        return load_config(create=False).sigel or None
    except Exception:
        return None


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    src = open_input(args.file)
    original = open_input(args.original) if args.original else None
    # a record at a time: only the records with something to report are kept
    checked = CheckedRun(open_inputs(src, original))
    findings = [f for _, found in checked for f in found if f.katalogsupport]
    checked.finish()
    findings += [f for f in checked.log.katalogsupport]
    rep = collect(checked.katalogsupport_records(), findings, os.path.basename(args.file))
    rep.total_records = checked.readable
    if rep.empty:
        say(err, f"{args.file}: nothing to report to Katalogsupport")
        return EXIT_OK
    text = render(rep, _sigel(args))
    if args.output:
        real = os.path.realpath(args.output)
        if real in {os.path.realpath(args.file)} | ({os.path.realpath(args.original)} if args.original else set()):
            raise LibrisError(f"{args.output}: this is an input file; write the report elsewhere")
        w = atomic_write(Path(args.output), visible_text(text).encode("utf-8"))
        say(err, f"{args.file}: {count(len(rep), 'item')} for Katalogsupport written to {w.path}{kept(w.backup_path)}")
    else:
        out.write(visible_text(text))
        out.flush()
    return EXIT_FINDINGS


def visible_text(text: str) -> str:
    """Control characters from record data made visible, line breaks kept."""
    return "\n".join(visible(line) for line in text.split("\n"))
