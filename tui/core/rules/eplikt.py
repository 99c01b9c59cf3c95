"""The e-plikt rules (KB's "E-plikt i Libris"): what a record is, what may change.

The rules themselves are data (``tui/data/rules.toml``, read by ``table.py``: id, sentences in
English and Swedish, label, the field groups that EPL-PROTECT covers); this module applies them:

* ``record_state(record)``: e-plikt (EPL-DETECT), channel record (CHN-DETECT), SUPPRESSRECORD,
  DIGI, APIS holding, 506 restricted.
* ``protection(record, tag, occurrence, code)``: may this part be changed, and if not, why
  (``Protection``: the rule, the table's sentence that says why, the Swedish label). The UI greys protected parts out with this; the
  edit commands refuse with it; the validator uses the same groups against an original record.
* ``hidden(record)``: CHN-HIDE.

Detection itself lives in ``detect.py`` so that readers, scans and views agree with the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymarc import Field, Record

from tui.core.model.record import LibrisRecord
from tui.core.rules import detect, table
from tui.core.rules.detect import RecordState
from tui.core.rules.table import ProtectGroup, Refusal, Rule

# -- the rule table ----------------------------------------------------------------------------

_load = table.load  # a table read from a file (tests load broken ones)

RULES = table.current().rules
PROTECT: list[ProtectGroup] = list(table.current().protect)
LABELS = table.current().labels
_ACCESS = table.current().access

#: tag -> its EPL-PROTECT group
PROTECTED_TAGS: dict[str, ProtectGroup] = {t: g for g in PROTECT for t in g.tags}
#: the 506 $a values the e-plikt flow writes
ACCESS_VALUES = tuple(_ACCESS.get("values", ("gratis", "restricted")))
RESTRICTED = detect.RESTRICTED

#: the rules of KB's "E-plikt i Libris"
SPEC_RULES = tuple(r for r, v in RULES.items() if v.kind == "rule")


def rule(rule_id: str) -> Rule:
    return table.rule(rule_id)


def label(key: str, default: str = "") -> str:
    return table.current().labels.get(key, default)


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protection:
    """Why a part of a record may not be changed: the rule, the sentence of the rule table that
    says why (``key`` and its fields), and the Swedish label of the part."""

    rule: str
    key: str
    fields: tuple[tuple[str, Any], ...]
    label_sv: str

    def reason_in(self, lang: str | None = None) -> str:
        return protection_reason(self.rule, self.key, dict(self.fields), lang)

    @property
    def reason(self) -> str:
        """Why, in the chosen language."""
        return self.reason_in()

    @property
    def reason_en(self) -> str:
        return self.reason_in("en")

    def describe(self) -> str:
        lab = f" [{self.label_sv}]" if self.label_sv else ""
        return f"{self.reason}{lab} ({self.rule})"

    def refusal(self, where: str) -> Refusal:
        """The refusal of an edit of ``where`` (``506[1] $a``) for this reason."""
        lab = f" [{self.label_sv}]" if self.label_sv else ""
        return Refusal(self.rule, f"{where}: {self.reason}{lab}")


def protection_reason(rule_id: str, key: str, fields: dict, lang: str | None = None) -> str:
    """A protection's sentence: EPL-PROTECT's ``field`` names the group's fields (``what``) in the
    language; ``uri`` lists what URI-FIX, URI-ADD (and with 506 restricted URI-MOVE) allow."""
    if key == "field":
        fields = {**fields, "what": PROTECTED_TAGS[fields["tag"]].what_in(lang)}
    elif key == "uri":
        allowed = [table.say("URI-FIX", "allowed", lang=lang), table.say("URI-ADD", "allowed", lang=lang)]
        if fields.get("restricted"):
            allowed.append(table.say("URI-MOVE", "allowed", lang=lang))
        fields = {"allowed": "; ".join(allowed)}
    return table.say(rule_id, key, lang=lang, **fields)


def _protected(rule_id: str, key: str, label_sv: str, **fields: Any) -> Protection:
    return Protection(rule_id, key, tuple(sorted(fields.items())), label_sv)


# -- record state ------------------------------------------------------------------------------


def _marc(r: Record | LibrisRecord) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


_norm_term = detect.norm_term


def is_restricted(record: Record | LibrisRecord) -> bool:
    """``506 $a restricted`` (URI-MOVE): the rights information the e-plikt flow writes."""
    return any(
        sf.code == "a" and _norm_term(sf.value) == RESTRICTED
        for f in _marc(record).get_fields("506")
        for sf in f.subfields
    )


def record_state(record: Record | LibrisRecord, source=None) -> RecordState:
    """What the record is (EPL-DETECT, CHN-DETECT, SUPPRESSRECORD, DIGI, APIS): ``detect.state_from``.

    An APIS holding counts whether it is embedded (``$5 APIS``) or a holdings record in the same
    file (``record.holdings``, or found through ``source`` when given).
    """
    marc = _marc(record)
    linked: list[str] = []
    if isinstance(record, LibrisRecord):
        linked = [s for s in (detect.holding_sigel(h) for h in record.holdings) if s]
        if not record.holdings and source is not None and record.kind == "bib":
            try:
                found = source.holdings_for(record)
            except Exception:  # a source that cannot link holdings: embedded ones still count
                found = []
            linked += [s for s in (detect.holding_sigel(h) for h in found) if s]
    return detect.state_from(marc.get_fields, linked)


def hidden(record: Record | LibrisRecord, show_channels: bool = False) -> bool:
    """CHN-HIDE: channel records are hidden unless the user asks to see them."""
    return not show_channels and detect.is_channel(_marc(record))


def visible_records(records: Iterable, show_channels: bool = False) -> list:
    """The records a list shows (CHN-HIDE); other entries (broken records) are kept."""
    return [r for r in records if not isinstance(r, (LibrisRecord, Record)) or not hidden(r, show_channels)]


# -- fields ------------------------------------------------------------------------------------

HOLDING_TAGS = detect.EMBEDDED_HOLDING_TAGS

#: the sigel of an embedded holding field (``$5 sigel`` in 841/852/856/86X/87X), else None
holding_field_sigel = detect.embedded_sigel


def field_at(record: Record | LibrisRecord, tag: str, occurrence: int | None) -> Field | None:
    """The ``occurrence``-th (1-based) field with ``tag``, or None."""
    if occurrence is None or occurrence < 1:
        return None
    n = 0
    for f in _marc(record).fields:
        if f.tag == tag:
            n += 1
            if n == occurrence:
                return f
    return None


def has_code(f: Field, code: str) -> bool:
    return not f.is_control_field() and any(sf.code == code for sf in f.subfields)


def restricted_uri_occurrences(record: Record | LibrisRecord, state: RecordState | None = None) -> list[int]:
    """URI-MOVE targets: 856 (not holdings) with second indicator 0 in an e-plikt record with
    506 restricted. Occurrences are 1-based among the record's 856 fields."""
    st = state or record_state(record)
    if not (st.eplikt and st.restricted):
        return []
    out = []
    for occ, f in enumerate(_marc(record).get_fields("856"), 1):
        if f.indicator2 == "0" and holding_field_sigel(f) is None:
            out.append(occ)
    return out


def protection_group(tag: str) -> ProtectGroup | None:
    return PROTECTED_TAGS.get(tag)


_EPLIKT_MARKERS = (detect.EPLK, detect.DIGI)


#: the fields the system sets in every record (SYS-READONLY): control number, its source, the
#: latest transaction time
SYSTEM_TAGS = frozenset({"001", "003", "005"})


def _channel_protection() -> Protection:
    return _protected("CHN-READONLY", "protected", label("channel", "Kanalpost"))


def protection(
    record: Record | LibrisRecord,
    tag: str,
    occurrence: int | None = None,
    code: str | None = None,
    *,
    state: RecordState | None = None,
) -> Protection | None:
    """May this part of the record be changed, and if not, why.

    ``tag`` alone asks about the tag in general (e.g. adding such a field), ``occurrence``
    (1-based) about one field (changing its indicators, adding or deleting subfields, deleting
    or moving it), ``code`` about changing the value of one of its subfields.
    """
    st = state or record_state(record)
    if st.channel:
        return _channel_protection()
    if tag in SYSTEM_TAGS:
        return _protected("SYS-READONLY", "set-by-system", label("system", "Systemfält"), tag=tag)
    if not st.eplikt:
        return None
    f = field_at(record, tag, occurrence)
    # The e-plikt markers: 042 $9 EPLK/DIGI and KB's APIS holding (EPL-DETECT).
    if tag == "042":
        fields = [f] if f is not None else _marc(record).get_fields("042")
        marked = [
            sf.value.strip()
            for g in fields
            if not g.is_control_field()
            for sf in g.subfields
            if sf.code == "9" and sf.value.strip() in _EPLIKT_MARKERS
        ]
        if marked and code in (None, "9"):
            return _protected("EPL-DETECT", "marker", label("042", "Bibliografi / Bibliotek / Sigel"), marker=marked[0])
        return None
    if f is not None:
        sigel = holding_field_sigel(f)
        if sigel == detect.APIS:
            return _protected("EPL-DETECT", "apis-field", label("holding", "Bestånd"), tag=tag)
        if sigel is not None:
            return None  # a library's own embedded holding: not bibliographic data
    group = PROTECTED_TAGS.get(tag)
    if group is None:
        return None
    lab = group.label_for(tag, f)
    if tag == "856":
        if f is not None and code == "u" and not has_code(f, "z"):
            return None  # URI-FIX: a wrong $u in an 856 without $z may be corrected
        if f is not None and code is not None and has_code(f, "z"):
            return _protected(group.rule, "uri-with-note", lab)
        return _protected(group.rule, "uri", lab, restricted=st.restricted)
    return _protected(group.rule, "field", lab, tag=tag)


# -- URIs --------------------------------------------------------------------------------------

_URI = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*):\S+$")


def looks_like_uri(value: str) -> bool:
    """A plausible absolute URI: a scheme, no white space (``https://...``, ``urn:nbn:...``)."""
    v = (value or "").strip()
    if not _URI.match(v):
        return False
    if v.lower().startswith(("http:", "https:", "ftp:")):
        return bool(re.match(r"^[a-zA-Z]+://[^/\s]+", v))
    return True


__all__ = [
    "Rule",
    "RULES",
    "PROTECT",
    "PROTECTED_TAGS",
    "ProtectGroup",
    "SPEC_RULES",
    "rule",
    "label",
    "Protection",
    "protection_reason",
    "Refusal",
    "RecordState",
    "record_state",
    "is_restricted",
    "hidden",
    "visible_records",
    "HOLDING_TAGS",
    "holding_field_sigel",
    "field_at",
    "has_code",
    "restricted_uri_occurrences",
    "protection_group",
    "protection",
    "looks_like_uri",
    "ACCESS_VALUES",
    "RESTRICTED",
]
