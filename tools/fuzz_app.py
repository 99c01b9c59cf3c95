#!/usr/bin/env python3
"""The app's fuzz campaign: mutated record files opened in the running app, every dialog on them.

    /work/venv/bin/python tools/fuzz_app.py --inputs 1000 --workers 2 --json app-figures.json
    /work/venv/bin/python tools/fuzz_app.py --replay /tmp/libris-fuzz-app/crash-*.mrc

The same mutations and seed files as the CLI campaign (``tools/fuzz_campaign.py``,
tests/fuzz/fuzz_mutations.py). Each input that opens (a file the readers refuse is the CLI's
case) is opened in the app headless through Textual's Pilot, at 80x24, and driven as a
cataloguer would: the cursor down the MARC view, then some of the field editor, the line editor,
the add-field dialog, field help, search, validation with its findings, the export dialog, find
and replace, a task list and the help screen on the first record (``PER_INPUT`` of them, chosen
afresh for each input; ``--replay`` drives them all), each closed again, then the next records.

A crash is an exception that reaches the app (an "internal error"), a screen that shows a raw
control character (C0, C1, bidi overrides, lone surrogates: what the terminal would interpret),
the same in what the app says (notifications), or an input that takes longer than --timeout.
What a screen shows is taken from the compositor's rendered strips, the text that is written to
the terminal between the style escapes the app itself makes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tools"))

# (its scratch config and state directories, the seeds' harness, the mutations, the pool, the merge)
import fuzz_campaign as C  # noqa: E402
import fuzz_harness as H  # noqa: E402
import fuzz_mutations as M  # noqa: E402

#: (what, keys) the app is driven with on each record; escape closes what a key opened
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("marc view", ("enter", "o", "down", "down")),
    ("edit field", ("e",)),
    ("line editor", ("E",)),
    ("add field", ("a",)),
    ("field help", ("i",)),
    ("search", ("slash", "a", "b")),
    ("validate", ("v",)),
    ("export dialog", ("x",)),
    ("find and replace", ("F",)),
    ("task list", ("T",)),
    ("help", ("f1",)),
)
RECORDS = 3
#: dialogs driven per input in a campaign (all of them on --replay)
PER_INPUT = 4


Hang = C.Hang


class Unsafe(Exception):
    """A raw control character on the screen or in what the app said."""


def _screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _check(app, where: str) -> None:
    text = _screen_text(app)
    m = H.RAW_CONTROL.search(text)
    if m:
        raise Unsafe(f"{where}: raw {m.group(0)!r} on the screen: {text[max(0, m.start() - 60) : m.start() + 20]!r}")
    for title, message, _sev in app.said:
        said = f"{title}: {message}"
        m = H.RAW_CONTROL.search(said)
        if m:
            raise Unsafe(f"{where}: raw {m.group(0)!r} in a notification: {said[:120]!r}")


async def _drive(path: Path, steps=STEPS) -> str:
    from tui.core.files.filestamp import FileStamp
    from tui.core.formats import open_source
    from tui.core.model.record import LibrisError
    from tui.core.rules.profile import Profile
    from tui.core.settings.config import Config
    from tui.ui.app import LibrisApp
    from tui.ui.session import Session

    try:
        source = open_source(path)
    except LibrisError:
        return "refused"
    session = Session(source, profile=Profile.from_name("full"), sigel="Li", stamp=FileStamp.take(path))
    app = LibrisApp(session, config=Config(sigel="Li"), journal=False, steady_cursor=True, toasts=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        _check(app, "opened")
        await pilot.press("c")  # channel records shown too (the hostile seeds are channel records)
        _check(app, "channel records shown")
        for what, keys in steps:
            await pilot.press(*keys)
            if what in ("validate", "search"):
                await app.workers.wait_for_complete()
                await pilot.pause()
            _check(app, what)
            if len(app.screen_stack) > 1:
                await pilot.press("escape")
        for k in range(1, RECORDS):  # the next records in both views
            await pilot.press("escape", "n")
            await pilot.pause()
            _check(app, f"record {k + 1}")
        n = len(session)
    return f"records:{n}"


def _one(path: Path, timeout: float, steps=STEPS) -> tuple[str, str | None, str]:
    signal.signal(signal.SIGALRM, C._alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return asyncio.run(_drive(path, steps)), None, ""
    except Hang:
        return "hang", "hang", f"longer than {timeout} s"
    except Unsafe as exc:
        return "unsafe", "raw control: " + str(exc).split(":")[0], str(exc)
    except Exception as exc:  # what reached the app: an internal error
        tb = traceback.extract_tb(exc.__traceback__)
        own = [f for f in tb if "/tui/" in f.filename] or tb
        last = own[-1] if own else None
        sig = f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}" if last else type(exc).__name__
        return "crash", sig, "".join(traceback.format_exception(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def ordinary_attack(folder: Path) -> Path | None:
    """The terminal-attack record as an ordinary record (not a channel record, whose fields no
    dialog opens on): its hostile text reaches the field editor, the line editor, help ..."""
    src = H.HOSTILE / "terminal-attack.mrk"
    if not src.is_file():
        return None
    data = src.read_bytes().replace(b"$h[channel record]", b"")
    out = folder / "terminal-attack-ordinary.mrk"
    out.write_bytes(data)
    return out


def seeds_for(folder: Path, include_corpus: bool) -> list[Path]:
    seeds = H.seed_files(include_corpus=include_corpus)
    extra = ordinary_attack(folder)
    return seeds + [extra] * 4 if extra else seeds  # four times: most inputs get a dialog on it


def worker(args: tuple) -> dict:
    wid, seed, deadline, max_inputs, timeout, out_dir, seeds = args
    signal.signal(signal.SIGALRM, C._alarm)
    M.HUGE_SIZES[:] = [5_000, 10_000]
    rng = random.Random(f"app-{seed}-{wid}")

    def try_one(path: Path):
        # the MARC view and PER_INPUT of the dialogs, chosen afresh for each input (every dialog
        # gets about PER_INPUT / len(STEPS) of the inputs; --replay drives them all); the MARC
        # view's cursor goes down 0-8 lines, so the dialogs open on every kind of field
        marc = ("marc view", ("enter", "o") + ("down",) * rng.randint(0, 8))
        steps = (marc,) + tuple(sorted(rng.sample(STEPS[1:], PER_INPUT), key=STEPS.index))
        return _one(path, timeout, steps)

    return C.mutation_loop(
        wid, rng, deadline, max_inputs, out_dir, seeds, try_one, lambda outcome: outcome.split(":")[0]
    )


def report(total: dict, seconds: float, seeds: list[Path]) -> str:
    opened = sum(v for k, v in total["outcomes"].items() if k != "refused")
    lines = [
        f"libris-tui app fuzz campaign: {total['inputs']} inputs in {seconds / 60:.1f} min, "
        f"{opened} opened in the app, each driven through the MARC view, {PER_INPUT} of {len(STEPS) - 1} "
        f"dialogs and up to {RECORDS} records; "
        f"{len(seeds)} seed files",
        "by format: " + ", ".join(f"{k} {v}" for k, v in sorted(total["by_format"].items())),
        "outcomes:  " + ", ".join(f"{k} {v}" for k, v in sorted(total["outcomes"].items())),
        f"internal errors, hangs and raw control characters: {sum(total['crashes'].values())} inputs, "
        f"{len(total['crashes'])} distinct",
    ]
    for sig, count in sorted(total["crashes"].items(), key=lambda kv: -kv[1]):
        ex = total["examples"].get(sig, [{}])[0]
        lines.append(f"  {count:6d}  {sig}   e.g. {ex.get('file', '?')} (seed {ex.get('seed', '?')})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="run this long (default 5 unless --inputs)")
    ap.add_argument("--inputs", type=int, default=None, help="stop after this many inputs per worker")
    ap.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--seed", type=int, default=0, help="random seed (runs are reproducible per seed)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per input before it counts as a hang")
    ap.add_argument("--no-corpus", action="store_true", help="only the project's own seeds")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "libris-fuzz-app")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--replay", nargs="+", metavar="FILE", help="drive the app over these files once and report")
    a = ap.parse_args(argv)
    if a.replay:
        signal.signal(signal.SIGALRM, C._alarm)
        bad = 0
        for f in a.replay:
            outcome, sig, text = _one(Path(f), a.timeout)
            print(f"{f}: {sig or outcome}")
            if sig:
                bad += 1
                print(text)
        return 1 if bad else 0
    minutes = a.minutes if a.minutes is not None else (None if a.inputs else 5.0)
    deadline = time.time() + minutes * 60 if minutes is not None else float("inf")
    a.out.mkdir(parents=True, exist_ok=True)
    seeds = seeds_for(a.out, include_corpus=not a.no_corpus)
    t0 = time.time()
    jobs = [(w, a.seed, deadline, a.inputs, a.timeout, a.out, [str(p) for p in seeds]) for w in range(a.workers)]
    total = C.merge(C.run_pool(worker, jobs))
    seconds = time.time() - t0
    print(report(total, seconds, seeds))
    if a.json:
        a.json.write_text(
            json.dumps({"seconds": round(seconds, 1), "seed": a.seed, "workers": a.workers, **total}, indent=2)
        )
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
