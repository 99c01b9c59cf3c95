"""Generate the benchmark data: e-plikt-like Libris records, written fast.

A few hundred distinct template records are built with pymarc once; the big files repeat them
with fixed-width values patched in place (same length, so the directory stays valid): a fresh
001, and a record number in the title, the 024 identifier and the 856 URI, so that records are
distinct like a real export (validate's duplicate check finds only the deliberate duplicates:
every 500th record repeats the title and identifier of the one before). The mix: ~1% channel
records, ~3% SUPPRESSRECORD articles, ~63% e-plikt (042 $9 EPLK), some with 506 restricted +
856 4/0, the rest ordinary records. Roughly 1 KB a record, like the 200k-record / 184 MiB
reference file of the large-file benchmarks. Record 1 is an ordinary e-plikt record (the app shows it first).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pymarc import Field, Leader, Record, Subfield

CN_WIDTH = 12  # 001 = "bench" + 7 digits
#: placeholders patched per record (same width as what replaces them)
TITLE_MARK = b"@@@@@@@"  # 7 digits in 245 $a
ID_MARK = b"%%%%%%%%"  # 8 hex digits at the end of 024 $a
URI_MARK = b"^^^^^^^^"  # 8 hex digits in 856 $u

WORDS = (
    "bildspråket normer kultur samhälle historia språk medier skola barn läsning fördjupning "
    "myndighet rapport utredning statistik miljö klimat hälsa arbete ekonomi digital"
).split()


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()


def template(i: int, rng: random.Random) -> Record:
    r = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    r.add_field(Field(tag="001", data="X" * CN_WIDTH))
    r.add_field(Field(tag="005", data="20190320092950.0"))
    r.add_field(Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"))
    kind = i % 100
    r.add_field(
        Field(
            tag="024",
            indicators=["7", " "],
            subfields=[Subfield("a", f"{rng.getrandbits(96):024x}" + ID_MARK.decode()), Subfield("2", "kbse-mimer")],
        )
    )
    r.add_field(Field(tag="040", indicators=[" ", " "], subfields=[Subfield("a", "MimerProd")]))
    r.add_field(Field(tag="041", indicators=["0", " "], subfields=[Subfield("a", "swe")]))
    if kind < 60 or kind in (97, 98, 99):
        r.add_field(Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]))
    media = "[channel record]" if kind == 50 else "[Elektronisk resurs]"
    r.add_field(
        Field(
            tag="245",
            indicators=["1", "0"],
            subfields=[Subfield("a", f"{_title(rng)} {TITLE_MARK.decode()}"), Subfield("h", media)],
        )
    )
    r.add_field(Field(tag="264", indicators=[" ", "1"], subfields=[Subfield("c", str(2000 + i % 25))]))
    restricted = 40 <= kind < 50
    r.add_field(
        Field(tag="506", indicators=[" ", " "], subfields=[Subfield("a", "restricted" if restricted else "gratis")])
    )
    r.add_field(
        Field(
            tag="520",
            indicators=[" ", " "],
            subfields=[
                Subfield("a", " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 70))).capitalize() + ".")
            ],
        )
    )
    if kind in (97, 98, 99):
        r.add_field(Field(tag="599", indicators=[" ", " "], subfields=[Subfield("a", "SUPPRESSRECORD")]))
        r.add_field(
            Field(tag="655", indicators=[" ", "7"], subfields=[Subfield("a", "Article"), Subfield("2", "marcgt")])
        )
    r.add_field(
        Field(tag="650", indicators=[" ", "7"], subfields=[Subfield("a", rng.choice(WORDS)), Subfield("2", "sao")])
    )
    r.add_field(
        Field(
            tag="655",
            indicators=[" ", "7"],
            subfields=[Subfield("a", "government publication"), Subfield("2", "marcgt")],
        )
    )
    r.add_field(
        Field(
            tag="856",
            indicators=["4", "0"],
            subfields=[Subfield("u", f"https://example.se/{rng.getrandbits(32):08x}{URI_MARK.decode()}.html")],
        )
    )
    return r


def build_templates(n: int = 500, seed: int = 20261121) -> list[bytes]:
    rng = random.Random(seed)
    return [template(i, rng).as_marc() for i in range(n)]


def _spots(t: bytes) -> list[tuple[int, int, bytes]]:
    """Where the 001 value and the placeholders sit in a template record, in byte order:
    (offset, width, printf pattern); the pattern is filled with (record number, same)."""
    base = int(t[12:17])
    d = t[24 : base - 1]
    cn = next(base + int(d[k + 7 : k + 12]) for k in range(0, len(d), 12) if d[k : k + 3] == b"001")
    return sorted(
        [
            (cn, CN_WIDTH, b"bench%07d", 0),
            (t.index(TITLE_MARK), 7, b"%07d", 1),
            (t.index(ID_MARK), 8, b"%08x", 1),
            (t.index(URI_MARK), 8, b"%08x", 0),
        ]
    )


def write_iso(path: Path, count: int, templates: list[bytes] | None = None) -> Path:
    templates = templates or build_templates()
    spots = [_spots(t) for t in templates]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb", buffering=8 << 20) as out:
        for i in range(count):
            same = i - 1 if i % 500 == 499 else i  # a deliberate duplicate of the record before
            k = same % len(templates)
            t = templates[k]
            parts, pos = [], 0
            for off, width, pattern, dup in spots[k]:
                parts.append(t[pos:off])
                parts.append(pattern % (same if dup else i))
                pos = off + width
            parts.append(t[pos:])
            out.write(b"".join(parts))
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
            x = x.replace(TITLE_MARK, b"%07d" % i, 1).replace(ID_MARK, b"%08x" % i, 1).replace(URI_MARK, b"%08x" % i, 1)
            out.write(x + b"\n")
        out.write(b"</collection>\n")
    return path


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    p = Path(sys.argv[1])
    (write_marcxml if p.suffix == ".xml" else write_iso)(p, n)
    print(p, p.stat().st_size)
