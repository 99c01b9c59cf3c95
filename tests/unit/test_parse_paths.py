"""The ISO 2709 reader's fast path (``_parse_standard``) must read every record it takes exactly as
the general parser (``_parse_slow``) does: same leader, fields, bytes, issues."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.formats import iso2709
from tui.core.model.record import Field, Leader, Record, Subfield

TAGS = [
    "001",
    "003",
    "005",
    "008",
    "020",
    "024",
    "042",
    "100",
    "245",
    "246",
    "500",
    "599",
    "650",
    "852",
    "856",
    "880",
    "9XX",
    "0A1",
]
CODES = list("a9hu2z5b") + ["A", "|", " ", "", "é"]
VALUES = ["EPLK", "Titel", "", " ", "åäö", "\u00a0", "x" * 40, "[channel record]", "http://example.org/"]
INDS = list(" 0147az|") + ["", "Å"]


@st.composite
def records(draw):
    leader = f"00000n{draw(st.sampled_from('amxz'))}m {draw(st.sampled_from('a a '))}2200000 i 4500"
    fields = []
    for _ in range(draw(st.integers(0, 8))):
        tag = draw(st.sampled_from(TAGS))
        if tag < "010" and tag.isdigit():
            fields.append(Field(tag=tag, data=draw(st.sampled_from(VALUES + ["190320s2019    sw"]))))
        else:
            subs = [
                Subfield(draw(st.sampled_from(CODES)), draw(st.sampled_from(VALUES)))
                for _ in range(draw(st.integers(0, 3)))
            ]
            fields.append(
                Field(tag=tag, indicators=[draw(st.sampled_from(INDS)), draw(st.sampled_from(INDS))], subfields=subs)
            )
    r = Record()
    r.leader = Leader(leader)
    r.fields = fields
    return r


def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, iso2709.BrokenRecord):
        return a.reason == b.reason
    fa, fb = a.marc.fields, b.marc.fields
    return (
        str(a.marc.leader) == str(b.marc.leader)
        and a.issues == b.issues
        and [iso2709.content(f) for f in fa] == [iso2709.content(f) for f in fb]
        and [(f.raw, f.encoding, f.lead09, type(f.indicators)) for f in fa]
        == [(f.raw, f.encoding, f.lead09, type(f.indicators)) for f in fb]
        and [f.snapshot for f in fa] == [f.snapshot for f in fb]
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.sampled_from(["plain", "swap", "lie", "bytes"]), st.binary(max_size=3))
def test_fast_path_reads_like_the_general_parser(rec, how, junk):
    try:
        raw = iso2709.record_bytes(rec)
    except iso2709.WriteError:
        return
    base = int(raw[12:17])
    if how == "swap" and base >= 49:  # data no longer in directory order
        d = raw[24 : base - 1]
        raw = raw[:24] + d[12:24] + d[:12] + d[24:] + raw[base - 1 :]
    elif how == "lie" and base > 25:
        raw = raw[:27] + b"0001" + raw[31:]
    elif how == "bytes" and base < len(raw) - 2:
        raw = raw[: base + 1] + junk + raw[base + 1 :]
        raw = b"%05d" % len(raw) + raw[5:]
    fast = iso2709.parse_record(raw, "p", 3, 10)
    slow = iso2709._parse_slow(raw, "p", 3, 10)
    assert same(fast, slow)


def test_the_usual_record_takes_the_fast_path_and_keeps_its_bytes():
    rec = Record()
    rec.leader = Leader("00000nam a2200000 i 4500")
    rec.fields = [
        Field(tag="001", data="x1"),
        Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK")]),
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Könsnormer"), Subfield("h", "[x]")]),
    ]
    raw = iso2709.record_bytes(rec)
    assert iso2709._parse_standard(raw) is not None
    r = iso2709.parse_record(raw)
    assert r.valid_fields is True
    assert iso2709.record_bytes(r.marc) == raw
    # a changed field is written from its text, an unchanged one from its bytes
    r.marc.fields[2].subfields[0] = Subfield("a", "Ny titel")
    assert iso2709.unchanged_raw(r.marc.fields[2]) is None
    assert iso2709.unchanged_raw(r.marc.fields[1]) == r.marc.fields[1].raw
    r.marc.fields[1].subfields.append(Subfield("9", "DIGI"))
    assert iso2709.unchanged_raw(r.marc.fields[1]) is None


def test_a_record_with_a_blank_value_is_read_but_not_vouched_for():
    rec = Record()
    rec.leader = Leader("00000nam a2200000 i 4500")
    rec.fields = [Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "  ")])]
    r = iso2709.parse_record(iso2709.record_bytes(rec))
    assert not r.valid_fields
