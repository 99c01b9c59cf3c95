"""The e-plikt rules (SPEC section 2, KB's "E-plikt i Libris"): what a record is, what may change.

The rules themselves are data (``tui/data/rules.toml``: id, English sentence, Swedish wording and
label, the field groups that EPL-PROTECT covers); this module applies them:

* ``record_state(record)``: e-plikt (EPL-DETECT), channel record (CHN-DETECT), SUPPRESSRECORD,
  DIGI, APIS holding, 506 restricted.
* ``protection(record, tag, occurrence, code)``: may this part be changed, and if not, why
  (``Protection(rule, reason_en, label_sv)``). The UI greys protected parts out with this; the
  edit commands refuse with it; the validator uses the same groups against an original record.
* ``hidden(record)``: CHN-HIDE.

Detection itself lives in ``detect.py`` so that readers, scans and views agree with the rules.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field

from pymarc import Field, Record

from tui.core.model.record import LibrisRecord
from tui.core.rules import detect

# -- the rule table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # rule | profile | structure | edit
    en: str
    sv: str = ""
    label_sv: str = ""

    def describe(self) -> str:
        return f"{self.id}: {self.en}"


@dataclass(frozen=True)
class ProtectGroup:
    """One group of fields that stays unchanged in an e-plikt record (EPL-PROTECT)."""

    rule: str
    tags: frozenset[str]
    what: str
    label_sv: str
    labels: dict = dc_field(default_factory=dict, hash=False, compare=False)
    exceptions: tuple[str, ...] = ()

    def label_for(self, tag: str, field: Field | None = None) -> str:
        if field is not None and not field.is_control_field():
            by_ind = self.labels.get(f"ind2={field.indicator2}")
            if by_ind:
                return by_ind
        return self.labels.get(tag, self.label_sv)


def _expand(spec: str) -> list[str]:
    if "-" in spec:
        lo, hi = spec.split("-", 1)
        return [f"{n:03d}" for n in range(int(lo), int(hi) + 1)]
    return [spec]


def _load(path=None):
    from tui.resources import data_file

    p = path or data_file("rules.toml")
    with open(p, "rb") as fh:
        data = tomllib.load(fh)
    rules = {
        rid: Rule(rid, d["kind"], d["en"], d.get("sv", ""), d.get("label_sv", "")) for rid, d in data["rule"].items()
    }
    groups = []
    for g in data.get("protect", []):
        if g["rule"] not in rules:
            raise ValueError(f"{p}: [[protect]] names unknown rule {g['rule']!r}")
        for ex in g.get("except", []):
            if ex not in rules:
                raise ValueError(f"{p}: [[protect]] except names unknown rule {ex!r}")
        tags = frozenset(t for spec in g["tags"] for t in _expand(spec))
        groups.append(
            ProtectGroup(
                g["rule"], tags, g["what"], g["label_sv"], dict(g.get("labels", {})), tuple(g.get("except", ()))
            )
        )
    return rules, groups, dict(data.get("labels", {})), dict(data.get("access", {}))


RULES: dict[str, Rule]
PROTECT: list[ProtectGroup]
RULES, PROTECT, LABELS, _ACCESS = _load()

#: tag -> its EPL-PROTECT group
PROTECTED_TAGS: dict[str, ProtectGroup] = {t: g for g in PROTECT for t in g.tags}
#: the 506 $a values the e-plikt flow writes
ACCESS_VALUES = tuple(_ACCESS.get("values", ("gratis", "restricted")))
RESTRICTED = _ACCESS.get("restricted", "restricted")

#: the rules of SPEC section 2
SPEC_RULES = tuple(r for r, v in RULES.items() if v.kind == "rule")


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def label(key: str, default: str = "") -> str:
    return LABELS.get(key, default)


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protection:
    """Why a part of a record may not be changed."""

    rule: str
    reason_en: str
    label_sv: str

    def describe(self) -> str:
        lab = f" [{self.label_sv}]" if self.label_sv else ""
        return f"{self.reason_en}{lab} ({self.rule})"


@dataclass(frozen=True)
class Refusal:
    """Why an edit may not be done here: the rule id and a sentence for the cataloguer."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})"


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


# -- record state ------------------------------------------------------------------------------


def _marc(r: Record | LibrisRecord) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


def _norm_term(value: str) -> str:
    return value.strip().strip(".,;:/ ").casefold()


def is_restricted(record: Record | LibrisRecord) -> bool:
    """``506 $a restricted`` (URI-MOVE): the rights information the e-plikt flow writes."""
    return any(
        sf.code == "a" and _norm_term(sf.value) == RESTRICTED
        for f in _marc(record).get_fields("506")
        for sf in f.subfields
    )


def record_state(record: Record | LibrisRecord, source=None) -> RecordState:
    """What the record is (EPL-DETECT, CHN-DETECT, SUPPRESSRECORD, DIGI, APIS).

    An APIS holding counts whether it is embedded (``$5 APIS``) or a holdings record in the same
    file (``record.holdings``, or found through ``source`` when given).
    """
    marc = _marc(record)
    sigels = detect.bibliography_sigels(marc)
    eplk = detect.EPLK in sigels
    digi = detect.DIGI in sigels
    if isinstance(record, LibrisRecord):
        holders = detect.holding_sigels(record)
        if not record.holdings and source is not None and record.kind == "bib":
            try:
                linked = source.holdings_for(record)
            except Exception:  # a source that cannot link holdings: embedded ones still count
                linked = []
            holders += [s for s in (detect.holding_sigel(h) for h in linked) if s]
    else:
        holders = detect.embedded_holding_sigels(marc)
    apis = detect.APIS in holders
    return RecordState(
        eplikt=eplk or (apis and not digi),
        channel=detect.is_channel(marc),
        suppressed=detect.is_suppressed(marc),
        digi=digi,
        apis=apis,
        eplk=eplk,
        restricted=is_restricted(marc),
    )


def hidden(record: Record | LibrisRecord, show_channels: bool = False) -> bool:
    """CHN-HIDE: channel records are hidden unless the user asks to see them."""
    return not show_channels and detect.is_channel(_marc(record))


def visible_records(records: Iterable, show_channels: bool = False) -> list:
    """The records a list shows (CHN-HIDE); other entries (broken records) are kept."""
    return [r for r in records if not isinstance(r, (LibrisRecord, Record)) or not hidden(r, show_channels)]


# -- fields ------------------------------------------------------------------------------------

HOLDING_TAGS = frozenset(("841", "852", "856", "866", "867", "868", "876", "877", "878"))


def holding_field_sigel(f: Field) -> str | None:
    """The sigel of an embedded holding field (``$5 sigel`` in 841/852/856/86X/87X), else None."""
    if f.tag not in HOLDING_TAGS or f.is_control_field():
        return None
    for sf in f.subfields:
        if sf.code == "5" and sf.value.strip():
            return sf.value.strip()
    return None


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


def _channel_protection() -> Protection:
    return Protection(
        "CHN-READONLY",
        "A channel record (245 $h [channel record]) is handled entirely by machine: nothing in it "
        "may be changed manually; report errors to Katalogsupport",
        label("channel", "Kanalpost"),
    )


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
            return Protection(
                "EPL-DETECT",
                f"042 $9 {marked[0]} marks the record for the e-plikt flow and stays unchanged",
                label("042", "Bibliografi / Bibliotek / Sigel"),
            )
        return None
    if f is not None:
        sigel = holding_field_sigel(f)
        if sigel == detect.APIS:
            return Protection(
                "EPL-DETECT",
                f"{tag} $5 APIS is the holding KB generates for every e-plikt record; it stays unchanged",
                label("holding", "Bestånd"),
            )
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
            return Protection(
                group.rule,
                "856 with a public note ($z) in an e-plikt record stays unchanged, its URI too "
                "(URI-FIX covers only 856 without $z); report errors to Katalogsupport",
                lab,
            )
        allowed = ["a wrong $u in an 856 without $z may be corrected (URI-FIX)", "856s may be added (URI-ADD)"]
        if st.restricted:
            allowed.append("with 506 restricted, second indicator 0 may become 2 (URI-MOVE)")
        return Protection(
            group.rule,
            "856 URIs in an e-plikt record normally stay unchanged; report errors to Katalogsupport. "
            "Allowed: " + "; ".join(allowed),
            lab,
        )
    return Protection(
        group.rule,
        f"{tag} {group.what} in an e-plikt record stay unchanged; report errors to Katalogsupport",
        lab,
    )


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
