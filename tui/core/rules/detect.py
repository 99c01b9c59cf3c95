"""What a record *is*, from its MARC (KB's "E-plikt i Libris"): the detection half of the rules.

Kept small so that readers, scans, views, the validator and the rules engine agree: the record
state (e-plikt, channel record, SUPPRESSRECORD, DIGI, APIS, 506 restricted) is worked out here
and nowhere else (``state_from``), the embedded-holding tags come from the rule table, and what a
sigel looks like is said here (``is_sigel``). The raw-byte counterparts (for scans over a whole
file) live in ``batch/scan.py`` and decide with ``eplikt_by``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from pymarc import Field, Record

from tui.core.model.record import LibrisRecord
from tui.core.rules import table

CHANNEL_TERM = "channel record"
SUPPRESS = "SUPPRESSRECORD"
EPLK = "EPLK"
DIGI = "DIGI"
APIS = "APIS"

#: what stands after a bracketed media term in 245 $h (besides white space)
_AFTER_TERM = frozenset("].,:;/=")


def _marc(r: Record | LibrisRecord) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


def media_term(value: str) -> str:
    """``[channel record]`` -> ``channel record`` (245 $h is bracketed in MARC, not in Libris)."""
    # (a scan, not a regular expression: a value of 100,000 brackets took minutes to backtrack)
    v = value or ""
    i, j = 0, len(v)
    while i < j and (v[i] == "[" or v[i].isspace()):
        i += 1
    while j > i and (v[j - 1] in _AFTER_TERM or v[j - 1].isspace()):
        j -= 1
    term = v[i:j]
    return v.strip() if "\n" in term else term.strip()


def bibliography_sigels(r: Record | LibrisRecord) -> list[str]:
    """``042 $9`` values: Libris's "Bibliografi / Bibliotek / Sigel"."""
    return [sf.value.strip() for f in _marc(r).get_fields("042") for sf in f.subfields if sf.code == "9"]


def is_channel(r: Record | LibrisRecord) -> bool:
    """CHN-DETECT: ``245 $h [channel record]``."""
    return any(
        media_term(sf.value).lower() == CHANNEL_TERM
        for f in _marc(r).get_fields("245")
        for sf in f.subfields
        if sf.code == "h"
    )


def is_suppressed(r: Record | LibrisRecord) -> bool:
    """``599 $a SUPPRESSRECORD``."""
    return any(
        sf.value.strip().upper() == SUPPRESS for f in _marc(r).get_fields("599") for sf in f.subfields if sf.code == "a"
    )


def has_eplk(r: Record | LibrisRecord) -> bool:
    return EPLK in bibliography_sigels(r)


def has_digi(r: Record | LibrisRecord) -> bool:
    return DIGI in bibliography_sigels(r)


#: tags of holdings embedded in a bib with $5 <sigel> (Libris exports): the rule table's list
EMBEDDED_HOLDING_TAGS = frozenset(table.current().holdings["embedded_tags"])

#: a sigel: a library code of letters and digits (``S``, ``Li``, ``Gbg``), perhaps with ``-``/``_``
_SIGEL = re.compile(r"^[^\W_][\w-]{0,15}$")


def is_sigel(value: str) -> bool:
    """Does ``value`` look like a Libris sigel (a library code such as S, Li or Gbg)?"""
    return bool(_SIGEL.match(value or ""))


def embedded_sigel(f: Field) -> str | None:
    """The sigel of an embedded holding field (its first non-empty ``$5``), or None."""
    if f.tag not in EMBEDDED_HOLDING_TAGS or f.is_control_field():
        return None
    for sf in f.subfields:
        if sf.code == "5" and sf.value.strip():
            return sf.value.strip()
    return None


def embedded_holding_sigels(r: Record | LibrisRecord) -> list[str]:
    """Sigels of holdings embedded in a bib (Libris exports: 841/852/856... with ``$5 sigel``)."""
    out: list[str] = []
    for f in _marc(r).fields:
        if f.tag not in EMBEDDED_HOLDING_TAGS or f.is_control_field():
            continue
        for sf in f.subfields:
            if sf.code == "5" and sf.value.strip() and sf.value.strip() not in out:
                out.append(sf.value.strip())
    return out


def holding_sigel(h: Record | LibrisRecord) -> str | None:
    """The sigel of a MARC21 holdings record: ``852 $b``."""
    for f in _marc(h).get_fields("852"):
        for sf in f.subfields:
            if sf.code == "b" and sf.value.strip():
                return sf.value.strip()
    return None


def holding_sigels(rec: LibrisRecord) -> list[str]:
    """Every sigel holding this bib: linked holdings records and embedded holdings."""
    out = [s for s in (holding_sigel(h) for h in rec.holdings) if s]
    for s in embedded_holding_sigels(rec):
        if s not in out:
            out.append(s)
    return out


def has_apis(rec: Record | LibrisRecord) -> bool:
    if isinstance(rec, LibrisRecord):
        return APIS in holding_sigels(rec)
    return APIS in embedded_holding_sigels(rec)


def eplikt_by(eplk: bool, apis: bool, digi: bool) -> bool:
    """EPL-DETECT: ``042 $9 EPLK``, or an APIS holding and no ``042 $9 DIGI``."""
    return eplk or (apis and not digi)


def is_eplikt(rec: Record | LibrisRecord) -> bool:
    """EPL-DETECT (``eplikt_by``), with the record's linked holdings when it has them."""
    return eplikt_by(has_eplk(rec), has_apis(rec), has_digi(rec))


# -- the record state ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordState:
    eplikt: bool
    channel: bool
    suppressed: bool
    digi: bool
    apis: bool
    eplk: bool = False
    restricted: bool = False

    @property
    def read_only(self) -> bool:
        """CHN-READONLY: nothing in a channel record may change."""
        return self.channel

    def describe(self) -> str:
        parts = []
        if self.channel:
            parts.append("channel record")
        if self.eplikt:
            parts.append("e-plikt" + (" (EPLK)" if self.eplk else " (APIS holding)"))
        if self.digi:
            parts.append("DIGI")
        if self.suppressed:
            parts.append("SUPPRESSRECORD")
        if self.restricted:
            parts.append("506 restricted")
        return ", ".join(parts) or "ordinary record"


#: the 506 $a value the e-plikt flow writes for restricted access (URI-MOVE)
RESTRICTED = table.current().access.get("restricted", "restricted")


def norm_term(value: str) -> str:
    """A term as the rules compare it: no surrounding punctuation or space, case folded."""
    return value.strip().strip(".,;:/ ").casefold()


@lru_cache(maxsize=4096)
def _channel_term(value: str) -> bool:
    """CHN-DETECT for one 245 $h value (the same few values over and over)."""
    return media_term(value).lower() == CHANNEL_TERM


@lru_cache(maxsize=4096)
def _restricted_term(value: str) -> bool:
    return norm_term(value) == RESTRICTED


_STATES: dict[tuple, RecordState] = {}


def state_from(fields_of: Callable[[str], Iterable[Field]], linked_sigels: Iterable[str] = ()) -> RecordState:
    """The record state from ``fields_of(tag)`` (the record's fields with that tag) and the sigels
    of its linked holdings records: EPL-DETECT, CHN-DETECT, SUPPRESSRECORD, DIGI, APIS, 506
    restricted. One look at each field concerned; the validator passes the fields it collected
    on its own pass, ``rules.eplikt.record_state`` a record's ``get_fields``."""
    eplk = digi = apis = channel = suppressed = restricted = False
    for f in fields_of("042"):
        for code, value in f.subfields:
            if code == "9":
                v = value.strip()
                if v == EPLK:
                    eplk = True
                elif v == DIGI:
                    digi = True
    if APIS in linked_sigels:
        apis = True
    else:
        for tag in EMBEDDED_HOLDING_TAGS:
            for f in fields_of(tag):
                if not f.is_control_field() and any(
                    code == "5" and value.strip() == APIS for code, value in f.subfields
                ):
                    apis = True
    for f in fields_of("245"):
        for code, value in f.subfields:
            if code == "h" and _channel_term(value):
                channel = True
    for f in fields_of("599"):
        for code, value in f.subfields:
            if code == "a" and value.strip().upper() == SUPPRESS:
                suppressed = True
    for f in fields_of("506"):
        for code, value in f.subfields:
            if code == "a" and _restricted_term(value):
                restricted = True
    key = (eplikt_by(eplk, apis, digi), channel, suppressed, digi, apis, eplk, restricted)
    st = _STATES.get(key)
    if st is None:  # RecordState is frozen: one instance per combination is shared
        st = _STATES[key] = RecordState(*key)
    return st
