"""Batch edits through the same command objects as the app:

* ``libris-tui move-restricted-uris FILE -o OUT``: URI-MOVE on every e-plikt record with
  ``506 $a restricted``: each 856 with second indicator 0 gets second indicator 2.
* ``libris-tui add-holding FILE --sigel SIGEL [--clear-suppress] [--record N] -o OUT``: a
  holding for the library's sigel (HOLD-ADD; one per sigel and title, so an existing one is left
  as it is). Warns about ``599 $a SUPPRESSRECORD`` on stderr unless ``--clear-suppress`` removes
  it (SUP-CLEAR).

The edited records are then exported like ``libris-tui export`` does, validated against the
file as it was read (so nothing the rules protect can slip through). Channel records are
hidden from batch edits (CHN-HIDE) and never changed (CHN-READONLY). Exit 0 when every record
asked for was done, 1 when any was refused or the export was refused, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tui.cli.export import add_output_options, write_out
from tui.cli.progress import progress_for
from tui.cli.validate import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, guarded, open_input, read_all
from tui.core.editing.commands import (
    AddHolding,
    ClearSuppress,
    EditContext,
    History,
    MoveRestrictedUris,
    Refused,
)
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
    add_output_options(p, holdings_default=None)
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
    add_output_options(p, holdings_default=None)
    _add_profile_option(p)
    p.set_defaults(func=run_add_holding)


def _profile(args, cfg) -> Profile:
    name = args.profile or (cfg.participation if cfg is not None else "full")
    return Profile.from_name(name)


def _who(rec: LibrisRecord) -> str:
    return f"record {rec.number}" + (f" [{rec.control_number}]" if rec.control_number else "")


@guarded
def run_move(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cfg = _config()
    with progress_for("move-restricted-uris", args.file, err) as progress:  # reading; erased before the output
        src = open_input(args.file, progress)
        entries = read_all(src, progress)
        original = list(open_input(args.file))
    profile = _profile(args, cfg)
    history = History()
    moved = refused = skipped = 0
    for e in entries:
        if not isinstance(e, LibrisRecord) or e.kind != "bib":
            continue
        ctx = EditContext(e, profile, cfg.sigel or None if cfg else None, src)
        cmd = MoveRestrictedUris()
        if not cmd.targets(ctx):
            continue  # nothing to move here
        if record_state(e).channel:
            skipped += 1
            print(visible(f"{args.file}: {_who(e)}: channel record left unchanged (CHN-READONLY)"), file=err)
            continue
        try:
            history.do(cmd, ctx)
        except Refused as exc:
            refused += 1
            print(visible(f"{args.file}: {_who(e)}: refused: {exc.refusal}"), file=err)
            continue
        moved += 1
        print(visible(f"{args.file}: {_who(e)}: {cmd.describe()}"), file=err)
    print(
        visible(
            f"{args.file}: URI-MOVE in {moved} record{'s' if moved != 1 else ''}"
            + (f", {refused} refused" if refused else "")
            + (f", {skipped} channel records left" if skipped else "")
        ),
        file=err,
    )
    status = write_out(entries, args, args.file, src.format, original, err, out)
    return status if status != EXIT_OK else (EXIT_FINDINGS if refused else EXIT_OK)


@guarded
def run_add_holding(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cfg = _config()
    sigel = (args.sigel or (cfg.sigel if cfg is not None else "") or "").strip()
    if not sigel:
        print("libris-tui add-holding: no sigel: give --sigel or set 'sigel' in the config", file=err)
        return EXIT_USAGE
    src = open_input(args.file)
    entries = list(src)
    original = list(open_input(args.file))
    profile = _profile(args, cfg)
    if args.record is not None:
        if not 1 <= args.record <= len(entries):
            print(
                visible(
                    f"libris-tui add-holding: {args.file}: there is no record {args.record} "
                    f"(the file has {len(entries)})"
                ),
                file=err,
            )
            return EXIT_USAGE
        targets = [entries[args.record - 1]]
        if isinstance(targets[0], BrokenRecord):
            print(visible(f"libris-tui add-holding: {targets[0].describe()}"), file=err)
            return EXIT_FINDINGS
    else:
        targets = [e for e in entries if isinstance(e, LibrisRecord) and e.kind == "bib"]
    history = History()
    added = already = refused = hidden = 0
    for e in targets:
        if args.record is None and record_state(e).channel:
            hidden += 1  # CHN-HIDE: channel records are not part of a batch
            continue
        ctx = EditContext(e, profile, sigel, src)
        cmd = AddHolding(sigel)
        try:
            changed = history.do(cmd, ctx)
        except Refused as exc:
            refused += 1
            print(visible(f"{args.file}: {_who(e)}: refused: {exc.refusal}"), file=err)
            continue
        if changed:
            added += 1
        else:
            already += 1
            print(
                visible(
                    f"{args.file}: {_who(e)}: {sigel} already holds it; unchanged (HOLD-ADD: one holding "
                    "per sigel and title)"
                ),
                file=err,
            )
        if ctx.state().suppressed:
            if args.clear_suppress:
                try:
                    history.do(ClearSuppress(), ctx)
                    print(visible(f"{args.file}: {_who(e)}: removed 599 $a SUPPRESSRECORD (SUP-CLEAR)"), file=err)
                except Refused as exc:
                    refused += 1
                    print(visible(f"{args.file}: {_who(e)}: refused: {exc.refusal}"), file=err)
            else:
                print(
                    visible(
                        f"{args.file}: {_who(e)}: warning: 599 $a SUPPRESSRECORD keeps this record out of "
                        "Libris search and your local system; remove it with --clear-suppress (SUP-CLEAR)"
                    ),
                    file=err,
                )
    msg = f"{args.file}: holding for {sigel} added to {added} record{'s' if added != 1 else ''}"
    if already:
        msg += f", already there in {already}"
    if refused:
        msg += f", {refused} refused"
    if hidden:
        msg += f"; {hidden} channel record{'s' if hidden != 1 else ''} left out (CHN-HIDE)"
    print(visible(msg), file=err)
    status = write_out(entries, args, args.file, src.format, original, err, out, sigel=sigel)
    return status if status != EXIT_OK else (EXIT_FINDINGS if refused else EXIT_OK)
