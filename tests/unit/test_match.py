"""Matching an own catalogue against Libris (``libris-tui match``): each match key one by one
(LIBRIS-ID, ISBN-10 against -13, hyphens and qualifiers, $z, ISSN, EAN, 035, URI), ambiguous hits
going to the lowest Libris id, the print/electronic guard, holdings through HOLD-ADD that are
idempotent (twice, or a title already held), unmatched records, mixed formats, a malformed file
named with its record, and the keys read from raw bytes equal to those of a parsed record."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tui.cli import main
from tui.core.batch import engine, match
from tui.core.batch.match import match_files
from tui.core.formats import iso2709, open_source, write_records
from tui.core.model.record import Field, Leader, Record, Subfield

SIGEL = "Xyz"
PRINT_008 = "200101s2020    sw            000 0 swe d"
E_008 = PRINT_008[:23] + "o" + PRINT_008[24:]


def bib(cn: str, *fields: tuple, leader: str = "00000nam a2200000 a 4500", f008: str = PRINT_008) -> Record:
    r = Record()
    r.leader = Leader(leader)
    r.fields = [Field(tag="001", data=cn)]
    if f008:
        r.fields.append(Field(tag="008", data=f008))
    for tag, *rest in fields:
        if tag < "010":
            r.fields.append(Field(tag=tag, data=rest[0]))
        else:
            ind, subs = rest
            r.fields.append(Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs]))
    r.fields.sort(key=lambda f: f.tag)
    return r


def title(t: str) -> tuple:
    return ("245", "10", [("a", t)])


def write(path: Path, records: list[Record], fmt: str = "iso2709") -> Path:
    with open(path, "wb") as fh:
        write_records(records, fh, fmt)
    return path


def run(tmp_path: Path, own: list[Record], libris: list[Record], name: str = "r", **kw):
    o = write(tmp_path / f"{name}-own.mrc", own) if isinstance(own, list) else own
    lib = write(tmp_path / f"{name}-libris.mrc", libris) if isinstance(libris, list) else libris
    hold = tmp_path / f"{name}-holdings.mrc"
    rep = tmp_path / f"{name}-report.tsv"
    report = match_files(str(o), str(lib), kw.pop("sigel", SIGEL), str(hold), str(rep), overwrite=True, **kw)
    return report, rows(rep), hold


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def holdings(path: Path) -> list[tuple[str, str]]:
    if path.stat().st_size == 0:
        return []
    return [(e.marc["004"].data, e.marc["852"]["b"]) for e in open_source(path) if e.kind == "holdings"]


# -- the normalised forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, want",
    [
        ("91-7000-123-4", None),  # wrong check digit
        ("91-0-012345-2", None),
        ("9170001234", None),
        ("0-306-40615-2", "9780306406157"),
        ("0306406152 (inb.)", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("ISBN 978 0 306 40615 7 (hft.)", "9780306406157"),
        ("978-0-306-40615-8", None),
        ("0-8044-2957-X", "9780804429573"),
        ("080442957x", "9780804429573"),
        ("(inb.)", None),
    ],
)
def test_isbn_forms(value, want):
    assert match.isbn(value) == want


def test_issn_ean_uri_and_system_number_forms():
    assert match.issn("0317-8471") == "0317-8471" == match.issn("03178471 (tryckt)")
    assert match.issn("0317-8472") is None
    assert match.issn("0000-006x") == "0000-006X"
    assert match.ean("4006381333931") == "4006381333931"
    assert match.ean("4006381333932") is None
    assert match.ean("036000291452") == "0036000291452"  # UPC-A
    assert match.uri("HTTPS://Example.SE/a/") == match.uri("http://example.se/a") == "//example.se/a"
    assert match.uri("http://urn.kb.se/resolve?urn=URN:NBN:SE:KB:1") == match.uri("urn:nbn:se:kb:1")
    assert match.system_number(" (ocolc) 123 ") == "(OCOLC)123"
    assert match.system_number("(LIBRIS)123") is None
    assert match.libris_id_of_035("(LIBRIS)123") == "123" == match.libris_id_of_035("(SE-LIBR) 123")


# -- each key --------------------------------------------------------------------------------------


def test_libris_id_from_035_matches_the_001(tmp_path):
    own = [bib("own1", ("035", "  ", [("a", "(LIBRIS)5000")]), title("A"))]
    lib = [bib("4000", title("A")), bib("5000", title("A"))]
    rep, r, hold = run(tmp_path, own, lib)
    assert (r[0]["status"], r[0]["key"], r[0]["value"], r[0]["libris_id"]) == ("matched", "libris-id", "5000", "5000")
    assert holdings(hold) == [("5000", SIGEL)]
    assert rep.keys == {"libris-id": 1} and rep.holdings_added == 1


def test_isbn_10_matches_isbn_13_with_hyphens_and_qualifiers(tmp_path):
    own = [bib("own1", ("020", "  ", [("a", "0-306-40615-2 (inb.)")]))]
    lib = [bib("100", ("020", "  ", [("a", "9780306406157")])), bib("101", ("020", "  ", [("a", "9780804429573")]))]
    _, r, hold = run(tmp_path, own, lib)
    assert (r[0]["status"], r[0]["key"], r[0]["value"], r[0]["libris_id"]) == (
        "matched",
        "isbn",
        "9780306406157",
        "100",
    )
    own = [bib("own1", ("020", "  ", [("a", "978-0-8044-2957-3")]))]
    lib = [bib("100", ("020", "  ", [("a", "0-8044-2957-X (hft.)")]))]
    _, r, _ = run(tmp_path, own, lib, "b")
    assert (r[0]["status"], r[0]["libris_id"]) == ("matched", "100")


def test_an_isbn_with_a_wrong_check_digit_is_no_key(tmp_path):
    own = [bib("own1", ("020", "  ", [("a", "0-306-40615-3")]))]
    lib = [bib("100", ("020", "  ", [("a", "0-306-40615-3")]))]
    _, r, hold = run(tmp_path, own, lib)
    assert r[0]["status"] == "unmatched" and holdings(hold) == []


def test_isbn_a_before_z(tmp_path):
    # the own $z finds Libris 200, but the own $a finds 300: $a decides
    own = [bib("own1", ("020", "  ", [("a", "9780306406157"), ("z", "0-8044-2957-X")]))]
    lib = [bib("200", ("020", "  ", [("a", "9780804429573")])), bib("300", ("020", "  ", [("z", "0306406152")]))]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["key"], r[0]["libris_id"]) == ("isbn", "300")
    # only the $z finds anything
    own = [bib("own1", ("020", "  ", [("a", "9781000000000"), ("z", "0-8044-2957-X")]))]
    _, r, _ = run(tmp_path, own, lib, "b")
    assert (r[0]["key"], r[0]["value"], r[0]["libris_id"]) == ("isbn-z", "9780804429573", "200")


def test_issn_a_then_z(tmp_path):
    f = "00000nas a2200000 a 4500"
    own = [bib("own1", ("022", "  ", [("a", "0317-8472"), ("z", "03178471")]), leader=f)]
    lib = [bib("700", ("022", "  ", [("a", "0317-8471")]), leader=f)]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["key"], r[0]["value"], r[0]["libris_id"]) == ("issn-z", "0317-8471", "700")
    own = [bib("own1", ("022", "  ", [("a", "0317 8471")]), leader=f)]
    _, r, hold = run(tmp_path, own, lib, "b")
    assert (r[0]["key"], r[0]["libris_id"]) == ("issn", "700")
    assert open_source(hold).entry(0).marc.leader[6] == "y"  # a serial's holding


def test_ean_needs_first_indicator_3(tmp_path):
    own = [bib("own1", ("024", "3 ", [("a", "4006381333931")]))]
    lib = [bib("800", ("024", "3 ", [("a", "4006381333931")])), bib("801", ("024", "7 ", [("a", "4006381333931")]))]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["status"], r[0]["key"], r[0]["libris_id"]) == ("matched", "ean", "800")
    own = [bib("own1", ("024", "7 ", [("a", "4006381333931")]))]
    _, r, _ = run(tmp_path, own, lib, "b")
    assert r[0]["status"] == "unmatched"


def test_system_number_035(tmp_path):
    own = [bib("own1", ("035", "  ", [("a", "(OCoLC) 12345")]))]
    lib = [bib("900", ("035", "  ", [("a", "(OCoLC)12345")])), bib("901", ("035", "  ", [("a", "(OCoLC)123456")]))]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["key"], r[0]["value"], r[0]["libris_id"]) == ("035", "(OCOLC)12345", "900")


def test_uri_in_856_u(tmp_path):
    own = [bib("own1", ("856", "40", [("u", "http://urn.kb.se/resolve?urn=urn:nbn:se:uu:diva-1")]), f008=E_008)]
    lib = [
        bib("950", ("856", "40", [("u", "urn:nbn:se:uu:diva-1")]), f008=E_008),
        bib("951", ("856", "40", [("u", "https://example.se/x")]), f008=E_008),
        bib("952", ("856", "40", [("u", "https://example.se/y"), ("5", "Abc")]), f008=E_008),
    ]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["key"], r[0]["libris_id"]) == ("uri", "950")
    own = [bib("own1", ("856", "40", [("u", "HTTP://EXAMPLE.se/x/")]), f008=E_008)]
    _, r, _ = run(tmp_path, own, lib, "b")
    assert (r[0]["key"], r[0]["libris_id"]) == ("uri", "951")
    own = [bib("own1", ("856", "40", [("u", "https://example.se/y")]), f008=E_008)]
    _, r, _ = run(tmp_path, own, lib, "c")
    assert r[0]["status"] == "unmatched"  # an embedded holding's link is no key


def test_keys_in_order_libris_id_first(tmp_path):
    own = [bib("own1", ("020", "  ", [("a", "9780306406157")]), ("035", "  ", [("a", "(LIBRIS)20")]))]
    lib = [bib("10", ("020", "  ", [("a", "9780306406157")])), bib("20")]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["key"], r[0]["libris_id"]) == ("libris-id", "20")


# -- ambiguous, guard, unmatched ----------------------------------------------------------------------


def test_several_hits_go_to_the_lowest_id_flagged_ambiguous(tmp_path):
    isbn = ("020", "  ", [("a", "9780306406157")])
    own = [bib("own1", isbn)]
    lib = [bib("s93ns5h436dxqsh", isbn), bib("10000", isbn), bib("999", isbn)]
    rep, r, hold = run(tmp_path, own, lib)
    assert (r[0]["status"], r[0]["libris_id"], r[0]["candidates"]) == ("ambiguous", "999", "999,10000,s93ns5h436dxqsh")
    assert holdings(hold) == [("999", SIGEL)]
    assert rep.statuses["ambiguous"] == 1


def test_print_and_electronic_never_match(tmp_path):
    isbn = ("020", "  ", [("a", "9780306406157")])
    # electronic by 008/23 o, by 007/00 c, by 338 $b cr; print by 338 $b nc
    lib = [
        bib("1", isbn, f008=E_008),
        bib("2", isbn, ("007", "cr |||||||||||"), f008=""),
        bib("3", isbn, ("338", "  ", [("a", "onlineresurs"), ("b", "cr")]), f008=PRINT_008),
    ]
    own = [bib("p1", isbn), bib("p2", isbn, ("338", "  ", [("b", "nc")]), f008=E_008)]
    rep, r, hold = run(tmp_path, own, lib)
    assert [x["status"] for x in r] == ["unmatched", "unmatched"]
    assert "guard left out 3" in r[0]["note"] and rep.guarded == 2
    lib.append(bib("4", isbn))  # a print one
    _, r, hold = run(tmp_path, own, lib, "b")
    assert [(x["status"], x["libris_id"]) for x in r] == [("matched", "4"), ("matched", "4")]
    own = [bib("e1", isbn, f008=E_008)]
    _, r, _ = run(tmp_path, own, lib, "c")
    assert (r[0]["status"], r[0]["libris_id"], r[0]["candidates"]) == ("ambiguous", "1", "1,2,3")


def test_the_guard_lets_the_next_key_decide(tmp_path):
    own = [bib("p1", ("020", "  ", [("a", "9780306406157")]), ("035", "  ", [("a", "(X)1")]))]
    lib = [bib("1", ("020", "  ", [("a", "9780306406157")]), f008=E_008), bib("2", ("035", "  ", [("a", "(X)1")]))]
    _, r, _ = run(tmp_path, own, lib)
    assert (r[0]["status"], r[0]["key"], r[0]["libris_id"]) == ("matched", "035", "2")


def test_instance_types():
    lite = match.lite_of
    assert match.instance_type("00000nam a2200000 a 4500", lite(bib("1"))) == "p"
    assert match.instance_type("00000nam a2200000 a 4500", lite(bib("1", f008=E_008))) == "e"
    assert match.instance_type("00000nmm a2200000 a 4500", lite(bib("1", f008=""))) == "e"
    assert match.instance_type("00000nam a2200000 a 4500", lite(bib("1", f008=""))) == ""
    # maps: form of item at 008/29
    m008 = PRINT_008[:29] + "o" + PRINT_008[30:]
    assert m008[29] == "o"
    assert match.instance_type("00000nem a2200000 a 4500", lite(bib("1", f008=m008))) == "e"
    rec = bib("1", ("337", "  ", [("b", "n")]), f008=E_008)
    assert match.instance_type("00000nam a2200000 a 4500", lite(rec)) == "p"  # 337 before the 008


def test_unmatched_and_records_without_keys(tmp_path):
    own = [bib("own1", title("Nothing")), bib("own2", ("020", "  ", [("a", "9780306406157")]))]
    lib = [bib("1", ("020", "  ", [("a", "9780804429573")]))]
    rep, r, hold = run(tmp_path, own, lib)
    assert [(x["own"], x["own_001"], x["status"], x["key"], x["libris_id"]) for x in r] == [
        ("1", "own1", "unmatched", "", ""),
        ("2", "own2", "unmatched", "", ""),
    ]
    assert holdings(hold) == [] and rep.statuses["unmatched"] == 2


# -- holdings ---------------------------------------------------------------------------------------


def test_holdings_are_idempotent(tmp_path):
    isbn = ("020", "  ", [("a", "9780306406157")])
    own = [bib("own1", isbn), bib("own2", isbn), bib("own3", ("035", "  ", [("a", "(LIBRIS)3")]))]
    lib = [
        bib("1", isbn),
        bib("2", ("852", "  ", [("b", SIGEL)])),  # embedded? no $5: an ordinary 852 of the bib
        bib("3", ("841", "  ", [("a", "x"), ("5", SIGEL)])),  # embedded holding for the sigel
    ]
    rep, r, hold = run(tmp_path, own, lib)
    assert [x["holding"] for x in r] == ["added", "same title as an earlier record", "already held"]
    assert holdings(hold) == [("1", SIGEL)]
    # run again on Libris with the holdings written: nothing new
    both = tmp_path / "libris-after.mrc"
    both.write_bytes((tmp_path / "r-libris.mrc").read_bytes() + hold.read_bytes())
    rep2, r2, hold2 = run(tmp_path, tmp_path / "r-own.mrc", both, "again")
    assert [x["holding"] for x in r2] == ["already held", "already held", "already held"]
    assert holdings(hold2) == [] and rep2.holdings_added == 0 and rep2.already_held == 3
    assert [x["status"] for x in r2] == ["matched", "matched", "matched"]


def test_suppressed_records_and_sup_clear(tmp_path):
    own = [bib("own1", ("035", "  ", [("a", "(LIBRIS)1")]))]
    lib = [bib("1", ("599", "  ", [("a", "SUPPRESSRECORD")]))]
    rep, r, hold = run(tmp_path, own, lib)
    assert "suppressed" in r[0]["holding"] and rep.suppressed == 1
    assert [e.kind for e in open_source(hold)] == ["holdings"]
    rep, r, hold = run(tmp_path, own, lib, "b", clear_suppress=True)
    assert "cleared" in r[0]["holding"] and rep.cleared == 1
    out = list(open_source(hold))
    assert [e.kind for e in out] == ["bib", "holdings"] and out[0].marc.get_fields("599") == []


def test_embedded_holdings(tmp_path):
    own = [bib("own1", ("035", "  ", [("a", "(LIBRIS)1")]))]
    lib = [bib("1", title("T"))]
    _, r, hold = run(tmp_path, own, lib, holdings="embedded")
    (rec,) = list(open_source(hold))
    assert rec.kind == "bib" and rec.marc["852"]["5"] == SIGEL


def test_apis_is_not_a_sigel_to_match_for(tmp_path):
    with pytest.raises(Exception, match="APIS|HOLD-ADD"):
        run(tmp_path, [bib("a")], [bib("1")], sigel="APIS")


# -- formats, broken input, the command line ---------------------------------------------------------


def _pair():
    isbn = ("020", "  ", [("a", "9780306406157")])
    own = [bib("own1", isbn), bib("own2", ("035", "  ", [("a", "(LIBRIS)2")])), bib("own3", title("none"))]
    lib = [bib("1", isbn), bib("2", title("x")), bib("3", ("024", "3 ", [("a", "4006381333931")]))]
    return own, lib


@pytest.mark.parametrize("own_fmt, lib_fmt", [("marcxml", "iso2709"), ("iso2709", "marcxml"), ("marc-json", "marcxml")])
def test_mixed_formats_give_the_same_report(tmp_path, own_fmt, lib_fmt):
    own, lib = _pair()
    _, want, want_h = run(tmp_path, own, lib, "iso")
    ext = {"marcxml": "xml", "marc-json": "json", "iso2709": "mrc"}
    o = write(tmp_path / f"own.{ext[own_fmt]}", own, own_fmt)
    lb = write(tmp_path / f"lib.{ext[lib_fmt]}", lib, lib_fmt)
    _, got, got_h = run(tmp_path, o, lb, "mixed")
    assert got == want
    assert holdings(got_h) == holdings(want_h) == [("1", SIGEL), ("2", SIGEL)]


def test_holdings_in_another_format(tmp_path):
    own, lib = _pair()
    o, lb = write(tmp_path / "o.mrc", own), write(tmp_path / "l.mrc", lib)
    out, rep = tmp_path / "h.xml", tmp_path / "r.tsv"
    match_files(str(o), str(lb), SIGEL, str(out), str(rep))
    assert out.read_bytes().startswith(b"<?xml") and holdings(out) == [("1", SIGEL), ("2", SIGEL)]


def test_a_malformed_record_is_named_with_file_and_record(tmp_path, capsys):
    own, lib = _pair()
    good = b"".join(iso2709.record_bytes(r) for r in own)
    bad = b"00099nam a2200037 a 4500" + b"x" * 20 + b"\x1d"
    o = tmp_path / "own.mrc"
    o.write_bytes(good[: len(iso2709.record_bytes(own[0]))] + bad + good[len(iso2709.record_bytes(own[0])) :])
    lb = write(tmp_path / "lib.mrc", lib)
    code = main(
        ["match", str(o), str(lb), "--sigel", SIGEL, "-o", str(tmp_path / "h.mrc"), "--report", str(tmp_path / "r.tsv")]
    )
    cap = capsys.readouterr()
    assert code == 1
    assert f"{o}" in cap.err and "record 2" in cap.err
    r = rows(tmp_path / "r.tsv")
    assert [x["status"] for x in r] == ["matched", "unreadable", "matched", "unmatched"]


def test_a_file_that_cannot_be_read_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<collection><record><leader>broken")
    lb = write(tmp_path / "lib.mrc", [bib("1")])
    code = main(
        [
            "match",
            str(bad),
            str(lb),
            "--sigel",
            SIGEL,
            "-o",
            str(tmp_path / "h.mrc"),
            "--report",
            str(tmp_path / "r.tsv"),
        ]
    )
    err = capsys.readouterr().err
    assert code in (1, 2) and "bad.xml" in err and "Traceback" not in err


def test_the_command_line_prints_the_summary(tmp_path, capsys):
    own, lib = _pair()
    o, lb = write(tmp_path / "o.mrc", own), write(tmp_path / "l.mrc", lib)
    args = [
        "match",
        str(o),
        str(lb),
        "--sigel",
        SIGEL,
        "-o",
        str(tmp_path / "h.mrc"),
        "--report",
        str(tmp_path / "r.tsv"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "matched" in out and "isbn" in out and "libris-id" in out and "2 added" in out
    assert main(args) == 2  # the outputs exist: --overwrite
    assert "exists" in capsys.readouterr().err
    assert main(["match", str(o), str(lb), "-o", "x.mrc", "--report", "r.tsv", "--sigel", " "]) == 2


# -- raw bytes and parsed records; shards -----------------------------------------------------------


def _many(n: int) -> tuple[list[Record], list[Record]]:
    own, lib = [], []
    for i in range(n):
        d = f"978{i:09d}"
        d += match._ean_check(d)
        e = i % 7 == 0
        fields = [("020", "  ", [("a", d if i % 3 else f"{d} (inb.)")]), title(f"Titel {i}")]
        if i % 5 == 0:
            fields.append(("035", "  ", [("a", f"(LIBRIS){100000 + i}")]))
        if i % 11 == 0:
            fields.append(("856", "40", [("u", f"https://ex.se/{i}")]))
        lib.append(bib(str(100000 + i), *fields, f008=E_008 if e else PRINT_008))
        if i % 17 == 0:
            own.append(bib(f"n{i}", ("020", "  ", [("a", "0-306-40615-2")])))  # in no Libris record
        if i % 4 != 3:
            own.append(bib(f"o{i}", *fields, f008=E_008 if e and i % 2 else PRINT_008))
        if i % 13 == 0:
            lib.append(bib(str(900000 + i), *fields))  # a second record: ambiguous for print
    return own, lib


def test_raw_keys_are_the_parsed_keys():
    own, lib = _many(300)
    busy = bib(
        "1",
        *[("650", " 7", [("a", f"ämne {k}")]) for k in range(40)],
        ("020", "  ", [("a", "0-306-40615-2"), ("z", "x")]),
        ("035", "  ", [("a", "(X)1")]),
        ("338", "  ", [("b", "nc")]),
        ("856", "41", [("u", "https://ex.se/1"), ("5", "Abc")]),
        ("007", "ta"),
        ("003", "SE-LIBR"),
    )
    for r in own + lib + [busy]:
        buf = iso2709.record_bytes(r)
        got = match.raw_info(buf)
        assert got is not None  # read from the bytes, not parsed
        leader, lite = got
        parsed = iso2709.parse_record(buf)
        assert (leader, lite) == (str(parsed.marc.leader), match.lite_of(parsed.marc))


def test_many_shards_give_what_one_gives(tmp_path, monkeypatch):
    own, lib = _many(3000)
    _, want, want_h = run(tmp_path, own, lib, "one", engine=engine.InlineEngine())
    monkeypatch.setattr(match, "SHARD_MIN_BYTES", 20_000)
    _, got, got_h = run(tmp_path, own, lib, "many", engine=engine.LocalEngine(2))
    assert got == want and got_h.read_bytes() == want_h.read_bytes()
    assert {x["status"] for x in got} == {"matched", "ambiguous", "unmatched"}
    assert len(holdings(got_h)) > 1000


# -- the dask engine on a real LocalCluster ----------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (the 'dask' extra)")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


def test_dask_gives_what_local_gives_byte_for_byte(tmp_path, monkeypatch, dask_cluster):
    import distributed

    own, lib = _many(3000)
    lib.append(bib("77", ("599", "  ", [("a", "SUPPRESSRECORD")]), ("035", "  ", [("a", "(X)77")])))
    own.append(bib("o77", ("035", "  ", [("a", "(X)77")])))
    o, lb = write(tmp_path / "own.mrc", own), write(tmp_path / "lib.mrc", lib)
    monkeypatch.setattr(match, "SHARD_MIN_BYTES", 20_000)
    outs = {}
    for name in ("local", "dask"):
        h, r = tmp_path / f"{name}.mrc", tmp_path / f"{name}.tsv"
        if name == "dask":
            with distributed.Client(dask_cluster) as client:
                eng = engine.DaskEngine(client=client)
                rep = match_files(str(o), str(lb), SIGEL, str(h), str(r), engine=eng, clear_suppress=True)
        else:
            rep = match_files(str(o), str(lb), SIGEL, str(h), str(r), engine=engine.LocalEngine(2), clear_suppress=True)
        outs[name] = (h.read_bytes(), r.read_bytes(), rep.statuses, rep.keys)
    assert outs["dask"] == outs["local"]
    assert outs["local"][2]["ambiguous"] and outs["local"][2]["unmatched"]


def test_hold_add_on_the_fields_it_reads_says_what_it_says_on_the_whole_record():
    from tui.core.batch.shards import LinkedHoldings

    rules = Path(__file__).parents[1] / "data" / "rules" / "records.txt"
    recs = [e.marc for e in open_source(rules) if e.kind == "bib"]
    recs += [
        bib("1", ("599", "  ", [("a", "SUPPRESSRECORD")])),
        bib("2", ("841", "  ", [("a", "x"), ("5", SIGEL)])),
        bib("3", ("852", "  ", [("b", "APIS"), ("5", "APIS")]), ("042", "  ", [("9", "EPLK")])),
        bib("4", ("245", "10", [("a", "K"), ("h", "[channel record]")])),
        bib("5", *[("650", " 7", [("a", f"ämne {k}")]) for k in range(30)]),
    ]
    opts = match.HoldOptions(SIGEL)
    seen = set()
    for r in recs:
        raw = iso2709.record_bytes(r)
        view = match.hold_view(raw)
        assert view is not None and len(view) <= len(raw)
        assert len(view) < len(raw) or not any(f.tag == "650" for f in r.fields)
        got = []
        for buf in (raw, view):
            rec = iso2709.parse_record(buf)
            code, rule, out = match.hold_one(rec, LinkedHoldings(None, None), opts)
            got.append((code, rule, [iso2709.record_bytes(x) for x in out]))
        assert got[0] == got[1]
        seen.add(got[0][0] & 3)
    assert seen == {match.ADDED, match.HELD, match.REFUSED}


def test_the_example_in_docs_match_md_is_real_output(tmp_path, monkeypatch, capsys):
    """The console block and report.tsv of docs/match.md's example, from the files it describes."""
    import re

    doc = (Path(__file__).parents[2] / "docs" / "match.md").read_text("utf-8")
    console = re.search(r"```console\n\$ (libris-tui match [^\n]+)\n(.*?)```", doc, re.S)
    tsv = re.search(r"`report.tsv`:\n\n```\n(.*?)```", doc, re.S)
    isbn = ("020", "  ", [("a", "9789170001239")])
    own = [
        bib("a1", ("020", "  ", [("a", "91-7000-123-5 (inb.)")]), title("Röda rummet")),
        bib("a2", ("035", "  ", [("a", "(LIBRIS)2345678")]), title("Hemsöborna")),
        bib("a3", ("020", "  ", [("a", "0-306-40615-2")]), title("Fysik")),
        bib("a4", ("020", "  ", [("a", "9789170001239")]), title("Röda rummet (e-bok)"), f008=E_008),
        bib("a5", title("Lokal skrift")),
    ]
    lib = [
        bib("1234567", isbn, title("Röda rummet")),
        bib("2345678", title("Hemsöborna"), ("841", "  ", [("a", "x"), ("5", "Xyz")])),
        bib("3456790", ("020", "  ", [("z", "0306406152")]), title("Fysik")),
        bib("3456789", ("020", "  ", [("a", "9780306406157")]), title("Fysik")),
    ]
    write(tmp_path / "own.mrc", own)
    write(tmp_path / "libris.mrc", lib)
    monkeypatch.chdir(tmp_path)
    assert main(console.group(1).split()[1:]) == 0
    assert capsys.readouterr().out == console.group(2)
    assert (tmp_path / "report.tsv").read_text("utf-8") == tsv.group(1)
