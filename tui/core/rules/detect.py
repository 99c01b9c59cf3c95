"""What a record *is*, from its MARC (SPEC section 2): the detection half of the rules.

Kept small and dependency-free so that readers, scans, views and the rules engine agree.
The raw-byte counterparts (for scans over a whole file) live in ``scan.py``.
"""

from __future__ import annotations

import re

from pymarc import Record

from tui.core.model.record import LibrisRecord

CHANNEL_TERM = "channel record"
SUPPRESS = "SUPPRESSRECORD"
EPLK = "EPLK"
DIGI = "DIGI"
APIS = "APIS"

_BRACKETS = re.compile(r"^[\s\[]*(.*?)[\]\s.,:;/=]*$")


def _marc(r: Record | LibrisRecord) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


def media_term(value: str) -> str:
    """``[channel record]`` -> ``channel record`` (245 $h is bracketed in MARC, not in Libris)."""
    m = _BRACKETS.match(value or "")
    return (m.group(1) if m else value).strip()


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


#: tags of holdings embedded in a bib with $5 <sigel> (Libris exports); holdings.py uses it too
EMBEDDED_HOLDING_TAGS = frozenset(("841", "852", "856", "866", "867", "868", "876", "877", "878"))


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


def is_eplikt(rec: Record | LibrisRecord) -> bool:
    """EPL-DETECT: ``042 $9 EPLK``, or an APIS holding and no ``042 $9 DIGI``."""
    return has_eplk(rec) or (has_apis(rec) and not has_digi(rec))
