"""Match benchmark: ``libris-tui match`` of N own records against N Libris records, with
baselines measured in the same run on the same files.

Measured, each in a fresh interpreter (peak memory is that process's VmHWM, and for the local
engine also the largest of its worker processes):

* baselines: ``libris-tui stats`` (the raw scan) over both files, and pymarc's plain parse
  (``MARCReader``) of both files;
* ``match`` on the local engine (processes on every core);
* ``match`` on the dask engine on a 2-worker ``LocalCluster`` (started before the clock starts),
  with its report and holdings compared byte for byte with the local engine's.

Targets (issue 19): 1M x 1M under 2 minutes, memory < 1.5 GB; dask within 1.5x local.

``python benchmarks/bench_match.py`` (100k x 100k), ``--million`` (1M x 1M), ``-n N`` any size,
``--no-pymarc`` to skip the slowest baseline, ``--no-dask`` without dask. Data is written under
``benchmarks/data/`` (git-ignored).

The records are synthesised straight as ISO 2709 bytes (about 700 bytes a Libris record): 85%
print books (008/23 blank, 338 nc), 15% e-books (008/23 o, 338 cr, an 856); ISBN-13 in 020 $a,
an ISBN-10 in $z for some, an (OCoLC) 035 for a third, 1% of the titles twice in Libris. The own
records: 55% find their title by ISBN (a third of them written as hyphenated ISBN-10 with a
qualifier), 10% by 035 (LIBRIS), 5% by the (OCoLC) 035, 5% by ISBN $z, 2% are e-books matched
by ISBN against a print record (the guard leaves them unmatched), the rest (about 23%) have
ISBNs Libris does not have.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"

FT, SD, RT = b"\x1e", b"\x1f", b"\x1d"
WORDS = (
    "bildspråket normer kultur samhälle historia språk medier skola barn läsning fördjupning "
    "myndighet rapport utredning statistik miljö klimat hälsa arbete ekonomi digital"
).split()


def _ean_check(d12: str) -> str:
    s = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(d12))
    return str((10 - s % 10) % 10)


def isbn13(i: int) -> str:
    d = f"97891{i:07d}"
    return d + _ean_check(d)


def isbn10(i: int) -> str:
    d = f"91{i:07d}"
    s = sum((10 - k) * int(c) for k, c in enumerate(d))
    c = (11 - s % 11) % 11
    return d + ("X" if c == 10 else str(c))


def hyphenated(i: int) -> str:
    d = isbn10(i)
    return f"{d[:2]}-{d[2:6]}-{d[6:9]}-{d[9]}"


def record(leader: bytes, fields: list[tuple[bytes, bytes]]) -> bytes:
    """An ISO 2709 record from (tag, body) pairs (bodies without the terminator)."""
    directory, data, pos = [], [], 0
    for tag, body in fields:
        n = len(body) + 1
        directory.append(b"%s%04d%05d" % (tag, n, pos))
        data.append(body + FT)
        pos += n
    base = 24 + 12 * len(fields) + 1
    length = base + pos + 1
    return (
        b"%05d" % length + leader[5:12] + b"%05d" % base + leader[17:] + b"".join(directory) + FT + b"".join(data) + RT
    )


def df(tag: str, ind: str, *subs: tuple[str, str]) -> tuple[bytes, bytes]:
    return tag.encode(), ind.encode() + b"".join(SD + c.encode() + v.encode("utf-8") for c, v in subs)


PRINT_008 = "200101s2020    sw            000 0 swe d"
E_008 = PRINT_008[:23] + "o" + PRINT_008[24:]
LEADER = b"00000nam a2200000 a 4500"


def libris_record(i: int, electronic: bool, cn: str) -> bytes:
    w = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(6)]
    fields = [
        (b"001", cn.encode()),
        (b"005", b"20200101120000.0"),
        (b"008", (E_008 if electronic else PRINT_008).encode()),
        df("020", "  ", ("a", isbn13(i))) if i % 4 else df("020", "  ", ("a", isbn13(i)), ("z", isbn10(i + 7_000_000))),
    ]
    if i % 3 == 0:
        fields.append(df("035", "  ", ("a", f"(OCoLC){50_000_000 + i}")))
    fields += [
        df("040", "  ", ("a", "S")),
        df("100", "1 ", ("a", f"{w[0].capitalize()}, {w[1].capitalize()}"), ("d", "1950-")),
        df("245", "10", ("a", " ".join(w[2:]).capitalize() + f" {i}"), ("c", "av någon")),
        df("264", " 1", ("a", "Stockholm"), ("b", "Förlaget"), ("c", "2020")),
        df("300", "  ", ("a", f"{100 + i % 400} sidor")),
        df("336", "  ", ("a", "text"), ("b", "txt"), ("2", "rdacontent")),
        df("337", "  ", ("a", "dator" if electronic else "oförmedlad"), ("b", "c" if electronic else "n")),
        df("338", "  ", ("a", "onlineresurs" if electronic else "volym"), ("b", "cr" if electronic else "nc")),
        df("520", "  ", ("a", " ".join(WORDS[(i + k) % len(WORDS)] for k in range(30)))),
        df("650", " 7", ("a", w[3]), ("2", "sao")),
        df("650", " 7", ("a", w[4]), ("2", "sao")),
    ]
    if electronic:
        fields.append(df("856", "40", ("u", f"https://e.example.se/{i}")))
    return record(LEADER, fields)


def own_record(j: int, n: int) -> bytes:
    """Own record j: which Libris title it finds, and by what key (see the module text)."""
    k = j % 100
    i = (j * 7919) % n  # the Libris title it is about
    electronic = i % 100 >= 85
    fields = [(b"001", f"own{j:08d}".encode()), (b"008", (E_008 if electronic else PRINT_008).encode())]
    if k < 55:
        a = isbn13(i) if k % 3 else f"{hyphenated(i)} (inb.)"
        fields.append(df("020", "  ", ("a", a)))
    elif k < 65:
        fields.append(df("035", "  ", ("a", f"(LIBRIS){1_000_000 + i}")))
    elif k < 70:
        fields.append(df("035", "  ", ("a", f"(OCoLC){50_000_000 + i - i % 3}")))
    elif k < 75:
        fields.append(df("020", "  ", ("a", isbn13(n + 10 * j)), ("z", isbn13(i))))
    elif k < 77:  # the other type: the guard
        fields[1] = (b"008", (PRINT_008 if electronic else E_008).encode())
        fields.append(df("020", "  ", ("a", isbn13(i))))
    else:
        fields.append(df("020", "  ", ("a", isbn13(n + 10 * j + 1))))
    fields.append(df("245", "10", ("a", f"Egen titel {j}")))
    fields.append(df("852", "  ", ("b", "Xyz"), ("h", f"Hylla {j % 50}")))
    return record(LEADER, fields)


def generate(n: int) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    lib, own = DATA / f"match-libris-{n}.mrc", DATA / f"match-own-{n}.mrc"
    if not lib.exists():
        with open(lib, "wb", buffering=8 << 20) as fh:
            for i in range(n):
                fh.write(libris_record(i, i % 100 >= 85, str(1_000_000 + i)))
                if i % 100 == 50:  # the same title twice in Libris (a higher id)
                    fh.write(libris_record(i, i % 100 >= 85, str(9_000_000 + i)))
    if not own.exists():
        with open(own, "wb", buffering=8 << 20) as fh:
            for j in range(n):
                fh.write(own_record(j, n))
    return own, lib


# -- the runs -------------------------------------------------------------------------------------

STATUS = """
import json, resource, time
def peak():
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(hwm) // 1024, kids // 1024
def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
"""

STATS = (
    STATUS
    + """
import sys; sys.path.insert(0, {root!r})
from tui.core.batch.scan import scan_file
t, c = time.perf_counter(), cpu()
n = sum(scan_file(p).records for p in {files!r})
print(json.dumps({{"s": time.perf_counter() - t, "cpu": cpu() - c, "records": n, "mb": peak()}}))
"""
)

PYMARC = (
    STATUS
    + """
import pymarc
t, c = time.perf_counter(), cpu()
n = 0
for p in {files!r}:
    with open(p, "rb") as fh:
        for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
            n += r is not None
print(json.dumps({{"s": time.perf_counter() - t, "cpu": cpu() - c, "records": n, "mb": peak()}}))
"""
)

MATCH = (
    STATUS
    + """
import sys; sys.path.insert(0, {root!r})
from tui.core.batch import engine as engines
from tui.core.batch.match import match_files
eng = None
if {engine!r} == "dask":
    import distributed
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    eng = engines.DaskEngine(client=client)
t, c = time.perf_counter(), cpu()
rep = match_files({own!r}, {lib!r}, "Xyz", {hold!r}, {report!r}, engine=eng, overwrite=True)
dt = time.perf_counter() - t
mb = peak()
if eng is not None:
    mb = (mb[0], max(w.get("metrics", {{}}).get("memory", 0) for w in client.scheduler_info()["workers"].values()) // 2**20)
    client.close(); cluster.close()
print(json.dumps({{"s": dt, "cpu": cpu() - c, "records": rep.own_records + rep.libris_records, "mb": mb, "statuses": dict(rep.statuses),
                  "keys": dict(rep.keys), "added": rep.holdings_added, "phases": rep.timings}}))
"""
)


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=False)
    if out.returncode:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="records on each side (default 100,000)")
    ap.add_argument("--million", action="store_true", help="1,000,000 x 1,000,000")
    ap.add_argument("--no-pymarc", action="store_true", help="skip pymarc's parse (the slowest baseline)")
    ap.add_argument("--no-dask", action="store_true", help="skip the dask engine")
    a = ap.parse_args(argv)
    n = 1_000_000 if a.million else a.n
    t = time.perf_counter()
    own, lib = generate(n)
    print(
        f"data: {own.name} ({own.stat().st_size >> 20} MiB), {lib.name} ({lib.stat().st_size >> 20} MiB), "
        f"made in {time.perf_counter() - t:.1f} s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    files = [str(own), str(lib)]
    rows = []
    stats = run(STATS.format(root=str(ROOT), files=files))
    rows.append(("libris-tui stats, both files (baseline)", stats))
    if not a.no_pymarc:
        rows.append(("pymarc MARCReader parse, both files (baseline)", run(PYMARC.format(files=files))))
    outs = {}
    for name in ("local", "dask"):
        if name == "dask" and a.no_dask:
            continue
        hold, report = DATA / f"match-holdings-{name}.mrc", DATA / f"match-report-{name}.tsv"
        for old in [*DATA.glob(f"{hold.name}*"), *DATA.glob(f"{report.name}*")]:  # no backups piling up
            old.unlink()
        res = run(
            MATCH.format(root=str(ROOT), engine=name, own=str(own), lib=str(lib), hold=str(hold), report=str(report))
        )
        rows.append((f"libris-tui match, {name} engine" + (" (2-worker LocalCluster)" if name == "dask" else ""), res))
        outs[name] = (hold.read_bytes(), report.read_bytes())
        print(f"{name}: {res['s']:.1f} s, phases (s): {res['phases']}")
        if name == "local":
            print("statuses:", res["statuses"], "keys:", res["keys"], "holdings added:", res["added"])
    print()
    print(
        f"| measurement ({n:,} own x {n:,} Libris records) | time | CPU time | rate | ratio | peak memory (main / workers) |"
    )
    print("|---|---|---|---|---|---|")
    local = dict(rows).get("libris-tui match, local engine")
    for name, r in rows:
        ratio = f"{r['s'] / stats['s']:.1f}x stats"
        if "dask" in name and local:
            ratio += f"; {r['s'] / local['s']:.2f}x local"
        print(
            f"| {name} | {r['s']:.1f} s | {r['cpu']:.1f} s | {r['records'] / r['s']:,.0f} records/s | {ratio} | "
            f"{r['mb'][0]} / {r['mb'][1]} MB |"
        )
    if "dask" in outs:
        same = outs["dask"] == outs["local"]
        print(f"\ndask report and holdings identical to local, byte for byte: {same}")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
