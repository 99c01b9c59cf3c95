"""Command line: ``libris-tui FILE`` opens the app; ``libris-tui SUBCOMMAND ...`` works without it.

Each subcommand is a module in this package with ``register(subparsers)`` (adds its parser and
sets ``func``) and works on the core directly (no Textual import). Exit status everywhere:
0 success; 1 findings, refusals or broken records (the rest still done); 2 bad usage or a file
that cannot be read at all, with a one-line reason on stderr; 3 an output that cannot be written
(disk full, permission denied, a folder), the old file kept.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tui.core.model.record import LibrisError
from tui.core.model.textsafe import visible

#: subcommand -> module in this package
SUBCOMMANDS = {
    "dump": "dump",
    "stats": "stats",
    "validate": "validate",
    "export": "export",
    "move-restricted-uris": "edit",
    "add-holding": "edit",
    "report": "report",
    "diff": "diff",
    "rules": "rules",
    "batch": "batch",
    "match": "edit",
}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own convention too)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="libris-tui",
        description="Browse and edit Libris records with KB's e-plikt rules.",
        epilog="Run 'libris-tui FILE' to open the terminal app on a record file.",
    )
    from tui import __version__

    p.add_argument("--version", action="version", version=f"libris-tui {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    seen = set()
    for _name, mod in SUBCOMMANDS.items():
        if mod in seen:
            continue
        seen.add(mod)
        try:
            m = importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{mod}":
                continue  # subcommand not built yet
            raise
        m.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if (
        argv
        and argv[0] not in SUBCOMMANDS
        and not argv[0].startswith("-")
        or (argv and argv[0].startswith("--") and argv[0] not in ("--help", "--version") and argv[0] not in SUBCOMMANDS)
    ):
        from tui.cli.app import run_app

        return _guard(lambda: run_app(argv))
    parser = build_parser()
    if not argv:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return _guard(lambda: args.func(args))


def _guard(fn) -> int:
    """No traceback ever reaches the user: our own errors become one line and exit 2."""
    try:
        return int(fn() or 0)
    except LibrisError as exc:
        print(f"libris-tui: {visible(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("libris-tui: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("libris-tui: out of memory", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `libris-tui dump big.mrc | head`: stop quietly
        import os

        try:  # Python docs' recipe: point stdout at devnull so the exit-time flush is quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except Exception as exc:  # a bug of ours: one line for the user, the traceback in a log
        log = _crash_log(exc)
        print(
            f"libris-tui: internal error: {visible(type(exc).__name__)}: {visible(str(exc))[:200]}"
            + (f" (details in {log})" if log else ""),
            file=sys.stderr,
        )
        return EXIT_USAGE


def _crash_log(exc: BaseException) -> str | None:
    """Write the traceback to the platformdirs state directory; return its path."""
    import os
    import traceback
    from pathlib import Path

    try:
        import platformdirs

        base = Path(os.environ.get("LIBRIS_TUI_STATE_DIR") or platformdirs.user_state_path("libris-tui"))
        base.mkdir(parents=True, exist_ok=True)
        p = base / "last-error.txt"
        p.write_text("".join(traceback.format_exception(exc)), "utf-8")
        return str(p)
    except Exception:
        return None
