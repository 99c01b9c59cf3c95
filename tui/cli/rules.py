"""``libris-tui rules [ID...] [--lang en|sv] [--markdown [--all]]``

The rule table as the program knows it: each rule's id, kind, severity and sentence (in English,
or Swedish with ``--lang sv``); with ids, just those rules and the sentences said under them.
``--markdown`` prints the README's table of KB's e-plikt rules (with ``--all``, ``docs/rules.md``'s
table of every rule): the docs are generated from this, and a test checks that they are current.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.output import EXIT_OK, EXIT_USAGE, guarded
from tui.core.model.textsafe import visible
from tui.core.rules import table

#: the heading and explanation of docs/rules.md, above the generated table
DOC_HEAD = """# The rules of libris-tui

Generated from `tui/data/rules.toml` by `libris-tui rules --markdown --all` (a test checks that this
file is current). `libris-tui rules ID` shows one rule with every sentence said under it, in English
or, with `--lang sv`, in Swedish.

"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rules",
        help="the rule table: ids, severities and sentences",
        description="Show the rules: id, kind, severity and sentence; with IDs, those rules and every "
        "sentence said under them. --markdown prints the README's rules table (--all: docs/rules.md).",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="rule ids to show (default: all)")
    p.add_argument("--lang", choices=table.LANGUAGES, default="en", help="language of the sentences (default: en)")
    p.add_argument("--markdown", action="store_true", help="the Markdown table the docs are made from")
    p.add_argument("--all", action="store_true", help="with --markdown: every rule, not only KB's e-plikt rules")
    p.set_defaults(func=run)


def readme_table(lang: str = "en") -> str:
    """The README's table of KB's e-plikt rules and the participation profile."""
    return table.markdown_table(("rule", "profile"), lang=lang)


def docs_page() -> str:
    """``docs/rules.md``: every rule of the table."""
    return DOC_HEAD + table.markdown_table((), full=True)


def rule_lines(rule_id: str, lang: str) -> list[str]:
    r = table.rule(rule_id)
    lines = [f"{r.id} ({r.kind}, {r.severity}): {r.sentence(lang)}"]
    if r.label_sv:
        lines.append(f"  label: {r.label_sv}")
    for key, s in r.says.items():
        sev = f" [{s.severity}]" if s.severity and s.severity != r.severity else ""
        lines.append(f"  {key}{sev}: {s.text.get(lang) or s.text['en']}")
    return lines


@guarded
def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.markdown:
        out.write(docs_page() if args.all else readme_table(args.lang))
        return EXIT_OK
    unknown = [i for i in args.ids if i not in table.rules()]
    for i in unknown:
        err.write(visible(f"libris-tui rules: no rule {i!r} in the table") + "\n")
    if args.ids:
        for i in args.ids:
            if i in table.rules():
                out.write("\n".join(visible(line) for line in rule_lines(i, args.lang)) + "\n")
    else:
        for r in table.rules().values():
            out.write(visible(f"{r.id:<22} {r.kind:<9} {r.severity:<7} {r.sentence(args.lang)}") + "\n")
    return EXIT_USAGE if unknown else EXIT_OK


__all__ = ["register", "run", "readme_table", "docs_page", "rule_lines"]
