"""``libris-tui match OWN LIBRIS --sigel SIGEL -o HOLDINGS --report REPORT``: match a library's own
catalogue export against Libris records and write its holdings for every match.

Each bibliographic record of OWN is paired with a Libris record by Libris's batch-import match keys
(LIBRIS-ID, ISBN $a then $z, ISSN $a then $z, EAN, 035, URI; print and electronic never match each
other; several hits: the lowest Libris id, flagged ambiguous), see ``docs/match.md``. HOLDINGS
gets a holding for SIGEL on each matched Libris record (HOLD-ADD: one per sigel and title, none
where the sigel already holds it); REPORT a TSV row per own record. The summary (counts per
status and per key) goes to stdout; unreadable records are named on stderr.

Exit status: 0 done; 1 some records could not be read or a holding was refused (the rest is
done); 2 bad usage or a file that cannot be read; 3 an output that cannot be written.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.engines import add_engine_options, engine_for
from tui.cli.output import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, count, guarded, say
from tui.cli.progress import progress_for
from tui.core.batch.match import KEYS, STATUSES, MatchReport, match_files
from tui.core.formats import registry


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "match",
        help="match your catalogue against Libris and write your holdings for the matches",
        description="Pair each record of OWN (your library's export) with a Libris record of LIBRIS by "
        "Libris's batch-import match keys (LIBRIS-ID, ISBN, ISSN, EAN, 035, URI; print and electronic never "
        "match each other), write a holding for SIGEL on each matched Libris record to HOLDINGS (HOLD-ADD) "
        "and a TSV row per own record to REPORT. See docs/match.md.",
        epilog="Exit status: 0 done; 1 unreadable records or refused holdings; 2 bad usage; 3 cannot write.",
    )
    p.add_argument("own", metavar="OWN", help="your library's records (any supported format)")
    p.add_argument("libris", metavar="LIBRIS", help="the Libris records (any supported format)")
    p.add_argument("--sigel", help="your library's sigel (default: 'sigel' in the config)")
    p.add_argument("-o", "--output", metavar="HOLDINGS", required=True, help="the holdings file to write")
    p.add_argument("--report", metavar="REPORT", required=True, help="the TSV report to write")
    p.add_argument(
        "--to",
        choices=registry.exportable_ids(),
        metavar="FMT",
        help=f"format of HOLDINGS: {registry.choices_help()} (default: from its extension)",
    )
    p.add_argument(
        "--holdings",
        choices=("records", "embedded"),
        default="records",
        help="MARC 21 holdings records (records, the default) or the Libris bib with the holding embedded ($5 SIGEL)",
    )
    p.add_argument(
        "--clear-suppress",
        action="store_true",
        help="also remove 599 $a SUPPRESSRECORD from matched Libris records (SUP-CLEAR; the bib is written "
        "before its holding)",
    )
    p.add_argument("--overwrite", action="store_true", help="allow HOLDINGS and REPORT to replace files")
    add_engine_options(p)
    p.set_defaults(func=run)


def _config_sigel() -> str:
    try:
        from tui.core.settings.config import load_config

        cfg = load_config(create=False)
        return (cfg.sigel or "") if cfg is not None else ""
    except Exception:  # the batch commands work without a config
        return ""


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sigel = (args.sigel or _config_sigel() or "").strip()
    if not sigel:
        say(err, "libris-tui match: no sigel: give --sigel or set 'sigel' in the config")
        return EXIT_USAGE
    with engine_for(args) as engine, progress_for("match", args.own, err) as progress:
        report = match_files(
            args.own,
            args.libris,
            sigel,
            args.output,
            args.report,
            fmt=args.to,
            holdings=args.holdings,
            clear_suppress=args.clear_suppress,
            engine=engine,
            overwrite=args.overwrite,
            progress=lambda _what, done, total: progress(done, total),
        )
    for b in report.broken:
        say(err, f"libris-tui match: unreadable: {b.describe()}")
    if report.broken_count > len(report.broken):
        say(err, f"libris-tui match: ... and {report.broken_count - len(report.broken)} more unreadable records")
    for line in summary(report, sigel, args.output, args.report):
        say(out, line)
    out.flush()
    return EXIT_FINDINGS if report.broken_count or report.refused else EXIT_OK


def summary(rep: MatchReport, sigel: str, holdings: str, report: str) -> list[str]:
    """The summary: counts per status and per key, then the holdings."""
    lines = [
        f"own: {rep.own_path}, {count(rep.own_records, 'record')}; "
        f"Libris: {rep.libris_path}, {count(rep.libris_records, 'record')}"
    ]
    total = sum(rep.statuses[s] for s in STATUSES) or 1
    for s in STATUSES:
        n = rep.statuses[s]
        if n or s != "unreadable":
            lines.append(f"  {s:<10} {n:>9}  {100 * n / total:5.1f}%")
    lines.append("by key:")
    for k in KEYS:
        if rep.keys[k]:
            lines.append(f"  {k:<10} {rep.keys[k]:>9}")
    if rep.guarded:
        lines.append(
            f"instance-type guard: Libris records of the other type left out for {count(rep.guarded, 'own record')}"
        )
    text = f"holdings for {sigel}: {rep.holdings_added} added, {rep.already_held} already there"
    if rep.same_title:
        text += f", {rep.same_title} more own records for the same titles"
    if rep.refused:
        text += "; refused: " + ", ".join(f"{r} {n}" for r, n in sorted(rep.refused.items()))
    lines.append(text)
    if rep.suppressed:
        lines.append(
            f"suppressed (599 SUPPRESSRECORD): {rep.suppressed}"
            + (f", cleared {rep.cleared} (SUP-CLEAR)" if rep.cleared else "; --clear-suppress clears them (SUP-CLEAR)")
        )
    lines.append(f"wrote {count(rep.written, 'record')} to {holdings} and the report to {report}")
    return lines


__all__ = ["register", "run", "summary"]
