"""The fixed fields position by position: the leader, 006, 007 and 008, each position named in
Swedish and English with the codes it takes for this record type and material.

The layouts are data (``tui/data/fixed-fields.json``, made by ``tools/make_fixed_fields.py``
from Libris's MARC 21 definitions): which layout applies is chosen the way MARC 21 chooses it,
008 by the leader's type of record and bibliographic level (06-07), 006 by its 00 (form of
material), 007 by its 00 (category of material). ``layout_for`` gives it; ``problem`` says why a
value may not go in a position (a code the list does not have); ``relay_008`` lays an 008 out
again for a new record type (the positions all materials share are kept, the material's own
ones get the new material's defaults); ``compose`` puts the edited positions into the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, lru_cache

from tui.resources import data_file

DATA = data_file("fixed-fields.json")
TAGS = ("000", "006", "007", "008")
#: 008/18-34 are the material's own positions; 00-17 and 35-39 are the same for all materials
MATERIAL_008 = (18, 35)
FILL = "|"


@dataclass(frozen=True)
class Position:
    offset: int
    length: int
    sv: str
    en: str
    default: str = ""
    #: code -> (Swedish, English) meaning; None: free text (a date, a language code)
    codes: dict[str, tuple[str, str]] | None = None

    @property
    def span(self) -> str:
        """``06`` or ``07-10``: the positions as the MARC documentation writes them."""
        end = self.offset + self.length - 1
        return f"{self.offset:02d}" + (f"-{end:02d}" if end != self.offset else "")

    def name(self, lang: str = "sv") -> str:
        return (self.sv if lang == "sv" else self.en) or self.sv or self.en

    def meaning(self, code: str, lang: str = "sv") -> str | None:
        if self.codes is None or code not in self.codes:
            return None
        sv, en = self.codes[code]
        return (sv if lang == "sv" else en) or sv or en

    def allowed(self, text: str) -> bool:
        """May ``text`` stand in this position (the right length; a code of the list, the fill
        character or the default where there is a list)?"""
        if len(text) != self.length:
            return False
        if self.codes is None:
            return True
        return text in self.codes or text == self.default or text == FILL * self.length

    def characters(self) -> str:
        """Every character a code of this position may have (what an input lets through)."""
        if self.codes is None:
            return ""
        chars = set("".join(self.codes)) | set(self.default) | {FILL}
        return "".join(sorted(chars))


@dataclass(frozen=True)
class Layout:
    tag: str
    name: str
    sv: str
    en: str
    positions: tuple[Position, ...] = field(default_factory=tuple)
    #: the length the field has (24 for the leader, 40 for a bibliographic 008), None: as given
    length: int | None = None

    def title(self, lang: str = "sv") -> str:
        return (self.sv if lang == "sv" else self.en) or self.name


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA.read_text("utf-8"))


def _layout(tag: str, d: dict, length: int | None) -> Layout:
    positions = tuple(
        Position(
            c["offset"],
            c["length"],
            c.get("sv", ""),
            c.get("en", ""),
            c.get("default", ""),
            {k: (v[0], v[1]) for k, v in c["codes"].items()} if "codes" in c else None,
        )
        for c in d["columns"]
    )
    return Layout(tag, d["name"], d.get("sv", ""), d.get("en", ""), positions, length)


_LENGTHS = {("bib", "000"): 24, ("holdings", "000"): 24, ("bib", "008"): 40, ("bib", "006"): 18}


def layouts(tag: str, kind: str = "bib") -> list[Layout]:
    part = _data().get("hold" if kind == "holdings" else "bib", {})
    return [_layout(tag, d, _LENGTHS.get((kind, tag))) for d in part.get(tag, [])]


def layout_for(tag: str, kind: str, leader: str, value: str = "") -> Layout | None:
    """The layout of ``tag`` for a record of ``kind`` (bib / holdings) with ``leader``; for 006 and
    007 the value's first position chooses. None when the definitions have none. The layouts
    are made once per choice (the validator asks for one per record)."""
    if tag == "000" or kind == "holdings":
        key = ""
    elif tag == "008":
        key = (leader + "  ")[6:8]
    else:
        key = value[:1]
    return _select(tag, kind, key)


@cache
def _select(tag: str, kind: str, key: str) -> Layout | None:
    part = _data().get("hold" if kind == "holdings" else "bib", {})
    entries = part.get(tag, [])
    if not entries:
        return None
    length = _LENGTHS.get((kind, tag))
    if tag == "000" or kind == "holdings":
        return _layout(tag, entries[0], length)
    if tag == "008":
        for d in entries:
            if key in d.get("type_level", ()):
                return _layout(tag, d, length)
        for d in entries:  # the type of record alone (a level Libris did not list)
            if any(k[0] == key[:1] for k in d.get("type_level", ())):
                return _layout(tag, d, length)
        return _layout(tag, entries[0], length)
    for d in entries:
        if key in d.get("keys", ()):
            return _layout(tag, d, length)
    return None


def value_at(value: str, p: Position) -> str:
    return value[p.offset : p.offset + p.length].ljust(p.length)


def problem(p: Position, text: str) -> str | None:
    """Why ``text`` may not go in position ``p`` (None: it may)."""
    if len(text) != p.length:
        return f"{p.span} {p.name('en')}: {p.length} character{'s' if p.length != 1 else ''}, not {len(text)}"
    if not p.allowed(text):
        return f"{p.span} {p.name('en')}: {text!r} is not one of its codes"
    return None


def compose(value: str, layout: Layout, edits: dict[int, str]) -> str:
    """``value`` with the positions in ``edits`` (offset -> text) replaced."""
    length = layout.length or max([len(value)] + [p.offset + p.length for p in layout.positions])
    chars = list(value.ljust(length)[:length] if layout.length else value.ljust(length))
    by_offset = {p.offset: p for p in layout.positions}
    for off, text in edits.items():
        p = by_offset[off]
        chars[off : off + p.length] = list(text.ljust(p.length)[: p.length])
    return "".join(chars)


def relay_008(value: str, new: Layout) -> str:
    """An 008 laid out for another material: 00-17 and 35-39 kept, 18-34 the new defaults."""
    lo, hi = MATERIAL_008
    chars = list(value.ljust(40)[:40])
    chars[lo:hi] = [" "] * (hi - lo)
    for p in new.positions:
        if lo <= p.offset < hi and p.default:
            chars[p.offset : p.offset + p.length] = list(p.default.ljust(p.length)[: p.length])
    return "".join(chars)


__all__ = ["Position", "Layout", "layouts", "layout_for", "value_at", "problem", "compose", "relay_008", "TAGS"]
