from pathlib import Path

from tui.core.formats import open_source, sniff
from tui.core.formats.notation import read_notation, record_lines
from tui.core.model.record import ORPHAN, BrokenRecord, LibrisRecord

SEED_LINES = [
    ln.strip().lstrip("•").strip()
    for ln in (Path(__file__).parents[2] / "sample_records" / "seed-records.txt").read_text("utf-8").splitlines()
    if ln.strip()
]


def test_reads_both_seed_records(seed_notation):
    src = open_source(seed_notation)
    assert src.format == "notation"
    assert len(src) == 2
    cat, chan = src.entry(0), src.entry(1)
    assert isinstance(cat, LibrisRecord) and isinstance(chan, LibrisRecord)
    assert cat.marc["245"]["a"] == "Könsnormer i bildspråket - Fördjupning"
    assert chan.marc["245"]["h"] == "[channel record]"


def test_malformed_856_kept_exactly_and_flagged(seed_notation):
    chan = open_source(seed_notation).entry(1)
    f856 = chan.marc.get_fields("856")
    assert f856[0].subfields[0].code == ORPHAN
    assert f856[0].subfields[0].value == "http://id.kb.se/organisations/SE2021006396"
    assert [(s.code, s.value) for s in f856[1].subfields][:2] == [
        ("u", ""),
        ("u", "http://id.kb.se/organisations/SE2021006396"),
    ]
    assert f856[2].subfields[0].code == "a"
    codes = {i.code for i in chan.issues}
    assert {"STRUCT-ORPHAN-TEXT", "STRUCT-EMPTY-SUBFIELD"} <= codes


def test_lines_round_trip_exactly(seed_notation):
    src = open_source(seed_notation)
    out = []
    for e in src:
        out += [ln for ln in record_lines(e.marc) if not ln.startswith("000 ")]
    assert out == SEED_LINES


def test_bad_line_breaks_only_its_record(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("245 1/0 #a One\n\nthis is not a field\n245 1/0 #a Two\n\n245 1/0 #a Three\n", "utf-8")
    src = read_notation(p)
    assert len(src) == 3
    bad = src.entry(1)
    assert isinstance(bad, BrokenRecord)
    assert "record 2" in bad.describe() and "line 3" in bad.describe()
    assert src.entry(2).marc["245"]["a"] == "Three"


def test_sniff_notation():
    assert sniff(" • 245 1/0 #a X\n".encode()) == "notation"
    assert sniff(b"245 1/0 #a X\n") == "notation"
