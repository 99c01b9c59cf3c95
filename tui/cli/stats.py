"""``libris-tui stats [--json] FILE...``: what is in a record file, counted from raw scans.

Per file: bibliographic records, e-plikt records (EPL-DETECT), channel records (CHN-DETECT),
suppressed records (``599 $a SUPPRESSRECORD``), MARC 21 holdings records (leader/06 u v x y),
authority records (z), other records (classification w, community information q) and broken
records; ``records`` counts the bibliographic ones only.
The counts come from ``tui.core.batch.scan`` (raw byte scans over the record index, confirmed by a
parse only where the bytes cannot decide), so a file of a million records is counted without
parsing a million records.

Output: a table, or with ``--json`` exactly
``{"files": [{"path": ..., "records": N, "eplikt": N, "channel": N, "suppressed": N,
"holdings": N, "broken": N, "authority": N, "other": N}, ...]}``. Each broken record is named on stderr (file, record
number, byte offset, reason).

Exit status: 0; 1 if any record is broken; 2 if a file cannot be read at all (one line on
stderr; the other files are still counted).
"""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli.progress import progress_for
from tui.core.batch.scan import scan_file
from tui.core.model.record import LibrisError
from tui.core.model.textsafe import visible

EXIT_OK, EXIT_BROKEN, EXIT_UNREADABLE = 0, 1, 2
#: the counts, in their order (authority and other come last: the keys before them are as they were)
KEYS = ("records", "eplikt", "channel", "suppressed", "holdings", "broken", "authority", "other")
HEADINGS = {
    "records": "records",
    "eplikt": "e-plikt",
    "channel": "channel",
    "suppressed": "suppressed",
    "holdings": "holdings",
    "authority": "authority",
    "other": "other",
    "broken": "broken",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "stats",
        help="count records, e-plikt, channel, suppressed, holdings, authority, other and broken records per file",
        description="Count, per file, bibliographic records, e-plikt records (042 $9 EPLK, or an APIS "
        "holding without 042 $9 DIGI), channel records (245 $h [channel record]), suppressed "
        "records (599 $a SUPPRESSRECORD), MARC 21 holdings, authority and other (classification, "
        "community information) records, and broken records.",
        epilog="Exit status: 0 all read; 1 some records are broken; 2 a file cannot be read at all.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="record files (any supported format)")
    p.add_argument("--json", action="store_true", help='print {"files": [{"path": ..., "records": N, ...}]}')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows: list[dict] = []
    status = EXIT_OK
    for path in args.files:
        try:
            with progress_for("stats", path) as progress:
                result = scan_file(path, progress)
        except LibrisError as exc:
            print(f"libris-tui stats: {visible(str(exc))}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        except OSError as exc:  # e.g. a read error while scanning a mapped file
            print(f"libris-tui stats: {visible(path)}: {visible(exc.strerror or str(exc))}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        except Exception as exc:  # a bug of ours: one line naming the file, never a traceback
            print(
                f"libris-tui stats: {visible(path)}: cannot be counted ({type(exc).__name__}: "
                f"{visible(str(exc))[:200]})",
                file=sys.stderr,
            )
            status = EXIT_UNREADABLE
            continue
        row = result.counts()
        row["path"] = path
        rows.append(row)
        for b in result.broken_records:
            print(f"libris-tui stats: {visible(b.describe())}", file=sys.stderr)
        if row["broken"] and status == EXIT_OK:
            status = EXIT_BROKEN
    if args.json:
        doc = {"files": [{"path": r["path"], **{k: r[k] for k in KEYS}} for r in rows]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    elif rows:
        sys.stdout.write(render_table(rows))
    sys.stdout.flush()
    return status


def render_table(rows: list[dict]) -> str:
    heads = ["file"] + [HEADINGS[k] for k in KEYS]
    table = [[visible(r["path"])] + [str(r[k]) for k in KEYS] for r in rows]
    widths = [max(len(h), *(len(row[c]) for row in table)) for c, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(widths[0]) if c == 0 else h.rjust(widths[c]) for c, h in enumerate(heads))]
    for row in table:
        lines.append("  ".join(v.ljust(widths[0]) if c == 0 else v.rjust(widths[c]) for c, v in enumerate(row)))
    return "\n".join(line.rstrip() for line in lines) + "\n"
