"""libris-tui benchmarks (issue 6): one command, its own data, ratios in the same run.

    python benchmarks/run.py            # 1M-record ISO 2709 + 200k MARCXML (about 1.7 GB on disk)
    python benchmarks/run.py --quick    # 100k / 20k records, for a fast look

Generates the data under benchmarks/data/ (git-ignored) once, then measures side by side:
``cat``, ``yaz-marcdump`` (Debian package ``yaz``; rows skipped with a note if absent), a pymarc
full parse, ``libris-tui stats``, ``libris-tui validate``, the app's time to first record,
moving between records, peak memory, and MARCXML first record. Prints a Markdown table of
times and ratios against the targets of issue 6. Timings are never asserted by unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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


def timed(cmd: list[str], repeat: int = 3, stdout=subprocess.DEVNULL, env=None) -> float:
    """Best wall time of ``repeat`` runs of a command (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=False, env=env)
        best = min(best, time.perf_counter() - t)
    return best


def py_snippet(code: str, repeat: int = 1) -> tuple[float, dict]:
    """Run a Python snippet in a fresh interpreter; it prints one JSON object as its last line."""
    best, out = float("inf"), {}
    for _ in range(repeat):
        p = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-2000:])
        res = json.loads(p.stdout.strip().splitlines()[-1])
        if res["seconds"] < best:
            best, out = res["seconds"], res
    return best, out


PYMARC_PARSE = """
import json, sys, time
from pymarc import MARCReader
t = time.perf_counter(); n = 0
with open({path!r}, 'rb') as fh:
    for r in MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True):
        n += 1
print(json.dumps({{"seconds": time.perf_counter() - t, "records": n}}))
"""

APP_FIRST_RECORD = """
import asyncio, json, time, resource
t0 = time.perf_counter()
from tui.ui.app import LibrisApp
async def main():
    app = LibrisApp({path!r})
    async with app.run_test(size=(160, 48)) as pilot:
        first = None
        while first is None:
            await pilot.pause(0.005)
            if app.first_record_shown.is_set():
                first = time.perf_counter() - t0
        # moving between records, both views drawn
        lat = []
        for _ in range({moves}):
            t = time.perf_counter()
            await app.run_action("next_record")
            await pilot.pause()
            lat.append(time.perf_counter() - t)
        while not app.index_complete:
            await pilot.pause(0.05)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return first, lat, rss
first, lat, rss = asyncio.run(main())
lat.sort()
print(json.dumps({{"seconds": first, "p95": lat[int(len(lat) * 0.95) - 1], "median": lat[len(lat) // 2], "rss_mb": rss}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k ISO 2709 / 20k MARCXML records")
    ap.add_argument("--records", type=int, help="ISO 2709 record count (default 1,000,000)")
    ap.add_argument("--no-app", action="store_true", help="skip the app measurements")
    args = ap.parse_args()
    n_iso = args.records or (100_000 if args.quick else 1_000_000)
    n_xml = 20_000 if args.quick else 200_000
    data = HERE / "data"
    big = data / f"eplikt-{n_iso}.mrc"
    one = data / "eplikt-1.mrc"
    xml = data / f"eplikt-{n_xml}.xml"
    t = time.perf_counter()
    if not big.exists():
        generate.write_iso(big, n_iso)
    if not one.exists():
        generate.write_iso(one, 1)
    if not xml.exists():
        generate.write_marcxml(xml, n_xml)
    print(f"data: {big.name} {big.stat().st_size / 2**20:.0f} MiB, {xml.name} {xml.stat().st_size / 2**20:.0f} MiB "
          f"(ready in {time.perf_counter() - t:.1f} s); {os.cpu_count()} cores", file=sys.stderr)

    cli = [PY, "-m", "tui"]
    rows: list[tuple[str, str, str, str]] = []  # (measurement, value, ratio, target)
    t_cat = timed(["cat", str(big)])
    rows.append(("`cat` 1M file", f"{t_cat:.2f} s", "1.0x", "reference"))
    yaz = shutil.which("yaz-marcdump")
    t_yaz = timed([yaz, str(big)]) if yaz else None
    rows.append(("`yaz-marcdump` plain dump", f"{t_yaz:.2f} s" if t_yaz else "skipped: yaz not installed",
                 f"{t_yaz / t_cat:.1f}x cat" if t_yaz else "", "reference"))
    t_pm, pm = py_snippet(PYMARC_PARSE.format(path=str(big)))
    rows.append(("pymarc full parse", f"{t_pm:.2f} s ({pm['records'] / t_pm:,.0f} rec/s)", f"{t_pm / t_cat:.0f}x cat",
                 "reference"))
    t_stats = timed(cli + ["stats", str(big)])
    rows.append(("`libris-tui stats`", f"{t_stats:.2f} s",
                 (f"{t_stats / t_yaz:.2f}x yaz; " if t_yaz else "") + f"{t_pm / t_stats:.0f}x faster than pymarc",
                 "<= 1.0x yaz, >= 20x pymarc"))
    t_val = timed(cli + ["validate", "--format", "json", str(big)], repeat=1)
    rows.append(("`libris-tui validate`", f"{t_val:.2f} s ({n_iso / t_val:,.0f} rec/s)",
                 f"{t_pm / t_val:.2f}x pymarc parse rate", ">= 0.8x (1 core), more with 2"))
    if not args.no_app:
        try:
            f1, r1 = py_snippet(APP_FIRST_RECORD.format(path=str(one), moves=5), repeat=3)
            fb, rb = py_snippet(APP_FIRST_RECORD.format(path=str(big), moves=200), repeat=1)
            rows.append(("app: first record shown, 1-record file", f"{f1 * 1000:.0f} ms", "1.0x", "reference"))
            rows.append(("app: first record shown, 1M file", f"{fb * 1000:.0f} ms", f"{fb / f1:.2f}x 1-record",
                         "<= 1.5x"))
            rows.append(("app: next record, both views (p95)", f"{rb['p95'] * 1000:.1f} ms "
                         f"(median {rb['median'] * 1000:.1f})", "", "< 16 ms"))
            rows.append(("app: peak memory, 1M file indexed", f"{rb['rss_mb']:.0f} MB", "", "< 200 MB"))
            fx, _ = py_snippet(APP_FIRST_RECORD.format(path=str(xml), moves=5), repeat=1)
            rows.append((f"app: first record shown, {n_xml // 1000}k MARCXML", f"{fx * 1000:.0f} ms", "", "< 1 s"))
        except RuntimeError as exc:
            rows.append(("app measurements", "failed", str(exc).strip().splitlines()[-1][:80], ""))

    print(f"\n| measurement ({n_iso:,} ISO 2709 records, {n_xml:,} MARCXML) | time | ratio | target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
