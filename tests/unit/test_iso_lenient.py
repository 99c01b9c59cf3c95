"""ISO 2709 read as leniently as yaz-marcdump and pymarc read it (issue 13), and each recovery
said: a small file of our own for each class of damage, with the record count, the finding's rule
id and byte offset, the recovered content, and what ``stats``, the index and ``validate`` say
about the same file (they must agree on the records). Unedited records are written back byte for
byte; edited ones canonically."""

from __future__ import annotations

import json
import re

import pytest

from tui.cli import main
from tui.core.batch import engine, scan
from tui.core.formats import iso2709, open_source
from tui.core.model.record import BrokenRecord, Field, Leader, LibrisRecord, Record, Subfield
from tui.core.validation import validate as V


def rec(cn: str, title: str = "Titel", leader: str = "00000nam a2200000 i 4500", extra=()) -> bytes:
    r = Record()
    r.leader = Leader(leader)
    r.fields = [
        Field(tag="001", data=cn),
        Field(tag="008", data="190320s2019    sw |||||o|||||||||||swe|c"),
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]),
        *extra,
    ]
    return iso2709.record_bytes(r)


def relength(b: bytes) -> bytes:
    """The record with leader/00-04 set to its real length."""
    return b"%05d" % len(b) + b[5:]


def write(tmp_path, *parts: bytes, name: str = "f.mrc"):
    p = tmp_path / name
    p.write_bytes(b"".join(parts))
    return p


def findings(path, rule: str) -> list[V.Finding]:
    src = open_source(str(path))
    try:
        found, _n = V.validate_source(src)
    finally:
        src.close()
    return [f for f in found if f.rule == rule]


def agree(path) -> int:
    """Records the index, ``stats`` (the raw scan) and ``validate`` count in the file: all equal,
    and the scan's flags those of a full parse."""
    src = open_source(str(path))
    entries = list(src)
    readable = sum(1 for e in entries if isinstance(e, LibrisRecord))
    _found, n = V.validate_source(src)
    src.close()
    res = scan.scan_file(str(path))
    assert res.slot_count == len(entries)
    assert res.count(scan.BROKEN) == len(entries) - readable
    assert n == readable
    assert bytes(f & ~scan.PARSED & 0xFF for f in res.flags) == bytes(scan.flags_of(e) for e in entries)
    return readable


def at_byte(f: V.Finding) -> int:
    m = re.search(r"byte (\d+)", f.message)
    assert m, f.message
    return int(m.group(1))


# -- filler between records ----------------------------------------------------------------------


def test_blank_and_nul_filler_between_records(tmp_path):
    one, two, three = rec("a1", "Ett"), rec("a2", "Två"), rec("a3", "Tre")
    p = write(tmp_path, one, b" " * 7, two, b"\x00" * 300, three, b"  ")
    src = open_source(str(p))
    assert [e.marc["245"]["a"] for e in src] == ["Ett", "Två", "Tre"]
    assert src.starts[1] == len(one) + 7 and src.starts[2] == len(one) + 7 + len(two) + 300
    assert [(s, e) for s, e, _k in src.filler()] == [
        (len(one), len(one) + 7),
        (len(one) + 7 + len(two), src.starts[2]),
        (src.ends[2], src.size),
    ]
    # each run on the record after it (the one after the last record, on the last record)
    assert [i.code for i in src.entry(1).issues] == ["STRUCT-FILLER"]
    assert [i.message.split(" (")[0] for i in src.entry(2).issues] == [
        "300 bytes of filler before this record skipped",
        "2 bytes of filler after the last record skipped",
    ]
    assert agree(p) == 3
    found = findings(p, "STRUCT-FILLER")
    assert [(f.severity, f.record_number, f.control_number, at_byte(f)) for f in found] == [
        ("warning", 2, "a2", len(one)),
        ("warning", 3, "a3", len(one) + 7 + len(two)),
        ("warning", 3, "a3", src.ends[2]),
    ]
    assert "7 bytes of filler" in found[0].message and "300 bytes" in found[1].message
    # validate says the same whether the records come from the index or from an edited session
    src.replace(0, src.entry(0))
    assert [f.describe() for f in V.validate_source(src)[0] if f.rule == "STRUCT-FILLER"] == [
        f.describe() for f in found
    ]


def test_line_ends_between_records_are_only_noted(tmp_path):
    p = write(tmp_path, rec("a1"), b"\r\n", rec("a2"), b"\n")
    found = findings(p, "STRUCT-FILLER")
    assert [(f.severity, f.record_number) for f in found] == [("info", 2), ("info", 2)]
    assert agree(p) == 2


def test_filler_is_found_the_same_on_two_workers(tmp_path, monkeypatch):
    parts = []
    for i in range(300):
        parts.append(rec(f"b{i}", f"Titel {i}"))
        if i % 50 == 7:
            parts.append(b"\x00" * 13)
    p = write(tmp_path, *parts)
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 5_000)
    src = open_source(str(p))
    one, n1 = V.validate_source(src, engine=engine.InlineEngine())
    two, n2 = V.validate_source(src, engine=engine.LocalEngine(2))
    src.close()
    assert n1 == n2 == 300
    assert [f.describe() for f in one] == [f.describe() for f in two]
    assert [f.record_number for f in one if f.rule == "STRUCT-FILLER"] == [i + 2 for i in range(300) if i % 50 == 7]
    # with filler before the first record and after the last, and shards cut just after filler
    monkeypatch.setattr(V, "CHUNK_MIN_BYTES", 1_000)
    q = write(tmp_path, b"\x00\x00", *parts, b"\x00\x00\x00", name="g.mrc")
    src = open_source(str(q))
    one, _ = V.validate_source(src, engine=engine.InlineEngine())
    two, _ = V.validate_source(src, engine=engine.LocalEngine(2))
    src.close()
    assert [f.describe() for f in one] == [f.describe() for f in two]
    fill = [f.record_number for f in one if f.rule == "STRUCT-FILLER"]
    assert fill == [1] + [i + 2 for i in range(300) if i % 50 == 7] + [300]


def test_blanks_that_begin_a_record_are_not_filler(tmp_path):
    """Blanks not followed by a record length are the (bad) start of a record, not filler."""
    bad = b"     " + rec("a2")[5:]
    p = write(tmp_path, rec("a1"), bad, rec("a3"))
    src = open_source(str(p))
    assert len(src) == 3 and src.starts[1] == len(rec("a1"))
    e = src.entry(1)
    assert isinstance(e, LibrisRecord) and e.control_number == "a2"
    assert [i.code for i in e.issues] == ["STRUCT-RECORD-LENGTH"]


# -- the leader's record length ----------------------------------------------------------------------


@pytest.mark.parametrize("declared", [b"00010", b"99999", b"0012x"], ids=["short", "long", "not-a-number"])
def test_a_record_length_that_disagrees_with_the_terminator(tmp_path, declared):
    one, two, three = rec("a1"), bytearray(rec("a2", "Två")), rec("a3")
    two[:5] = declared
    p = write(tmp_path, one, bytes(two), three)
    src = open_source(str(p))
    e = src.entry(1)
    assert isinstance(e, LibrisRecord) and e.marc["245"]["a"] == "Två"
    (issue,) = [i for i in e.issues if i.code == "STRUCT-RECORD-LENGTH"]
    assert issue.severity == "warning" and f"{declared.decode()!r}" in issue.message
    assert src.entry(2).control_number == "a3"
    assert iso2709.record_bytes(e.marc) == bytes(two)  # unedited: as read
    e.marc["245"]["a"] = "Två!"
    assert iso2709.record_bytes(e.marc)[:5] == b"%05d" % (len(two) + 1)  # edited: the true length
    (f,) = findings(p, "STRUCT-RECORD-LENGTH")
    assert (f.severity, f.record_number, at_byte(f)) == ("warning", 2, len(one))
    assert agree(p) == 3


# -- the leader's bytes ------------------------------------------------------------------------------


def test_a_leader_with_bytes_that_are_not_printable(tmp_path):
    raw = bytearray(rec("a1", "Tecken"))
    raw[9] = 0x14  # leader/09
    raw[18] = 0xE9  # leader/18
    p = write(tmp_path, rec("a0"), bytes(raw))
    src = open_source(str(p))
    e = src.entry(1)
    assert isinstance(e, LibrisRecord) and e.marc["245"]["a"] == "Tecken"
    (issue,) = [i for i in e.issues if i.code == "STRUCT-LEADER-BYTES"]
    assert "leader/09, 18" in issue.message
    assert iso2709.record_bytes(e.marc) == bytes(raw)
    (f,) = findings(p, "STRUCT-LEADER-BYTES")
    assert (f.severity, f.record_number, at_byte(f)) == ("warning", 2, src.starts[1] + 9)
    assert agree(p) == 2


# -- the directory -------------------------------------------------------------------------------------


def test_a_directory_ended_by_a_subfield_delimiter(tmp_path):
    good = rec("a1", "Katalog")
    base = int(good[12:17])
    bad = good[: base - 1] + b"\x1f" + good[base:]
    p = write(tmp_path, bad, rec("a2"))
    src = open_source(str(p))
    e = src.entry(0)
    assert isinstance(e, LibrisRecord) and e.marc["245"]["a"] == "Katalog" and e.control_number == "a1"
    assert [(i.code, "0x1F" in i.message) for i in e.issues] == [("STRUCT-DIRECTORY", True)]
    assert iso2709.record_bytes(e.marc) == bad
    (f,) = findings(p, "STRUCT-DIRECTORY")
    assert (f.severity, f.record_number, at_byte(f)) == ("warning", 1, base - 1)
    assert agree(p) == 2


@pytest.mark.parametrize("base", [b"99937", b"00000", b"f0037"])
def test_a_base_address_that_does_not_point_past_the_directory(tmp_path, base):
    good = rec("a1", "Bas")
    bad = good[:12] + base + good[17:]
    p = write(tmp_path, rec("a0"), bad)
    e = open_source(str(p)).entry(1)
    assert isinstance(e, LibrisRecord) and e.marc["245"]["a"] == "Bas"
    assert [i.code for i in e.issues] == ["STRUCT-DIRECTORY"] and "the directory ends at" in e.issues[0].message
    assert agree(p) == 2


def test_an_oversize_field_with_a_directory_of_wider_entries(tmp_path):
    """A 520 of 12,000 bytes: its directory entry gives the length in 5 digits (13 bytes, not 12),
    and the record is over 9999 bytes; the fields are found by their terminators."""
    big = "x" * 12000
    r = Record()
    r.leader = Leader("00000nam a2200000 i 4500")
    fields = [
        Field(tag="001", data="big1"),
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Stor")]),
        Field(tag="520", indicators=[" ", " "], subfields=[Subfield("a", big)]),
        Field(tag="650", indicators=[" ", "7"], subfields=[Subfield("a", "Ämne")]),
    ]
    bodies = [f.data.encode() + b"\x1e" if f.is_control_field() else iso2709._encode_field(f) for f in fields]
    directory, pos = b"", 0
    for f, body in zip(fields, bodies):
        directory += f.tag.encode() + b"%04d%05d" % (len(body), pos)
        pos += len(body)
    base = 24 + len(directory) + 1
    data = b"00000nam a22%05d i 4500" % base + directory + b"\x1e" + b"".join(bodies) + b"\x1d"
    data = relength(data)
    p = write(tmp_path, data, rec("a2"))
    e = open_source(str(p)).entry(0)
    assert isinstance(e, LibrisRecord)
    assert [(f.tag, f.value()) for f in e.marc.fields] == [
        ("001", "big1"),
        ("245", "Stor"),
        ("520", big),
        ("650", "Ämne"),
    ]
    assert [i.code for i in e.issues] == ["STRUCT-DIRECTORY"] and "not a whole number" in e.issues[0].message
    assert iso2709.record_bytes(e.marc) == data
    assert agree(p) == 2


def test_an_entry_with_a_stray_or_a_missing_byte(tmp_path):
    good = rec("a1", "Fel")
    stray = good[:24] + good[24:36].replace(b"00000", b"000000") + good[36:]  # 001 starts at "000000"
    stray = stray[:12] + b"%05d" % (int(good[12:17]) + 1) + stray[17:]
    e = iso2709.parse_record(relength(stray))
    assert isinstance(e, LibrisRecord)
    assert [f.tag for f in e.marc.fields] == ["001", "008", "245"] and e.marc["245"]["a"] == "Fel"
    lost = good[:24] + good[25:]  # the 001 entry lost its first byte
    lost = lost[:12] + b"%05d" % (int(good[12:17]) - 1) + lost[17:]
    e = iso2709.parse_record(relength(lost))
    assert isinstance(e, LibrisRecord)
    # the tag that lost a byte is not made up: it is marked, and flagged
    assert [f.tag for f in e.marc.fields] == ["?01", "008", "245"]
    assert {"STRUCT-DIRECTORY", "STRUCT-TAG"} <= {i.code for i in e.issues}


def test_a_record_beyond_repair_stays_broken(tmp_path):
    good = rec("a1")
    base = int(good[12:17])
    k = good.index(b"\x1e", base)
    bad = good[:k] + b"|" + good[k + 1 :]  # a field terminator gone: one field fewer than entries
    p = write(tmp_path, rec("a0"), bad, rec("a2"))
    src = open_source(str(p))
    assert [type(e).__name__ for e in src] == ["LibrisRecord", "BrokenRecord", "LibrisRecord"]
    assert "directory" in src.entry(1).reason
    assert agree(p) == 2


# -- leader/10-11 and 20-23 ------------------------------------------------------------------------------


def test_blank_leader_counts_and_entry_map(tmp_path):
    raw = rec("a1")
    raw = raw[:10] + b"  " + raw[12:20] + b"    " + raw[24:]
    p = write(tmp_path, raw)
    e = open_source(str(p)).entry(0)
    assert isinstance(e, LibrisRecord) and str(e.marc.leader)[10:12] == "  "
    assert iso2709.record_bytes(e.marc) == raw  # unedited: the blanks kept on a byte copy
    found = findings(p, "STRUCT-LEADER-BLANK")
    assert [f.severity for f in found] == ["warning", "warning"] and not findings(p, "STRUCT-LEADER")
    e.marc["245"]["a"] = "Ny"
    out = iso2709.record_bytes(e.marc)  # edited: written canonically
    assert out[10:12] == b"22" and out[20:24] == b"4500"


def test_blank_leader_counts_export_with_a_warning(tmp_path):
    raw = rec("a1")
    raw = raw[:10] + b"  " + raw[12:]
    p = write(tmp_path, raw)
    assert main(["export", str(p), "-o", str(tmp_path / "out.xml")]) == 0
    assert "STRUCT-LEADER-BLANK" in (tmp_path / "out.xml.report.txt").read_text()


# -- subfield delimiters ----------------------------------------------------------------------------------


def test_a_trailing_empty_subfield_delimiter(tmp_path):
    good = rec("a1", "Tom")
    bad = good.replace(b"\x1faTom\x1e", b"\x1faTom\x1f\x1e")
    base = int(bad[12:17])
    entry = bad.index(b"245", 24)
    ln = int(bad[entry + 3 : entry + 7])
    bad = relength(bad[: entry + 3] + b"%04d" % (ln + 1) + bad[entry + 7 :])
    assert base == int(good[12:17])
    p = write(tmp_path, bad)
    e = open_source(str(p)).entry(0)
    assert isinstance(e, LibrisRecord) and e.marc["245"]["a"] == "Tom"
    assert iso2709.record_bytes(e.marc) == bad
    (f,) = findings(p, "STRUCT-EMPTY-DELIMITER")
    assert (f.severity, f.tag) == ("warning", "245")
    assert not findings(p, "STRUCT-ORPHAN-TEXT")


def test_a_delimiter_in_control_field_data_is_refused_by_validate_and_export_alike(tmp_path, capsys):
    raw = rec("a1", extra=[Field(tag="007", data="cr\x1fu")])
    p = write(tmp_path, raw)
    (f,) = findings(p, "STRUCT-DELIMITER-IN-DATA")
    assert (f.severity, f.tag) == ("error", "007") and "U+001F" in f.message
    assert main(["validate", str(p)]) == 1
    capsys.readouterr()
    for out in ("out.xml", "out.json", "out.mrc"):
        assert main(["export", str(p), "-o", str(tmp_path / out)]) == 1
        err = capsys.readouterr().err
        assert "STRUCT-DELIMITER-IN-DATA" in err and "export refused" in err, err
        assert not (tmp_path / out).exists()


# -- record kinds -----------------------------------------------------------------------------------------


def test_stats_counts_record_kinds_apart(tmp_path, capsys):
    p = write(
        tmp_path,
        rec("b1"),
        rec("b2", leader="00000cam a2200000 i 4500"),
        rec("h1", leader="00000nx  a2200000 n 4500"),
        rec("h2", leader="00000ny  a2200000 n 4500"),
        rec("z1", leader="00000nz  a2200000n  4500"),
        rec("w1", leader="00000nw  a2200000n  4500"),
        rec("q1", leader="00000nq  a2200000n  4500"),
    )
    assert main(["stats", "--json", str(p)]) == 0
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert {k: f[k] for k in ("records", "holdings", "authority", "other", "broken")} == {
        "records": 2,
        "holdings": 2,
        "authority": 1,
        "other": 2,
        "broken": 0,
    }
    assert main(["stats", str(p)]) == 0
    head, row = capsys.readouterr().out.splitlines()
    assert dict(zip(head.split()[1:], row.split()[1:])) == {
        "records": "2",
        "e-plikt": "0",
        "channel": "0",
        "suppressed": "0",
        "holdings": "2",
        "broken": "0",
        "authority": "1",
        "other": "2",
    }
    assert agree(p) == 7


# -- round trips --------------------------------------------------------------------------------------------


def test_an_unordered_directory_is_written_back_as_read_and_in_order_once_edited():
    good = rec("a1", "Ordning")
    swapped = good[:24] + good[48:60] + good[36:48] + good[24:36] + good[60:]  # 245, 008, 001
    e = iso2709.parse_record(swapped)
    assert isinstance(e, LibrisRecord) and not e.issues
    assert [f.tag for f in e.marc.fields] == ["245", "008", "001"]
    assert iso2709.record_bytes(e.marc) == swapped
    e.marc.fields = [e.marc["001"], e.marc["008"], e.marc["245"]]
    assert iso2709.record_bytes(e.marc) == good  # edited (reordered): canonical


def test_a_mended_file_exported_to_iso2709_unedited_is_byte_identical(tmp_path):
    one = bytearray(rec("a1"))
    one[:5] = b"00010"
    p = write(tmp_path, bytes(one), rec("a2"))
    assert main(["export", str(p), "-o", str(tmp_path / "out.mrc")]) == 0
    assert (tmp_path / "out.mrc").read_bytes() == p.read_bytes()


def test_every_recovery_is_never_a_traceback(tmp_path):
    """Cut a good file at every byte: each piece reads, slot by slot, as records or broken ones."""
    data = rec("a1") + b"\x00\x00" + rec("a2")
    for k in range(0, len(data), 7):
        for piece in (data[:k], data[k:]):
            if not piece.strip(b"\x00"):
                continue
            src = iso2709.read_bytes(piece)
            for e in src:
                assert isinstance(e, (LibrisRecord, BrokenRecord))


def _iso_corpus() -> list:
    from tests.conftest import SHARED

    out = []
    for d in ("external", "pymarc"):
        folder = SHARED / "corpus" / d
        if folder.is_dir():
            out += [p for p in sorted(folder.iterdir()) if p.suffix in (".mrc", ".marc", ".dat")]
    return out or [None]


@pytest.mark.parametrize("path", _iso_corpus(), ids=lambda p: p.name if p else "absent")
def test_index_stats_and_validate_agree_on_the_real_files(path):
    if path is None:
        pytest.skip("../shared/corpus/external and ../shared/corpus/pymarc are not present")
    src = open_source(str(path))
    fmt = src.format
    src.close()
    if fmt != "iso2709":
        pytest.skip("not ISO 2709")
    agree(path)
