"""What the fuzzing found, pinned: each input that crashed or hung once is read here on every run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fuzz_harness import HOSTILE, exercise
from pymarc import Field, Leader, Record, Subfield

from tui.core.formats import open_source
from tui.core.model.record import BrokenRecord, LibrisRecord, UnreadableFile


def test_jsonld_with_invalid_utf8_is_a_clear_error(tmp_path):
    """Was: UnicodeDecodeError from jsonld._load_json (raw.decode("utf-8-sig"))."""
    p = tmp_path / "bad.jsonld"
    p.write_bytes(b'{"@graph": ["\x80"]}')
    with pytest.raises(UnreadableFile, match="UTF-8"):
        open_source(p)


def test_deeply_nested_jsonld_is_a_clear_error(tmp_path):
    """Was: RecursionError from json.loads in jsonld._load_json."""
    p = tmp_path / "deep.jsonld"
    p.write_bytes(b'{"@graph": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(UnreadableFile, match="nested"):
        open_source(p)


def _big_iso(path: Path, size: int) -> None:
    r = Record(leader=Leader("00000nam a2200000 i 4500"), force_utf8=True)
    r.add_field(
        Field("001", data="x"),
        Field("042", [" ", " "], [Subfield("9", "EPLK")]),
        Field("245", ["1", "0"], [Subfield("a", "T" * 300), Subfield("h", "[channel record]")]),
        Field("599", [" ", " "], [Subfield("a", "SUPPRESSRECORD")]),
    )
    b = r.as_marc()
    with open(path, "wb") as fh:
        fh.write(b * (size // len(b) + 1))


def test_scan_of_a_mapped_iso_file(tmp_path):
    """Was: AttributeError 'mmap.mmap' object has no attribute 'count' in scan._scan_iso for files
    over 16 MB (mapped, not read), i.e. `libris-tui stats` on any big file."""
    from tui.core.batch.scan import scan_file

    p = tmp_path / "big.mrc"
    _big_iso(p, 17 * 1024 * 1024)
    counts = scan_file(str(p)).counts()
    assert counts["records"] == counts["eplikt"] == counts["channel"] == counts["suppressed"] > 40_000


def test_many_broken_xml_records_read_in_linear_time(tmp_path):
    """Was: marcxml line_of counted newlines from the start of the file for every broken record
    (quadratic: 9 s for 50 000 broken records in 850 kB); and crashed on mapped files (mmap.count)."""
    p = tmp_path / "broken.xml"
    p.write_bytes(
        b"<?xml version='1.0'?>\n<collection>\n" + b"<record>\n<leader>x</leader>\n" * 50_000 + b"</collection>\n"
    )
    t0 = time.time()
    src = open_source(p)
    src.build_index()
    entries = [src.entry(i) for i in range(len(src))]
    assert time.time() - t0 < 5
    assert entries and all(isinstance(e, (LibrisRecord, BrokenRecord)) for e in entries)


# Was: labels._holds() ran the mapping's `match` conditions ('([^,]+)(?:,\\s*([^,]+))', '.+:\\s*$' ...)
# with re.search over the whole value: quadratic, 155 s for one 300 000-character 245 $a.
@pytest.mark.parametrize("text", ["A" * 20_000, "a b " * 5_000], ids=["letters", "words"])
def test_label_view_of_a_huge_field_is_fast(text):
    from tui.core.views.labels import label_view

    rec = Record(leader=Leader("00000nam a2200000 i 4500"), force_utf8=True)
    rec.add_field(Field("245", ["1", "0"], [Subfield("a", text)]))
    t0 = time.time()
    label_view(LibrisRecord(marc=rec))
    assert time.time() - t0 < 0.5  # linear: milliseconds


def test_huge_fields_in_the_line_formats(tmp_path):
    """The campaign's hang inputs, small enough for CI once label_view is linear: read, every view."""
    p = tmp_path / "huge.mrk"
    p.write_bytes(b"=LDR  00000nam a2200000 i 4500\n=001  x\n=500  \\\\$a" + b"x" * 20_000 + b"\n")
    assert exercise(p).startswith("records:")


def test_the_static_hostile_files_still_read():
    for p in sorted(HOSTILE.glob("*")):
        if p.suffix not in (".md", ".py") and "deep" not in p.name:
            exercise(p, dump=False)


@pytest.mark.parametrize(
    "name, data",
    [
        (
            "sur.json",
            b'{"leader": "00000nam a2200000 i 4500", "fields": [{"001": "x\\ud800"}, {"245": {"ind1": "1", '
            b'"ind2": "0", "subfields": [{"a": "T \\ud800 \\udcff"}]}}]}',
        ),
        ("notrecord.json", b'[{"leader": "\\ud800", "x": 1}]'),
        (
            "sur.jsonld",
            (HOSTILE / "librisxl-integtest-bibelectronic.jsonld")
            .read_bytes()
            .replace(b"Alice in Wonderland and", b"Alice \\ud800 \\udcff and", 1),
        ),
        ("sur2.jsonld", b'{"@graph": [{"@id": "x\\ud800", "\\udc00k": ["\\ud800", {"a": "\\udfff"}]}]}'),
    ],
    ids=["marc-json", "marc-json-broken", "jsonld", "jsonld-keys"],
)
def test_lone_surrogate_escapes_in_json(tmp_path, name, data):
    """Was: UnicodeEncodeError in marcjson (a broken record's raw bytes), in jsonld (raw bytes),
    and in `libris-tui dump` printing a title with a lone surrogate from a "\\ud800" escape."""
    p = tmp_path / name
    p.write_bytes(data)
    if not exercise(p).startswith("records"):
        return
    for e in open_source(p):
        if isinstance(e, LibrisRecord):
            text = str(e.marc)
            text.encode("utf-8")  # no lone surrogate left in the record
            if "T \ufffd" in text or "Alice \ufffd" in text:
                assert any(i.code.startswith("ENC-") for i in e.issues) or name.endswith(".jsonld")


def test_jsonld_ids_that_are_not_strings(tmp_path):
    """Was: TypeError unhashable type: 'dict' in jsonld.split_document (mainEntity {"@id": {...}})."""
    p = tmp_path / "ids.jsonld"
    p.write_bytes(
        b'{"@graph": [{"@id": "r1", "@type": "Record", "mainEntity": {"@id": {"x": 1}}},'
        b' {"@id": "r2", "@type": "Record", "mainEntity": {"@id": "t", "instanceOf": {"@id": ["w"]}}}]}'
    )
    exercise(p)
