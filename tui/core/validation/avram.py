"""Avram schemas (https://format.gbv.de/schema/avram/specification) through the content checks.

``checker(schema, options)`` makes a ``marc21.Checker`` from an Avram schema: its field schedule as
a ``marc21defs.Format`` (tags with repeatability, deprecation and required marks, indicator codes,
subfield codes with theirs) and its fields' positions with code lists as fixed-field specs.
``validate(checker, records)`` runs it over Avram records (lists of fields ``{tag, indicator1,
indicator2, value | subfields}``) and says each finding as an Avram error
(``{error, tag, subfield | indicator | position, value}``), so that the language-independent
Avram test suite checks the same code that checks MARC records.

What of Avram the checks do not do (``UNSUPPORTED``): regular expressions (``pattern``), code
lists for whole values and subfield values (``codes`` outside positions and indicators), flags,
record types, counting over records, and whether indicators exist at all (a MARC data field has
both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.core.model.marc21defs import ANY_INDICATOR, Code, Format, Indicator, Tag, Value
from tui.core.validation.marc21 import CHECKS, Checker, FixedSpec

#: Avram validation rules the checks do not support, and what they need
UNSUPPORTED = {
    "patternMismatch": "regular expressions (pattern)",
    "undefinedCode": "code lists for field and subfield values",
    "undefinedCodelist": "code lists for field and subfield values",
    "invalidFlag": "flags",
    "countRecord": "counting over records",
    "countField": "counting over records",
    "countSubfield": "counting over records",
    "recordTypes": "record types",
    "existence": "indicators that may be absent (a MARC data field has both)",
}

#: (rule, sentence) of a finding -> the Avram error it is
ERRORS = {
    ("MARC-TAG", "undefined"): "undefinedField",
    ("MARC-TAG", "obsolete"): "deprecatedField",
    ("MARC-REPEAT", "field"): "nonrepeatableField",
    ("MARC-REPEAT", "subfield"): "nonrepeatableSubfield",
    ("MARC-INDICATOR", "undefined"): "invalidIndicator",
    ("MARC-SUBFIELD", "undefined"): "undefinedSubfield",
    ("MARC-SUBFIELD", "obsolete"): "deprecatedSubfield",
    ("MARC-REQUIRED", "subfield"): "missingSubfield",
    ("MARC-REQUIRED", "field"): "missingField",
    ("MARC-FIXED", "code"): "undefinedCode",
    ("MARC-FIXED", "short"): "invalidPosition",
}


@dataclass
class AvramField:
    """An Avram record's field, shaped as the checks read a pymarc field."""

    tag: str
    control_field: bool
    data: str | None = None
    indicators: tuple[str, str] = (" ", " ")
    subfields: list[tuple[str, str]] = field(default_factory=list)
    occurrence: str | None = None

    @classmethod
    def of(cls, d: dict) -> AvramField:
        subs = d.get("subfields")
        if subs is None and "indicator1" not in d and "indicator2" not in d:
            return cls(d["tag"], True, d.get("value", ""), occurrence=d.get("occurrence"))
        subs = subs or []  # a field with indicators is a data field, if with a value too
        pairs = [(subs[i], subs[i + 1]) for i in range(0, len(subs) - 1, 2)]
        inds = (d.get("indicator1", " "), d.get("indicator2", " "))
        return cls(d["tag"], False, None, inds, pairs, d.get("occurrence"))


def _codes(spec, codelists: dict) -> dict | None:
    """An Avram code list (inline or named) as code -> label."""
    if isinstance(spec, str):
        spec = (codelists.get(spec) or {}).get("codes", {})
    if not isinstance(spec, dict):
        return None
    return {c: (v if isinstance(v, str) else (v or {}).get("label", "")) for c, v in spec.items()}


def _indicator(spec, codelists: dict) -> Indicator:
    if spec is None:  # null: blank only
        return Indicator({" ": Value(" ", "")})
    codes = _codes(spec.get("codes") if isinstance(spec, dict) else spec, codelists)
    if codes is None:
        return ANY_INDICATOR
    return Indicator({c: Value(c, label) for c, label in codes.items()})


def _range(key: str) -> tuple[int, int]:
    """``"01-2"`` -> (1, 2): offset and length."""
    lo, _, hi = key.partition("-")
    start = int(lo)
    return start, (int(hi) - start + 1) if hi else 1


def format_of(schema: dict) -> tuple[Format, dict[str, FixedSpec], tuple[str, ...]]:
    """The schedule of ``schema`` as a Format, the specs of its fields with positions, and the
    tags it requires."""
    codelists = schema.get("codelists") or {}
    tags: dict[str, Tag] = {}
    fixed: dict[str, FixedSpec] = {}
    required = []
    for tag, d in (schema.get("fields") or {}).items():
        d = d or {}
        inds = (
            _indicator(d["indicator1"], codelists) if "indicator1" in d else ANY_INDICATOR,
            _indicator(d["indicator2"], codelists) if "indicator2" in d else ANY_INDICATOR,
        )
        subs = None
        if isinstance(d.get("subfields"), dict):
            subs = {
                c: Code(
                    c,
                    (s or {}).get("label", ""),
                    repeatable=bool((s or {}).get("repeatable", False)),
                    obsolete=bool((s or {}).get("deprecated", False)),
                    required=bool((s or {}).get("required", False)),
                )
                for c, s in d["subfields"].items()
            }
        tags[tag] = Tag(
            tag,
            d.get("label", ""),
            repeatable=bool(d.get("repeatable", False)),
            obsolete=bool(d.get("deprecated", False)),
            indicators=inds,
            subfields=subs,
        )
        if d.get("required"):
            required.append(tag)
        positions = []
        for key, p in (d.get("positions") or {}).items():
            p = p or {}
            off, length = _range(key)
            codes = _codes(p.get("codes"), codelists) if "codes" in p else None
            allowed = frozenset(codes) if codes is not None else None
            positions.append((off, length, allowed, key, (p.get("label", key), p.get("label", key))))
        if positions:
            checked = tuple(
                (off, length, allowed if allowed is not None else _ANY, key, names)
                for off, length, allowed, key, names in positions
            )
            fixed[tag] = FixedSpec(None, checked, (tag, tag), short=True)
    return Format("schema", tags), fixed, tuple(required)


class _Anything(frozenset):
    """Any value (a position with a pattern only: the pattern is not checked)."""

    def __contains__(self, item: object) -> bool:
        return True


_ANY = _Anything()


def checker(schema: dict, options: dict | None = None) -> Checker:
    fmt, fixed, required = format_of(schema)
    on = _options(options or {})

    def spec(tag: str, value: str, leader: str):
        return fixed.get(tag)

    return Checker(fmt, spec, options=on, required_tags=required, allow_local=False)


def _options(options: dict) -> dict[str, bool]:
    on = {k: bool(options.get(k, True)) for k in CHECKS}
    if options.get("invalidRecord") is False:
        on = dict.fromkeys(CHECKS, False)
    if options.get("invalidSubfield") is False:
        for k in ("undefinedSubfield", "deprecatedSubfield", "nonrepeatableSubfield", "missingSubfield"):
            on[k] = False
    on["linkage"] = False  # MARC 21's 880 linkage is no Avram rule
    return on


def validate(chk: Checker, records: Iterable) -> list[dict]:
    """Avram errors of ``records`` (each a list of fields, or ``{fields: [...]}``)."""
    out: list[dict] = []
    for record in records:
        fields = record["fields"] if isinstance(record, dict) else record
        fs = [AvramField.of(f) for f in fields]

        def add(rule: str, key: str, tag: str | None, occ: int | None, /, fs: list = fs, **kw) -> None:
            error = ERRORS.get((rule, key))
            if error is None:
                return
            e: dict = {"error": error}
            if tag is not None and error != "missingField":
                e["tag"] = tag
            elif tag is not None:
                e["id"] = tag
            if "code" in kw and error.endswith("Subfield"):
                e["subfield"] = kw["code"]
            if "position" in kw and rule == "MARC-INDICATOR":
                e["indicator"] = f"indicator{kw['position']}"
            if "value" in kw:
                e["value"] = kw["value"]
            if "span" in kw:
                e["position"] = kw["span"]
            if error == "undefinedField" and occ is not None:
                f = [x for x in fs if x.tag == tag][occ - 1]
                if f.occurrence:
                    e["occurrence"] = f.occurrence
            out.append(e)

        chk.check("", fs, add)
    return out


__all__ = ["checker", "validate", "format_of", "AvramField", "UNSUPPORTED", "ERRORS"]
