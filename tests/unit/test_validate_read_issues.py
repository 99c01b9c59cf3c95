"""What a reader noticed in a record's bytes reaches ``validate``'s findings (text and JSON): a
byte that is not UTF-8 is shown as U+FFFD by the reader and said by validate, never silently."""

from __future__ import annotations

import json

from pymarc import Field, Record, Subfield

from tui.cli import main


def _bad_utf8_file(tmp_path):
    rec = Record(force_utf8=True)
    rec.leader = rec.leader[:9] + "a" + rec.leader[10:]
    rec.add_field(Field(tag="001", data="bad0001"))
    rec.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Titel XX med fel")]))
    raw = rec.as_marc().replace(b"XX", b"\xff\xfe")  # same length: the directory still holds
    p = tmp_path / "bad.mrc"
    p.write_bytes(raw)
    return p


def test_validate_says_which_field_has_bytes_that_are_not_utf8(tmp_path, capsys):
    p = _bad_utf8_file(tmp_path)
    code = main(["validate", str(p)])
    out = capsys.readouterr().out
    assert "record 1 [bad0001] 245[1]" in out and "(ENC-INVALID-UTF8)" in out
    assert out.count("(ENC-INVALID-UTF8)") == 1 and code in (0, 1)


def test_validate_json_carries_the_read_finding(tmp_path, capsys):
    p = _bad_utf8_file(tmp_path)
    main(["validate", "--format", "json", str(p)])
    doc = json.loads(capsys.readouterr().out)
    found = doc["findings"] if isinstance(doc, dict) else doc
    enc = [f for f in found if f["rule"] == "ENC-INVALID-UTF8"]
    assert len(enc) == 1 and enc[0]["tag"] == "245" and enc[0]["severity"] == "warning"
