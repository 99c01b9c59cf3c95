"""libris-tui benchmarks: one command, its own data, ratios in the same run.

    python benchmarks/run.py            # 1M-record ISO 2709 + 200k MARCXML (about 1.4 GB on disk)
    python benchmarks/run.py --quick    # 100k / 20k records, for a fast look

Generates the data under benchmarks/data/ (git-ignored) once, then measures side by side, in the
same run: ``cat``, ``yaz-marcdump`` (Debian package ``yaz``; its rows are skipped with a note if
it is absent), a pymarc full parse, ``libris-tui stats``, ``libris-tui validate`` (one core and
all cores), and in the app (headless, ``App.run_test``): the time to the first record shown for a
1-record and the big file, moving to the next record with both views drawn, peak memory with the
big file open and indexed, and the first record of the MARCXML file. Prints a Markdown table of
times and ratios against the targets (stdout; progress notes on stderr).

Command timings are the best of a few runs (other work on the machine only ever adds time);
each app measurement runs in a fresh interpreter. Timings are never asserted by unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PY = sys.executable
#: seconds between two keys of a held key (terminals repeat about 25-33 times a second)
KEY_REPEAT = 1 / 30
#: bump when generate.py changes what it writes, so that old data is not measured
DATA_VERSION = 2


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("LIBRIS_TUI_WORKERS", None)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(extra)
    return e


def timed(cmd: list[str], repeat: int = 3, ok=(0,), **extra: str) -> float:
    """Best wall time of ``repeat`` runs of a command (seconds); output discarded."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env(**extra), cwd=ROOT)
        dt = time.perf_counter() - t
        if p.returncode not in ok:
            raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
        best = min(best, dt)
    return best


def py_snippet(code: str, repeat: int = 1, timeout: float = 600) -> dict:
    """Run a Python snippet in a fresh interpreter; it prints one JSON object as its last line.
    Returns the run with the smallest ``seconds``."""
    best: dict = {}
    for _ in range(repeat):
        p = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip()[-2000:] or f"exit {p.returncode}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        if not best or res["seconds"] < best["seconds"]:
            best = res
    return best


PYMARC_PARSE = """
import json, time
from pymarc import MARCReader
t = time.perf_counter(); n = 0
with open({path!r}, 'rb') as fh:
    for r in MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True):
        n += 1
print(json.dumps({{"seconds": time.perf_counter() - t, "records": n}}))
"""

# time to first record: from interpreter start (t0 before Textual is imported) to the frame that
# shows it. Moving: a key ("n", next record) sent through the driver as a terminal would send it,
# to the frame after which both views show the next record. A frame counts when Textual has made
# its update *and* it has been turned into the bytes a terminal would be sent (headless Textual
# skips that step; we do it here, so the measure includes it). Between moves the benchmark waits
# until nothing is left to draw; that wait is not measured. Moves come one after another as soon
# as the last is drawn (pace 0: faster than any key repeat), or at the pace of a held key (about
# 30 a second: between keys the app has time to prepare the next record, as it does in use).
APP = """
import asyncio, json, time, resource
t0 = time.perf_counter()
from textual import events
from textual._compositor import CompositorUpdate
from textual.widget import Widget
from tui.ui.app import LibrisApp

frames = []  # (when the frame's terminal bytes were ready, ids of the widgets it painted)
painted = set()
_exchange = Widget._exchange_repaint_regions
def _exchange_repaint_regions(self):
    regions = _exchange(self)
    if regions:
        painted.add(self.id)
    return regions
Widget._exchange_repaint_regions = _exchange_repaint_regions
_display = LibrisApp._display
def display(self, screen, renderable):
    if isinstance(renderable, CompositorUpdate):
        renderable.render_segments(self.console)
        frames.append((time.perf_counter(), frozenset(painted)))
    painted.clear()
    return _display(self, screen, renderable)
LibrisApp._display = display
VIEWS = {{"labels", "marc"}}

async def main():
    app = LibrisApp({path!r}, journal=False)
    async with app.run_test(size=(160, 48)) as pilot:
        while not app.first_record_shown.is_set():
            await asyncio.sleep(0.002)
        first = time.perf_counter() - t0
        main = app._main()
        watched = [main.records, main.labels, main.marc]
        lat = []
        during = 0
        for _ in range({moves}):
            before = main.slot
            n = len(frames)
            if lat and {pace}:  # a held key: the next key {pace} s after the last
                await asyncio.sleep(max(0.0, t + {pace} - time.perf_counter()))
            t = time.perf_counter()
            app._driver.send_message(events.Key("n", "n"))
            while main.slot == before:  # the key is handled...
                await asyncio.sleep(0.001)
                if time.perf_counter() - t > 2:
                    break
            if main.slot == before:
                break  # the last record
            # ... and drawn: nothing waits to be painted
            while any(w._repaint_regions for w in watched) or app.screen._dirty_widgets:
                await asyncio.sleep(0.001)
            drawn = [f for f, ids in frames[n:] if ids & VIEWS] or [f for f, _ in frames[n:n + 1]]
            if not drawn:
                raise SystemExit("a move drew no frame")
            lat.append(drawn[-1] - t)
            during += not app.index_complete
        t = time.perf_counter()
        while not app.index_complete:
            await asyncio.sleep(0.05)
            if time.perf_counter() - t > 300:
                raise SystemExit("indexing did not finish in 300 s")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return first, lat, rss, during

first, lat, rss, during = asyncio.run(main())
lat.sort()
p95 = lat[max(0, int(len(lat) * 0.95 + 0.5) - 1)] if lat else 0.0
print(json.dumps({{"seconds": first, "p95": p95, "median": lat[len(lat) // 2] if lat else 0.0,
                  "moves": len(lat), "during_indexing": during, "rss_mb": rss}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k ISO 2709 / 20k MARCXML records")
    ap.add_argument("--records", type=int, help="ISO 2709 record count (default 1,000,000)")
    ap.add_argument("--no-app", action="store_true", help="skip the app measurements")
    ap.add_argument("--moves", type=int, default=500, help="records moved through in the app (default 500)")
    args = ap.parse_args()
    n_iso = args.records or (100_000 if args.quick else 1_000_000)
    n_xml = 20_000 if args.quick else 200_000
    data = HERE / "data"
    big = data / f"eplikt-v{DATA_VERSION}-{n_iso}.mrc"
    one = data / f"eplikt-v{DATA_VERSION}-1.mrc"
    xml = data / f"eplikt-v{DATA_VERSION}-{n_xml}.xml"
    t = time.perf_counter()
    for path, make in (
        (big, lambda p: generate.write_iso(p, n_iso)),
        (one, lambda p: generate.write_iso(p, 1)),
        (xml, lambda p: generate.write_marcxml(p, n_xml)),
    ):
        if not path.exists():
            note(f"generating {path.name} ...")
            tmp = path.with_suffix(path.suffix + ".part")
            make(tmp)
            tmp.replace(path)
    size_mib = big.stat().st_size / 2**20
    note(
        f"data: {big.name} {size_mib:.0f} MiB, {xml.name} {xml.stat().st_size / 2**20:.0f} MiB "
        f"(ready in {time.perf_counter() - t:.1f} s)"
    )
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, load average at start {load}"
    note(machine)

    cli = [PY, "-m", "tui"]
    label = f"{n_iso // 1000}k" if n_iso < 1_000_000 else f"{n_iso / 1e6:g}M"
    rows: list[tuple[str, str, str, str]] = []  # (measurement, value, ratio, target)
    notes: list[str] = []

    note("cat ...")
    t_cat = timed(["cat", str(big)])
    rows.append((f"`cat` ({label} records, {size_mib:.0f} MiB)", f"{t_cat:.2f} s", "1.0x cat", "reference"))
    yaz = shutil.which("yaz-marcdump")
    t_yaz = None
    if yaz:
        note("yaz-marcdump ...")
        t_yaz = timed([yaz, str(big)], repeat=5)
        rows.append(("`yaz-marcdump FILE > /dev/null`", f"{t_yaz:.2f} s", f"{t_yaz / t_cat:.0f}x cat", "reference"))
    else:
        notes.append("yaz-marcdump is not installed (Debian package `yaz`): its rows are skipped.")
    note("pymarc full parse ...")
    pm = py_snippet(PYMARC_PARSE.format(path=str(big)))
    t_pm = pm["seconds"]
    rate_pm = pm["records"] / t_pm
    rows.append(
        (
            "pymarc full parse (`MARCReader`)",
            f"{t_pm:.1f} s ({rate_pm:,.0f} records/s)",
            f"{t_pm / t_cat:.0f}x cat",
            "reference",
        )
    )

    note("libris-tui stats ...")
    t_stats = timed(cli + ["stats", str(big)], repeat=5)
    if yaz:  # and yaz again, turn about with stats: the machine's speed drifts (after pymarc's
        # minute of work especially), and the ratio must compare like with like
        for _ in range(3):
            t_yaz = min(t_yaz, timed([yaz, str(big)], repeat=1))
            t_stats = min(t_stats, timed(cli + ["stats", str(big)], repeat=1))
        rows[1] = ("`yaz-marcdump FILE > /dev/null`", f"{t_yaz:.2f} s", f"{t_yaz / t_cat:.0f}x cat", "reference")
    rows.append(
        (
            "`libris-tui stats FILE`",
            f"{t_stats:.2f} s",
            (f"{t_stats / t_yaz:.2f}x yaz; " if t_yaz else "") + f"{t_pm / t_stats:.0f}x faster than pymarc",
            "<= 1.0x yaz, >= 20x faster than pymarc",
        )
    )

    for workers, what in (("1", "one core"), ("", "all cores")):
        note(f"libris-tui validate ({what}) ...")
        t_val = timed(cli + ["validate", str(big)], repeat=2, ok=(0, 1), LIBRIS_TUI_WORKERS=workers)
        rate = n_iso / t_val
        rows.append(
            (
                f"`libris-tui validate FILE` ({what})",
                f"{t_val:.1f} s ({rate:,.0f} records/s)",
                f"{rate / rate_pm:.2f}x pymarc's rate",
                ">= 0.8x" if workers == "1" else "more than one core",
            )
        )

    if not args.no_app:
        try:
            note("app: 1-record file ...")
            r1 = py_snippet(APP.format(path=str(one), moves=0, pace=0), repeat=3)
            note(f"app: {label}-record file ...")
            rb = py_snippet(APP.format(path=str(big), moves=args.moves, pace=0))
            note(f"app: {label}-record file, a held key ...")
            rp = py_snippet(APP.format(path=str(big), moves=args.moves, pace=KEY_REPEAT))
            note(f"app: {n_xml // 1000}k MARCXML ...")
            rx = py_snippet(APP.format(path=str(xml), moves=0, pace=0))
            f1, fb = r1["seconds"], rb["seconds"]
            rows.append(("app: first record shown, 1-record file", f"{f1 * 1000:.0f} ms", "1.0x", "reference"))
            rows.append(
                (
                    f"app: first record shown, {label}-record file",
                    f"{fb * 1000:.0f} ms",
                    f"{fb / f1:.2f}x 1-record file",
                    "<= 1.5x",
                )
            )
            rows.append(
                (
                    "app: next record, both views drawn (p95), keys back to back",
                    f"{rb['p95'] * 1000:.1f} ms (median {rb['median'] * 1000:.1f})",
                    f"{rb['moves']} moves, {rb['during_indexing']} while indexing",
                    "< 16 ms",
                )
            )
            rows.append(
                (
                    f"app: next record, both views drawn (p95), a held key ({1 / KEY_REPEAT:.0f}/s)",
                    f"{rp['p95'] * 1000:.1f} ms (median {rp['median'] * 1000:.1f})",
                    f"{rp['moves']} moves, {rp['during_indexing']} while indexing",
                    "< 16 ms",
                )
            )
            rows.append(
                (f"app: peak memory, {label}-record file open and indexed", f"{rb['rss_mb']:.0f} MB", "", "< 200 MB")
            )
            rows.append(
                (
                    f"app: first record shown, {n_xml // 1000}k-record MARCXML",
                    f"{rx['seconds'] * 1000:.0f} ms",
                    "",
                    "< 1 s",
                )
            )
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            rows.append(("app measurements", "failed", str(exc).strip().splitlines()[-1][:100], ""))

    print(f"\n| measurement ({n_iso:,} ISO 2709 records, {n_xml:,} MARCXML) | time | ratio | target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\n{machine}.")
    for n in notes:
        print(n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
