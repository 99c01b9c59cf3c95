"""The Katalogsupport report: protected-field errors and duplicates, ready to send."""

from pymarc import Field, Leader, Record, Subfield

from tui.core.formats import open_source
from tui.core.model.record import LibrisRecord
from tui.core.validation.report import collect, katalogsupport_report, render

F008 = "200101s2020    sw |||||o|||||000 0 swe|c"


def bib(cn, *fields, number=1):
    r = Record(force_utf8=True)
    r.leader = Leader("00000nam a2200000 i 4500")
    r.fields = [Field(tag="001", data=cn), Field(tag="008", data=F008)] + list(fields)
    return LibrisRecord(marc=r, number=number, path="mem.mrc")


def df(tag, *subs, ind=(" ", " ")):
    return Field(tag=tag, indicators=list(ind), subfields=[Subfield(c, v) for c, v in subs])


def test_seed_channel_record_report(seed_notation):
    text = katalogsupport_report(open_source(seed_notation), source_name="seed-records.txt")
    lines = text.splitlines()
    assert lines[0] == "To: Katalogsupport, Kungliga biblioteket (KB)"
    assert lines[1] == "Subject: Libris: 1 record with errors in protected fields"
    assert "File: seed-records.txt (2 records)" in lines
    assert '1. Record 2: "Statens medieråd, löpande" [channel record, e-plikt (EPLK), SUPPRESSRECORD]' in lines
    assert "   Identified by: no 001 in this file; 024 http://statensmedierad.se/eplikt-rss/week" in lines
    items = [ln for ln in lines if ln.startswith("   - ")]
    assert len(items) == 3 and all(ln.endswith("[CHN-READONLY]") for ln in items)
    assert items[0].startswith("   - 856[1] (Relaterad beskrivning eller innehåll / Dokument / URI): text before")
    assert items[1].startswith("   - 856[2] (Tillhörande media / Mediaobjekt / URI): empty subfield $u")
    assert "URI in $a" in items[2]
    assert "       as it stands: 856 4/2 http://id.kb.se/organisations/SE2021006396 #z publisher" in lines
    # the catalogue record has nothing to report
    assert "Könsnormer" not in text
    assert "report it to Katalogsupport" not in text  # said once, in the letter, not per line


def test_duplicates_and_protected_anomalies_with_identifiers():
    a = bib(
        "e1",
        df("020", ("a", "9789127156371")),
        df("042", ("9", "EPLK")),
        df("245", ("a", "Boken"), ind=("1", "0")),
        df("506", ("a", "fri")),
        number=1,
    )
    b = bib("b2", df("020", ("a", "91-27-15637-0")), df("245", ("a", "Boken, igen"), ind=("1", "0")), number=2)
    text = katalogsupport_report([a, b], sigel="Li")
    assert "Subject: Libris: 1 record with errors in protected fields and 1 likely duplicate" in text
    assert "   Identified by: 001 e1; 020 9789127156371" in text
    assert "   - 506[1] (Villkor för användning och åtkomst / Benämning): 506 $a 'fri' is neither" in text
    assert "LIKELY DUPLICATES" in text
    assert "1. record 2 [001 b2]: likely duplicate of record 1 [e1]: same ISBN 9789127156371" in text
    assert text.rstrip().endswith("(Prepared with libris-tui 0.1.0, sigel Li.)")


def test_nothing_to_report():
    clean = bib("o1", df("245", ("a", "Titel"), ind=("1", "0")), df("650", ("a", "")))  # an error, not a report
    rep = collect([clean])
    assert rep.empty and len(rep) == 0
    assert render(rep) == ""
    assert katalogsupport_report([clean]) == ""


def test_findings_given_are_used_as_they_are(seed_notation):
    src = list(open_source(seed_notation))
    rep = collect(src, findings=[])
    assert rep.empty
