"""Export benchmark: libris-tui's export against pymarc in the same run, with peak memory.

Measures, each run in a fresh interpreter, ours and the peer taking turns (medians of --repeat):

* ISO 2709 -> ISO 2709: ``libris-tui export`` (one core) against pymarc's ``MARCReader`` +
  ``as_marc`` (target <= 1.0x);
* ISO 2709 -> MARCXML: against pymarc's ``MARCReader`` + ``XMLWriter`` (target <= 1.0x);
* peak memory (VmHWM) of the export at N and 10 x N records (target < 250 MB, flat);
* 10,000 copies of one bib with its holdings record against 10,000 distinct bibs with theirs
  (target: the same rate; before, n copies of a bib got n x n holdings), both holdings modes.

``python benchmarks/bench_export.py`` (100k and 1M records) or ``--quick`` (20k and 100k).
Data is generated under ``benchmarks/data/`` (git-ignored) by ``benchmarks/generate.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

OURS = """
import sys, time, json
sys.path.insert(0, {root!r})
from tui.core.files.export import export
from tui.core.formats import open_source
t = time.perf_counter()
res = export(open_source({src!r}), {out!r}, {fmt!r}, holdings={holdings!r}, overwrite=True, broken="keep")
dt = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"s": dt, "hwm_kb": int(hwm), "records": res.records, "holdings": res.holdings, "copied": res.copied}}))
"""

PEER_ISO = """
import time, json, pymarc
t = time.perf_counter()
n = 0
with open({src!r}, "rb") as fh, open({out!r}, "wb") as out:
    for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
        if r is not None:
            out.write(r.as_marc()); n += 1
dt = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"s": dt, "hwm_kb": int(hwm), "records": n}}))
"""

PEER_XML = """
import time, json, pymarc
t = time.perf_counter()
n = 0
with open({src!r}, "rb") as fh, open({out!r}, "wb") as out:
    w = pymarc.XMLWriter(out)
    for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
        if r is not None:
            w.write(r); n += 1
    w.close(close_fh=False)
dt = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"s": dt, "hwm_kb": int(hwm), "records": n}}))
"""


def run(code: str, **kw) -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    p = subprocess.run(
        [sys.executable, "-c", code.format(root=str(ROOT), **kw)], capture_output=True, text=True, env=env
    )
    if p.returncode != 0:
        raise SystemExit(f"benchmark step failed: {p.stderr.strip()[-400:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def turns(ours: str, peer: str, repeat: int, **kw) -> tuple[dict, dict]:
    """Ours and the peer taking turns; the median time of each (and the last run's other facts)."""
    a, b = [], []
    for _ in range(repeat):
        a.append(run(ours, **kw))
        b.append(run(peer, **kw))
    ra, rb = dict(a[-1]), dict(b[-1])
    ra["s"] = statistics.median(x["s"] for x in a)
    rb["s"] = statistics.median(x["s"] for x in b)
    ra["hwm_kb"] = max(x["hwm_kb"] for x in a)
    return ra, rb


def iso_file(n: int) -> Path:
    from generate import write_iso

    DATA.mkdir(exist_ok=True)
    p = DATA / f"export-{n}.mrc"
    if not p.exists():
        write_iso(p, n)
    return p


def copies_files(n: int) -> tuple[Path, Path]:
    """n copies of one bib + its holdings record, and n distinct bibs each with its own."""
    from pymarc import Field, Leader, Record, Subfield

    from tui.core.formats.iso2709 import record_bytes

    def pair(cn: str) -> bytes:
        bib = Record(leader=Leader("00000nam a2200000 i 4500"))
        bib.add_field(Field(tag="001", data=cn))
        bib.add_field(Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"))
        bib.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", f"Titel {cn}")]))
        h = Record(leader=Leader("00000nx  a2200000un 4500"))
        h.add_field(Field(tag="001", data=f"{cn}-h"))
        h.add_field(Field(tag="004", data=cn))
        h.add_field(Field(tag="852", indicators=[" ", " "], subfields=[Subfield("b", "Li")]))
        return record_bytes(bib) + record_bytes(h)

    DATA.mkdir(exist_ok=True)
    same, distinct = DATA / f"copies-{n}.mrc", DATA / f"distinct-{n}.mrc"
    if not same.exists():
        one = pair("bib0000000")
        same.write_bytes(one * n)
    if not distinct.exists():
        distinct.write_bytes(b"".join(pair(f"bib{k:07d}") for k in range(n)))
    return same, distinct


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k and 100k records (default 100k and 1M)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, medians (default 3)")
    ap.add_argument("--copies", type=int, default=10000, help="copies of the bib+holdings pair (default 10,000)")
    args = ap.parse_args()
    small, large = (20_000, 100_000) if args.quick else (100_000, 1_000_000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out_mrc, out_xml = str(Path(tmp) / "o.mrc"), str(Path(tmp) / "o.xml")
        hwm = {}
        for n in (small, large):
            src = str(iso_file(n))
            rep = args.repeat if n == small else max(1, args.repeat - 2)
            ours, peer = turns(OURS, PEER_ISO, rep, src=src, out=out_mrc, fmt="iso2709", holdings="keep")
            rows.append((f"export ISO 2709 -> ISO 2709, {n:,}", ours, peer, "pymarc read + as_marc", 1.0))
            hwm[n] = ours["hwm_kb"]
            ours, peer = turns(OURS, PEER_XML, rep, src=src, out=out_xml, fmt="marcxml", holdings="keep")
            rows.append((f"export ISO 2709 -> MARCXML, {n:,}", ours, peer, "pymarc XMLWriter", 1.0))
            hwm[n] = max(hwm[n], ours["hwm_kb"])
        same, distinct = copies_files(args.copies)
        for mode in ("records", "embedded"):
            a = [run(OURS, src=str(same), out=out_mrc, fmt="iso2709", holdings=mode) for _ in range(args.repeat)]
            b = [run(OURS, src=str(distinct), out=out_mrc, fmt="iso2709", holdings=mode) for _ in range(args.repeat)]
            ta, tb = statistics.median(x["s"] for x in a), statistics.median(x["s"] for x in b)
            rows.append(
                (
                    f"{args.copies:,} copies vs distinct (--holdings {mode})",
                    dict(a[-1], s=ta),
                    dict(b[-1], s=tb),
                    "the same export of distinct records",
                    1.0,
                )
            )
    print(f"{'measurement':50} {'ours':>9} {'peer':>9} {'ratio':>6} {'target':>7}  notes")
    for name, o, p, peer, target in rows:
        ratio = o["s"] / p["s"] if p["s"] else float("inf")
        notes = f"peer: {peer}; ours peak {o['hwm_kb'] / 1024:.0f} MB"
        if "holdings" in o:
            notes += f"; {o['records']:,} records + {o['holdings']:,} holdings written"
        print(f"{name:50} {o['s']:8.2f}s {p['s']:8.2f}s {ratio:5.2f}x {'<=' + str(target) + 'x':>7}  {notes}")
    print(
        f"peak memory (VmHWM) of the export: {hwm[small] / 1024:.0f} MB at {small:,} records, "
        f"{hwm[large] / 1024:.0f} MB at {large:,} ({hwm[large] / max(1, hwm[small]):.2f}x; target < 250 MB, flat)"
    )
    print(time.strftime("measured %Y-%m-%d %H:%M"), f"on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
