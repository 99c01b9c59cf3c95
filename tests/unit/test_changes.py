"""What changed: the session's edits and two files compared as MARC view lines, with causes."""

import io
import json
import shutil
from pathlib import Path

from tui.cli import main
from tui.core.editing import commands as C
from tui.core.editing.changes import (
    diff_sources,
    pair_records,
    record_changes,
    render_unified,
)
from tui.core.formats import iso2709, open_source
from tui.core.model.record import LibrisRecord
from tui.core.rules.profile import Profile
from tui.ui.session import Session

DATA = Path(__file__).parents[1] / "data" / "rules"
SAMPLES = Path(__file__).parents[2] / "sample_records"


def slot_of(session, cn):
    return next(
        i for i in range(len(session)) if isinstance(e := session.entry(i), LibrisRecord) and e.control_number == cn
    )


def session():
    return Session(open_source(DATA / "records.txt"), profile=Profile.from_name("full"), sigel="Li")


def test_session_changes_name_the_command_and_rule_of_each_line():
    s = session()
    e = slot_of(s, "eplk0001")
    o = slot_of(s, "ord0001")
    s.do(e, C.SetSubfield("100", 1, 0, "Andersson, Anna, 1970-"))
    s.do(e, C.MoveRestrictedUris())
    s.do(o, C.AddHolding("Li"))
    changes = s.changes()
    assert [c.record.control_number for c in changes] == ["eplk0001", "ord0001"]
    ep, od = changes
    assert ep.status == "changed" and ep.removed == 2 and ep.added == 2
    by_text = {(ln.sign, ln.text): ln.cause for ln in ep.lines}
    name = by_text[("+", "100 1/- #a Andersson, Anna, 1970-")]
    assert name.rule == "EPL-UPGRADE" and name.step == 0 and "Andersson, Anna, 1970-" in name.description
    assert by_text[("-", "100 1/- #a Andersson, Anna")] == name
    uri = by_text[("+", "856 4/2 #u https://myndigheten.se/")]
    assert uri.rule == "URI-MOVE" and uri.step == 1
    assert by_text[("-", "856 4/0 #u https://myndigheten.se/")] == uri
    assert [c.step for c in ep.causes] == [0, 1]
    # the holding added in memory is part of its bib's change, as MARC lines of a holdings record
    assert od.removed == 0 and {ln.cause.rule for ln in od.lines} == {"HOLD-ADD"}
    assert "852 -/- #b Li" in [ln.text for ln in od.lines] and all(ln.ref.holding == 0 for ln in od.lines)


def test_edited_back_and_undone_records_are_no_change():
    s = session()
    o = slot_of(s, "ord0001")
    s.do(o, C.SetSubfield("245", 1, 0, "Ny titel"))
    s.do(o, C.SetSubfield("245", 1, 0, "Vanlig bok"))
    assert s.changes() == []
    s.do(o, C.DeleteField("856", 1))
    assert len(s.changes()) == 1
    s.undo()
    assert s.changes() == []


def test_ordinary_record_edit_has_no_rule_but_its_description():
    s = session()
    o = slot_of(s, "ord0001")
    s.do(o, C.SetSubfield("245", 1, 0, "Ny titel"))
    (ch,) = s.changes(context=1)
    signs = [ln.sign for ln in ch.lines]
    assert signs.count("-") == 1 and signs.count("+") == 1 and " " in signs
    changed = [ln for ln in ch.lines if ln.sign != " "]
    assert all(ln.cause.rule is None and ln.cause.op == "set-subfield" for ln in changed)
    assert all(ln.cause is None for ln in ch.lines if ln.sign == " ")


def test_leader_lengths_are_not_a_change():
    a = open_source(SAMPLES / "seed-records.mrc").entry(0)
    b = open_source(SAMPLES / "seed-records.mrc").entry(0)
    ld = str(b.marc.leader)
    b.marc.leader = "99999" + ld[5:12] + "00999" + ld[17:]
    assert record_changes(a, b) is None
    b.marc.leader = ld[:5] + "c" + ld[6:]
    ch = record_changes(a, b)
    assert [ln.sign for ln in ch.lines] == ["-", "+"] and ch.lines[0].ref.tag == "000"


def test_pairing_by_001_then_position():
    # A: x y (none) z ; B: y x (none) w
    pairs = pair_records(["x", "y", "", "z"], ["y", "x", "", "w"])
    assert sorted(p for p in pairs if None not in p) == [(0, 1), (1, 0), (2, 2), (3, 3)]
    # duplicate 001s pair k-th with k-th; a record only in A keeps its place after its neighbour
    pairs = pair_records(["d", "d", "q", "e"], ["d", "e", "d"])
    assert (0, 0) in pairs and (1, 2) in pairs and (3, 1) in pairs and (2, None) in pairs
    assert len(pairs) == 4


def _two_files(tmp_path):
    src = open_source(SAMPLES / "mixed.mrc")
    recs = [e for e in src if isinstance(e, LibrisRecord)]
    a = tmp_path / "a.mrc"
    b = tmp_path / "b.mrc"
    a.write_bytes(b"".join(iso2709.record_bytes(r.marc) for r in recs))
    edited = recs[1:]  # first record removed
    edited[0].marc.get_fields("245")[0].subfields[0] = (
        edited[0].marc.get_fields("245")[0].subfields[0]._replace(value="Ändrad titel")
    )
    edited = [edited[1], edited[0]] + edited[2:]  # two records swap places: still paired by 001
    b.write_bytes(b"".join(iso2709.record_bytes(r.marc) for r in edited))
    return a, b, recs


def test_diff_sources_pairs_moved_records_and_reports_removed(tmp_path):
    a, b, recs = _two_files(tmp_path)
    changes = list(diff_sources(open_source(a), open_source(b)))
    status = sorted((c.status, c.record.control_number) for c in changes)
    assert status == [("changed", recs[1].control_number), ("removed", recs[0].control_number)]
    ch = next(c for c in changes if c.status == "changed")
    assert ch.before.number == 2 and ch.after.number == 2  # its neighbour moved before it: still paired by 001
    assert [ln.text for ln in ch.lines if ln.sign == "+"][0].startswith("245 ")
    assert "Ändrad titel" in [ln.text for ln in ch.lines if ln.sign == "+"][0]
    text = list(render_unified(changes, "a.mrc", "b.mrc"))
    assert text[:2] == ["--- a.mrc", "+++ b.mrc"] and any(t.startswith("@@ -record 1") for t in text)


def test_cli_diff_exit_status_and_json(tmp_path, capsys):
    a, b, recs = _two_files(tmp_path)
    same = tmp_path / "same.mrc"
    shutil.copy(a, same)
    assert main(["diff", str(a), str(same)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["diff", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {a}\n+++ {b}\n@@ ")
    assert main(["diff", "--format", "json", str(a), str(b)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["differ"] is True and doc["summary"]["changed"] == 1 and doc["summary"]["removed"] == 1
    assert {ln["sign"] for c in doc["changes"] for ln in c["lines"]} == {"-", "+"}
    # the same records in another format are the same records
    assert main(["diff", str(SAMPLES / "seed-records.txt"), str(SAMPLES / "seed-records.mrc")]) == 0
    assert main(["diff", str(a), str(tmp_path / "missing.mrc")]) == 2


def test_cli_diff_makes_record_text_terminal_safe(tmp_path, capsys):
    recs = [e for e in open_source(SAMPLES / "seed-records.mrc") if isinstance(e, LibrisRecord)]
    a = tmp_path / "a.mrc"
    a.write_bytes(b"".join(iso2709.record_bytes(r.marc) for r in recs))
    f = recs[0].marc.get_fields("245")[0]
    f.subfields[0] = f.subfields[0]._replace(value="\x1b[2JEvil\x9b")
    b = tmp_path / "b.mrc"
    b.write_bytes(b"".join(iso2709.record_bytes(r.marc) for r in recs))
    buf = io.StringIO()
    from tui.cli.diff import run

    class A:
        pass

    args = A()
    args.a, args.b, args.format, args.context = str(a), str(b), "text", 0
    assert run(args, buf, io.StringIO()) == 1
    assert "\x1b" not in buf.getvalue() and "\x9b" not in buf.getvalue() and "Evil" in buf.getvalue()
