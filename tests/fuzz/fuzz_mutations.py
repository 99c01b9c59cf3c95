"""Mutations of valid record files: what broken exports, bad copies and hostile senders produce.

Each mutation takes the file's bytes and a ``Chooser`` (the source of choices) and returns new
bytes. The property tests drive the chooser from hypothesis (``HypothesisChooser``: shrinkable,
reproducible); the long campaign from ``random.Random`` (``RandomChooser``: fast).

Generic: truncation, deletion, duplication, bit flips, random bytes, stray MARC delimiters,
invalid UTF-8, MARC-8 escapes, huge fields. Format-aware: ISO 2709 leader and directory numbers
(wrong lengths, bad base address, offsets past the end, leader/09), XML (entities, DTDs, deep
nesting, bad characters, broken tags), JSON (wrong types, deep nesting, bad escapes), and the
line formats (MARCMaker, the seed notation).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Protocol


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...
    def choice(self, seq: Sequence): ...
    def blob(self, max_size: int) -> bytes: ...


class RandomChooser:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, seq: Sequence):
        return seq[self.rng.randrange(len(seq))]

    def blob(self, max_size: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, max_size))


class HypothesisChooser:
    def __init__(self, data):
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))

    def choice(self, seq: Sequence):
        return self.data.draw(self.st.sampled_from(list(seq)))

    def blob(self, max_size: int) -> bytes:
        return self.data.draw(self.st.binary(max_size=max_size))


# -- tokens worth splicing in --------------------------------------------------------------------

MARC_DELIMS = [b"\x1d", b"\x1e", b"\x1f", b"\x1f\x1f", b"\x1e\x1d", b"\x1f\x1e", b"\x00"]
BAD_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\xc3(",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"\x80\x80",
    b"\xef\xbb\xbf",
    b"\xe2\x80\xae",
]
MARC8_ESC = [
    b"\x1b(B",
    b"\x1b$1",
    b"\x1b(2",
    b"\x1b(3",
    b"\x1bb",
    b"\x1bg",
    b"\x1bp",
    b"\x1bs",
    b"\x1b$",
    b"\x1b(",
    b"\x1b",
    b"\x1b)!E",
    b"\x1b$1\x21",
    b"\xe1",
    b"\xe1\xe2",
    b"\xf0",
]
TERMINAL = [
    b"\x1b[2J",
    b"\x07",
    b"\x1b]52;c;aGVsbG8=\x07",
    b"\xc2\x9b2J",
    b"\xe2\x80\xae",
    b"\x1b[31m",
    b"[bold]",
    b"[/]",
    b"[channel record]",
    b"[link=file:///etc/passwd]x[/link]",
    b"\r",
    b"\x08",
]
GENERIC = MARC_DELIMS + BAD_UTF8 + MARC8_ESC + TERMINAL + [b"", b" ", b"\n", b"\r\n", b"0", b"99999", b"-1"]

XML_TOKENS = [
    b"<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>",
    b"<!DOCTYPE r SYSTEM 'file:///etc/passwd'>",
    b"&b;",
    b"&a;",
    b"&xxe;",
    b"&lt;",
    b"&#0;",
    b"&#x1b;",
    b"&#x110000;",
    b"&#xD800;",
    b"<![CDATA[\x1b[2J]]>",
    b"]]>",
    b"<!-- -->",
    b"<?pi x?>",
    b"<",
    b">",
    b"&",
    b"</record>",
    b"<record>",
    b"<datafield tag='245' ind1='1' ind2='0'>",
    b"</datafield>",
    b"<subfield code='a'>",
    b"</subfield>",
    b"<subfield>",
    b"<controlfield tag='001'>",
    b"<leader>",
    b"<leader></leader>",
    b"tag='24'",
    b"code=''",
    b"code='ab'",
    b"ind1='xyz'",
    b" xmlns='urn:x'",
    b" xmlns:marc='http://www.loc.gov/MARC21/slim'",
    b"<marc:record>",
    b'"',
    b"'",
    b"<?xml version='1.0' encoding='ISO-8859-1'?>",
    b"<?xml version='1.0' encoding='nonsense'?>",
    b"<!ENTITY % p SYSTEM 'http://127.0.0.1:9/x.dtd'> %p;",
]
JSON_TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b'"',
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\\u001b[2J",
    b"null",
    b"true",
    b"1e999",
    b"NaN",
    b"-0",
    b"{}",
    b"[]",
    b'"leader"',
    b'"fields"',
    b'"subfields"',
    b'"ind1"',
    b'"245"',
    b'""',
    b'"@graph"',
    b'"@id"',
    b'"@context"',
]
LINE_TOKENS = [
    b"\n=LDR  ",
    b"\n=LDR  00000nam  2200000 a 4500",
    b"\n=245  10$a",
    b"\n=245  ",
    b"\n=001  ",
    b"\n=",
    b"$",
    b"$$",
    b"{dollar}",
    b"{esc}",
    b"{",
    b"}",
    b"\\",
    b"\n=999  \\\\$z",
    b"\n\xe2\x80\xa2 245 1/0 #a",
    b"\n\xe2\x80\xa2 000 ",
    b"\n\xe2\x80\xa2 856 4/2 ",
    b" #",
    b" #a ",
    b" #h ",
    b"\n000 ",
    b"\nLDR ",
    b"\n245",
    b"\n245 1/",
    b"\n24 1/0 #a x",
    b" / ",
    b"\n\n",
    b"\r",
]


# -- generic byte mutations ----------------------------------------------------------------------


def _pos(data: bytes, c: Chooser) -> int:
    return c.integer(0, len(data))


def truncate(data: bytes, c: Chooser) -> bytes:
    return data[: _pos(data, c)]


def delete_range(data: bytes, c: Chooser) -> bytes:
    a = _pos(data, c)
    return data[:a] + data[a + c.integer(1, 64) :]


def duplicate_range(data: bytes, c: Chooser) -> bytes:
    a = _pos(data, c)
    b = min(len(data), a + c.integer(1, 256))
    at = _pos(data, c)
    return data[:at] + data[a:b] * c.integer(1, 3) + data[at:]


def flip_bit(data: bytes, c: Chooser) -> bytes:
    if not data:
        return data
    i = c.integer(0, len(data) - 1)
    return data[:i] + bytes([data[i] ^ (1 << c.integer(0, 7))]) + data[i + 1 :]


def random_bytes(data: bytes, c: Chooser) -> bytes:
    at = _pos(data, c)
    blob = c.blob(32)
    if c.choice((True, False)):  # overwrite, same length
        return data[:at] + blob + data[at + len(blob) :]
    return data[:at] + blob + data[at:]


def splice_token(tokens: Sequence[bytes]) -> Callable[[bytes, Chooser], bytes]:
    def mutate(data: bytes, c: Chooser) -> bytes:
        at = _pos(data, c)
        tok = c.choice(tokens)
        if c.choice((True, False)) and at < len(data):  # replace one byte
            return data[:at] + tok + data[at + 1 :]
        return data[:at] + tok + data[at:]

    mutate.__name__ = "splice"
    return mutate


#: lengths of the huge fields; the campaign adds 100 000 and 300 000 (too slow for CI while any
#: view is quadratic in a field's length)
HUGE_SIZES = [5_000, 10_000, 20_000]


def huge_field(data: bytes, c: Chooser) -> bytes:
    """A very long run of text somewhere (a field far beyond the 9999 bytes ISO 2709 allows)."""
    at = _pos(data, c)
    n = c.choice(HUGE_SIZES)
    filler = c.choice((b"A", b"\xc3\xa5", b"\x1f", b"a b ", b"\x1b", b"\xe2\x80\xae"))
    return data[:at] + filler * (n // len(filler)) + data[at:]


def swap_delims(data: bytes, c: Chooser) -> bytes:
    """Confuse the structure characters: field terminators become subfield delimiters etc."""
    a, b = c.choice(MARC_DELIMS[:3]), c.choice(MARC_DELIMS[:3] + [b"", b"\x1d\x1d"])
    idx = [m.start() for m in re.finditer(re.escape(a), data)]
    if not idx:
        return data
    i = c.choice(idx)
    return data[:i] + b + data[i + len(a) :]


# -- ISO 2709 ------------------------------------------------------------------------------------


def _records(data: bytes) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in re.finditer(b"\x1d", data):
        out.append((start, m.end()))
        start = m.end()
    if start < len(data):
        out.append((start, len(data)))
    return out or [(0, len(data))]


def _digits(c: Chooser, width: int) -> bytes:
    kind = c.choice(("random", "zero", "nines", "blank", "letters", "small", "negative"))
    if kind == "random":
        v = str(c.integer(0, 10**width - 1)).zfill(width)
    elif kind == "zero":
        v = "0" * width
    elif kind == "nines":
        v = "9" * width
    elif kind == "blank":
        v = " " * width
    elif kind == "letters":
        v = "x" * width
    elif kind == "negative":
        v = ("-" + "1" * width)[:width]
    else:
        v = str(c.integer(0, 30)).zfill(width)
    return v.encode()


def iso_leader(data: bytes, c: Chooser) -> bytes:
    """Wrong record length, base address, indicator/subfield counts, entry map, leader/09."""
    s, e = c.choice(_records(data))
    rec = bytearray(data[s:e])
    if len(rec) < 24:
        return data
    what = c.choice(("length", "base", "counts", "map", "ldr09", "ldr06"))
    if what == "length":
        rec[0:5] = _digits(c, 5)
    elif what == "base":
        rec[12:17] = _digits(c, 5)
    elif what == "counts":
        rec[10] = c.choice(b"0129 x")
        rec[11] = c.choice(b"0129 x")
    elif what == "map":
        rec[20:24] = c.choice((b"0000", b"9999", b"    ", b"4500", b"1200", b"xxxx"))
    elif what == "ldr09":
        rec[9] = c.choice(b" az\xff")
    else:
        rec[6] = c.choice(b"axyzu \x1b")
    return data[:s] + bytes(rec) + data[e:]


def iso_directory(data: bytes, c: Chooser) -> bytes:
    """One directory entry gets a wrong tag, length or starting position; or the directory is cut."""
    s, e = c.choice(_records(data))
    rec = data[s:e]
    if len(rec) < 24:
        return data
    end = rec.find(b"\x1e", 24)
    if end < 24 + 12:
        return data
    entries = (end - 24) // 12
    k = c.integer(0, max(0, entries - 1))
    at = 24 + 12 * k
    ent = bytearray(rec[at : at + 12])
    what = c.choice(("tag", "length", "start", "drop", "dup", "short"))
    if what == "tag":
        ent[0:3] = c.choice((b"   ", b"000", b"00a", b"\x1f\x1e\x1d", b"999", b"LDR", b"\xff\xff\xff"))
    elif what == "length":
        ent[3:7] = _digits(c, 4)
    elif what == "start":
        ent[7:12] = _digits(c, 5)
    elif what == "drop":
        return data[:s] + rec[:at] + rec[at + 12 :] + data[e:]
    elif what == "dup":
        return data[:s] + rec[:at] + bytes(ent) + rec[at:] + data[e:]
    else:  # an entry of 11 bytes: the whole directory shifts
        return data[:s] + rec[: at + 11] + rec[at + 12 :] + data[e:]
    return data[:s] + rec[:at] + bytes(ent) + rec[at + 12 :] + data[e:]


def iso_garbage_between(data: bytes, c: Chooser) -> bytes:
    """Junk between records: a newline after each (common), a stray header, NULs."""
    recs = _records(data)
    s, e = c.choice(recs)
    return data[:e] + c.choice((b"\n", b"\r\n", b"\x00" * 8, b"     ", b"garbage", b"\x1d", b"0000")) + data[e:]


# -- XML -----------------------------------------------------------------------------------------


def xml_nest(data: bytes, c: Chooser) -> bytes:
    depth = c.choice((50, 300, 5_000, 50_000))
    tag = c.choice((b"a", b"record", b"subfield", b"marc:record"))
    at = _pos(data, c)
    close = c.choice((True, False))
    return (
        data[:at]
        + b"<"
        + tag
        + b">"
        + (b"<" + tag + b">") * depth
        + ((b"</" + tag + b">") * (depth + 1) if close else b"")
        + data[at:]
    )


def xml_entity_bomb(data: bytes, c: Chooser) -> bytes:
    """Put an internal-subset DTD with an entity bomb or an external entity in front of the root."""
    kind = c.choice(("laughs", "xxe-file", "xxe-http", "param", "quadratic"))
    if kind == "laughs":
        ents = b"<!ENTITY l0 'lol'>" + b"".join(
            b"<!ENTITY l%d '%s'>" % (i, b"".join(b"&l%d;" % (i - 1) for _ in range(10))) for i in range(1, 10)
        )
        ref = b"&l9;"
    elif kind == "xxe-file":
        ents, ref = b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"&x;"
    elif kind == "xxe-http":
        ents, ref = b"<!ENTITY x SYSTEM 'http://127.0.0.1:9/x'>", b"&x;"
    elif kind == "param":
        ents, ref = b"<!ENTITY % p SYSTEM 'http://127.0.0.1:9/p.dtd'> %p;", b""
    else:
        ents, ref = b"<!ENTITY q '" + b"q" * 50_000 + b"'>", b"&q;" * 2_000
    m = re.search(rb"<(?![?!])([A-Za-z_][\w:.-]*)", data)
    root = m.group(1) if m else b"collection"
    at = m.start() if m else 0
    body = data[at:]
    # reference the entity inside the first subfield/controlfield text, if there is one
    t = re.search(rb"(<(?:[\w]+:)?(?:subfield|controlfield)[^>]*>)", body)
    if t and ref:
        body = body[: t.end()] + ref + body[t.end() :]
    return data[:at] + b"<!DOCTYPE " + root + b" [" + ents + b"]>" + body


def xml_text_mutation(data: bytes, c: Chooser) -> bytes:
    """Hostile text where a subfield value is: control characters, char refs, brackets."""
    spots = [m.end() for m in re.finditer(rb"<(?:[\w]+:)?(?:subfield|controlfield|leader)[^>]*>", data)]
    if not spots:
        return data
    at = c.choice(spots)
    tok = c.choice(
        [
            b"&#x1b;[2J",
            b"&#x9b;",
            b"&#x7;",
            b"[bold]x[/]",
            b"&#x202e;",
            b"\x1b[2J",
            b"\xc2\x9b",
            b"&#xfffe;",
            b"&#x1f;",
            b"&amp;",
            b"&lt;b&gt;",
            b"\xff",
            b"&#1114111;",
        ]
    )
    return data[:at] + tok + data[at:]


def xml_attr_mutation(data: bytes, c: Chooser) -> bytes:
    spots = list(re.finditer(rb"(tag|code|ind1|ind2)=(['\"])([^'\"]*)\2", data))
    if not spots:
        return data
    m = c.choice(spots)
    val = c.choice([b"", b"x", b"abc", b"9999", b"\xc3\xa5", b"&#x1b;", b"&#0;", b" ", b"-", b"LDR", b"00"])
    return data[: m.start(3)] + val + data[m.end(3) :]


# -- JSON ----------------------------------------------------------------------------------------

_JSON_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "\x1b[2J",
    "\ud800",
    "[bold]",
    [],
    {},
    [[]],
    {"": ""},
    ["a"],
    {"a": None},
    {"a": "b", "c": "d"},
    "9" * 5000,
    {"ind1": "", "ind2": "", "subfields": []},
    {"subfields": "not a list"},
    [{"a": 1}],
    "00000nam  2200000 a 4500",
    "short leader",
]


def _json_paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_paths(v, path + (i,))


def json_tree(data: bytes, c: Chooser) -> bytes:
    """Structure-aware: parse, replace/remove/duplicate a node, write back (gets past the parser)."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return data
    paths = list(_json_paths(doc))
    path = c.choice(paths)
    if not path:
        doc = c.choice(_JSON_VALUES + [[doc], {"fields": doc}])
    else:
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        key = path[-1]
        what = c.choice(("replace", "delete", "dup", "wrap"))
        if what == "replace":
            parent[key] = c.choice(_JSON_VALUES)
        elif what == "delete":
            del parent[key]
        elif what == "dup" and isinstance(parent, list):
            parent.insert(key, parent[key])
        elif what == "dup" and isinstance(parent, dict):
            parent[str(key) + "_"] = parent[key]
        else:
            parent[key] = [parent[key]] if c.choice((True, False)) else {"x": parent[key]}
    try:
        return json.dumps(doc, ensure_ascii=c.choice((True, False))).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return data


def json_nest(data: bytes, c: Chooser) -> bytes:
    depth = c.choice((100, 1_000, 10_000, 200_000))
    at = _pos(data, c)
    opener = c.choice((b"[", b'{"a":'))
    closer = b"]" if opener == b"[" else b"}"
    return data[:at] + opener * depth + b"1" + closer * depth * c.integer(0, 1) + data[at:]


# -- line formats --------------------------------------------------------------------------------


def line_mutation(data: bytes, c: Chooser) -> bytes:
    lines = data.split(b"\n")
    i = c.integer(0, max(0, len(lines) - 1))
    what = c.choice(("drop", "dup", "cut", "swap", "tag", "indicators", "long"))
    line = lines[i] if lines else b""
    if what == "drop":
        del lines[i]
    elif what == "dup":
        lines.insert(i, line)
    elif what == "cut":
        lines[i] = line[: c.integer(0, len(line))]
    elif what == "swap" and len(lines) > 1:
        j = c.integer(0, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
    elif what == "tag":
        lines[i] = re.sub(rb"\d{3}", c.choice((b"", b"0", b"00a", b"LDR", b"999", b"000", b"\x1b[2J")), line, count=1)
    elif what == "indicators":
        lines[i] = re.sub(
            rb"(\d{3}) {1,2}(\S)[/]?(\S)",
            lambda m: m.group(1) + b" " + c.choice((b"", b"/", b"1/", b"//", b"\\\\\\", b"x/y", b"\xc3\xa5/\x1b")),
            line,
            count=1,
        )
    else:
        lines[i] = line + b" #a " + b"x" * c.choice([1000] + HUGE_SIZES)
    return b"\n".join(lines)


# -- choosing ------------------------------------------------------------------------------------

GENERIC_MUTATIONS = [truncate, delete_range, duplicate_range, flip_bit, random_bytes, splice_token(GENERIC), huge_field]
BY_FORMAT = {
    "iso2709": [
        iso_leader,
        iso_directory,
        iso_garbage_between,
        swap_delims,
        splice_token(MARC_DELIMS),
        splice_token(BAD_UTF8),
        splice_token(MARC8_ESC),
    ],
    "marcxml": [xml_nest, xml_entity_bomb, xml_text_mutation, xml_attr_mutation, splice_token(XML_TOKENS)],
    "turbomarc": [xml_nest, xml_entity_bomb, xml_text_mutation, xml_attr_mutation, splice_token(XML_TOKENS)],
    "marc-json": [json_tree, json_tree, json_nest, splice_token(JSON_TOKENS)],
    "jsonld": [json_tree, json_tree, json_nest, splice_token(JSON_TOKENS)],
    "mrk": [line_mutation, line_mutation, splice_token(LINE_TOKENS), splice_token(BAD_UTF8)],
    "notation": [line_mutation, line_mutation, splice_token(LINE_TOKENS), splice_token(BAD_UTF8)],
}


def mutate(data: bytes, fmt: str | None, c: Chooser, rounds: int | None = None) -> tuple[bytes, list[str]]:
    """Apply 1-4 mutations, mostly format-aware ones. Returns the bytes and the mutation names."""
    names = []
    for _ in range(rounds if rounds is not None else c.integer(1, 4)):
        pool = BY_FORMAT.get(fmt or "", []) * 2 + GENERIC_MUTATIONS
        m = c.choice(pool)
        data = m(data, c)
        names.append(m.__name__)
    return data, names
