"""The rules on the command line: validate, export, move-restricted-uris, add-holding, report.

Every rule id both ways: an allowed change passes (exit 0), a forbidden one is refused with the
id (exit 1). Exit 2 is bad usage or an unreadable file.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pymarc
import pytest
from pymarc import Subfield

from tui.cli import main
from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext, History
from tui.core.formats import open_source, write_records
from tui.core.formats.notation import record_lines
from tui.core.model.record import LibrisRecord

DATA = Path(__file__).parents[1] / "data" / "rules"
ROOT = Path(__file__).parents[2]


def load(path=DATA / "records.txt"):
    return list(open_source(path))


def by_cn(entries, cn):
    return next(e for e in entries if isinstance(e, LibrisRecord) and e.control_number == cn)


def write(path: Path, entries, fmt="notation") -> Path:
    with open(path, "wb") as fh:
        write_records([e for e in entries if isinstance(e, LibrisRecord)], fh, fmt)
    return path


@pytest.fixture
def orig(tmp_path):
    return write(tmp_path / "orig.txt", load())


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def edited(tmp_path, fn, name="edited.txt"):
    entries = load()
    fn(entries)
    return write(tmp_path / name, entries)


def cmd(cn, *cmds, sigel="Li"):
    def fn(entries):
        c = EditContext(by_cn(entries, cn), sigel=sigel)
        for x in cmds:
            History().do(x, c)

    return fn


def raw(cn, tag, occ, k, code, value):
    def fn(entries):
        by_cn(entries, cn).marc.get_fields(tag)[occ - 1].subfields[k] = Subfield(code, value)

    return fn


# -- validate -----------------------------------------------------------------------------------


def test_validate_clean_file_and_summary(capsys, orig):
    code, out, err = run(capsys, "validate", orig)
    assert code == 0
    # 10 of the warnings and the 7 notes are Libris's rules (LIBRIS-REQUIRED: the test records
    # have no 300 and most no 040; LIBRIS-001: their 001s are not Libris's)
    assert out.splitlines()[-1].endswith(
        "0 errors, 15 warnings, 7 notes in 7 records; 3 to report to Katalogsupport (libris-tui report)"
    )
    assert out.count("(LIBRIS-REQUIRED)") == 10 and out.count("(LIBRIS-001)") == 7
    assert "(URI-MOVE)" in out


def test_validate_json(capsys, orig, tmp_path):
    ed = edited(tmp_path, raw("eplk0001", "506", 1, 0, "a", "gratis"))
    code, out, _ = run(capsys, "validate", "--format", "json", "--original", orig, ed)
    assert code == 1
    doc = json.loads(out)
    assert doc["summary"]["error"] == 1 and doc["records"] == 7
    (e,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert (e["rule"], e["control_number"], e["tag"], e["occurrence"]) == ("EPL-PROTECT", "eplk0001", "506", 1)


@pytest.mark.parametrize(
    "change,rule",
    [
        (raw("eplk0001", "506", 1, 0, "a", "gratis"), "EPL-PROTECT"),
        (raw("eplk0001", "020", 1, 0, "a", "9789100000004"), "EPL-PROTECT"),
        (raw("eplk0001", "540", 1, 0, "a", "CC0"), "EPL-PROTECT"),
        (raw("eplk0001", "655", 1, 0, "a", "Report"), "EPL-PROTECT"),
        (raw("art0001", "773", 1, 2, "w", "jour0002"), "EPL-PROTECT"),
        (raw("eplk0001", "856", 2, 0, "u", "https://myndigheten.se/ny.pdf"), "EPL-PROTECT"),  # has $z
        (raw("chan0001", "264", 1, 0, "c", "2017-"), "CHN-READONLY"),
        (raw("apis0001", "655", 1, 0, "a", "Report"), "EPL-PROTECT"),  # EPL-DETECT: an APIS holding, no DIGI
        (lambda e: e.remove(by_cn(e, "eplk0001")), "EPL-NODELETE"),
        (lambda e: by_cn(e, "eplk0001").marc.remove_fields("042"), "EPL-DETECT"),
        (lambda e: setattr(by_cn(e, "art0001").marc.get_fields("856")[0], "indicator2", "2"), "EPL-PROTECT"),
        (
            lambda e: by_cn(e, "eplk0001").marc.add_ordered_field(
                pymarc.Field("655", [" ", "7"], [Subfield("a", "Report"), Subfield("2", "marcgt")])
            ),
            "EPL-PROTECT",
        ),
    ],
)
def test_forbidden_changes_fail_validate_and_export(capsys, orig, tmp_path, change, rule):
    ed = edited(tmp_path, change)
    code, out, _ = run(capsys, "validate", "--original", orig, ed)
    assert code == 1 and f"({rule})" in out and "error:" in out
    target = tmp_path / "out.mrc"
    code, out, err = run(capsys, "export", ed, "--original", orig, "-o", target)
    assert code == 1
    assert "export refused, nothing was written" in err and f"({rule})" in err
    assert not target.exists() and not Path(str(target) + ".report.txt").exists()


@pytest.mark.parametrize(
    "change,note",
    [
        (
            cmd(
                "eplk0001",
                C.AddField("650", [" ", "7"], [("a", "Arkiv"), ("2", "sao")]),
                C.AddField("082", ["0", "4"], [("a", "027.5"), ("2", "23")]),
                C.SetSubfield("100", 1, 0, "Andersson, Anna, 1970-"),
                C.SetSubfield("245", 1, 0, "Rapport om e-plikten"),
            ),
            None,
        ),  # EPL-UPGRADE
        (cmd("eplk0001", C.FixUri(1, "https://myndigheten.se/om-oss")), "URI-FIX"),
        (cmd("eplk0001", C.AddUri("https://myndigheten.se/bilaga.pdf", ind2="2")), "URI-ADD"),
        (cmd("eplk0001", C.MoveRestrictedUris()), "URI-MOVE"),
        (cmd("ord0001", C.SetSubfield("506", 1, 0, "restricted"), C.DeleteRecord()), None),  # not e-plikt
        (cmd("eplk0001", C.AddSubfield("042", 1, "a", "dc")), None),  # 042 $a is no marker (EPL-DETECT)
        (lambda e: e.remove(by_cn(e, "ord0001")), None),  # removing an ordinary record
        (raw("digi0001", "655", 1, 0, "a", "Fiction"), None),  # EPL-DETECT: APIS holding but DIGI: not e-plikt
    ],
)
def test_allowed_changes_pass_validate_and_export(capsys, orig, tmp_path, change, note):
    ed = edited(tmp_path, change)
    code, out, _ = run(capsys, "validate", "--original", orig, ed)
    assert code == 0 and "error:" not in out
    if note:
        assert "info: record" in out and f"({note})" in out
    target = tmp_path / "out.xml"
    code, out, err = run(capsys, "export", ed, "--original", orig, "-o", target)
    assert code == 0 and target.exists() and Path(str(target) + ".report.txt").exists()
    assert f"to {target} (marcxml)" in out


@pytest.mark.parametrize("fmt,ext", [("iso2709", ".mrc"), ("marcxml", ".xml"), ("marc-json", ".json"), ("mrk", ".mrk")])
def test_upgrade_exports_in_every_format(capsys, orig, tmp_path, fmt, ext):
    ed = edited(
        tmp_path,
        cmd(
            "eplk0001",
            C.AddField("650", [" ", "7"], [("a", "Arkiv"), ("2", "sao")]),
            C.SetSubfield("245", 1, 0, "Rättad titel"),
        ),
    )
    target = tmp_path / f"out{ext}"
    code, out, _ = run(capsys, "export", ed, "--original", orig, "--to", fmt, "-o", target)
    assert code == 0
    data = target.read_bytes()
    if fmt == "iso2709":
        recs = list(pymarc.MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True))
    elif fmt == "marcxml":
        recs = pymarc.parse_xml_to_array(io.BytesIO(data))
    elif fmt == "marc-json":
        recs = list(pymarc.JSONReader(data.decode("utf-8")))
    else:
        recs = list(pymarc.MARCMakerReader(data.decode("utf-8")))
    up = next(r for r in recs if r.get("001") and r["001"].data == "eplk0001")
    assert up["245"]["a"] == "Rättad titel" and "Arkiv" in [f["a"] for f in up.get_fields("650")]


def test_unchanged_channel_record_passes_with_its_katalogsupport_items(capsys, orig):
    code, out, _ = run(capsys, "validate", "--original", orig, orig)
    assert code == 0 and "(CHN-READONLY)" in out and "warning: record 6 [chan0001] 856[1]" in out


# -- move-restricted-uris (URI-MOVE) ------------------------------------------------------------------


def _bib_lines(path):
    """Each bib's lines without embedded holding fields, and who holds it (holdings may change
    form on the way out: records by default)."""
    from tui.core.rules.detect import holding_sigels
    from tui.core.rules.eplikt import holding_field_sigel

    out = {}
    for e in load(path):
        if e.kind == "bib":
            held = sorted(holding_sigels(e))
            e.marc.fields = [f for f in e.marc.fields if holding_field_sigel(f) is None]
            out[e.control_number] = (record_lines(e.marc), held)
    return out


def test_move_restricted_uris(capsys, orig, tmp_path):
    target = tmp_path / "moved.txt"
    code, out, err = run(capsys, "move-restricted-uris", orig, "-o", target)
    assert code == 0
    assert "record 1 [eplk0001]: Move restricted URIs 856[1] to 856 second indicator 2 (URI-MOVE)" in err
    assert "URI-MOVE in 1 record" in err
    before, after = _bib_lines(orig), _bib_lines(target)
    assert before.keys() == after.keys()
    for cn in before:
        assert before[cn][1] == after[cn][1]  # the same holdings
        diff = [(a, b) for a, b in zip(before[cn][0], after[cn][0]) if a != b]
        if cn == "eplk0001":
            assert diff == [("856 4/0 #u https://myndigheten.se/", "856 4/2 #u https://myndigheten.se/")]
        else:
            assert diff == [] and len(before[cn][0]) == len(after[cn][0])
    # nothing left to move
    code, out, err = run(capsys, "validate", target)
    assert "(URI-MOVE)" not in out


def test_move_restricted_uris_refused_for_limited_participation(capsys, orig, tmp_path):
    target = tmp_path / "moved.txt"
    code, out, err = run(capsys, "move-restricted-uris", orig, "--profile", "limited", "-o", target)
    assert code == 1 and "(PROFILE-LIMITED)" in err
    assert _bib_lines(target) == _bib_lines(orig)


def test_move_restricted_uris_leaves_channel_records(capsys, tmp_path):
    entries = load()
    chan = by_cn(entries, "chan0001")
    chan.marc.add_ordered_field(pymarc.Field("506", [" ", " "], [Subfield("a", "restricted")]))
    src = write(tmp_path / "in.txt", entries)
    code, out, err = run(capsys, "move-restricted-uris", src, "-o", tmp_path / "o.txt")
    assert code == 0 and "chan0001]: channel record left unchanged (CHN-READONLY)" in err
    assert [f.indicator2 for f in by_cn(load(tmp_path / "o.txt"), "chan0001").marc.get_fields("856")] == [
        "2",
        "0",
        "2",
        "2",
    ]


# -- add-holding (HOLD-ADD, SUP-CLEAR, CHN-HIDE) ---------------------------------------------------------


def _holders(path):
    from tui.core.rules.detect import holding_sigels

    return {e.control_number: sorted(holding_sigels(e)) for e in load(path) if e.kind == "bib"}


def test_add_holding_to_every_visible_record_once(capsys, orig, tmp_path):
    target = tmp_path / "held.mrc"
    code, out, err = run(capsys, "add-holding", orig, "--sigel", "Li", "-o", target)
    assert code == 0
    assert "holding for Li added to 5 records; 1 channel record left out (CHN-HIDE)" in err
    held = _holders(target)
    assert held["eplk0001"] == ["Li"] and held["apis0001"] == ["APIS", "Li"] and held["chan0001"] == []
    assert "warning" in err and "SUPPRESSRECORD" in err and "(SUP-CLEAR)" in err  # art0001
    # again: one holding per sigel and title
    again = tmp_path / "again.mrc"
    code, out, err = run(capsys, "add-holding", target, "--sigel", "Li", "-o", again)
    assert code == 0 and "already holds it; unchanged" in err
    assert _holders(again) == held


def test_add_holding_clear_suppress(capsys, orig, tmp_path):
    target = tmp_path / "held.txt"
    code, out, err = run(capsys, "add-holding", orig, "--sigel", "Li", "--record", 7, "--clear-suppress", "-o", target)
    assert code == 0
    assert "record 7 [art0001]: removed 599 $a SUPPRESSRECORD (SUP-CLEAR)" in err
    assert "SUPPRESSRECORD keeps" not in err
    art = by_cn(load(target), "art0001")
    assert not art.marc.get_fields("599") and _holders(target)["art0001"] == ["Li"]
    assert _holders(target)["eplk0001"] == []  # only record 7


def test_add_holding_to_a_channel_record_is_refused(capsys, orig, tmp_path):
    code, out, err = run(capsys, "add-holding", orig, "--sigel", "Li", "--record", 6, "-o", tmp_path / "o.txt")
    assert code == 1 and "record 6 [chan0001]: refused" in err and "(CHN-READONLY)" in err
    assert _holders(tmp_path / "o.txt")["chan0001"] == []


def test_channel_record_detection_on_the_command_line(capsys, tmp_path):
    # CHN-DETECT: 245 $h [channel record] makes a channel record; another media term does not
    entries = load()
    other = by_cn(entries, "ord0001")
    other.marc.get_fields("245")[0].subfields.append(Subfield("h", "[channel record]"))
    src = write(tmp_path / "in.txt", entries)
    code, _, err = run(capsys, "add-holding", src, "--sigel", "Li", "--record", 2, "-o", tmp_path / "o.txt")
    assert code == 1 and "(CHN-READONLY)" in err
    other.marc.get_fields("245")[0].subfields[-1] = Subfield("h", "[Elektronisk resurs]")
    src = write(tmp_path / "in2.txt", entries)
    code, _, err = run(capsys, "add-holding", src, "--sigel", "Li", "--record", 2, "-o", tmp_path / "o2.txt")
    assert code == 0 and _holders(tmp_path / "o2.txt")["ord0001"] == ["Li"]


def test_add_holding_refusals_and_usage(capsys, orig, tmp_path):
    code, _, err = run(capsys, "add-holding", orig, "--sigel", "APIS", "--record", 1, "-o", tmp_path / "o.txt")
    assert code == 1 and "(HOLD-ADD)" in err
    code, _, err = run(capsys, "add-holding", orig, "-o", tmp_path / "o.txt")
    assert code == 2 and "no sigel" in err
    code, _, err = run(capsys, "add-holding", orig, "--sigel", "Li", "--record", 99, "-o", tmp_path / "o.txt")
    assert code == 2 and "there is no record 99" in err


def test_add_holding_with_limited_participation(capsys, orig, tmp_path):
    code, _, err = run(
        capsys, "add-holding", orig, "--sigel", "Li", "--record", 1, "--profile", "limited", "-o", tmp_path / "o.txt"
    )
    assert code == 0 and _holders(tmp_path / "o.txt")["eplk0001"] == ["Li"]


def test_edits_keep_the_input_holdings_form_unless_told(capsys, orig, tmp_path):
    # records.txt has an embedded holding (digi0001): the new holding is embedded too, and the
    # file's holdings record stays a holdings record
    code, _, _ = run(capsys, "add-holding", orig, "--sigel", "Li", "--record", 1, "-o", tmp_path / "e.txt")
    assert code == 0
    out = load(tmp_path / "e.txt")
    assert [e.linked_bib for e in out if e.kind == "holdings"] == ["apis0001"]
    assert len(out) == len(load())
    assert ("852", "Li") in [(f.tag, f["5"]) for f in by_cn(out, "eplk0001").marc.get_fields("852")]
    # a file with holdings records only keeps them as records
    plain = write(tmp_path / "plain.txt", [e for e in load() if e.control_number != "digi0001"])
    code, _, _ = run(capsys, "add-holding", plain, "--sigel", "Li", "--record", 1, "-o", tmp_path / "r.txt")
    out = load(tmp_path / "r.txt")
    assert [h.marc["852"]["b"] for h in by_cn(out, "eplk0001").holdings] == ["Li"]
    assert [h.marc["852"]["b"] for h in by_cn(out, "apis0001").holdings] == ["APIS"]
    # and --holdings records splits embedded ones out
    code, _, _ = run(
        capsys, "add-holding", orig, "--sigel", "Li", "--record", 1, "--holdings", "records", "-o", tmp_path / "s.txt"
    )
    assert sum(1 for e in load(tmp_path / "s.txt") if e.kind == "holdings") == 3


def test_add_holding_embedded(capsys, orig, tmp_path):
    target = tmp_path / "o.xml"
    code, _, _ = run(
        capsys, "add-holding", orig, "--sigel", "Li", "--record", 2, "--holdings", "embedded", "-o", target
    )
    assert code == 0
    recs = pymarc.parse_xml_to_array(str(target))
    ord1 = next(r for r in recs if r["001"].data == "ord0001")
    assert [(f["b"], f["5"]) for f in ord1.get_fields("852")] == [("Li", "Li")]


# -- export: files ----------------------------------------------------------------------------------------


def test_export_never_overwrites_its_input_unless_asked(capsys, orig):
    before = orig.read_bytes()
    code, _, err = run(capsys, "export", orig, "-o", orig)
    assert code == 2 and "input file" in err and orig.read_bytes() == before
    code, out, _ = run(capsys, "export", orig, "--overwrite", "-o", orig)
    assert code == 0 and "kept as" in out
    assert Path(str(orig) + ".bak").read_bytes() == before


def test_export_format_from_extension_and_report(capsys, orig, tmp_path):
    target = tmp_path / "o.json"
    code, out, _ = run(capsys, "export", orig, "-o", target)
    assert code == 0 and "(marc-json)" in out
    report = Path(str(target) + ".report.txt").read_text("utf-8")
    assert report.startswith("libris-tui export report") and "Findings: 0 errors" in report


def test_unreadable_input_and_bad_options(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path / "missing.mrc")
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit) as exc:
        run(capsys, "export", DATA / "records.txt", "--to", "pdf", "-o", tmp_path / "o")
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


# -- report (DUP-REPORT and protected-field anomalies) ------------------------------------------------------


def test_report_duplicates(capsys, tmp_path):
    entries = load()
    dup = load()
    twin = by_cn(dup, "ord0001")
    twin.marc.get_fields("001")[0].data = "ord0002"
    twin.number = 8
    src = write(tmp_path / "dups.txt", entries + [twin])
    code, out, _ = run(capsys, "validate", src)
    assert code == 0 and "(DUP-REPORT)" in out
    code, out, _ = run(capsys, "report", src, "--sigel", "Li")
    assert code == 1
    assert "LIKELY DUPLICATES" in out and "likely duplicate of record 2 [ord0001]: same ISBN 9789100000004" in out
    assert "(Prepared with libris-tui 0.1.0, sigel Li.)" in out


def test_report_without_duplicates(capsys, orig, tmp_path):
    code, out, _ = run(capsys, "report", orig)
    assert code == 1 and "ERRORS IN PROTECTED FIELDS" in out and "LIKELY DUPLICATES" not in out
    clean = write(tmp_path / "clean.txt", [by_cn(load(), "ord0001")])
    code, out, err = run(capsys, "report", clean)
    assert code == 0 and out == "" and "nothing to report" in err


def test_report_to_a_file(capsys, orig, tmp_path):
    target = tmp_path / "katalogsupport.txt"
    code, _, err = run(capsys, "report", orig, "-o", target)
    assert code == 1 and "3 items for Katalogsupport written to" in err
    assert target.read_text("utf-8").startswith("To: Katalogsupport")
    code, _, err = run(capsys, "report", orig, "-o", orig)
    assert code == 2


def test_record_text_with_control_characters_never_reaches_the_terminal_raw(capsys, tmp_path):
    entries = load()
    by_cn(entries, "chan0001").marc.get_fields("245")[0].subfields[0] = Subfield("a", "Evil\x1b[2J title")
    src = write(tmp_path / "evil.txt", entries)
    code, out, _ = run(capsys, "report", src)
    assert "\x1b" not in out and "Evil␛[2J title" in out


def test_installed_entry_point_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "validate", str(DATA / "records.txt")], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and "7 records" in proc.stdout


def test_a_record_the_format_cannot_hold_fails_the_export_with_nothing_written(capsys, tmp_path):
    entries = load()
    by_cn(entries, "ord0001").marc.get_fields("245")[0].subfields[0] = Subfield("a", "Bell\x07 title")
    src = write(tmp_path / "in.txt", entries)
    target = tmp_path / "o.xml"
    code, _, err = run(capsys, "export", src, "-o", target)  # XML 1.0 cannot hold U+0007
    assert code == 1 and "cannot write marcxml" in err and "\x07" not in err
    assert not target.exists()
