"""Libris's own rules for MARC records, beside MARC 21's (kind ``libris`` in the rule table; warnings
and notes, no errors: Libris imports such a record, but rewrites, drops or completes part of it):

* LIBRIS-LEVEL: leader/17 is a level Libris accepts (blank full level, 3 minimum level, 7 library
  level; 5 and 8 preliminary, said as a note); any other is rewritten to 3 on import;
* LIBRIS-REQUIRED: a record at full, minimum or library level has what the minimum level asks
  (kb.se "Beskrivningsnivåer"): 008 with its cataloguing source (008/39), 040 $a, 260 or 264,
  300 $a (245 $a is MARC-REQUIRED's);
* LIBRIS-040: an RDA record (content, media and carrier types in 336/337/338) says so in 040 $e rda;
* LIBRIS-SAB: an SAB classification in 084 names its edition in $2 ``kssb/N``;
* LIBRIS-001: the control number has Libris's form (14-17 letters and digits in Libris XL, digits
  in older records); another is a note (Libris numbers a new record itself);
* LIBRIS-DROPPED: a field Libris XL ignores on import (its marcframe mapping marks it ignored;
  the embedded holdings fields of a bibliographic record are imported as holdings, not dropped);
* LIBRIS-HOLDINGS: a holdings record has 004 (its bibliographic record) and 852 (its sigel).

Which fields Libris XL ignores is read from ``tui/data/marcframe.json`` (once).
"""

from __future__ import annotations

import json
import re
from functools import cache

from tui.core.model.marc21defs import format_of
from tui.core.rules.eplikt import HOLDING_TAGS
from tui.resources import data_file

#: leader/17 levels Libris accepts, and those it takes as preliminary
LEVELS = frozenset(" 37")
PRELIMINARY = frozenset("58")
#: 001 as Libris XL writes it, and as older Libris records have it
_XL_ID = re.compile(r"^[0-9a-z]{14,17}$")
_OLD_ID = re.compile(r"^\d{1,13}$")
_KSSB = re.compile(r"^kssb/\d+")
_RDA_TYPES = frozenset(("336", "337", "338"))
_SECTIONS = {"bib": "bib", "hold": "hold", "auth": "auth"}


@cache
def dropped(fid: str) -> frozenset[str]:
    """The tags Libris XL ignores on import in format ``fid`` (bib / hold / auth)."""
    with open(data_file("marcframe.json"), encoding="utf-8") as fh:
        section = json.load(fh).get(_SECTIONS[fid], {})
    tags = {t for t, d in section.items() if isinstance(d, dict) and d.get("ignored") is True and t.isdigit()}
    if fid == "bib":
        tags -= HOLDING_TAGS  # embedded holdings: imported as holdings records
    return frozenset(tags)


def watch() -> frozenset[str]:
    """The tags the checks look at (the validator collects them in its structure pass)."""
    return _WATCH | dropped("bib") | dropped("hold") | dropped("auth")


_WATCH = frozenset(("001", "004", "008", "040", "084", "260", "264", "300", "336", "337", "338", "852"))


def check(marc, add, *, holding: bool = False, watched: dict | None = None) -> None:
    """Libris's rules for one pymarc record, said through ``add`` (the validator's).
    ``holding``: a holding made in this session (Libris links it and numbers it on import).
    ``watched``: the record's fields by tag, at least those of ``watch()`` (else collected here)."""
    leader = str(marc.leader) if marc.leader is not None else ""
    fid = format_of(leader)
    if watched is None:
        wanted = watch()
        watched = {}
        for f in marc.fields:
            if f.tag in wanted:
                watched.setdefault(f.tag, []).append(f)

    def first(tag: str):
        got = watched.get(tag)
        return got[0] if got else None

    drop = dropped(fid)
    if not drop.isdisjoint(watched):
        for tag in sorted(drop.intersection(watched)):
            for n in range(1, len(watched[tag]) + 1):
                add("LIBRIS-DROPPED", "dropped", tag, n, tag=tag)
    for n, f in enumerate(watched.get("084", ()), 1):
        if not f.control_field:
            _sab(f, n, add)
    f001 = first("001")
    cn = (getattr(f001, "data", None) or "").strip()
    if cn and not (_XL_ID.match(cn) or _OLD_ID.match(cn)):
        add("LIBRIS-001", "form", "001", 1, value=cn)
    if fid == "hold":
        for tag in ("004", "852"):
            if tag not in watched and not (holding and tag == "004"):
                add("LIBRIS-HOLDINGS", "missing-" + tag, tag, None)
        return
    if fid != "bib" or len(leader) != 24:
        return
    level = leader[17]
    if level in PRELIMINARY:
        add("LIBRIS-LEVEL", "preliminary", "000", None, value=level)
    elif level not in LEVELS:
        add("LIBRIS-LEVEL", "rewritten", "000", None, value=level)
    else:
        _required(first, watched, add)
    f040 = first("040")
    if f040 is not None and not _RDA_TYPES.isdisjoint(watched) and not f040.control_field:
        if not any(c == "e" and v.strip().casefold() == "rda" for c, v in f040.subfields):
            add("LIBRIS-040", "rda", "040", 1)


def _sab(f, occ: int, add) -> None:
    sources = [v.strip() for c, v in f.subfields if c == "2"]
    if not sources:
        add("LIBRIS-SAB", "no-2", "084", occ)
    elif any(s.casefold().startswith("kssb") and not _KSSB.match(s.casefold()) for s in sources):
        add("LIBRIS-SAB", "edition", "084", occ, value=next(s for s in sources if s.casefold().startswith("kssb")))


def _has(f, code: str) -> bool:
    return f is not None and not f.control_field and any(c == code and v.strip() for c, v in f.subfields)


def _required(first, present, add) -> None:
    """What the minimum level asks of a record at full, minimum or library level."""
    f008 = first("008")
    data = getattr(f008, "data", None) or ""
    if len(data) == 40 and data[39] == "|":
        add("LIBRIS-REQUIRED", "008-39", "008", 1)
    if not _has(first("040"), "a"):
        add("LIBRIS-REQUIRED", "field", "040", None, what="040 $a")
    if "260" not in present and "264" not in present:
        add("LIBRIS-REQUIRED", "field", "264", None, what="260 / 264")
    if not _has(first("300"), "a"):
        add("LIBRIS-REQUIRED", "field", "300", None, what="300 $a")


__all__ = ["check", "dropped", "watch", "LEVELS", "PRELIMINARY"]
