"""Generate the benchmark data: e-plikt-like Libris records, written fast.

A few hundred distinct template records are built with pymarc once; the big files repeat them
with a fresh fixed-width 001 patched in place (same length, so the directory stays valid). The
mix: ~1% channel records, ~3% SUPPRESSRECORD articles, ~60% e-plikt (042 $9 EPLK), some with
506 restricted + 856 4/0, the rest ordinary records. Roughly 900 bytes a record, like the
200k-record / 184 MiB reference file of issue 6.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pymarc import Field, Leader, Record, Subfield

CN_WIDTH = 12  # 001 = "bench" + 7 digits

WORDS = ("bildspråket normer kultur samhälle historia språk medier skola barn läsning fördjupning "
         "myndighet rapport utredning statistik miljö klimat hälsa arbete ekonomi digital").split()


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()


def template(i: int, rng: random.Random) -> Record:
    r = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    r.add_field(Field(tag="001", data="X" * CN_WIDTH))
    r.add_field(Field(tag="005", data="20190320092950.0"))
    r.add_field(Field(tag="008", data=f"190320s2019    sw |||||o|||||||||||swe|c"))
    kind = i % 100
    r.add_field(Field(tag="024", indicators=["7", " "], subfields=[
        Subfield("a", f"{rng.getrandbits(128):032x}"), Subfield("2", "kbse-mimer")]))
    r.add_field(Field(tag="040", indicators=[" ", " "], subfields=[Subfield("a", "MimerProd")]))
    r.add_field(Field(tag="041", indicators=["0", " "], subfields=[Subfield("a", "swe")]))
    if kind < 60 or kind in (97, 98, 99) or kind == 0:
        r.add_field(Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]))
    media = "[channel record]" if kind == 0 else "[Elektronisk resurs]"
    r.add_field(Field(tag="245", indicators=["1", "0"], subfields=[
        Subfield("a", _title(rng)), Subfield("h", media)]))
    r.add_field(Field(tag="264", indicators=[" ", "1"], subfields=[Subfield("c", str(2000 + i % 25))]))
    restricted = 40 <= kind < 50
    r.add_field(Field(tag="506", indicators=[" ", " "], subfields=[
        Subfield("a", "restricted" if restricted else "gratis")]))
    r.add_field(Field(tag="520", indicators=[" ", " "], subfields=[
        Subfield("a", " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 70))).capitalize() + ".")]))
    if kind in (97, 98, 99):
        r.add_field(Field(tag="599", indicators=[" ", " "], subfields=[Subfield("a", "SUPPRESSRECORD")]))
        r.add_field(Field(tag="655", indicators=[" ", "7"], subfields=[Subfield("a", "Article"), Subfield("2", "marcgt")]))
    r.add_field(Field(tag="650", indicators=[" ", "7"], subfields=[Subfield("a", rng.choice(WORDS)), Subfield("2", "sao")]))
    r.add_field(Field(tag="655", indicators=[" ", "7"], subfields=[
        Subfield("a", "government publication"), Subfield("2", "marcgt")]))
    r.add_field(Field(tag="856", indicators=["4", "0"], subfields=[
        Subfield("u", f"https://example.se/{rng.getrandbits(64):016x}.html")]))
    return r


def build_templates(n: int = 500, seed: int = 20261121) -> list[bytes]:
    rng = random.Random(seed)
    return [template(i, rng).as_marc() for i in range(n)]


def write_iso(path: Path, count: int, templates: list[bytes] | None = None) -> Path:
    templates = templates or build_templates()
    # where the 001 value sits in each template: base address + offset of 001 in the directory
    spots = []
    for t in templates:
        base = int(t[12:17])
        d = t[24:base - 1]
        for k in range(0, len(d), 12):
            if d[k:k + 3] == b"001":
                spots.append(base + int(d[k + 7:k + 12]))
                break
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb", buffering=8 << 20) as out:
        for i in range(count):
            k = i % len(templates)
            t = templates[k]
            s = spots[k]
            out.write(t[:s] + b"bench%07d" % i + t[s + CN_WIDTH:])
    return path


def write_marcxml(path: Path, count: int) -> Path:
    from pymarc import record_to_xml

    rng = random.Random(7)
    recs = [record_to_xml(template(i, rng), namespace=False) for i in range(300)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb", buffering=8 << 20) as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
        for i in range(count):
            x = recs[i % len(recs)].replace(b"XXXXXXXXXXXX", b"bench%07d" % i, 1)
            out.write(x + b"\n")
        out.write(b"</collection>\n")
    return path


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    p = Path(sys.argv[1])
    (write_marcxml if p.suffix == ".xml" else write_iso)(p, n)
    print(p, p.stat().st_size)
