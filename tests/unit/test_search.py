"""Search as a cataloguer types: case and accents ignored (NFKD fold), names searched, and
identifiers found with or without their hyphens."""

from __future__ import annotations

import pytest
from pymarc import Field, Record, Subfield

from tui.core.model.record import LibrisRecord
from tui.core.views.search import fold, matches, searchable


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Åke", "ake"),
        ("Östergren", "ostergren"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Æsop", "aesop"),
        ("Straße", "strasse"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("Čapek", "capek"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def _record() -> LibrisRecord:
    r = Record(force_utf8=True)
    r.add_field(Field(tag="001", data="abc123"))
    r.add_field(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", "978-91-7037-451-1")]))
    r.add_field(
        Field(tag="100", indicators=["1", " "], subfields=[Subfield("a", "Holmberg, Åke,"), Subfield("d", "1907-1991")])
    )
    r.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", "Öster om Eden")]))
    return LibrisRecord(r)


def _hit(query: str) -> str | None:
    return next((what for what, value in searchable(_record()) if matches(query, what, value)), None)


def test_names_titles_identifiers_and_control_numbers():
    assert _hit("ake holmberg") is None  # words in the order the field has them
    assert _hit("holmberg, ake") == "100"
    assert _hit("oster om") == "title"
    assert _hit("ÖSTER") == "title"
    assert _hit("9789170374511") == "020 $a"
    assert _hit("91-7037") == "020 $a"
    assert _hit("ABC1") == "001"
    assert _hit("nothing like it") is None
