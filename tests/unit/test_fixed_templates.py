"""The fixed-field layouts (leader, 006, 007, 008 by position) and the new-record templates."""

from datetime import date

import pytest

from tui.core.editing import fixedfields as ff
from tui.core.editing.templates import TemplateError, load_templates, parse_template

BOOK_008 = "180101s2018    sw      o     000 0 swe d"


def test_the_008_layout_follows_the_record_type_and_level():
    assert ff.layout_for("008", "bib", "00000nam a2200000 i 4500").name == "008_Books"
    assert ff.layout_for("008", "bib", "00000nmm a2200000 i 4500").name == "008_Computer"
    assert ff.layout_for("008", "bib", "00000nas a2200000 i 4500").name == "008_Serials"
    assert ff.layout_for("008", "holdings", "00000nx  a2200000un 4500").name == "008_Holdings"
    assert ff.layout_for("007", "bib", "", "cr |||||||||||").name == "007_ComputerFile"
    assert ff.layout_for("007", "bib", "", "?x") is None


def test_positions_are_named_in_swedish_and_english_with_their_codes():
    books = ff.layout_for("008", "bib", "00000nam a2200000 i 4500")
    form = next(p for p in books.positions if p.offset == 23)
    assert form.span == "23" and form.name("sv") == "Form" and form.name("en") == "Form of Item"
    assert form.meaning("o", "sv") == "Onlineutgåva" and form.meaning("o", "en")
    assert form.allowed("o") and form.allowed("|") and not form.allowed("x")
    assert ff.problem(form, "x") and ff.problem(form, "o") is None
    leader = ff.layout_for("000", "bib", "")
    kind = next(p for p in leader.positions if p.offset == 6)
    assert kind.meaning("a", "en") and kind.codes is not None and "m" in kind.codes


def test_compose_and_relay_008():
    books = ff.layout_for("008", "bib", "00000nam a2200000 i 4500")
    assert ff.compose(BOOK_008, books, {23: "s"})[23] == "s"
    computer = ff.layout_for("008", "bib", "00000nmm a2200000 i 4500")
    again = ff.relay_008(BOOK_008, computer)
    assert len(again) == 40 and again[:18] == BOOK_008[:18] and again[35:] == BOOK_008[35:]
    assert again[18:35] != BOOK_008[18:35]


def test_shipped_templates_and_placeholders():
    templates, problems = load_templates(user=None)
    names = {t.name: t for t in templates}
    assert not problems and {"e-bok", "tryckt-bok", "bestand"} <= set(names)
    leader, lines = names["e-bok"].filled("Li", date(2024, 5, 6))
    assert leader == "00000nam a2200000 i 4500"
    assert "=040  \\\\$aLi" in lines and any(ln.startswith("=008  240506s2024") for ln in lines)
    assert not any(ln[1:4] in ("001", "003", "005") for ln in lines)
    _, lines = names["e-bok"].filled(None)
    assert not any(ln.startswith("=040") for ln in lines)  # no sigel: its line is left out
    assert names["bestand"].kind == "holdings"


def test_users_templates_override_and_bad_ones_are_named(tmp_path):
    (tmp_path / "bestand.mrk").write_text("# title: Mitt\n# kind: holdings\n=852  \\\\$b@SIGEL@\n", "utf-8")
    (tmp_path / "trasig.mrk").write_text("=245  1X$aTitel\n", "utf-8")
    templates, problems = load_templates(user=tmp_path)
    by = {t.name: t for t in templates}
    assert by["bestand"].title == "Mitt" and not by["bestand"].shipped
    assert "trasig" not in by and any("trasig.mrk" in p and "column 8" in p for p in problems)
    with pytest.raises(TemplateError):
        parse_template("# kind: auth\n=100  1\\$aX\n", "x")
