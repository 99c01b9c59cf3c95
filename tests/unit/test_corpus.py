"""Every file of ../shared/corpus/pymarc (real records from pymarc's test suite, some broken on
purpose) reads, or gives a clean per-record error. The table says which file gives which, so that
a change in behaviour shows up here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tui.core.formats import open_source
from tui.core.model.record import BrokenRecord, LibrisRecord

ROOT = Path(__file__).resolve().parents[2]

# file, format, record slots, broken record numbers (1-based), issue codes seen, why
CORPUS_TABLE = [
    ("1251.dat", "iso2709", 6, [], {"ENC-MARC8"}, "Windows-1251 bytes under a MARC-8 leader"),
    ("alphatag.dat", "iso2709", 1, [], set(), "alphabetic tags are fine"),
    ("bad_eacc_encoding.dat", "iso2709", 1, [], {"ENC-MARC8"}, "EACC bytes that do not map"),
    (
        "bad_indicator.dat",
        "iso2709",
        1,
        [],
        {"STRUCT-NO-INDICATORS", "STRUCT-TAG", "STRUCT-FILLER"},
        "a field without indicators; blanks after the record (filler)",
    ),
    ("bad_marc8_escape.dat", "iso2709", 1, [], {"ENC-MARC8"}, "a MARC-8 escape to an unknown set"),
    (
        "bad_records.mrc",
        "iso2709",
        8,
        [],
        {"STRUCT-DIRECTORY", "STRUCT-FILLER"},
        "bad base addresses and directories, mended; a line end after the last record",
    ),
    (
        "bad_subfield_code.dat",
        "iso2709",
        1,
        [],
        {"ENC-LEADER09", "STRUCT-RECORD-LENGTH", "STRUCT-DIRECTORY"},
        "the leader's length is one byte short (a two-byte subfield code, $á): read to the terminator",
    ),
    (
        "bad_tag.xml",
        "marcxml",
        1,
        [],
        {"LDR-LENGTH", "STRUCT-EMPTY-SUBFIELD", "STRUCT-TAG"},
        "a two-digit tag, a short leader, an empty subfield",
    ),
    ("batch.json", "marc-json", 2, [], set(), ""),
    ("batch.xml", "marcxml", 2, [], set(), ""),
    ("diacritic.dat", "iso2709", 1, [], set(), ""),
    ("marc.dat", "iso2709", 20, [], set(), ""),
    ("marc8.dat", "iso2709", 1, [], set(), "MARC-8, converted"),
    ("multi_isbn.dat", "iso2709", 1, [], set(), ""),
    ("one.dat", "iso2709", 1, [], set(), ""),
    ("one.json", "marc-json", 1, [], set(), ""),
    ("regression45.dat", "iso2709", 12, [], {"STRUCT-ORPHAN-TEXT"}, "text before the first subfield code"),
    ("test.dat", "iso2709", 10, [], set(), ""),
    ("test.json", "marc-json", 1, [], {"JSON-CONTROL-CHAR"}, "raw line breaks inside JSON strings (reported)"),
    (
        "testunimarc.dat",
        "iso2709",
        1,
        [],
        {"ENC-LEADER09", "STRUCT-FILLER"},
        "UNIMARC in UTF-8 under a blank leader/09; a line end after it",
    ),
    ("utf8.xml", "marcxml", 1, [], set(), ""),
    ("utf8_errors.dat", "iso2709", 1, [], set(), ""),
    ("utf8_invalid.mrc", "iso2709", 1, [], set(), ""),
    ("utf8_with_leader_flag.dat", "iso2709", 1, [], set(), ""),
    ("utf8_without_leader_flag.dat", "iso2709", 1, [], {"ENC-LEADER09"}, "UTF-8 under a blank leader/09"),
]


def test_the_table_covers_every_corpus_file(corpus):
    assert sorted(p.name for p in corpus.iterdir()) == sorted(row[0] for row in CORPUS_TABLE)


@pytest.mark.parametrize("name, fmt, slots, broken, issues, why", CORPUS_TABLE, ids=[r[0] for r in CORPUS_TABLE])
def test_corpus_file(corpus, name, fmt, slots, broken, issues, why):
    src = open_source(corpus / name)
    assert src.format == fmt
    entries = list(src)
    assert len(entries) == slots
    assert [e.number for e in entries if isinstance(e, BrokenRecord)] == broken
    assert {i.code for e in entries if isinstance(e, LibrisRecord) for i in e.issues} == issues
    data = (corpus / name).read_bytes()
    for k, e in enumerate(entries):
        assert e.number == k + 1
        if isinstance(e, BrokenRecord):
            msg = e.describe()
            # a clean message: file, record number, byte offset, reason; one line, no traceback
            assert msg.startswith(f"{corpus / name}: record {e.number} at byte {e.offset}: ")
            assert "\n" not in msg and "Traceback" not in msg and e.reason
            assert 0 <= e.offset < len(data)
        else:
            assert e.path == str(corpus / name)
            assert e.marc.leader is not None and len(str(e.marc.leader)) == 24


def test_broken_records_leave_the_others_readable(corpus):
    src = open_source(corpus / "bad_records.mrc")
    ok = [e for e in src if isinstance(e, LibrisRecord)]
    assert [e.marc["245"]["a"] for e in ok if e.marc.fields] == ["The pragmatic programmer : "] * 7


# -- the project's own samples --------------------------------------------------------------------


def _make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "tools" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sample_files_are_what_the_script_makes(samples):
    """Run ``python tools/make_samples.py`` when a writer changes on purpose."""
    for name, data in _make_samples().outputs().items():
        assert (samples / name).read_bytes() == data, f"sample_records/{name} is stale"


def test_every_sample_file_is_described_in_the_readme(samples):
    readme = (samples / "README.md").read_text("utf-8")
    for p in samples.iterdir():
        if p.name != "README.md":
            assert f"`{p.name}`" in readme, p.name


@pytest.mark.parametrize(
    "name", ["seed-records.txt", "seed-records.mrc", "seed-records.xml", "seed-records.mrk", "seed-records.json"]
)
def test_seed_samples_hold_the_two_seed_records(samples, name):
    entries = list(open_source(samples / name))
    assert [e.marc["245"]["a"] for e in entries] == [
        "Könsnormer i bildspråket - Fördjupning",
        "Statens medieråd, löpande",
    ]
