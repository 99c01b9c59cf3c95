"""``libris-tui dump FILE... [--view labels|marc|both] [--lang sv|en] [--show-channel] [--record N]``

Prints records as text: the Libris label view, the MARC view, or both. Plain text on stdout,
messages on stderr. Channel records (CHN-HIDE) are left out unless ``--show-channel``; stderr
says how many were left out. A broken record is one line on stderr and the rest is printed
(exit 1); a file that cannot be read at all is one line on stderr (exit 2).

Each record starts with a header line ``== FILE: record N [001] marks ==``; the label and
MARC lines themselves are exactly the views' lines (control characters made visible).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tui.core.formats import open_source
from tui.core.model.record import BrokenRecord, LibrisRecord, UnreadableFile
from tui.core.model.textsafe import visible
from tui.core.rules import detect
from tui.core.views.labels import label_view, render_label_view
from tui.core.views.marcview import marc_view, render_marc_view

EXIT_OK, EXIT_BROKEN, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "dump",
        help="print records as the label view and/or the MARC view",
        description="Print records as Libris's label view and/or the MARC view (plain text).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="record files (any supported format)")
    p.add_argument(
        "--view", choices=("labels", "marc", "both"), default="both", help="which view to print (default: both)"
    )
    p.add_argument("--lang", choices=("sv", "en"), default="sv", help="label language (default: sv)")
    p.add_argument(
        "--show-channel",
        action="store_true",
        help="include channel records (245 $h [channel record]); hidden by default",
    )
    p.add_argument("--record", type=int, metavar="N", help="only record N (1-based position in each file)")
    p.set_defaults(func=run)


def marks(rec: LibrisRecord) -> list[str]:
    out = []
    if rec.kind != "bib":
        out.append(rec.kind)
    if rec.kind == "bib" and detect.is_eplikt(rec):
        out.append("e-plikt")
    if detect.is_channel(rec):
        out.append("channel")
    if detect.is_suppressed(rec):
        out.append("suppressed")
    return out


def header(rec: LibrisRecord) -> str:
    ident = rec.control_number or "no 001"
    m = marks(rec)
    return f"== {rec.path}: record {rec.number} [{ident}]" + (f" {' '.join(m)}" if m else "") + " =="


def record_text(rec: LibrisRecord, view: str, lang: str) -> list[str]:
    lines: list[str] = []
    if view in ("labels", "both"):
        lines += render_label_view(label_view(rec, lang), lang)
    if view in ("marc", "both"):
        if view == "both":
            lines.append("")
            lines.append("MARC21")
        lines += render_marc_view(marc_view(rec))
    return lines


def _open(path: str):
    try:
        return open_source(path)
    except ModuleNotFoundError as exc:
        # a reader that is not in this build (yet): one line, like any unreadable file
        if exc.name and exc.name.startswith("tui.core.formats."):
            fmt = exc.name.rsplit(".", 1)[-1]
            raise UnreadableFile(path, f"no reader for this format ({fmt}) in this build") from None
        raise


def dump_file(path: str, args, out: TextIO, err: TextIO) -> tuple[int, int, int]:
    """(records printed, channel records left out, broken records)."""
    src = _open(path)
    if not src.complete:
        src.build_index()
    printed = hidden = broken = 0
    if args.record is not None:
        if args.record < 1 or args.record > len(src):
            print(f"libris-tui dump: {path}: there is no record {args.record} (the file has {len(src)})", file=err)
            return 0, 0, -1
        indices = [args.record - 1]
    else:
        indices = list(range(len(src)))
    for i in indices:
        entry = src.entry(i)
        if isinstance(entry, BrokenRecord):
            print(visible(entry.describe()), file=err)
            broken += 1
            continue
        assert isinstance(entry, LibrisRecord)
        if detect.is_channel(entry) and not args.show_channel:
            hidden += 1
            continue
        if printed:
            out.write("\n")
        out.write(visible(header(entry)) + "\n")
        for line in record_text(entry, args.view, args.lang):
            out.write(visible(line) + "\n")
        printed += 1
    return printed, hidden, broken


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    status = EXIT_OK
    total_hidden = 0
    first = True
    for path in args.files:
        try:
            if not first:
                out.write("\n")
            printed, hidden, broken = dump_file(path, args, out, err)
        except UnreadableFile as exc:
            print(f"libris-tui dump: {visible(str(exc))}", file=err)
            status = EXIT_USAGE
            continue
        first = first and not printed
        total_hidden += hidden
        if broken < 0:
            status = EXIT_USAGE
        elif broken and status == EXIT_OK:
            status = EXIT_BROKEN
    if total_hidden:
        noun = "record" if total_hidden == 1 else "records"
        print(f"libris-tui dump: {total_hidden} channel {noun} left out (--show-channel shows them)", file=err)
    out.flush()
    return status
