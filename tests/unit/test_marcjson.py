"""MARC-in-JSON: pymarc's shape, Libris's application/x-marc-json, broken input, the writer."""

from __future__ import annotations

import io
import json

from tui.core.formats import marcjson, open_source
from tui.core.formats.notation import read_notation
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Field,
    Leader,
    LibrisRecord,
    Record,
    Subfield,
    UnreadableFile,
)


def canon(rec: Record) -> tuple:
    ld = str(rec.leader)
    return (
        ld[5:12] + ld[17:],
        [
            (f.tag, f.data)
            if f.is_control_field()
            else (f.tag, tuple(f.indicators), tuple(tuple(s) for s in f.subfields))
            for f in rec.fields
        ],
    )


def rec_obj(title: str, cn: str = "1") -> dict:
    return {
        "leader": "00000nam a2200000 i 4500",
        "fields": [{"001": cn}, {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}]}}],
    }


def read(tmp_path, data: bytes | str):
    p = tmp_path / "x.json"
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return list(open_source(p))


def titles(entries):
    return [e.marc["245"]["a"] if isinstance(e, LibrisRecord) else None for e in entries]


def test_seed_records_read_as_in_the_notation(samples):
    src = open_source(samples / "seed-records.json")
    assert src.format == "marc-json"
    want = [canon(e.marc) for e in read_notation(samples / "seed-records.txt")]
    assert [canon(e.marc) for e in src] == want


def test_pymarc_json_equals_the_same_record_in_iso2709(corpus):
    (j,) = list(open_source(corpus / "one.json"))
    (m,) = list(open_source(corpus / "one.dat"))
    assert canon(j.marc) == canon(m.marc)


def test_pymarc_batch_json_equals_batch_xml(corpus):
    assert [canon(e.marc) for e in open_source(corpus / "batch.json")] == [
        canon(e.marc) for e in open_source(corpus / "batch.xml")
    ]


def test_libris_marc_json_shapes_from_the_spec_cases(reference):
    """Every MARC-in-JSON object in Libris's own conversion tests that is a record reads."""
    cases = json.loads((reference / "examples" / "marcframe-spec-cases.json").read_text("utf-8"))
    n = made = fragments = 0
    for part in ("bib", "hold"):
        for tag, items in cases[part].items():
            for case in items:
                for key in ("source", "normalized"):
                    obj = case.get(key)
                    if not isinstance(obj, dict):
                        continue
                    e = marcjson.dict_to_record(obj, "spec", 1, 0)
                    assert isinstance(e, LibrisRecord), (tag, e)
                    n += 1
                    if "fields" not in obj:  # a fragment: {"245": {...}}
                        fragments += 1
                        assert "JSON-FRAGMENT" in {i.code for i in e.issues}
                        obj = {"fields": [{k: v} for k, v in obj.items()]}
                    if "leader" not in obj:
                        made += 1
                        assert "LDR-MADE" in {i.code for i in e.issues}
                    else:
                        assert str(e.marc.leader)[5:12] == (obj["leader"] + " " * 24)[5:12]
                    for f_in, f_out in zip(obj["fields"], e.marc.fields):
                        ((t, v),) = f_in.items()
                        assert f_out.tag == t
                        if isinstance(v, dict):
                            assert [tuple(s) for s in f_out.subfields] == [
                                (c, x) for sf in v["subfields"] for c, x in sf.items()
                            ]
    assert n > 100 and made > 10 and fragments > 50


def test_libris_leader_with_spaces_for_length_and_base(tmp_path):
    (e,) = read(
        tmp_path, json.dumps({"leader": "     nx  a       un 4500", "fields": [{"001": "0000000"}, {"004": "7149593"}]})
    )
    assert e.kind == "holdings" and e.linked_bib == "7149593"


def test_one_object_or_a_list(tmp_path):
    assert titles(read(tmp_path, json.dumps(rec_obj("Ett")))) == ["Ett"]
    assert titles(read(tmp_path, json.dumps([rec_obj("Ett"), rec_obj("Två")]))) == ["Ett", "Två"]
    assert read(tmp_path, "[]") == []


def test_a_bad_record_in_a_list_is_broken_and_the_rest_read(tmp_path):
    good = json.dumps(rec_obj("Ett"))
    text = (
        "[\n"
        + good
        + ",\n"
        + '{"leader": "x", "fields": [ {"245": '
        + ",\n"
        + json.dumps(rec_obj("Tre"))
        + ",\n"
        + json.dumps({"leader": "y", "fields": "nope"})
        + ",\n"
        + json.dumps(rec_obj("Fem"))
        + "\n]"
    )
    entries = read(tmp_path, text)
    assert titles(entries) == ["Ett", None, "Tre", None, "Fem"]
    bad = entries[1]
    assert bad.number == 2 and bad.offset == text.encode().index(b'{"leader": "x"')
    assert "not valid JSON" in bad.reason and "line 3" in bad.describe()
    assert '"fields" is not a list' in entries[3].reason


def test_byte_offsets_count_bytes_not_characters(tmp_path):
    text = json.dumps([rec_obj("Åäö" * 10), rec_obj("Två")], ensure_ascii=False)
    entries = read(tmp_path, text)
    assert entries[1].offset == text.encode("utf-8").index(b'{"leader"', 5)


def test_invalid_utf8_is_flagged(tmp_path):
    data = json.dumps([rec_obj("Caf\u00e9")], ensure_ascii=False).encode().replace("é".encode(), b"\xe9")
    (e,) = read(tmp_path, data)
    assert e.marc["245"]["a"] == "Caf\ufffd"
    assert ("ENC-INVALID-UTF8", "245") in {(i.code, i.tag) for i in e.issues}


def test_unreadable_json(tmp_path):
    for text, why in [
        ("{", "not valid JSON"),
        ('"just a string"', "not MARC-in-JSON"),
        ('{"@graph": []}', "JSON-LD"),
        ("[" * 100000 + "]" * 100000, ""),
    ]:
        p = tmp_path / "bad.json"
        p.write_text(text, "utf-8")
        try:
            entries = list(marcjson.open_source(str(p)))
        except UnreadableFile as exc:
            assert why in str(exc)
        else:
            assert all(isinstance(e, BrokenRecord) for e in entries) and entries


def test_tolerated_oddities(tmp_path):
    obj = {
        "leader": "00000nam a2200000 i 4500",
        "fields": [
            {"245": {"subfields": [{"a": "Utan indikatorer", "b": "två koder i ett objekt"}]}},
            {"500": {"ind1": None, "ind2": "", "subfields": [{"a": 42}]}},
        ],
        "extra": 1,
    }
    (e,) = read(tmp_path, json.dumps(obj))
    assert [tuple(s) for s in e.marc["245"].subfields] == [("a", "Utan indikatorer"), ("b", "två koder i ett objekt")]
    assert tuple(e.marc["500"].indicators) == (" ", " ") and e.marc["500"]["a"] == "42"
    assert {"JSON-TYPE", "JSON-KEY"} <= {i.code for i in e.issues}


def test_writer_round_trip_with_orphans(samples):
    recs = [e.marc for e in open_source(samples / "seed-records.txt")]
    weird = Record()
    weird.leader = Leader("00000nam a2200000 i 4500")
    weird.fields = [
        Field(
            tag="500",
            indicators=[" ", " "],
            subfields=[Subfield(ORPHAN, "före"), Subfield("a", "lone \udc80 surrogate"), Subfield(ORPHAN, "")],
        )
    ]
    out = io.BytesIO()
    marcjson.write(recs + [weird], out)
    data = out.getvalue()
    data.decode("utf-8")  # always valid UTF-8
    doc = json.loads(data)
    assert isinstance(doc, list) and len(doc) == 3
    assert doc[1]["fields"][8]["856"]["subfields"][0] == {"": "http://id.kb.se/organisations/SE2021006396"}
    back = list(marcjson.read_json("<mem>", data))
    assert [canon(e.marc) for e in back[:2]] == [canon(r) for r in recs]
    assert [tuple(s) for s in back[2].marc["500"].subfields][0] == (ORPHAN, "före")
