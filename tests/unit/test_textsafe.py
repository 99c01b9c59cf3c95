"""Record text is data: no control character reaches a terminal raw (tui.core.model.textsafe.visible)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.model.textsafe import has_unsafe, visible

#: what a terminal acts on: C0, DEL, C1, line/paragraph separators, bidi controls, lone surrogates
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def dangerous(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F or ch in "\u2028\u2029" or ch in BIDI_CONTROLS or 0xD800 <= o <= 0xDFFF


ATTACKS = {
    "clear screen": "\x1b[2J\x1b[H",
    "bell": "\x07",
    "OSC 52 clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "OSC 0 title": "\x1b]0;pwned\x1b\\",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d52;c;eA==\x9c",
    "bidi override": "\u202eevil\u202c",
    "backspace overwrite": "safe\x08\x08\x08\x08evil",
    "carriage return": "safe\revil",
    "NUL": "a\x00b",
    "DEL": "a\x7fb",
    "line separator": "a\u2028b",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_become_visible_symbols(name):
    text = ATTACKS[name]
    shown = visible(f"före {text} efter")
    assert not any(dangerous(c) for c in shown), repr(shown)
    assert shown.startswith("före ") and shown.endswith(" efter")
    assert has_unsafe(text)
    # nothing is dropped: every control character stands for something visible
    assert len(shown) >= len(f"före {text} efter")


def test_well_known_pictures():
    assert visible("\x1b[2J") == "␛[2J"
    assert visible("\x07") == "␇"
    assert visible("\x00") == "␀"
    assert visible("\x7f") == "␡"
    assert visible("\x1f\x1e\x1d") == "␟␞␝"
    assert visible("\t") == "␉" and visible("\n") == "␊"
    assert visible("\x9b") == "\\x9b"
    assert visible("\u202e") == "\\u202e"


@pytest.mark.parametrize(
    "text",
    [
        "[channel record]",
        "[bold]fet[/bold]",
        "[/]",
        "[red]x",
        "[link=file:///etc/passwd]x[/link]",
        "\\[bold]",
        "[[",
        "]]",
        "Statens medieråd, löpande",
        "Ṣanʻāʾ",
        "日本語",
        "🙂",
        "e\u0301",
    ],
)
def test_ordinary_text_and_brackets_are_untouched(text):
    assert visible(text) == text
    assert not has_unsafe(text)


def test_every_code_point():
    """All of Unicode at once: the output has no dangerous character, and the safe ones pass as they are."""
    for block in range(0, 0x110000, 0x1000):
        chars = [chr(o) for o in range(block, block + 0x1000) if not 0xD800 <= o <= 0xDFFF]
        text = "".join(chars)
        shown = visible(text)
        bad = [f"U+{ord(c):04X}" for c in shown if dangerous(c)]
        assert not bad, bad[:10]
        for c in chars:
            if not dangerous(c):
                assert c in shown


def test_lone_surrogates_cannot_crash_an_encoder():
    """A JSON "\\ud800" escape or a surrogateescape'd byte gives a lone surrogate; printed raw it
    makes sys.stdout (UTF-8) raise UnicodeEncodeError, a crash in `dump` and in the UI."""
    for s in ("\ud800", "x\udcff y", "\udfff"):
        shown = visible(s)
        shown.encode("utf-8")  # must not raise
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in shown)
        assert has_unsafe(s)


def test_arabic_letter_mark_is_a_bidi_control():
    """U+061C has the Bidi_Control property (PropList.txt) like U+200E/U+202E: it reorders text."""
    assert visible("a\u061cb") != "a\u061cb"
    assert has_unsafe("\u061c")


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_no_dangerous_character_survives(text):
    shown = visible(text)
    assert not any(dangerous(c) for c in shown)
    assert visible(shown) == shown  # idempotent: showing twice changes nothing more
    assert has_unsafe(text) == (shown != text)
    shown.encode("utf-8")


@settings(max_examples=200, derandomize=True, database=None)
@given(st.lists(st.sampled_from(sorted(set("".join(ATTACKS.values())) | set("abc [/]"))), max_size=30).map("".join))
def test_distinct_controls_stay_distinct(text):
    """Different control characters get different pictures: the cataloguer can tell what is there."""
    controls = sorted({c for c in text if dangerous(c)})
    pictures = [visible(c) for c in controls]
    assert len(set(pictures)) == len(pictures)


# -- editing the visible form: the record keeps its own characters (unshow) ----------------------------

from tui.core.model.textsafe import shown_index, unshow, visible_map  # noqa: E402

#: control characters, and plain letters that are in no stand-in (so that what is typed cannot be
#: mistaken for part of one: ``\x9b`` typed next to a C1's ``\x9b`` looks the same, on purpose)
EDIT_ALPHABET = sorted(set("".join(ATTACKS.values())) | set("äöåQWRTYZ [/]"))
texts = st.lists(st.sampled_from(EDIT_ALPHABET), max_size=25).map("".join)


def test_visible_map_says_where_each_character_is_shown():
    shown, starts = visible_map("a\x1bb\x9bc\u202e")
    assert shown == "a␛b\\x9bc\\u202e"
    assert starts == [0, 1, 2, 3, 7, 8, 14]
    assert shown_index("a\x9bb", 2) == 5
    assert visible_map("plain") == ("plain", [0, 1, 2, 3, 4, 5])


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_an_unedited_text_comes_back_exactly(text):
    assert unshow(text, visible(text)) == text
    shown, starts = visible_map(text)
    assert shown == visible(text) and len(starts) == len(text) + 1 and starts[-1] == len(shown)


def test_literal_stand_ins_in_the_record_come_back_as_they_are():
    """A record may hold ``␛`` or ``\\x9b`` as plain text: unedited, they stay plain text."""
    text = "lit ␛ och \\x9b och äkta \x1b"
    assert unshow(text, visible(text)) == text
    assert unshow(text, visible(text) + "!") == text + "!"


@settings(max_examples=400, derandomize=True, database=None)
@given(texts, st.data())
def test_typing_anywhere_keeps_every_control_character(text, data):
    k = data.draw(st.integers(0, len(text)))
    typed = data.draw(st.text(alphabet="äQZ ", min_size=1, max_size=4))
    edited = visible(text[:k]) + typed + visible(text[k:])
    assert unshow(text, edited) == text[:k] + typed + text[k:]


@settings(max_examples=400, derandomize=True, database=None)
@given(texts.filter(bool), st.data())
def test_deleting_a_stand_in_deletes_its_character_and_only_it(text, data):
    k = data.draw(st.integers(0, len(text) - 1))
    edited = visible(text[:k]) + visible(text[k + 1 :])
    assert unshow(text, edited) == text[:k] + text[k + 1 :]


def test_typed_stand_ins_are_text_never_control_characters():
    assert unshow("", "␛[2J") == "␛[2J"
    assert unshow("a", "a\\x9b") == "a\\x9b"
    # a stand-in edited inside is no longer one: what is left of it is text
    assert unshow("x\x9by", "x\\x9cy") == "x\\x9cy"
    # a pasted control character arrives made visible (SafeInput.replace): it is text too
    assert not has_unsafe(unshow("före\x1b[2J", visible("före\x1b[2J") + visible("\x07")).replace("\x1b", ""))
