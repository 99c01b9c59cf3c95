"""Regenerate the hand-made hostile files in this folder (the pymarc ones are copies, see README.md).

    /work/venv/bin/python tests/data/hostile/make_hostile.py

Written with pymarc's own writers (not ours), so that the seeds do not depend on the code under test.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from pymarc import Field, JSONWriter, Leader, Record, Subfield, XMLWriter

HERE = Path(__file__).resolve().parent

#: everything a record may carry that must never act on a terminal or be read as markup
ATTACKS = {
    "clear": "\x1b[2J\x1b[H",
    "bell": "\x07",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "c1csi": "\x9b2J",
    "bidi": "\u202eevil\u202c",
    "title": "\x1b]0;pwned\x07",
    "markup": "[bold]fet[/bold] [/] [red]röd [link=file:///etc/passwd]länk[/link]",
    "channel": "[channel record]",
}


def seed_records() -> list[Record]:
    """The seed's two records (sample_records/seed-records.txt), minus their orphan text."""
    cat = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    cat.add_field(
        Field("001", data="catalogue-1"),
        Field("024", ["7", " "], [Subfield("a", "1bafa057193a3d64c83391139f78e0b3"), Subfield("2", "kbse-mimer")]),
        Field("042", [" ", " "], [Subfield("9", "EPLK")]),
        Field(
            "245",
            ["1", "0"],
            [Subfield("a", "Könsnormer i bildspråket - Fördjupning"), Subfield("h", "[Elektronisk resurs]")],
        ),
        Field("506", [" ", " "], [Subfield("a", "gratis")]),
        Field("655", [" ", "7"], [Subfield("a", "government publication"), Subfield("2", "marcgt")]),
        Field("856", ["4", "0"], [Subfield("u", "https://statensmedierad.se/5.51c1ce3b160211ab52f3207a.html")]),
    )
    chan = Record(force_utf8=True, leader=Leader("00000nai a2200000 i 4500"))
    chan.add_field(
        Field("001", data="channel-1"),
        Field("042", [" ", " "], [Subfield("9", "EPLK")]),
        Field("245", ["1", "0"], [Subfield("a", "Statens medieråd, löpande"), Subfield("h", "[channel record]")]),
        Field("599", [" ", " "], [Subfield("a", "SUPPRESSRECORD")]),
        Field(
            "856",
            ["4", "0"],
            [Subfield("u", ""), Subfield("u", "http://id.kb.se/organisations/SE2021006396"), Subfield("z", "supplier")],
        ),
    )
    return [cat, chan]


def attack_record() -> Record:
    r = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    r.add_field(Field("001", data="attack\x1b[2J"))
    r.add_field(
        Field("245", ["1", "0"], [Subfield("a", "Titel " + ATTACKS["markup"]), Subfield("h", ATTACKS["channel"])])
    )
    for name, text in ATTACKS.items():
        r.add_field(Field("500", [" ", " "], [Subfield("a", f"{name}: före{text}efter")]))
    return r


def to_iso(records: list[Record]) -> bytes:
    return b"".join(r.as_marc() for r in records)


def to_xml(records: list[Record]) -> bytes:
    buf = io.BytesIO()
    w = XMLWriter(buf)
    for r in records:
        w.write(r)
    w.close(close_fh=False)
    return buf.getvalue()


def to_json(records: list[Record]) -> bytes:
    buf = io.StringIO()
    w = JSONWriter(buf)
    for r in records:
        w.write(r)
    w.close(close_fh=False)
    return buf.getvalue().encode("utf-8")


def to_mrk(records: list[Record]) -> bytes:
    return "\n".join(str(r) for r in records).encode("utf-8") + b"\n"


def to_turbomarc(iso: bytes) -> bytes | None:
    """TurboMARC as yaz-marcdump writes it (None without yaz): a writer that is not ours either."""
    yaz = shutil.which("yaz-marcdump")
    if yaz is None:
        return None
    return subprocess.run(
        [yaz, "-i", "marc", "-o", "turbomarc", "/dev/stdin"], input=iso, capture_output=True, check=True
    ).stdout


def to_notation(records: list[Record]) -> bytes:
    out = []
    for r in records:
        out.append(f" • 000 {r.leader}")
        for f in r.fields:
            if f.is_control_field():
                out.append(f" • {f.tag} {f.data}")
            else:
                inds = "/".join(i if i != " " else "-" for i in f.indicators)
                out.append(f" • {f.tag} {inds} " + " ".join(f"#{s.code} {s.value}" for s in f.subfields))
        out.append("")
    return "\n".join(out).encode("utf-8")


def main() -> None:
    seeds = seed_records()
    (HERE / "seed-records.mrc").write_bytes(to_iso(seeds))
    (HERE / "seed-records.xml").write_bytes(to_xml(seeds))
    (HERE / "seed-records.json").write_bytes(to_json(seeds))
    (HERE / "seed-records.mrk").write_bytes(to_mrk(seeds))
    turbo = to_turbomarc(to_iso(seeds))
    if turbo is not None:  # else the file as it is
        (HERE / "seed-records.turbomarc").write_bytes(turbo)
    attack = [attack_record()]
    (HERE / "terminal-attack.mrc").write_bytes(to_iso(attack))
    (HERE / "terminal-attack.xml").write_bytes(to_xml(attack).replace(b"\x1b", b"").replace(b"\x07", b""))
    (HERE / "terminal-attack.json").write_bytes(to_json(attack))
    (HERE / "terminal-attack.mrk").write_bytes(to_mrk(attack))
    (HERE / "terminal-attack.txt").write_bytes(to_notation(attack))
    # XML 1.0 cannot carry ESC even as &#x1b;: the XML attack file has the C1/bidi/markup ones only
    (HERE / "terminal-attack.jsonld").write_bytes(jsonld_attack())
    for name, data in xml_attacks().items():
        (HERE / name).write_bytes(data)
    (HERE / "deep.json").write_bytes(b"[" * 10_000 + b"]" * 10_000)
    (HERE / "deep-record.json").write_bytes(
        b'{"leader": "00000nam a2200000 i 4500", "fields": [{"245": {"ind1": "1", "ind2": "0", "subfields": '
        + b"[" * 10_000
        + b"]" * 10_000
        + b"}}]}"
    )


def jsonld_attack() -> bytes:
    """The Libris XL example with the attacks in its title, a URI and a date (rdflib warns about the
    latter two, quoting them: those warnings must not reach the terminal either)."""
    text = (HERE / "librisxl-integtest-bibelectronic.jsonld").read_text("utf-8")
    markup = ATTACKS["markup"] + " " + ATTACKS["channel"]
    text = text.replace(
        "Alice in Wonderland",
        "Alice "
        + "".join(ATTACKS.values())
        .replace(ATTACKS["markup"], markup)
        .encode("unicode_escape")
        .decode("ascii")
        .replace("\\x", "\\u00"),
        1,
    )
    text = text.replace('"TEMPBASEURIlibrary/NBR"', '"TEMPBASEURIlibrary/{NBR\\u001b]52;c;aGk=\\u0007"', 1)
    text = text.replace('"2001-12-11T00:00:00+01:00"', '"2001-12-11T00:00\\u001b[2J"', 1)
    return text.encode("utf-8")


MARCXML_RECORD = (
    b"<record xmlns='http://www.loc.gov/MARC21/slim'><leader>00000nam a2200000 i 4500</leader>"
    b"<controlfield tag='001'>x1</controlfield><datafield tag='245' ind1='1' ind2='0'>"
    b"<subfield code='a'>%s</subfield></datafield></record>"
)


def xml_attacks() -> dict[str, bytes]:
    laughs = b"".join(b"<!ENTITY l%d '%s'>" % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    return {
        # the billion laughs: 10^9 "lol"s (3 GB) from 1 kB, if entities were expanded
        "billion-laughs.xml": b"<?xml version='1.0'?>\n<!DOCTYPE record [<!ENTITY l0 'lol'>"
        + laughs
        + b"]>\n"
        + MARCXML_RECORD % b"&l9;",
        # quadratic blow-up: no nesting, one big entity referenced many times
        "quadratic-blowup.xml": b"<?xml version='1.0'?>\n<!DOCTYPE record [<!ENTITY q '"
        + b"q" * 10_000
        + b"'>]>\n"
        + MARCXML_RECORD % (b"&q;" * 10_000),
        # XXE: the title would be the password file
        "xxe-file.xml": b"<?xml version='1.0'?>\n<!DOCTYPE record [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>\n"
        + MARCXML_RECORD % b"&xxe;",
        # external DTD and a parameter entity (the "out of band" XXE)
        "xxe-parameter.xml": b"<?xml version='1.0'?>\n<!DOCTYPE record [<!ENTITY % dtd SYSTEM "
        b"'file:///etc/passwd'> %dtd;]>\n" + MARCXML_RECORD % b"x",
        "external-dtd.xml": b"<?xml version='1.0'?>\n<!DOCTYPE record SYSTEM 'file:///etc/passwd'>\n"
        + MARCXML_RECORD % b"x",
        "xinclude.xml": b"<?xml version='1.0'?>\n"
        + (
            MARCXML_RECORD
            % (b"<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='file:///etc/passwd' parse='text'/>")
        ),
        "deep.xml": b"<?xml version='1.0'?>\n<collection>"
        + b"<record>" * 10_000
        + b"</record>" * 10_000
        + b"</collection>",
    }


if __name__ == "__main__":
    sys.exit(main())
