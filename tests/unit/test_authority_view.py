"""Authority records (leader/06 ``z``) in the label view: converted with marcframe's ``auth``
rules and labelled as Libris labels them: the Person, Topic ... itself under AUKTORITET, never
a Work or an Instance, and no bibliographic 008 labels; each line points to its MARC field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.formats import open_source
from tui.core.views.labels import label_view, render_label_view

SHARED = Path(__file__).resolve().parents[3] / "shared"

MRK = """\
=LDR  00000cz  a2200000n  4500
=001  191503
=008  931215n|\\acnnaabn\\\\\\\\\\\\\\\\\\\\\\a\\aaa\\\\\\\\\\\\d
=040  \\\\$aL$bswe
=100  1\\$aJansson, Tove,$d1914-2001
=400  1\\$aHaij, Vera,$d1914-2001
=678  0\\$aFinlandssvensk författare & konstnär

=LDR  00000cz  a2200000n  4500
=001  200001
=008  931215n|\\acnnaabn\\\\\\\\\\\\\\\\\\\\\\a\\aaa\\\\\\\\\\\\d
=150  \\\\$aFärgfilm
=450  \\\\$aFilm i färg
=550  \\\\$wg$aFilm
"""


@pytest.fixture
def records(tmp_path):
    p = tmp_path / "auth.mrk"
    p.write_text(MRK, "utf-8")
    return list(open_source(p))


def test_a_person_is_the_record_s_own_entity(records):
    person = records[0]
    assert person.kind == "authority"
    lines = label_view(person, "sv")
    assert [s for s in dict.fromkeys(ln.section for ln in lines)] == ["ADMINMETADATA", "AUKTORITET"]
    text = render_label_view(lines, "sv")
    assert "Person: Jansson, Tove, 1914-2001" in text
    assert "Variant / Person: Haij, Vera, 1914-2001" in text
    assert "Beskrivning: Finlandssvensk författare & konstnär" in text
    # nothing of a bibliographic record: no work, no instance, no publication status from the 008
    assert not any(h in text for h in ("INSTANS", "INSTANS AV VERK"))
    assert not any("Utgivning" in t or "Publication" in t for t in text)
    # the heading line points to its 100, the variant to its 400
    by_text = {ln.text: ln for ln in lines}
    assert {r.tag for r in by_text["Person: Jansson, Tove, 1914-2001"].refs} == {"100"}
    assert {r.tag for r in by_text["Variant / Person: Haij, Vera, 1914-2001"].refs} == {"400"}


def test_a_topic_in_english(records):
    text = render_label_view(label_view(records[1], "en"), "en")
    assert text[text.index("AUTHORITY") :][:4] == [
        "AUTHORITY",
        "Type of entity: Topic",
        "Topic: Färgfilm",
        "Variant / Topic: Film i färg",
    ]
    assert "Broader / Topic / Preferred label: Film" in text


def test_a_libris_authority_record_read_from_json():
    path = SHARED / "corpus" / "external" / "lxl-191503.json"
    if not path.is_file():
        pytest.skip("../shared/corpus/external is not present")
    (rec,) = list(open_source(path))
    text = render_label_view(label_view(rec, "sv"), "sv")
    assert "AUKTORITET" in text and "Person: Jansson, Tove, 1914-2001" in text
    assert sum(t.startswith("Variant / Person: ") for t in text) == 8
