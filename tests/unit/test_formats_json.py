"""MARC-in-JSON as it comes from real systems: NDJSON, repeated keys, numbers of any size, bytes
that are not UTF-8 (each reported with record and position), and the real files of other
projects' test suites, read as pymarc reads them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pymarc import JSONReader

from tui.cli import main
from tui.core.formats import detect, marcjson, open_source
from tui.core.model.record import BrokenRecord, LibrisRecord

# ../shared as tests/conftest.py finds it (a module of its own name is not importable under xdist)
SHARED = Path(os.environ.get("LIBRIS_TUI_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")
EXTERNAL = SHARED / "corpus" / "external"
PYMARC = SHARED / "corpus" / "pymarc"


def rec_obj(title: str, cn: str = "1") -> dict:
    return {
        "leader": "00000cam a2200000 a 4500",
        "fields": [{"001": cn}, {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}]}}],
    }


def write(tmp_path: Path, data: str | bytes, name: str = "recs.json") -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def codes(entry) -> list[str]:
    return [i.code for i in entry.issues]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- NDJSON -------------------------------------------------------------------------------------


def test_ndjson_one_record_a_line_is_sniffed_and_read(tmp_path):
    lines = [json.dumps(rec_obj(f"Titel {n}", str(n)), ensure_ascii=False) for n in range(1, 4)]
    p = write(tmp_path, "\n".join(lines) + "\n", "recs.ndjson")
    assert detect(p) == "marc-json"
    entries = list(open_source(p))
    assert [e.control_number for e in entries] == ["1", "2", "3"]
    assert [e.marc["245"]["a"] for e in entries] == ["Titel 1", "Titel 2", "Titel 3"]
    data = p.read_bytes()
    assert [e.offset for e in entries] == [0, len(lines[0]) + 1, len(lines[0]) + len(lines[1]) + 2]
    # the extension is no condition: the same content as .json reads the same
    assert len(list(open_source(write(tmp_path, data, "same.json")))) == 3


def test_ndjson_a_bad_line_is_one_broken_record_and_the_rest_is_read(tmp_path):
    lines = [json.dumps(rec_obj("Ett", "1")), '{"leader": "x", "fields": [ oops', json.dumps(rec_obj("Tre", "3"))]
    p = write(tmp_path, "\n".join(lines) + "\n", "recs.jsonl")
    entries = list(open_source(p))
    assert len(entries) == 3
    assert isinstance(entries[1], BrokenRecord) and entries[1].number == 2
    assert entries[1].line == 2 and "not valid JSON" in entries[1].reason
    assert entries[2].control_number == "3"


def test_ndjson_is_counted_by_stats(tmp_path, capsys):
    p = write(tmp_path, "\n".join(json.dumps(rec_obj(f"T{n}", str(n))) for n in range(5)) + "\n")
    code, out, err = run(capsys, "stats", p)
    assert code == 0, err
    row = [ln for ln in out.splitlines() if str(p) in ln][0]
    assert row.split()[1] == "5"


# -- repeated keys ----------------------------------------------------------------------------


def test_repeated_subfield_code_is_kept_and_reported_with_byte_and_line(tmp_path):
    text = (
        '[{"leader": "00000cam a2200000 a 4500",\n'
        ' "fields": [{"001": "1"},\n'
        '  {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Första", "a": "Andra"}]}}]}]\n'
    )
    (e,) = open_source(write(tmp_path, text))
    assert isinstance(e, LibrisRecord)
    assert [(s.code, s.value) for s in e.marc["245"].subfields] == [("a", "Första"), ("a", "Andra")]
    (dup,) = [i for i in e.issues if i.code == "JSON-DUPLICATE-KEY"]
    second = text.index('"a": "Andra"')
    byte = len(text[:second].encode("utf-8"))
    assert f"at byte {byte} (line 3)" in dup.message and "'a'" in dup.message and "each is kept" in dup.message


def test_repeated_leader_says_the_last_is_read(tmp_path):
    text = '{"leader": "00000cam a2200000 a 4500", "leader": "00000nam a2200000 a 4500", "fields": [{"001": "1"}]}'
    (e,) = open_source(write(tmp_path, text))
    assert e.leader == "00000nam a2200000 a 4500"
    (dup,) = [i for i in e.issues if i.code == "JSON-DUPLICATE-KEY"]
    second = text.index('"leader"', 5)
    assert f"at byte {second} (line 1)" in dup.message and "last value" in dup.message


def test_repeated_tag_in_one_field_object_gives_both_fields(tmp_path):
    text = '{"leader": "00000cam a2200000 a 4500", "fields": [{"500": "x", "500": "y"}]}'
    (e,) = open_source(write(tmp_path, text))
    assert [f.subfields[0].value for f in e.marc.get_fields("500")] == ["x", "y"]
    assert codes(e).count("JSON-DUPLICATE-KEY") == 1


def test_no_repeated_keys_no_finding(tmp_path):
    (e,) = open_source(write(tmp_path, json.dumps([rec_obj("A")])))
    assert "JSON-DUPLICATE-KEY" not in codes(e)


# -- numbers ----------------------------------------------------------------------------------


def test_a_number_of_thousands_of_digits_is_a_finding_not_an_error(tmp_path, capsys):
    digits = "9" * 5000
    text = '{"leader": "00000cam a2200000 a 4500", "fields": [{"001": ' + digits + '}, {"008": 1.50}]}'
    p = write(tmp_path, text)
    (e,) = open_source(p)
    assert e.marc["001"].data == digits  # as written, not converted
    assert e.marc["008"].data == "1.50"
    assert codes(e).count("JSON-TYPE") == 2
    code, out, err = run(capsys, "stats", p)
    assert code == 0 and "Traceback" not in err and "ValueError" not in err


def test_a_huge_number_where_a_record_should_be_is_a_broken_record(tmp_path, capsys):
    p = write(tmp_path, "[" + "1" * 6000 + ", " + json.dumps(rec_obj("B", "2")) + "]")
    entries = list(open_source(p))
    assert isinstance(entries[0], BrokenRecord) and "not a MARC-in-JSON record" in entries[0].reason
    assert entries[1].control_number == "2"


# -- bytes that are not UTF-8 -----------------------------------------------------------------


def test_invalid_utf8_is_reported_with_record_and_position(tmp_path):
    good = json.dumps(rec_obj("Bra", "1"), ensure_ascii=False).encode()
    bad = json.dumps(rec_obj("Caf\u00e9 au lait", "2"), ensure_ascii=False).encode().replace("é".encode(), b"\xe9")
    data = b"[" + good + b",\n" + bad + b"]"
    first, second = open_source(write(tmp_path, data))
    assert "ENC-INVALID-UTF8" not in codes(first)
    assert second.number == 2 and second.marc["245"]["a"] == "Caf\ufffd au lait"
    (issue,) = [i for i in second.issues if i.code == "ENC-INVALID-UTF8"]
    assert issue.tag == "245"
    at = data.index(b"\xe9")
    assert f"bytes E9 at byte {at} (line 2)" in issue.message


def test_every_run_of_bad_bytes_is_reported(tmp_path):
    obj = rec_obj("aXbYYc")
    data = json.dumps([obj]).encode().replace(b"X", b"\xff").replace(b"YY", b"\xc3\x28")
    (e,) = open_source(write(tmp_path, data))
    msgs = [i.message for i in e.issues if i.code == "ENC-INVALID-UTF8"]
    assert len(msgs) == 2
    ff, c3 = data.index(b"\xff"), data.index(b"\xc3")
    assert f"bytes FF at byte {ff}" in msgs[0]
    assert f"bytes C3 at byte {c3}" in msgs[1]


# -- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["dump", "stats", "validate", "export"])
def test_jsonld_nested_900_deep_is_one_line_and_exit_2(tmp_path, capsys, command):
    p = write(
        tmp_path,
        '{"@context": {}, "@graph": [{"@id": "x", "a": ' + '{"b": ' * 900 + "1" + "}" * 900 + "}]}",
        "deep.jsonld",
    )
    extra = ["-o", tmp_path / "out.mrc"] if command == "export" else []
    code, out, err = run(capsys, command, p, *extra)
    assert code == 2
    assert err.strip().count("\n") == 0, err
    assert "nested more than 256 levels deep" in err and "Recursion" not in err


def test_marc_json_nested_900_deep_is_a_broken_record(tmp_path):
    p = write(tmp_path, "[" + json.dumps(rec_obj("A")) + ", " + "[" * 900 + "]" * 900 + "]")
    entries = list(open_source(p))
    assert entries[0].control_number == "1" and isinstance(entries[1], BrokenRecord)
    assert "nested more than 256 levels deep" in entries[1].reason and "(JSON-DEPTH)" in entries[1].reason


@pytest.mark.parametrize("levels", [300, 900, 5000, 100_000])
def test_a_record_nested_too_deep_says_where_in_one_line(tmp_path, capsys, levels):
    """A record whose subfield value nests deeper than 256 levels, alone in the file or in a list,
    is a broken record whose line says the limit and where it is passed; never a RecursionError
    (however deep: Python's own limit is about 1,000)."""
    head = '{"leader": "00000cam a2200000 a 4500", "fields": [{"001": "1"}, {"245": {"subfields": [{"a": '
    deep = head + "[" * levels + "]" * levels + "}]}}]}"
    for text in (deep, "[" + json.dumps(rec_obj("B", "2")) + ",\n" + deep + "]"):
        p = write(tmp_path, text)
        code, out, err = run(capsys, "validate", p)
        assert code == 1 and "nested more than 256 levels deep at byte" in out and "(JSON-DEPTH)" in out, (out, err)
        assert "Recursion" not in out + err
        (offset,) = [int(x) for x in re.findall(r"deep at byte (\d+)", out)]
        # the bracket that opens level 257: the record, "fields", the field, the 245 object, its
        # subfields and the subfield object are six of them
        assert offset == text.index("[", text.rindex('"a": ')) + 250


def test_a_deep_list_is_not_a_record(tmp_path, capsys):
    p = write(tmp_path, "[" + "[" * 400 + "]" * 400 + "]")
    code, out, err = run(capsys, "stats", p)
    assert code == 2 and "(FORMAT-NOT-MARC)" in err and "Recursion" not in err


def test_a_list_nested_too_deep_at_the_top_is_not_marc(tmp_path, capsys):
    p = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    code, out, err = run(capsys, "stats", p)
    assert code == 2 and err.count("\n") == 1 and "Recursion" not in err


# -- raw control characters -------------------------------------------------------------------


def test_raw_control_characters_in_strings_are_read_and_reported_with_position(tmp_path):
    text = (
        '[{"leader": "00000cam a2200000 a 4500",\n'
        ' "fields": [{"001": "1"},\n'
        '  {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Dylan,\n Bob\tå"}, {"b": "bell\x07"}]}}]}]\n'
    )
    (e,) = open_source(write(tmp_path, text))
    assert e.marc["245"]["a"] == "Dylan,\n Bob\tå" and e.marc["245"]["b"] == "bell\x07"
    found = [i for i in e.issues if i.code == "JSON-CONTROL-CHAR"]
    assert len(found) == 3
    data = text.encode()
    for issue, char, byte in zip(
        found, ("U+000A", "U+0009", "U+0007"), (data.index(b"\n Bob"), data.index(b"\t"), data.index(b"\x07"))
    ):
        line = data[:byte].count(b"\n") + 1
        assert f"{char} in a JSON string at byte {byte} (line {line})" in issue.message


def test_escaped_control_characters_and_white_space_between_values_are_no_finding(tmp_path):
    obj = rec_obj("Rad ett\nrad två\u0007")
    (e,) = open_source(write(tmp_path, json.dumps(obj, indent=2)))  # escapes, pretty-printed
    assert e.marc["245"]["a"] == "Rad ett\nrad två\u0007"
    assert "JSON-CONTROL-CHAR" not in codes(e)


def test_many_raw_control_characters_are_counted_not_listed(tmp_path):
    text = '{"leader": "00000cam a2200000 a 4500", "fields": [{"500": {"subfields": [{"a": "' + "x\n" * 50 + '"}]}}]}'
    (e,) = open_source(write(tmp_path, text))
    found = [i.message for i in e.issues if i.code == "JSON-CONTROL-CHAR"]
    assert len(found) == 4 and found[-1].startswith("47 more raw control characters")


# -- not MARC-in-JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, said",
    [
        ('{"name": "Ada", "born": 1815}', "an object with the keys 'name', 'born'"),
        (
            '[{"a": 1}, {"b": 2}, {"c": 3}]',
            "a list of 3 values, none of them a record (the first: an object with the keys 'a')",
        ),
        ('{"a": 1}\n{"b": 2}\n', "an object with the keys 'a'"),
        ("[1, 2, 3]", "a list of 3 values, none of them a record (the first: a number)"),
        ('"just a string"', "a string"),
        ("42", "a number"),
    ],
    ids=["object", "list-of-objects", "ndjson", "list-of-numbers", "string", "number"],
)
@pytest.mark.parametrize("command", ["stats", "validate", "export"])
def test_json_of_another_shape_is_refused_in_one_line(tmp_path, capsys, text, said, command):
    p = write(tmp_path, text)
    extra = ["-o", tmp_path / "out.json"] if command == "export" else []
    code, out, err = run(capsys, command, p, *extra)
    assert code == 2 and err.count("\n") == 1, (out, err)
    assert f"JSON, but not MARC-in-JSON: {said};" in err and err.rstrip().endswith("(FORMAT-NOT-MARC)")


def test_a_list_with_a_record_among_other_things_keeps_the_record(tmp_path):
    entries = list(open_source(write(tmp_path, json.dumps([{"a": 1}, rec_obj("B", "2")]))))
    assert isinstance(entries[0], BrokenRecord) and entries[1].control_number == "2"


def test_a_broken_record_is_not_taken_for_something_else(tmp_path):
    """A record with a leader and fields of the wrong kind is a broken record (exit 1), not a file
    of another kind."""
    entries = list(open_source(write(tmp_path, '{"leader": "00000cam a2200000 a 4500", "fields": "none"}')))
    assert isinstance(entries[0], BrokenRecord) and '"fields" is not a list' in entries[0].reason


def test_an_empty_list_is_no_records(tmp_path):
    assert list(open_source(write(tmp_path, "[]"))) == []


# -- real files -------------------------------------------------------------------------------


def _pymarc_records(p: Path):
    with open(p, encoding="utf-8") as fh:
        return list(JSONReader(fh.read()))


@pytest.mark.parametrize(
    "name",
    [
        "m4j-marc-in-json.json",
        "m4j-illegal-marc-in-json.json",
        "lxl-12035894.json",
        "lxl-191503.json",
        "lxl-15958795.json",
        "folio-authority.json",
        "folio-holdings.json",
    ],
)
def test_external_json_reads_every_field_pymarc_reads(name):
    p = EXTERNAL / name
    if not p.exists():
        pytest.skip(f"{p} is not present (../shared/corpus/external)")
    ours = list(open_source(p))
    assert all(isinstance(e, LibrisRecord) for e in ours)
    try:
        theirs = _pymarc_records(p)
    except (KeyError, TypeError):
        theirs = None  # pymarc needs a leader and indicators; these we read all the same
    if theirs is not None:
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert [f.tag for f in a.marc.fields] == [f.tag for f in b.fields]
            assert [f.value() for f in a.marc.fields] == [f.value() for f in b.fields]


@pytest.mark.parametrize("name", ["test.json", "one.json", "batch.json"])
def test_pymarc_corpus_json_matches_pymarc(name):
    p = PYMARC / name
    if not p.exists():
        pytest.skip(f"{p} is not present (../shared/corpus/pymarc)")
    ours = list(open_source(p))
    theirs = _pymarc_records(p)
    assert len(ours) == len(theirs) > 0
    for a, b in zip(ours, theirs, strict=True):
        assert str(a.marc.leader) == str(b.leader)
        assert [(f.tag, f.value()) for f in a.marc.fields] == [(f.tag, f.value()) for f in b.fields]


def test_writer_output_reads_back_without_findings(tmp_path):
    recs = [e.marc for e in open_source(write(tmp_path, json.dumps([rec_obj("Å", "1"), rec_obj("B", "2")])))]
    out = tmp_path / "out.json"
    with open(out, "wb") as fh:
        marcjson.write(recs, fh)
    back = list(open_source(out))
    assert [e.control_number for e in back] == ["1", "2"] and all(not e.issues for e in back)
