"""``libris-tui batch TASKS.toml FILE... -o OUT``: run a task list over record files.

Each record goes through the operations of the task list in order (``docs/tasks.md``), every one
through the same edit commands as the app, so the e-plikt rules refuse what they refuse; the
refusals are counted per rule id in the report. ``--dry-run`` writes nothing and shows the
changes record by record (the MARC lines removed and added, and what made them) with the counts.

Output: a summary on stderr (per operation: records changed, refusals by rule; in all: records,
changed, refused, unreadable), the written file on the last line of stdout. Exit status: 0 done;
1 some edits were refused or some records could not be read (the rest is done); 2 bad usage, a
malformed task file (file, line and what is wrong) or a file that cannot be read; 3 the output
cannot be written (the old file, if any, is kept).
"""

from __future__ import annotations

import argparse
import difflib
from typing import TextIO

from tui.cli.engines import add_engine_options, engine_for
from tui.cli.output import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, count, guarded, say
from tui.cli.progress import progress_for
from tui.core.batch.taskrun import SHOW_DEFAULT, BatchReport, Change, Options, run_tasks
from tui.core.batch.tasks import TaskList, load_tasks
from tui.core.formats import registry
from tui.core.model.textsafe import visible
from tui.core.rules.profile import Profile


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch",
        help="run a task list (TOML) over record files",
        description="Run the operations of a task list (add, delete or replace fields and subfields, with "
        "conditions; URI-MOVE, HOLD-ADD, SUP-CLEAR) on every record, through the same edit commands "
        "and rules as the app; write the records to OUT. See docs/tasks.md for the format.",
        epilog="Exit status: 0 done; 1 some edits refused or records unreadable; 2 bad usage or task file; "
        "3 the output cannot be written.",
    )
    p.add_argument("tasks", metavar="TASKS.toml", help="the task list")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files (any supported format)")
    p.add_argument("-o", "--output", metavar="OUT", help="the file to write (required unless --dry-run)")
    p.add_argument("--dry-run", action="store_true", help="write nothing; show what would change")
    p.add_argument(
        "--show",
        type=int,
        default=SHOW_DEFAULT,
        metavar="N",
        help=f"records whose changes are shown (default {SHOW_DEFAULT})",
    )
    p.add_argument(
        "--to",
        choices=registry.exportable_ids(),
        metavar="FMT",
        help=f"output format: {registry.choices_help()} (default: from OUT's extension, else the input's)",
    )
    p.add_argument(
        "--holdings",
        choices=("records", "embedded"),
        default="records",
        help="holdings that hold-add makes: MARC 21 holdings records after their bib (records, the default) "
        "or embedded in it with $5 <sigel>",
    )
    p.add_argument("--sigel", help="your library's sigel for hold-add (default: the task file's, else the config's)")
    p.add_argument(
        "--profile",
        choices=("full", "limited"),
        help="participation: full or limited (default: 'participation' in the config, else full)",
    )
    p.add_argument("--overwrite", action="store_true", help="allow OUT to be an input file (a backup is kept)")
    add_engine_options(p)
    p.set_defaults(func=run)


def _config():
    try:
        from tui.core.settings.config import load_config

        return load_config(create=False)
    except Exception:  # the batch commands work without a config
        return None


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.dry_run and not args.output:
        say(err, "libris-tui batch: give -o OUT, or --dry-run to see what would change")
        return EXIT_USAGE
    if args.dry_run and args.output:
        say(err, "libris-tui batch: --dry-run writes nothing; leave out -o")
        return EXIT_USAGE
    tasks = load_tasks(args.tasks)  # a TaskFileError is one line: file, line, what is wrong
    cfg = _config()
    sigel = (args.sigel or tasks.sigel or (cfg.sigel if cfg is not None else "") or "").strip() or None
    needs_sigel = any(op.action == "hold-add" and not op.params.get("sigel") for op in tasks.operations)
    if needs_sigel and not sigel:
        say(
            err,
            "libris-tui batch: hold-add needs a sigel: give --sigel, 'sigel' in the task file, or set it in the config",
        )
        return EXIT_USAGE
    profile = Profile.from_name(args.profile or (cfg.participation if cfg is not None else "full"))
    opts = Options(profile=profile, sigel=sigel, holdings=args.holdings, show=max(0, args.show), diffs=args.dry_run)
    label = args.files[0] if len(args.files) == 1 else f"{len(args.files)} files"
    with engine_for(args) as engine, progress_for("batch", label, err) as progress:
        report = run_tasks(
            tasks,
            args.files,
            None if args.dry_run else args.output,
            fmt=args.to,
            opts=opts,
            engine=engine,
            overwrite=args.overwrite,
            progress=progress,
        )
    if args.dry_run:
        for line in render_changes(report.changes):
            out.write(visible(line) + "\n")
        if report.changed > len(report.changes):
            out.write(f"... and {report.changed - len(report.changes)} more changed records (--show N)\n")
    for name in report.broken_named:
        say(err, f"libris-tui batch: unreadable: {name}")
    for line in summary(tasks, report, dry_run=args.dry_run):
        say(err, line)
    if not args.dry_run:
        say(out, f"wrote {count(report.written, 'record')} to {args.output}")
    out.flush()
    return EXIT_FINDINGS if report.refused or report.broken else EXIT_OK


def _rules(c) -> str:
    return ", ".join(f"{rule} {n}" for rule, n in sorted(c.items()))


def summary(tasks: TaskList, report: BatchReport, *, dry_run: bool = False) -> list[str]:
    """The report's lines: per operation, then in all."""
    would = "would change" if dry_run else "changed"
    lines = [f"{tasks.path}: {count(len(tasks.operations), 'operation')}, {count(report.records, 'record')} read"]
    for op, c in zip(tasks.operations, report.operations):
        text = f"  {op.number} {op.name or op.action}: {would} {count(c.changed, 'record')}"
        if c.refused:
            text += f"; refused {sum(c.refused.values())} ({_rules(c.refused)})"
        lines.append(text)
    total = f"in all: {would} {count(report.changed, 'record')}"
    if report.holdings_added:
        total += f", {count(report.holdings_added, 'holding')} added"
    if report.refused:
        total += f"; refused {sum(report.refused.values())} by rule: {_rules(report.refused)}"
    if report.broken:
        total += f"; {count(report.broken, 'unreadable record')}"
    total += f" ({report.parsed} parsed, the others copied as they were)"
    lines.append(total)
    return lines


def render_changes(changes: list[Change]) -> list[str]:
    """Each changed record as the MARC lines removed (``-``) and added (``+``), then what made them."""
    out: list[str] = []
    for ch in changes:
        who = f"record {ch.number}" + (f" [{ch.control_number}]" if ch.control_number else "")
        out.append(f"@@ {ch.path}: {who} @@")
        sm = difflib.SequenceMatcher(a=ch.before, b=ch.after, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                continue
            out.extend(f"- {ln}" for ln in ch.before[i1:i2])
            out.extend(f"+ {ln}" for ln in ch.after[j1:j2])
        out.extend(f"  ({c})" for c in ch.causes)
    return out


__all__ = ["register", "run", "summary", "render_changes"]
