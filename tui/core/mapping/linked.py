"""MARC21 <-> Libris XL JSON-LD for the product: a pymarc record through Libris's own mapping
(``tui.core.mapping.marcframe``, run the way Libris runs it) and back.

The JSON-LD is Libris's *embedded* form of one record: the Record with its ``mainEntity``
(Instance, Item for holdings, the Person, Organization, Topic ... of an authority record)
embedded, the Work in ``instanceOf``; ``tui.core.formats.jsonld`` turns files (flat ``@graph``,
framed, holdings records) into it and back.

What the product adds to Libris's conversion, so that nothing is lost on the way:

* a field marcframe cannot read as data (text before the first subfield code, an empty
  subfield) is not converted: it is kept in ``_marcUncompleted`` (marcframe's own place for what
  it does not take) and written back as it was, in its place among the fields of its tag;
* a field with subfields no rule takes is kept there too (marcframe marks it ``_unhandled``);
  Libris then drops it on revert, the product writes it back when no field of the tag was
  written from the data;
* records in Libris's 2026 type model and subjects linked by URI only are read in the shape
  marcframe maps (``tui.core.mapping.terms``);
* on revert, where each value of the data went (``provenance``), for the label view of records
  read from JSON-LD.
"""

from __future__ import annotations

from typing import Any

from pymarc import Field, Leader, Record, Subfield
from pymarc.field import Indicators

from tui.core.mapping.marcframe import UNCOMPLETED, Conversion, load_conversion
from tui.core.mapping.terms import legacy_types, spell_out_linked_terms
from tui.core.model.record import ORPHAN

JSON = dict[str, Any]
#: the product's own key on a kept field: its position among the fields of its tag
ORDER = "_order"
#: leader/06 of a holdings or authority record whose data says no more (single-part item holdings)
_RECORD_TYPE = {"hold": "x", "auth": "z"}


def field_json(f: Field) -> JSON:
    """A pymarc field in marcframe's JSON shape (``{tag: data}`` / ``{tag: {ind1, ind2, subfields}}``)."""
    if f.is_control_field():
        return {f.tag: f.data if f.data is not None else ""}
    inds = list(f.indicators or ()) + [" ", " "]
    return {
        f.tag: {
            "ind1": inds[0] or " ",
            "ind2": inds[1] or " ",
            "subfields": [
                {sf.code: sf.value if isinstance(sf.value, str) else str(sf.value or "")} for sf in f.subfields
            ],
        }
    }


def json_field(tag: str, body: Any) -> Field | None:
    """A field in marcframe's JSON shape as a pymarc field (``None`` for a shape that is none)."""
    if isinstance(body, str):
        return Field(tag=tag, data=body)
    if isinstance(body, dict):
        subs = []
        for sf in body.get("subfields") or []:
            if not isinstance(sf, dict):
                continue
            for code, val in sf.items():
                subs.append(Subfield(code, val if isinstance(val, str) else _text(val)))
        i1 = body.get("ind1")
        i2 = body.get("ind2")
        return Field(tag=tag, indicators=Indicators(_ind(i1), _ind(i2)), subfields=subs)
    return None


def _ind(v: Any) -> str:
    return v[:1] if isinstance(v, str) and v else " "


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict) and "@value" in v:
        return _text(v["@value"])
    return str(v)


def _malformed(f: Field) -> bool:
    return not f.is_control_field() and any(sf.code == ORPHAN or not sf.value for sf in f.subfields)


def marc_to_jsonld(record: Record, conversion: Conversion | None = None) -> JSON:
    """One MARC21 record (bibliographic, holdings or authority) as Libris JSON-LD, embedded form
    (``conversion``: marcframe, the shipped one unless given)."""
    leader = str(record.leader) if record.leader is not None else " " * 24
    fields: list[JSON] = []
    kept: list[JSON] = []
    seen: dict[str, int] = {}
    for f in record.fields:
        n = seen.get(f.tag, 0)
        seen[f.tag] = n + 1
        if _malformed(f):
            d = field_json(f)
            d[ORDER] = n
            kept.append(d)
        else:
            fields.append(field_json(f))
    data = (conversion or load_conversion()).convert({"leader": leader, "fields": fields})
    if kept:
        data[UNCOMPLETED] = list(data.get(UNCOMPLETED) or ()) + kept
    return data


def jsonld_to_marc(data: JSON, provenance: dict | None = None, conversion: Conversion | None = None) -> Record:
    """One Libris record in embedded form (Record + ``mainEntity``) as a MARC21 record.

    ``provenance``, when given, is filled with ``(node path, property) -> [(tag, occurrence,
    subfield index, code)]``: where each value of the data went (``node path`` as
    ``mainEntity/hasTitle/0``; the record itself is ``""``)."""
    data = spell_out_linked_terms(legacy_types(data))
    uncompleted = [d for d in data.get(UNCOMPLETED) or () if isinstance(d, dict)]
    kept = [d for d in uncompleted if d.get("_unhandled") or ORDER in d]
    if kept:  # Libris's revert writes back the rest of them itself
        data = dict(data)
        data[UNCOMPLETED] = [d for d in uncompleted if not (d.get("_unhandled") or ORDER in d)]
    sources: dict | None = {} if provenance is not None else None
    conversion = conversion or load_conversion()
    ruleset = conversion.ruleset_for(data)
    marc = ruleset.revert(data, sources)
    rec = Record(force_utf8=True)
    leader = (marc.get("leader") or "").ljust(24)
    if leader[6] == " " and ruleset.name in _RECORD_TYPE:
        # no holding type (leader/06) in the data: the record is still a holdings record
        leader = leader[:6] + _RECORD_TYPE[ruleset.name] + leader[7:]
    rec.leader = Leader(leader)
    produced: dict[str, list[tuple[Field, JSON]]] = {}
    for d in marc["fields"]:
        for tag, body in d.items():
            f = json_field(tag, body)
            if f is not None:
                produced.setdefault(tag, []).append((f, d))
    for d in kept:
        tag = next((k for k in d if not k.startswith("_")), None)
        if tag is None:
            continue
        if d.get("_unhandled") and produced.get(tag):
            continue  # Libris wrote the field from the data
        f = json_field(tag, d[tag])
        if f is not None:
            lst = produced.setdefault(tag, [])
            pos = d.get(ORDER)
            lst.insert(min(pos, len(lst)) if isinstance(pos, int) else len(lst), (f, d))
    for tag in sorted(produced):
        for f, _ in produced[tag]:
            rec.add_field(f)
    if provenance is not None and sources is not None:
        _provenance(data, produced, sources, provenance)
    return rec


def _provenance(data: JSON, produced: dict, sources: dict, out: dict) -> None:
    paths: dict[int, str] = {}
    _index_paths(data, "", paths)

    def add(node: Any, prop: str | None, where: tuple) -> None:
        path = paths.get(id(node))
        if path is not None and prop:
            hits = out.setdefault((path, prop), [])
            if where not in hits:
                hits.append(where)

    leader = sources.get("000")
    for node, prop in leader[1] if leader else ():
        add(node, prop, ("000", 1, None, None))
    for tag, fields in produced.items():
        for occ, (_f, d) in enumerate(fields, 1):
            got = sources.get(id(d))
            if got is not None and got[0] is d:  # a control or fixed field
                for node, prop in got[1]:
                    add(node, prop, (tag, occ, None, None))
                continue
            body = d.get(tag)
            for i, sub in enumerate(body.get("subfields") or () if isinstance(body, dict) else ()):
                s = sources.get(id(sub))
                if s is not None and s[0] is sub:
                    add(s[1], s[2], (tag, occ, i, next(iter(sub))))


def _index_paths(node: Any, path: str, out: dict[int, str]) -> None:
    """id(node) -> ``prop/index/prop`` path from the record, for every dict in it."""
    stack = [(node, path)]
    while stack:
        n, p = stack.pop()
        if isinstance(n, dict):
            out.setdefault(id(n), p)
            for k, v in n.items():
                stack.append((v, f"{p}/{k}" if p else k))
        elif isinstance(n, list):
            for i, v in enumerate(n):
                stack.append((v, f"{p}/{i}"))


__all__ = ["UNCOMPLETED", "field_json", "json_field", "jsonld_to_marc", "marc_to_jsonld"]
