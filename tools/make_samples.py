#!/usr/bin/env python3
"""Make the files in sample_records/ (run from the project root: ``python tools/make_samples.py``).

* ``seed-records.{mrc,xml,mrk,json}``: the seed's two records (``seed-records.txt``, as KB's page
  prints them) written by our own writers, so the same records can be opened in every format.
* ``mixed.{mrc,xml,txt}``: one record for each case of the e-plikt rules, plus holdings and a broken
  record (see sample_records/README.md). ``mixed.txt`` is the same in the seed's notation, for
  reading.

The outputs are committed; ``tests/unit/test_corpus.py`` checks that they are what this script
makes, so a change to a writer shows up as a diff here.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.core.formats import iso2709, marcjson, marcxml, mrk  # noqa: E402
from tui.core.formats.notation import read_notation, record_lines  # noqa: E402
from tui.core.model.record import Field, Leader, Record, Subfield  # noqa: E402

SAMPLES = ROOT / "sample_records"
BROKEN_TITLE = "Trasig post (exempel)"


def _f(tag: str, ind: str, *subs: tuple[str, str]) -> Field:
    i1, i2 = ind
    return Field(
        tag=tag, indicators=[i1.replace("-", " "), i2.replace("-", " ")], subfields=[Subfield(c, v) for c, v in subs]
    )


def _c(tag: str, data: str) -> Field:
    return Field(tag=tag, data=data)


def _rec(leader: str, *fields: Field) -> Record:
    assert len(leader) == 24, leader
    r = Record()
    r.leader = Leader(leader)
    r.fields = list(fields)
    return r


def _008(
    entered: str,
    date1: str,
    place: str = "sw ",
    lang: str = "swe",
    dtype: str = "s",
    date2: str = "    ",
    form: str = "o",
) -> str:
    # 00-05 entered, 06 type of date, 07-10, 11-14, 15-17 place, 18-34 books (23 = form of item),
    # 35-37 language, 38 modified, 39 source
    material = " " * 5 + form + " " * 11
    s = f"{entered}{dtype}{date1}{date2}{place}{material}{lang} d"
    assert len(s) == 40, (s, len(s))
    return s


def seed_records() -> list[Record]:
    return [e.marc for e in read_notation(SAMPLES / "seed-records.txt")]


def mixed_records() -> list[Record]:
    seed_cat, seed_chn = seed_records()
    cat = _rec(
        "00000nam a2200000 i 4500",
        _c("001", "q82fzj5m3w1hc4k"),
        _c("003", "SE-LIBR"),
        _c("008", _008("190320", "2019")),
        *seed_cat.fields,
    )
    chn = _rec(
        "00000nai a2200000 i 4500",
        _c("001", "p71d9v910183nz2"),
        _c("003", "SE-LIBR"),
        _c("008", _008("160101", "2016", dtype="c", date2="9999")),
        *seed_chn.fields,
    )
    restricted = _rec(
        "00000nam a2200000 i 4500",
        _c("001", "hm2x8q0k6c4v9bd"),
        _c("003", "SE-LIBR"),
        _c("008", _008("130415", "2013")),
        _f("024", "7-", ("a", "urn:nbn:se:statensmedierad-2013-0042"), ("2", "urn")),
        _f("040", "--", ("a", "MimerProd")),
        _f("041", "0-", ("a", "swe")),
        _f("042", "--", ("9", "EPLK")),
        _f("245", "10", ("a", "Årsredovisning 2012"), ("h", "[Elektronisk resurs]")),
        _f("264", "-1", ("a", "Stockholm"), ("b", "Statens medieråd"), ("c", "2013")),
        _f("506", "--", ("a", "restricted")),
        _f("655", "-7", ("a", "government publication"), ("2", "marcgt")),
        _f("856", "40", ("u", "https://statensmedierad.se/")),
    )
    article = _rec(
        "00000naa a2200000 i 4500",
        _c("001", "w4c9n2r7k1x5f3g"),
        _c("003", "SE-LIBR"),
        _c("008", _008("210412", "2021")),
        _f("040", "--", ("a", "MimerProd")),
        _f("042", "--", ("9", "EPLK")),
        _f("245", "10", ("a", "Barns mediavanor under pandemin"), ("h", "[Elektronisk resurs]")),
        _f("264", "-1", ("c", "2021")),
        _f("599", "--", ("a", "SUPPRESSRECORD")),
        _f("655", "-7", ("a", "Article"), ("2", "marcgt")),
        _f("773", "0-", ("t", "Medierådets nyhetsbrev"), ("g", "2021:4"), ("w", "p71d9v910183nz2")),
        _f("856", "40", ("u", "https://statensmedierad.se/nyhetsbrev/2021-4/barns-mediavanor.html")),
    )
    apis_only = _rec(
        "00000nam a2200000 i 4500",
        _c("001", "9912345"),
        _c("003", "SE-LIBR"),
        _c("008", _008("180905", "2018")),
        _f("020", "--", ("a", "9789127134563")),
        _f("040", "--", ("a", "Li")),
        _f("100", "1-", ("a", "Ek, Sara"), ("4", "aut")),
        _f("245", "10", ("a", "Havet omkring oss"), ("h", "[Elektronisk resurs]"), ("c", "Sara Ek")),
        _f("264", "-1", ("a", "Stockholm"), ("b", "Natur & Kultur"), ("c", "2018")),
        _f("856", "40", ("u", "https://www.nok.se/havet-omkring-oss.epub")),
    )
    apis_holding = _rec(
        "00000nx  a2200000un 4500", _c("001", "h9912345apis01"), _c("004", "9912345"), _f("852", "--", ("b", "APIS"))
    )
    digi = _rec(
        "00000nam a2200000 i 4500",
        _c("001", "8765432"),
        _c("003", "SE-LIBR"),
        _c("008", _008("150101", "1814", form="o")),
        _f("040", "--", ("a", "DIGI")),
        _f("042", "--", ("9", "DIGI")),
        _f("245", "10", ("a", "Svenska folkvisor från forntiden"), ("h", "[Elektronisk resurs]")),
        _f("264", "-1", ("a", "Stockholm"), ("c", "1814")),
        _f("852", "--", ("b", "APIS"), ("5", "APIS")),
        _f("856", "41", ("u", "https://weburn.kb.se/metadata/123/EOB_8765432.htm")),
    )
    ordinary = _rec(
        "00000cam a2200000 i 4500",
        _c("001", "5551234"),
        _c("003", "SE-LIBR"),
        _c("008", _008("451101", "1945", form=" ")),
        _f("020", "--", ("a", "9789129657015")),
        _f("040", "--", ("a", "S")),
        _f("100", "1-", ("a", "Lindgren, Astrid"), ("d", "1907-2002"), ("4", "aut")),
        _f("245", "10", ("a", "Pippi Långstrump"), ("c", "Astrid Lindgren")),
        _f("264", "-1", ("a", "Stockholm"), ("b", "Rabén & Sjögren"), ("c", "1945")),
        _f("300", "--", ("a", "192 s.")),
        _f("852", "--", ("b", "S"), ("h", "Hc"), ("5", "S")),
        _f("852", "--", ("b", "Li"), ("h", "Hcf"), ("5", "Li")),
        _f("866", "-0", ("a", "1 ex."), ("5", "Li")),
    )
    ordinary_holding = _rec(
        "00000nx  a2200000un 4500",
        _c("001", "h5551234gbg001"),
        _c("004", "5551234"),
        _f("852", "--", ("b", "Gbg"), ("h", "Hc.03")),
    )
    broken = _rec(
        "00000nam a2200000 i 4500",
        _c("001", "bad0000000001"),
        _c("003", "SE-LIBR"),
        _f("245", "10", ("a", BROKEN_TITLE)),
    )
    return [cat, chn, restricted, article, apis_only, apis_holding, digi, ordinary, ordinary_holding, broken]


def _bytes(mod, records) -> bytes:
    buf = io.BytesIO()
    mod.write(records, buf)
    return buf.getvalue()


def break_iso(data: bytes) -> bytes:
    """Corrupt the last record beyond repair: the field terminator after its 001 is gone, so its
    data holds one field fewer than its directory has entries, and no entry gives the length of
    the merged field."""
    start = data.rindex(b"\x1d", 0, len(data) - 1) + 1
    rec = data[start:]
    base = int(rec[12:17])
    k = rec.index(b"\x1e", base)
    return data[:start] + rec[:k] + b"|" + rec[k + 1 :]


def break_xml(data: bytes) -> bytes:
    """The last record's title has a bare '&': not well-formed XML."""
    needle = BROKEN_TITLE.encode("utf-8")
    return data.replace(needle, needle.replace(b"(", b"& ("), 1)


def mixed_notation(records: list[Record]) -> str:
    blocks = []
    for r in records[:-1]:
        blocks.append("\n".join(record_lines(r)))
    # the broken record, broken the way notation can be: a field line with no indicators
    last = records[-1]
    lines = record_lines(last)
    lines = [ln if not ln.startswith("245 ") else "245 10 #a " + BROKEN_TITLE for ln in lines]
    blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def outputs() -> dict[str, bytes]:
    seed = seed_records()
    mixed = mixed_records()
    return {
        "seed-records.mrc": _bytes(iso2709, seed),
        "seed-records.xml": _bytes(marcxml, seed),
        "seed-records.mrk": _bytes(mrk, seed),
        "seed-records.json": _bytes(marcjson, seed),
        "mixed.mrc": break_iso(_bytes(iso2709, mixed)),
        "mixed.xml": break_xml(_bytes(marcxml, mixed)),
        "mixed.txt": mixed_notation(mixed).encode("utf-8"),
    }


def main() -> int:
    for name, data in outputs().items():
        (SAMPLES / name).write_bytes(data)
        print(f"wrote sample_records/{name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
