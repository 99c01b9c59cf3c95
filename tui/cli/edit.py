"""Batch edits through the same command objects as the app:

* ``libris-tui move-restricted-uris FILE -o OUT``: URI-MOVE on every e-plikt record with
  ``506 $a restricted``: each 856 with second indicator 0 gets second indicator 2.
* ``libris-tui add-holding FILE --sigel SIGEL [--clear-suppress] [--record N] -o OUT``: a
  holding for the library's sigel (HOLD-ADD; one per sigel and title, so an existing one is left
  as it is). Warns about ``599 $a SUPPRESSRECORD`` on stderr unless ``--clear-suppress`` removes
  it (SUP-CLEAR).
* ``libris-tui match OWN LIBRIS --sigel SIGEL -o HOLDINGS --report REPORT``: holdings in bulk by
  matching: each record of the library's own export paired with a Libris record by Libris's
  batch-import match keys (``tui.core.batch.match``, ``docs/match.md``), a holding (HOLD-ADD)
  for each match, a TSV report and a summary (counts per status and per key) on stdout.

The file is read, edited, validated and written a record at a time (memory stays flat): each
record goes out as ``libris-tui export`` writes it, validated against the record as it was read
(so nothing the rules protect can slip through); an ISO 2709 record the command did not change is
copied byte for byte. Channel records are
hidden from batch edits (CHN-HIDE) and never changed (CHN-READONLY). Exit 0 when every record
asked for was done, 1 when any was refused or the export was refused, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import copy
import sys
from typing import TextIO

from tui.cli.engines import add_engine_options, engine_for
from tui.cli.export import add_output_options, write_out
from tui.cli.output import count, say
from tui.cli.progress import progress_for
from tui.cli.validate import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, guarded, open_input
from tui.core.batch.match import KEYS, STATUSES, MatchReport, match_files
from tui.core.editing.commands import (
    AddHolding,
    ClearSuppress,
    EditContext,
    MoveRestrictedUris,
    Refused,
)
from tui.core.formats import registry
from tui.core.model.record import BrokenRecord, LibrisRecord
from tui.core.model.textsafe import visible
from tui.core.rules.eplikt import record_state
from tui.core.rules.profile import Profile


def _config():
    try:
        from tui.core.settings.config import load_config

        return load_config(create=False)
    except Exception:  # the batch commands work without a config
        return None


def _add_profile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        choices=("full", "limited"),
        help="participation: full (catalogues) or limited (browses, adds holdings, exports); "
        "default: 'participation' in the config, else full",
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "move-restricted-uris",
        help="URI-MOVE: restricted e-plikt URIs from 856 ind2 0 to 2",
        description="In e-plikt records with 506 $a restricted, move each URI under 856 second indicator 0 "
        "(Tillhörande media) to second indicator 2 (Relaterad beskrivning eller innehåll), "
        "changing nothing else (URI-MOVE), then export validated to OUT.",
    )
    p.add_argument("file", metavar="FILE", help="the record file")
    add_output_options(p)
    _add_profile_option(p)
    p.set_defaults(func=run_move)

    p = subparsers.add_parser(
        "add-holding",
        help="HOLD-ADD: add your library's holding",
        description="Add a holding for your library's sigel to the records (one per sigel and title), then "
        "export validated to OUT. Warns about 599 SUPPRESSRECORD unless --clear-suppress.",
    )
    p.add_argument("file", metavar="FILE", help="the record file")
    p.add_argument("--sigel", help="your library's sigel (default: 'sigel' in the config)")
    p.add_argument(
        "--clear-suppress",
        action="store_true",
        help="remove 599 $a SUPPRESSRECORD from the records you add a holding to (SUP-CLEAR)",
    )
    p.add_argument("--record", type=int, metavar="N", help="only record N (1-based position in the file)")
    add_output_options(p)
    _add_profile_option(p)
    p.set_defaults(func=run_add_holding)
    register_match(subparsers)


def _profile(args, cfg) -> Profile:
    name = args.profile or (cfg.participation if cfg is not None else "full")
    return Profile.from_name(name)


def _who(rec: LibrisRecord) -> str:
    return f"record {rec.number}" + (f" [{rec.control_number}]" if rec.control_number else "")


class _Batch:
    """One batch edit over a file, record by record inside the export (``transform``): the
    command applied to each record it is for, the record as read kept as the item's original
    (only for a record whose fields change), the outcome told on stderr."""

    def __init__(self, args, err: TextIO, src, profile: Profile, sigel: str | None):
        self.args, self.err, self.src, self.profile, self.sigel = args, err, src, profile, sigel
        self.done = self.refused = self.already = self.hidden = 0

    def tell(self, e: LibrisRecord, text: str) -> None:
        print(visible(f"{self.args.file}: {_who(e)}: {text}"), file=self.err)

    def apply(self, item, e: LibrisRecord, cmd, *, copy_first: bool = True) -> bool | None:
        """``cmd`` on ``e`` (the item's record): True changed, False unchanged, None refused."""
        ctx = EditContext(e, self.profile, self.sigel, self.src)
        before = copy.deepcopy(e) if copy_first and item.original is None else None
        try:
            cmd.apply(ctx)
        except Refused as exc:
            self.refused += 1
            self.tell(e, f"refused: {exc.refusal}")
            return None
        if cmd.changed:
            item.edited = True
            if before is not None:
                item.original = before
            item.fresh = False
        return cmd.changed


def _run_batch(args, out: TextIO, err: TextIO, make, sigel: str | None, name: str) -> tuple[int, _Batch]:
    cfg = _config()
    with progress_for(name, args.file, err) as progress:
        src = open_input(args.file, progress)
        batch = _Batch(args, err, src, _profile(args, cfg), sigel)
        status = write_out(
            src, args, args.file, src.format, None, err, out, sigel=sigel, transform=make(batch), progress=progress
        )
    return status, batch


@guarded
def run_move(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cfg = _config()
    sigel = (cfg.sigel or None) if cfg else None

    def make(batch: _Batch):
        def transform(item):
            e = item.entry
            if not isinstance(e, LibrisRecord) or e.kind != "bib":
                return item
            cmd = MoveRestrictedUris()
            if not cmd.targets(EditContext(e, batch.profile, sigel, batch.src)):
                return item  # nothing to move here
            if record_state(e).channel:
                batch.hidden += 1
                batch.tell(e, "channel record left unchanged (CHN-READONLY)")
                return item
            if batch.apply(item, e, cmd):
                batch.done += 1
                batch.tell(e, cmd.describe())
            return item

        return transform

    status, b = _run_batch(args, out, err, make, sigel, "move-restricted-uris")
    print(
        visible(
            f"{args.file}: URI-MOVE in {b.done} record{'s' if b.done != 1 else ''}"
            + (f", {b.refused} refused" if b.refused else "")
            + (f", {b.hidden} channel records left" if b.hidden else "")
        ),
        file=err,
    )
    return status if status != EXIT_OK else (EXIT_FINDINGS if b.refused else EXIT_OK)


@guarded
def run_add_holding(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cfg = _config()
    sigel = (args.sigel or (cfg.sigel if cfg is not None else "") or "").strip()
    if not sigel:
        print("libris-tui add-holding: no sigel: give --sigel or set 'sigel' in the config", file=err)
        return EXIT_USAGE
    if args.record is not None:
        src = open_input(args.file)
        if not 1 <= args.record <= len(src):
            print(
                visible(
                    f"libris-tui add-holding: {args.file}: there is no record {args.record} (the file has {len(src)})"
                ),
                file=err,
            )
            return EXIT_USAGE
        target = src.entry(args.record - 1)
        if isinstance(target, BrokenRecord):
            print(visible(f"libris-tui add-holding: {target.describe()}"), file=err)
            return EXIT_FINDINGS

    def make(batch: _Batch):
        def transform(item):
            e = item.entry
            if args.record is not None:
                if item.slot != args.record - 1 or not isinstance(e, LibrisRecord):
                    return item
            elif not isinstance(e, LibrisRecord) or e.kind != "bib":
                return item
            elif record_state(e).channel:
                batch.hidden += 1  # CHN-HIDE: channel records are not part of a batch
                return item
            # a holding changes no field of the bib: the record as read needs no copy
            changed = batch.apply(item, e, AddHolding(sigel), copy_first=False)
            if changed is None:
                return item
            if changed:
                batch.done += 1
            else:
                batch.already += 1
                batch.tell(e, f"{sigel} already holds it; unchanged (HOLD-ADD: one holding per sigel and title)")
            if EditContext(e, batch.profile, sigel, batch.src).state().suppressed:
                if args.clear_suppress:
                    if batch.apply(item, e, ClearSuppress()) is not None:
                        batch.tell(e, "removed 599 $a SUPPRESSRECORD (SUP-CLEAR)")
                else:
                    batch.tell(
                        e,
                        "warning: 599 $a SUPPRESSRECORD keeps this record out of Libris search and your "
                        "local system; remove it with --clear-suppress (SUP-CLEAR)",
                    )
            return item

        return transform

    status, b = _run_batch(args, out, err, make, sigel, "add-holding")
    msg = f"{args.file}: holding for {sigel} added to {b.done} record{'s' if b.done != 1 else ''}"
    if b.already:
        msg += f", already there in {b.already}"
    if b.refused:
        msg += f", {b.refused} refused"
    if b.hidden:
        msg += f"; {b.hidden} channel record{'s' if b.hidden != 1 else ''} left out (CHN-HIDE)"
    print(visible(msg), file=err)
    return status if status != EXIT_OK else (EXIT_FINDINGS if b.refused else EXIT_OK)


# -- match: holdings in bulk by matching against Libris ------------------------------------------


def register_match(subparsers) -> None:
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
    p.set_defaults(func=run_match)


@guarded
def run_match(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cfg = _config()
    sigel = (args.sigel or (cfg.sigel if cfg is not None else "") or "").strip()
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
    for line in match_summary(report, sigel, args.output, args.report):
        say(out, line)
    out.flush()
    return EXIT_FINDINGS if report.broken_count or report.refused else EXIT_OK


def match_summary(rep: MatchReport, sigel: str, holdings: str, report: str) -> list[str]:
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
    lines.append("by key:" + ("" if any(rep.keys.values()) else " none"))
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
