#!/usr/bin/env python3
"""The long fuzzing campaign: mutate record files of every format for minutes, count what crashed.

    /work/venv/bin/python tools/fuzz_campaign.py --minutes 15 --workers 2
    /work/venv/bin/python tools/fuzz_campaign.py --inputs 20000 --seed 7 --json figures.json

Uses the same mutations (tests/fuzz/fuzz_mutations.py) and the same notion of "ended well"
(tests/fuzz/fuzz_harness.py) as the property tests, driven by ``random.Random`` for speed.
Every input is read fully (open_source, every slot, label/MARC views, ``libris-tui dump``).
A crash is any exception that is not the project's own error, a view that fails, raw control
characters in ``dump`` output, an input that takes longer than --timeout seconds, or memory over
--memory-mb. Crashing inputs are saved (a few per distinct crash) to --out for replay:

    /work/venv/bin/python tools/fuzz_campaign.py --replay /tmp/libris-fuzz/crash-*.dat

The summary gives inputs tried (per format), outcomes, and each distinct crash with a count.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
sys.path.insert(0, str(ROOT))

# never the user's own config or state; the scratch directories go at exit
for _var, _prefix in (("LIBRIS_TUI_STATE_DIR", "libris-fuzz-state-"), ("LIBRIS_TUI_CONFIG_DIR", "libris-fuzz-config-")):
    if _var not in os.environ:
        os.environ[_var] = tempfile.mkdtemp(prefix=_prefix)
        atexit.register(shutil.rmtree, os.environ[_var], True)

import fuzz_harness as H  # noqa: E402
import fuzz_mutations as M  # noqa: E402


class Hang(BaseException):
    """Raised from SIGALRM: an input that takes too long (BaseException: nobody swallows it)."""


def _alarm(signum, frame):
    raise Hang()


def _one(path: Path, timeout: float, dump: bool) -> tuple[str, str | None, str]:
    """(outcome, crash signature or None, crash text)."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        outcome = H.exercise(path, dump=dump)
        return outcome, None, ""
    except H.Missing as exc:
        return f"missing:{exc}", None, ""
    except H.Crash as exc:
        return "crash", exc.signature, str(exc)
    except Hang:
        return "crash", f"hang: over {timeout:g} s", ""
    except MemoryError:
        return "crash", "memory: over the limit", ""
    except RecursionError as exc:  # escaped the harness's own guards
        return "crash", f"RecursionError: {exc}", ""
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def mutation_loop(wid, rng, deadline, max_inputs, out_dir, seeds, try_one, classify) -> dict:
    """Mutate seed files until ``deadline`` or ``max_inputs``: each input written to a scratch
    file and given to ``try_one(path)`` -> (outcome, crash signature or None, crash text);
    ``classify(outcome)`` is what the outcome counts as. Crashing inputs are saved to ``out_dir``
    (three per distinct crash)."""
    chooser = M.RandomChooser(rng)
    seeds = [Path(p) for p in seeds]
    blobs = {p: p.read_bytes() for p in seeds}
    fmts = {p: H.format_of(blobs[p], p.name) for p in seeds}
    tmpdir = Path(tempfile.mkdtemp(prefix=f"libris-fuzz-w{wid}-"))
    stats = {
        "inputs": 0,
        "by_format": collections.Counter(),
        "outcomes": collections.Counter(),
        "crashes": collections.Counter(),
        "examples": {},
        "mutations": collections.Counter(),
    }
    n = 0
    while time.time() < deadline and (max_inputs is None or n < max_inputs):
        p = rng.choice(seeds)
        try:
            data, names = M.mutate(blobs[p], fmts[p], chooser)
        except MemoryError:
            continue
        target = tmpdir / f"input{p.suffix}"
        target.write_bytes(data)
        outcome, sig, text = try_one(target)
        n += 1
        stats["inputs"] += 1
        stats["by_format"][fmts[p] or "?"] += 1
        stats["mutations"].update(names)
        stats["outcomes"][classify(outcome)] += 1
        if sig:
            stats["crashes"][sig] += 1
            ex = stats["examples"].setdefault(sig, [])
            if len(ex) < 3:
                saved = out_dir / f"crash-w{wid}-{n}{p.suffix}"
                saved.write_bytes(data)
                ex.append({"file": str(saved), "seed": p.name, "mutations": names, "text": text[-3000:]})
    shutil.rmtree(tmpdir, ignore_errors=True)
    for k in ("by_format", "outcomes", "crashes", "mutations"):
        stats[k] = dict(stats[k])
    return stats


def _classify(outcome: str) -> str:
    kind = outcome.split(":")[0]
    return "broken-records" if kind == "records" and not outcome.endswith("/0") else kind


def worker(args: tuple) -> dict:
    wid, seed, deadline, max_inputs, timeout, dump, out_dir, memory_mb, seeds = args
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    M.HUGE_SIZES[:] = [5_000, 10_000, 20_000, 100_000, 300_000]
    rng = random.Random(f"{seed}-{wid}")
    return mutation_loop(
        wid, rng, deadline, max_inputs, out_dir, seeds, lambda path: _one(path, timeout, dump), _classify
    )


def run_pool(work, jobs: list[tuple]) -> list[dict]:
    """``work`` on each job, one process a job (in this one when there is a single job)."""
    if len(jobs) == 1:
        return [work(jobs[0])]
    with mp.get_context("fork").Pool(len(jobs)) as pool:
        return pool.map(work, jobs)


def merge(parts: list[dict]) -> dict:
    total = {
        "inputs": 0,
        "by_format": collections.Counter(),
        "outcomes": collections.Counter(),
        "crashes": collections.Counter(),
        "examples": {},
        "mutations": collections.Counter(),
    }
    for s in parts:
        total["inputs"] += s["inputs"]
        for k in ("by_format", "outcomes", "crashes", "mutations"):
            total[k].update(s[k])
        for sig, ex in s["examples"].items():
            total["examples"].setdefault(sig, []).extend(ex)
    for k in ("by_format", "outcomes", "crashes", "mutations"):
        total[k] = dict(total[k])
    return total


def report(total: dict, seconds: float, seeds: list[Path]) -> str:
    lines = [
        f"libris-tui fuzz campaign: {total['inputs']} inputs in {seconds / 60:.1f} min "
        f"({total['inputs'] / max(seconds, 1e-9):.0f}/s), {len(seeds)} seed files",
        "by format: " + ", ".join(f"{k} {v}" for k, v in sorted(total["by_format"].items())),
        "outcomes:  " + ", ".join(f"{k} {v}" for k, v in sorted(total["outcomes"].items())),
        f"crashes:   {sum(total['crashes'].values())} inputs, {len(total['crashes'])} distinct",
    ]
    for sig, count in sorted(total["crashes"].items(), key=lambda kv: -kv[1]):
        ex = total["examples"].get(sig, [{}])[0]
        lines.append(
            f"  {count:6d}  {sig}   e.g. {ex.get('file', '?')} (seed {ex.get('seed', '?')}, "
            f"{'+'.join(ex.get('mutations', []))})"
        )
    return "\n".join(lines)


def replay(files: list[str], timeout: float, dump: bool) -> int:
    signal.signal(signal.SIGALRM, _alarm)
    bad = 0
    for f in files:
        outcome, sig, text = _one(Path(f), timeout, dump)
        print(f"{f}: {sig or outcome}")
        if sig:
            bad += 1
            print(text)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="run this long (default 5 unless --inputs)")
    ap.add_argument("--inputs", type=int, default=None, help="stop after this many inputs per worker")
    ap.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--seed", type=int, default=0, help="random seed (runs are reproducible per seed)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per input before it counts as a hang")
    ap.add_argument("--memory-mb", type=int, default=3072, help="address-space limit per worker (0: none)")
    ap.add_argument("--no-dump", action="store_true", help="skip 'libris-tui dump' (faster)")
    ap.add_argument("--no-corpus", action="store_true", help="only the project's own seeds")
    ap.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "libris-fuzz", help="where crashing inputs are saved"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--replay", nargs="+", metavar="FILE", help="read these files once and report")
    a = ap.parse_args(argv)
    if a.replay:
        return replay(a.replay, a.timeout, not a.no_dump)
    minutes = a.minutes if a.minutes is not None else (None if a.inputs else 5.0)
    deadline = time.time() + minutes * 60 if minutes is not None else float("inf")
    seeds = H.seed_files(include_corpus=not a.no_corpus)
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    jobs = [
        (w, a.seed, deadline, a.inputs, a.timeout, not a.no_dump, a.out, a.memory_mb, [str(p) for p in seeds])
        for w in range(a.workers)
    ]
    total = merge(run_pool(worker, jobs))
    seconds = time.time() - t0
    print(report(total, seconds, seeds))
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "seconds": round(seconds, 1),
                    "seed": a.seed,
                    "workers": a.workers,
                    "seeds": [p.name for p in seeds],
                    **total,
                },
                indent=2,
                default=str,
            )
        )
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
