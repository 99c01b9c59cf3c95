"""Finding records the way a cataloguer types: what of a record a search looks at (title, names,
identifiers, control numbers) and the fold that makes "ake" find "Åke", "Ostergren" find
"Östergren" and "ISBN 91-7" find "9170...".

``fold`` is Unicode NFKD with the combining marks dropped and the case folded, plus the Nordic
and Latin letters that NFKD keeps whole (ø, æ, ð, þ, ł, đ, ß), so a query typed on any keyboard
matches. Hyphens and spaces inside identifiers are ignored for identifier fields only.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from tui.core.model.record import LibrisRecord

#: letters NFKD leaves as they are, written as a plain keyboard writes them
_WHOLE = str.maketrans({"ø": "o", "æ": "ae", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i", "œ": "oe"})
#: tags whose subfields a search reads: names (1XX, 7XX), identifiers, links to other records
NAME_TAGS = frozenset(("100", "110", "111", "130", "700", "710", "711", "720", "730"))
ID_TAGS = frozenset(("020", "022", "024", "027", "028", "035"))
LINK_TAGS = frozenset(("772", "773", "776", "787"))
_ID_CODES = frozenset("azwx")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """``text`` as a search compares it: no accents, no case, ø/æ/ß spelt out."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_WHOLE)


def _compact(text: str) -> str:
    return "".join(c for c in text if c not in "- ")


def searchable(rec: LibrisRecord) -> list[tuple[str, str]]:
    """(what, value) pairs a search matches against, in the order a hit is shown."""
    out = [("title", rec.title or "")]
    if rec.control_number:
        out.append(("001", rec.control_number))
    for f in rec.marc.fields:
        if f.is_control_field():
            continue
        tag = f.tag
        if tag in NAME_TAGS:
            name = " ".join(sf.value.strip() for sf in f.subfields if sf.code in "abcdq" and sf.value.strip())
            if name:
                out.append((tag, name))
        elif tag in ID_TAGS or tag in LINK_TAGS or tag.startswith("02"):
            for sf in f.subfields:
                if sf.code in _ID_CODES and sf.value.strip():
                    out.append((f"{tag} ${sf.code}", sf.value.strip()))
    return out


def matches(query: str, what: str, value: str) -> bool:
    """Whether ``value`` (a ``searchable`` pair's) holds ``query``, both folded; identifiers
    also without their hyphens and spaces (``9789170374511`` finds ``978-91-7037-451-1``)."""
    q = fold(query.strip())
    if not q:
        return False
    v = fold(value)
    if q in v:
        return True
    if what == "001" or what[:3] in ID_TAGS or what[:3] in LINK_TAGS or what.startswith("02"):
        cq = _compact(q)
        return bool(cq) and cq in _compact(v)
    return False


__all__ = ["fold", "matches", "searchable"]
