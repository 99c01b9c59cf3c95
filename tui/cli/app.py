"""``libris-tui FILE [options]``: the terminal app, or a scripted screenshot of it.

    libris-tui FILE [--screenshot OUT.svg] [--press KEYS] [--size 120x40] [--sigel S]
                    [--profile full|limited] [--keymap NAME] [--theme NAME] [--lang sv|en]
                    [--ui-lang sv|en] [--no-mouse]

``--screenshot`` renders without a terminal (Textual's headless mode), presses ``--press`` keys
(comma-separated, Textual key names: ``c,down,enter``; ``comma`` for the comma key; ``wait:500``
pauses 500 ms), saves an SVG and exits: for scripted UI tests and documentation. No crash
journal is written in that mode.

``--ui-lang sv`` gives the app's own words (footer, dialogs, messages, help) in Swedish
(config.toml: ``ui_language``); ``--lang`` is the label view's labels, a toggle of its own.

The file is opened before the app starts, so a file that cannot be read is a one-line error and
exit status 2, like every other subcommand.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _size(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,4})\s*[xX*]\s*(\d{1,4})\s*", value)
    if not m:
        raise argparse.ArgumentTypeError(f"{value!r}: give the size as COLUMNSxLINES, e.g. 120x40")
    w, h = int(m.group(1)), int(m.group(2))
    if not (20 <= w <= 1000 and 5 <= h <= 500):
        raise argparse.ArgumentTypeError(f"{value!r}: between 20x5 and 1000x500")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="libris-tui", description="Open a record file in the terminal app.")
    p.add_argument(
        "file",
        metavar="FILE",
        help="a record file (ISO 2709, MARCXML, MARC-in-JSON, .mrk, the MARC notation, Libris JSON-LD)",
    )
    p.add_argument("--screenshot", metavar="OUT.svg", help="render without a terminal, save an SVG and exit")
    p.add_argument(
        "--press",
        metavar="KEYS",
        default="",
        help="with --screenshot: keys to press first, comma-separated (e.g. 'c,down,e')",
    )
    p.add_argument(
        "--size", type=_size, default=None, metavar="WxH", help="with --screenshot: the terminal size (default 120x40)"
    )
    p.add_argument("--sigel", help="your library's sigel (overrides config.toml)")
    p.add_argument("--profile", choices=("full", "limited"), help="participation (overrides config.toml)")
    p.add_argument("--keymap", help="keymap name (default, vim, or one of yours)")
    p.add_argument("--theme", help="theme name (default, high-contrast, ansi, or one of yours)")
    p.add_argument("--lang", choices=("sv", "en"), help="labels of the label view")
    p.add_argument(
        "--ui-lang",
        choices=("sv", "en"),
        help="language of the app itself: footer, dialogs, messages, help (overrides config.toml's ui_language)",
    )
    p.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    return p


def parse_keys(spec: str) -> list[str]:
    keys = [k.strip() for k in spec.split(",")] if spec.strip() else []
    return [k for k in keys if k]


def make_app(args, *, screenshot: bool = False):
    """Open the file and build the app (raises LibrisError when the file cannot be read)."""
    from tui.core.settings.config import load_config
    from tui.ui.app import LibrisApp, open_session

    config = load_config().with_overrides(
        sigel=args.sigel,
        participation=args.profile,
        keymap=args.keymap,
        theme=args.theme,
        language=args.lang,
        ui_language=args.ui_lang,
        mouse=False if args.no_mouse else None,
    )
    session = open_session(args.file, config)
    return LibrisApp(session, config=config, screenshot=screenshot)


async def take_screenshot(app, out: Path, keys: list[str], size: tuple[int, int]) -> Path:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            if key.startswith("wait:"):
                await pilot.pause(int(key[5:] or 0) / 1000)
                continue
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))
    return out


def run_app(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if (args.press or args.size) and not args.screenshot:
        print("libris-tui: --press and --size go with --screenshot", file=sys.stderr)
        return EXIT_USAGE
    keys = parse_keys(args.press)
    for k in keys:
        if k.startswith("wait:") and not k[5:].isdigit():
            print(f"libris-tui: --press: {k!r}: write wait:MILLISECONDS", file=sys.stderr)
            return EXIT_USAGE
    app = make_app(args, screenshot=bool(args.screenshot))
    if args.screenshot:
        out = Path(args.screenshot)
        if out.suffix.lower() != ".svg":
            print("libris-tui: --screenshot writes SVG: give a name ending in .svg", file=sys.stderr)
            return EXIT_USAGE
        asyncio.run(take_screenshot(app, out, keys, args.size or (120, 40)))
        print(f"libris-tui: screenshot saved to {out}", file=sys.stderr)
        return EXIT_OK
    app.run(mouse=app.config.mouse)
    return int(app.return_code or 0)
