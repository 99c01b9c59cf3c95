"""Validated, atomic export: refuse on any error with nothing written; every format reads back."""

import io
import os
from pathlib import Path

import pymarc
import pytest
from pymarc import Subfield

from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext, History
from tui.core.files.atomic import AtomicWriter, WriteFailed, atomic_write, backup_name
from tui.core.files.export import ExportRefused, OutputExists, OutputIsInput, export, output_records
from tui.core.formats import open_source
from tui.core.model.record import LibrisError, LibrisRecord

DATA = Path(__file__).parents[1] / "data" / "rules"


def load(path=DATA / "records.txt"):
    return list(open_source(path))


def by_cn(entries, cn):
    return next(e for e in entries if isinstance(e, LibrisRecord) and e.control_number == cn)


def edit(entries, cn, *cmds, sigel="Li"):
    c = EditContext(by_cn(entries, cn), sigel=sigel)
    for cmd in cmds:
        History().do(cmd, c)


def upgraded():
    orig, ed = load(), load()
    edit(
        ed,
        "eplk0001",
        C.AddField("650", [" ", "7"], [("a", "Pliktexemplar"), ("2", "sao")]),
        C.AddField("084", subfields=[("a", "Aba"), ("2", "kssb/8")]),
        C.AddField("700", ["1", " "], [("a", "Berg, Bo, 1960-"), ("4", "aut")]),
        C.SetSubfield("100", 1, 0, "Andersson, Anna, 1970-"),
        C.SetSubfield("245", 1, 0, "Rapport om e-plikten"),
        C.MoveRestrictedUris(),
    )
    return orig, ed


def read_back(path: Path, fmt: str) -> list[pymarc.Record]:
    data = path.read_bytes()
    if fmt == "iso2709":
        return [r for r in pymarc.MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True)]
    if fmt == "marcxml":
        return pymarc.parse_xml_to_array(io.BytesIO(data))
    if fmt == "marc-json":
        return list(pymarc.JSONReader(data.decode("utf-8")))
    if fmt == "mrk":
        return list(pymarc.MARCMakerReader(data.decode("utf-8")))
    raise AssertionError(fmt)


def dir_listing(d: Path):
    return sorted(p.name for p in d.iterdir())


# -- an upgrade exports in every format -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["iso2709", "marcxml", "marc-json", "mrk"])
def test_upgrade_exports_in_every_format_and_reads_back_with_pymarc(tmp_path, fmt):
    orig, ed = upgraded()
    out = tmp_path / f"out.{fmt}"
    res = export(ed, out, fmt, original=orig, holdings="records")
    assert res.path == out and res.format == fmt
    assert out.exists() and res.report_path == Path(str(out) + ".report.txt") and res.report_path.exists()
    recs = read_back(out, fmt)
    assert all(r is not None for r in recs)
    bibs = {r["001"].data: r for r in recs if r.leader[6] not in "uvxy"}
    assert set(bibs) == {"eplk0001", "ord0001", "apis0001", "digi0001", "chan0001", "art0001"}
    up = bibs["eplk0001"]
    assert up["245"]["a"] == "Rapport om e-plikten"
    assert up["100"]["a"] == "Andersson, Anna, 1970-"
    assert [f["a"] for f in up.get_fields("650")] == ["Pliktleverans", "Pliktexemplar"]
    assert up["084"]["a"] == "Aba" and up["700"]["a"] == "Berg, Bo, 1960-"
    assert [f.indicator2 for f in up.get_fields("856")] == ["2", "2"]  # URI-MOVE
    assert up["506"]["a"] == "restricted" and up["020"]["a"] == "9789127156371"
    holdings = [r for r in recs if r.leader[6] in "uvxy"]
    # the linked APIS holdings record, and the DIGI record's embedded APIS holding split out
    assert [(h["004"].data, h["852"]["b"]) for h in holdings] == [("apis0001", "APIS"), ("digi0001", "APIS")]
    # the channel record goes out exactly as it came
    chan = bibs["chan0001"]
    assert chan["245"]["h"] == "[channel record]" and len(chan.get_fields("856")) == 4
    report = res.report_path.read_text("utf-8")
    assert "0 errors" in report and "URI-MOVE" in report and "Katalogsupport" in report


# -- forbidden changes: refused, nothing written ---------------------------------------------------


def _set(tag, occ, k, code, value):
    def fn(entries, cn="eplk0001"):
        f = by_cn(entries, cn).marc.get_fields(tag)[occ - 1]
        f.subfields[k] = Subfield(code, value)

    return fn


@pytest.mark.parametrize(
    "change,rule",
    [
        (_set("506", 1, 0, "a", "gratis"), "EPL-PROTECT"),
        (_set("020", 1, 0, "a", "9789100000004"), "EPL-PROTECT"),
        (_set("024", 1, 0, "a", "urn:nbn:se:kb:other"), "EPL-PROTECT"),
        (_set("655", 1, 0, "a", "Report"), "EPL-PROTECT"),
        (_set("776", 1, 1, "w", "9100000009"), "EPL-PROTECT"),
        (_set("856", 2, 1, "z", "Annat"), "EPL-PROTECT"),
        (lambda e: _set("773", 1, 0, "t", "Annan tidskrift")(e, "art0001"), "EPL-PROTECT"),
        (lambda e: _set("245", 1, 0, "a", "Statens medieråd")(e, "chan0001"), "CHN-READONLY"),
        (lambda e: e.remove(by_cn(e, "art0001")), "EPL-NODELETE"),
    ],
)
def test_forbidden_change_is_refused_and_nothing_is_written(tmp_path, change, rule):
    orig, ed = load(), load()
    change(ed)
    out = tmp_path / "out.mrc"
    with pytest.raises(ExportRefused) as exc:
        export(ed, out, "iso2709", original=orig)
    assert rule in [f.rule for f in exc.value.errors]
    assert "nothing was written" in str(exc.value)
    assert dir_listing(tmp_path) == []  # no output, no report, no temporary file


def test_refused_export_leaves_an_existing_file_alone(tmp_path):
    orig, ed = load(), load()
    _set("506", 1, 0, "a", "gratis")(ed)
    out = tmp_path / "out.mrc"
    out.write_bytes(b"old content")
    with pytest.raises(ExportRefused):
        export(ed, out, "iso2709", original=orig, overwrite=True)
    assert out.read_bytes() == b"old content" and dir_listing(tmp_path) == ["out.mrc"]


def test_structure_errors_refuse_too(tmp_path):
    ed = load()
    by_cn(ed, "ord0001").marc.get_fields("245")[0].subfields.append(Subfield("b", ""))
    with pytest.raises(ExportRefused) as exc:
        export(ed, tmp_path / "o.xml")
    assert [f.rule for f in exc.value.errors] == ["STRUCT-EMPTY-SUBFIELD"]
    assert dir_listing(tmp_path) == []


# -- holdings ----------------------------------------------------------------------------------------


def test_holdings_go_after_their_bib_as_records(tmp_path):
    orig, ed = load(), load()
    edit(ed, "eplk0001", C.AddHolding("Li"))
    edit(ed, "apis0001", C.AddHolding("Li"))
    marcs, n_other, n_hold = output_records(ed, "records")
    order = [(r.get("001").data if r.get("001") else None, r.get("004").data if r.get("004") else None) for r in marcs]
    assert order[:2] == [("eplk0001", None), (None, "eplk0001")]
    i = order.index(("apis0001", None))
    assert [o[1] for o in order[i + 1 : i + 3]] == ["apis0001", "apis0001"]
    assert n_hold == 4 and n_other == 6  # Li, APIS + Li, and the DIGI record's embedded APIS
    # the embedded APIS holding of the DIGI record is split out as a holdings record
    j = order.index(("digi0001", None))
    digi = marcs[j]
    assert not digi.get_fields("852")
    assert marcs[j + 1]["852"]["b"] == "APIS" and marcs[j + 1]["004"].data == "digi0001"
    res = export(ed, tmp_path / "o.mrc", "iso2709", original=orig)
    assert res.holdings == 4 and res.records == 6


def test_holdings_embedded_with_sigel(tmp_path):
    orig, ed = load(), load()
    edit(ed, "eplk0001", C.AddHolding("Li"))
    out = tmp_path / "o.xml"
    res = export(ed, out, "marcxml", original=orig, holdings="embedded")
    recs = read_back(out, "marcxml")
    assert all(r.leader[6] not in "uvxy" for r in recs)
    bibs = {r["001"].data: r for r in recs}
    assert [(f["b"], f["5"]) for f in bibs["eplk0001"].get_fields("852")] == [("Li", "Li")]
    assert [(f["b"], f["5"]) for f in bibs["apis0001"].get_fields("852")] == [("APIS", "APIS")]
    assert res.holdings == 3  # Li, APIS (apis0001), APIS (digi0001)


def test_added_holding_exported_after_import_round_trip(tmp_path):
    orig, ed = load(), load()
    edit(ed, "art0001", C.AddHolding("Li"), C.ClearSuppress())
    out = tmp_path / "o.mrc"
    export(ed, out, "iso2709", original=orig)
    back = list(open_source(out))
    art = by_cn(back, "art0001")
    assert [h.marc["852"]["b"] for h in art.holdings] == ["Li"]
    assert not art.marc.get_fields("599")


# -- files -------------------------------------------------------------------------------------------


def test_input_file_is_not_overwritten_unless_asked(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes((DATA / "records.txt").read_bytes())
    entries = list(open_source(src))
    with pytest.raises(OutputIsInput):
        export(entries, src, "notation")
    assert src.read_bytes() == (DATA / "records.txt").read_bytes()
    res = export(entries, src, "notation", overwrite=True)
    assert res.backup_path == tmp_path / "in.txt.bak"
    assert res.backup_path.read_bytes() == (DATA / "records.txt").read_bytes()
    # 7 records in, 7 out: holdings as the file has them (the DIGI record's embedded APIS holding
    # stays embedded, the holdings record stays a record)
    back = list(open_source(src))
    assert [e.kind for e in back] == [e.kind for e in entries]
    assert [f["5"] for f in by_cn(back, "digi0001").marc.get_fields("852")] == ["APIS"]


def test_input_named_through_a_symlink_is_still_the_input(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes((DATA / "records.txt").read_bytes())
    link = tmp_path / "link.txt"
    link.symlink_to(src)
    with pytest.raises(OutputIsInput):
        export(list(open_source(src)), link, "notation")


def test_overwriting_an_output_keeps_numbered_backups(tmp_path):
    entries = load()
    out = tmp_path / "o.mrc"
    export(entries, out, "iso2709")
    first = out.read_bytes()
    with pytest.raises(OutputExists) as exc:  # replaced only when asked, and the question says what
        export(entries, out, "iso2709")
    assert exc.value.existing.size == len(first) and exc.value.existing.mtime == out.stat().st_mtime
    assert "o.mrc" in str(exc.value) and f"{len(first):,} bytes" in str(exc.value)
    r2 = export(entries, out, "iso2709", overwrite=True)
    r3 = export(entries, out, "iso2709", overwrite=True)
    assert r2.backup_path.name == "o.mrc.bak" and r3.backup_path.name == "o.mrc.bak.2"
    assert r2.backup_path.read_bytes() == first


def test_format_from_extension_and_unknown_format(tmp_path):
    res = export(load(), tmp_path / "o.xml")
    assert res.format == "marcxml"
    with pytest.raises(LibrisError):
        export(load(), tmp_path / "o.unknown")
    with pytest.raises(LibrisError):
        export(load(), tmp_path / "o.bin", "no-such-format")
    # JSON-LD is an export format too, and reads back
    assert export(load(), tmp_path / "o.jsonld").format == "jsonld"


def test_output_that_does_not_read_back_is_not_written(tmp_path, monkeypatch):
    import tui.core.files.export as ex

    def broken_writer(records, out, fmt, **kw):
        for _ in records:
            pass
        out.write(b"<collection><record>")

    monkeypatch.setattr(ex, "write_records", broken_writer)
    out = tmp_path / "o.xml"
    with pytest.raises(LibrisError, match="did not read back"):
        export(load(), out, "marcxml")
    assert dir_listing(tmp_path) == []


def test_an_iso_record_that_would_not_read_back_is_not_written(tmp_path, monkeypatch):
    import tui.core.formats.iso2709 as iso

    monkeypatch.setattr(iso, "record_bytes", lambda rec, **kw: b"00042nam  2200000   4500\x1e")
    with pytest.raises(LibrisError, match="would not read back"):
        export(load(), tmp_path / "o.mrc", "iso2709")
    assert dir_listing(tmp_path) == []


# -- atomic writing ---------------------------------------------------------------------------------


def test_atomic_writer_aborts_on_error(tmp_path):
    out = tmp_path / "f.txt"
    out.write_text("before")
    with pytest.raises(RuntimeError):
        with AtomicWriter(out) as w:
            w.file.write(b"half")
            raise RuntimeError("disk on fire")
    assert out.read_text() == "before" and dir_listing(tmp_path) == ["f.txt"]


def test_atomic_write_keeps_mode_and_backup(tmp_path):
    out = tmp_path / "f.txt"
    out.write_text("v1")
    os.chmod(out, 0o640)
    w = atomic_write(out, b"v2")
    assert out.read_bytes() == b"v2" and (out.stat().st_mode & 0o777) == 0o640
    assert w.backup_path.read_bytes() == b"v1"
    assert backup_name(out).name == "f.txt.bak.2"
    atomic_write(tmp_path / "new.txt", lambda fh: fh.write(b"x"), backup=False)
    assert (tmp_path / "new.txt").read_bytes() == b"x"


def test_atomic_write_into_a_missing_folder(tmp_path):
    with pytest.raises(WriteFailed, match="does not exist"):
        atomic_write(tmp_path / "nope" / "f.txt", b"x")


def test_an_edited_holdings_record_is_written_not_its_stale_copy(tmp_path):
    mrc = tmp_path / "in.mrc"
    export(load(), mrc, "iso2709", holdings="records")
    entries = load(mrc)  # an indexed source parses the linked holdings apart from their slot
    h = next(e for e in entries if e.kind == "holdings" and e.linked_bib == "apis0001")
    bib = by_cn(entries, "apis0001")
    assert bib.holdings and bib.holdings[0] is not h  # the bib links its own parsed copy
    h.marc.get_fields("852")[0].subfields.append(Subfield("c", "Magasin"))
    marcs, _, _ = output_records(entries, "records")
    written = [m for m in marcs if m.get("004") and m["004"].data == "apis0001"]
    assert len(written) == 1 and written[0]["852"]["c"] == "Magasin"


def test_a_file_changed_on_disk_during_the_export_is_not_written_over(tmp_path, monkeypatch):
    """The stamp taken at open is checked right before the atomic replace."""
    import tui.core.files.export as ex
    from tui.core.files.filestamp import FileChangedOnDisk, FileStamp

    out = tmp_path / "o.mrc"
    export(load(), out, "iso2709")
    stamp = FileStamp.take(out)
    real_verify = ex._verify

    def verify_then_someone_writes(path, fmt, *n):  # another program saves the file meanwhile
        out.write_bytes(b"changed by someone else")
        return real_verify(path, fmt, *n)

    monkeypatch.setattr(ex, "_verify", verify_then_someone_writes)
    with pytest.raises(FileChangedOnDisk):
        export(load(), out, "iso2709", overwrite=True, unchanged_since=stamp)
    assert out.read_bytes() == b"changed by someone else"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_cli_replaces_an_existing_output_only_with_overwrite(tmp_path, capsys):
    from tui.cli import main

    seed = Path(__file__).parents[2] / "sample_records" / "seed-records.mrc"
    out = tmp_path / "o.mrc"
    out.write_bytes(b"someone's file")
    assert main(["export", str(seed), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "14 bytes" in err and "--overwrite" in err and out.read_bytes() == b"someone's file"
    assert main(["export", str(seed), "-o", str(out), "--overwrite"]) == 0
    assert (tmp_path / "o.mrc.bak").read_bytes() == b"someone's file"
    # a backup only when something was replaced
    fresh = tmp_path / "new.mrc"
    assert main(["export", str(seed), "-o", str(fresh)]) == 0
    assert not (tmp_path / "new.mrc.bak").exists()


def test_default_output_is_never_the_input_nor_an_existing_file(tmp_path):
    from tui.core.files.export import default_output

    src = tmp_path / "in.mrc"
    src.write_bytes(b"x")
    assert default_output(src, "iso2709") == tmp_path / "in-export.mrc"
    (tmp_path / "in-export.mrc").write_bytes(b"y")
    assert default_output(src, "iso2709") == tmp_path / "in-export-2.mrc"
    assert default_output(src, "marcxml") == tmp_path / "in-export.xml"
