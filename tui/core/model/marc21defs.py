"""The MARC 21 definitions (``tui/data/marc21.json``, made by ``tools/make_marc21.py``): for the
bibliographic, holdings and authority formats, each tag's names (English, Swedish where Libris has
one), repeatability, obsolete mark and whether Libris defined it itself; each indicator's values;
each subfield code's names, repeatability, obsolete mark and whether Libris requires it.

The one loader of that file: the validator's content checks (``tui/core/validation/marc21.py``)
and the field help read it through ``definitions()``, loaded once, on first use, from the package
data. Which format a record is in comes from its leader/06 (``format_of``); the local tags (9XX
and X9X, ``is_local``) are the library's own unless a definition says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tui.core.model.record import AUTHORITY_TYPES, HOLDINGS_TYPES
from tui.resources import data_file

FormatId = Literal["bib", "hold", "auth"]
FORMATS: tuple[FormatId, ...] = ("bib", "hold", "auth")
#: a record's kind (``LibrisRecord.kind``) -> its format in the definitions
_KINDS: dict[str, FormatId] = {
    "bib": "bib",
    "holdings": "hold",
    "hold": "hold",
    "authority": "auth",
    "auth": "auth",
}


def _name(en: str, sv: str, lang: str) -> str:
    return (sv if lang == "sv" else en) or en or sv


@dataclass(frozen=True, slots=True)
class Value:
    """One defined value of an indicator."""

    code: str
    en: str
    sv: str = ""
    obsolete: bool = False
    #: defined by Libris, not by MARC 21
    libris: bool = False

    def name(self, lang: str = "en") -> str:
        return _name(self.en, self.sv, lang)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator position: its defined values (``values is None``: any value, as in 880)."""

    values: Mapping[str, Value] | None

    def defined(self, value: str) -> bool:
        return self.values is None or value in self.values

    def obsolete(self, value: str) -> bool:
        v = self.values.get(value) if self.values is not None else None
        return v is not None and v.obsolete


#: an indicator that takes any value
ANY_INDICATOR = Indicator(None)


@dataclass(frozen=True, slots=True)
class Code:
    """One subfield code of a tag."""

    code: str
    en: str
    sv: str = ""
    repeatable: bool = True
    obsolete: bool = False
    libris: bool = False
    #: Libris's cataloguing client requires it whenever the field is there
    required: bool = False

    def name(self, lang: str = "en") -> str:
        return _name(self.en, self.sv, lang)


@dataclass(frozen=True, slots=True)
class Tag:
    tag: str
    en: str
    sv: str = ""
    repeatable: bool = True
    obsolete: bool = False
    #: defined by Libris (its marcmap), not by MARC 21
    libris: bool = False
    #: the two indicators (None for a control field)
    indicators: tuple[Indicator, Indicator] | None = None
    #: code -> definition (None: any code, as in 870-873 or 880)
    subfields: Mapping[str, Code] | None = None

    def name(self, lang: str = "en") -> str:
        return _name(self.en, self.sv, lang)

    @property
    def control(self) -> bool:
        return self.indicators is None


Status = Literal["defined", "obsolete", "libris", "local", "undefined"]


@dataclass(frozen=True)
class Format:
    """The definitions of one format (``bib``, ``hold`` or ``auth``; or a schedule of other tags,
    as an Avram schema's)."""

    id: str
    tags: Mapping[str, Tag]

    def get(self, tag: str) -> Tag | None:
        return self.tags.get(tag)

    def __contains__(self, tag: object) -> bool:
        return tag in self.tags

    def status(self, tag: str) -> Status:
        """What ``tag`` is in this format: defined (current MARC 21), libris (defined by Libris
        itself), local (9XX or X9X with no current definition: the library's own), obsolete, or
        undefined."""
        t = self.tags.get(tag)
        if t is not None and not t.obsolete:
            return "libris" if t.libris else "defined"
        if is_local(tag):
            return "local"
        return "obsolete" if t is not None else "undefined"


@dataclass(frozen=True)
class Definitions:
    formats: Mapping[str, Format]
    source: Mapping[str, str]

    def format(self, kind: str) -> Format:
        """The format of a record kind: ``bib``, ``holdings`` / ``hold``, ``authority`` / ``auth``."""
        return self.formats[_KINDS[kind]]

    def for_leader(self, leader: str) -> Format:
        return self.formats[format_of(leader)]

    def tag(self, kind: str, tag: str) -> Tag | None:
        return self.format(kind).get(tag)


def format_of(leader: str) -> FormatId:
    """The format of a record from its leader/06 (as ``LibrisRecord.kind``)."""
    t = leader[6:7]
    if t in HOLDINGS_TYPES:
        return "hold"
    if t in AUTHORITY_TYPES:
        return "auth"
    return "bib"


def is_local(tag: str) -> bool:
    """9XX and X9X: tags MARC 21 leaves to local use (490 and the like are defined all the same:
    ``Format.status`` asks the definitions first)."""
    return len(tag) == 3 and tag.isdigit() and tag >= "010" and (tag[0] == "9" or tag[1] == "9")


def _indicator(d: dict | None) -> Indicator:
    if d is None:
        return ANY_INDICATOR
    return Indicator(
        {
            c: Value(c, v.get("en", ""), v.get("sv", ""), bool(v.get("obsolete")), bool(v.get("libris")))
            for c, v in d.items()
        }
    )


def _tag(tag: str, d: dict) -> Tag:
    inds = None
    subs = None
    if "ind" in d:
        i1, i2 = d["ind"]
        inds = (_indicator(i1), _indicator(i2))
        if d.get("subfields") is not None:
            subs = {
                c: Code(
                    c,
                    s.get("en", ""),
                    s.get("sv", ""),
                    bool(s.get("repeatable", True)),
                    bool(s.get("obsolete")),
                    bool(s.get("libris")),
                    bool(s.get("required")),
                )
                for c, s in d["subfields"].items()
            }
    return Tag(
        tag,
        d.get("en", ""),
        d.get("sv", ""),
        bool(d.get("repeatable", True)),
        bool(d.get("obsolete")),
        bool(d.get("libris")),
        inds,
        subs,
    )


def load(path=None) -> Definitions:
    """Read a definitions file (the shipped one by default)."""
    with open(path or data_file("marc21.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    formats: dict[str, Format] = {fid: Format(fid, {t: _tag(t, d) for t, d in data[fid].items()}) for fid in FORMATS}
    return Definitions(formats, data.get("_source", {}))


@lru_cache(maxsize=1)
def definitions() -> Definitions:
    """The shipped definitions, read on first use and kept."""
    return load()


__all__ = [
    "FORMATS",
    "Value",
    "Indicator",
    "ANY_INDICATOR",
    "Code",
    "Tag",
    "Format",
    "Definitions",
    "definitions",
    "load",
    "format_of",
    "is_local",
]
