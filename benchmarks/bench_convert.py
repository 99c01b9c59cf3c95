"""Conversion benchmark: MARC -> JSON-LD and JSON-LD -> MARC through Libris's mapping, on one core.

    python benchmarks/bench_convert.py [--records 10000]

The records are Libris-like bibliographic records from ``benchmarks/generate.py`` (ISO 2709,
written under ``benchmarks/data/``, git-ignored). In the same run and process it measures:

* pymarc's plain parse of the file (``MARCReader``): the peer every rate is compared with;
* MARC -> JSON-LD: parse + ``tui.core.mapping.linked.marc_to_jsonld`` of every record;
* JSON-LD -> MARC: ``jsonld_to_marc`` of the JSON-LD made above (the parse is not counted).

Prints records/s of each and the ratio of the conversion's time to the plain parse's (target:
>= 2,000 records/s each way). ``--profile`` prints cProfile's top functions of each direction.
Timings are never asserted by tests: the machine may be shared (the script prints ``uptime``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import pymarc  # noqa: E402

from tui.core.mapping.linked import jsonld_to_marc, marc_to_jsonld  # noqa: E402
from tui.core.mapping.marcframe import load_conversion  # noqa: E402

TARGET = 2000.0


def _records(path: Path) -> list[pymarc.Record]:
    with open(path, "rb") as fh:
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True) if r is not None]


def _timed(fn, profile: bool):
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    out = fn()
    if prof:
        prof.disable()
    dt = time.perf_counter() - t
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(15)
        print(s.getvalue(), file=sys.stderr)
    return out, dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--profile", action="store_true", help="cProfile each direction (slower)")
    args = ap.parse_args(argv)
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass
    src = HERE / "data" / f"convert-{args.records}.mrc"
    if not src.exists():
        generate.write_iso(src, args.records)
    conv = load_conversion()
    marc_to_jsonld(_records(src)[0], conv)  # warm: the mapping is loaded and compiled once

    parsed, t_parse = _timed(lambda: _records(src), False)
    n = len(parsed)

    def to_jsonld() -> list:
        return [marc_to_jsonld(r, conv) for r in _records(src)]

    docs, t_conv = _timed(to_jsonld, args.profile)

    def to_marc() -> list:
        return [jsonld_to_marc(d, conversion=conv) for d in docs]

    back, t_rev = _timed(to_marc, args.profile)
    assert len(back) == n

    def row(name: str, dt: float) -> str:
        rate = n / dt if dt else float("inf")
        ok = "" if name.startswith("pymarc") else ("  ok" if rate >= TARGET else f"  BELOW target {TARGET:,.0f}")
        return f"| {name} | {n:,} | {dt:.2f} s | {rate:,.0f} rec/s | {dt / t_parse:.1f}x |{ok}"

    with open("/proc/loadavg") if Path("/proc/loadavg").exists() else io.StringIO("?") as fh:
        load = fh.read().strip()
    print(f"load average: {load}")
    print("| step | records | time | rate | vs pymarc parse |")
    print("|---|---:|---:|---:|---:|")
    print(row("pymarc parse (MARCReader)", t_parse))
    print(row("MARC -> JSON-LD (parse + marc_to_jsonld)", t_conv))
    print(row("JSON-LD -> MARC (jsonld_to_marc)", t_rev))
    return 0


if __name__ == "__main__":
    sys.exit(main())
