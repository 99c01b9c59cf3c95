"""Subjects and types between the shapes Libris stores and the shapes its MARC mapping reads:
subjects linked by URI only, and the 2026 type model."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import unquote

from tui.core.mapping.values import as_list, types_of
from tui.core.mapping.vocab import type_model

JSON = dict[str, Any]


def spell_out_linked_terms(data: Any) -> Any:
    """``data`` with its subjects and genres that are linked by URI only spelled out as marcframe
    reads them (heading and scheme; ``_linked_term``), as Libris's own data would have them once
    the linked terms are filled in."""
    if isinstance(data, list):
        return [spell_out_linked_terms(x) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for k, v in data.items():
        v = spell_out_linked_terms(v)
        if k in _TERM_PROPS:
            v = [_linked_term(x) for x in v] if isinstance(v, list) else _linked_term(v)
        out[k] = v
    return out


_TERM_PROPS = {"subject", "genreForm", "termComponentList"}
_TERM_URI = re.compile(r"^https?://id\.kb\.se/term/([^/]+)/([^/#]+)$")


def _linked_term(node: Any) -> Any:
    """A subject or genre linked by URI only (``https://id.kb.se/term/sao/Historiker``) spelled
    out as MARC needs it: its heading and its scheme, both in the URI."""
    if not isinstance(node, dict) or set(node) - {"@id", "@type"}:
        return node
    m = _TERM_URI.match(node.get("@id") or "")
    if not m:
        return node
    scheme = m.group(1)
    out = dict(node)
    out.setdefault("@type", "GenreForm" if scheme.endswith("gf") else "Topic")
    out["prefLabel"] = unquote(m.group(2))
    out["inScheme"] = {"@id": f"https://id.kb.se/term/{scheme}", "@type": "ConceptScheme", "code": scheme}
    return out


def term_label_from_uri(uri: Any) -> str | None:
    """The heading of a linked term whose URI spells it (``https://id.kb.se/term/sao/Historiker``)."""
    if not isinstance(uri, str):
        return None
    m = re.match(r"^https?://id\.kb\.se/term/[^/]+/([^/#]+)$", uri)
    return unquote(m.group(1)) if m else None


def legacy_types(data: JSON) -> JSON:
    """The record in the type model MARC maps: the 2026 model (``PhysicalResource``/
    ``DigitalResource`` with ``category``, the Work typed by issuance) is read back into Instance
    types, Work content types and ``issuanceType`` (table in ``data/kbv-type-model.json``)."""
    data = copy.deepcopy(data)
    thing = data.get("mainEntity")
    if not isinstance(thing, dict):
        return data
    tm = type_model()
    work = thing.get("instanceOf") if isinstance(thing.get("instanceOf"), dict) else None
    issuance = set(tm["issuanceTypes"])
    if work is not None:
        wtypes = types_of(work)
        if wtypes and wtypes[0] in issuance:
            thing.setdefault("issuanceType", wtypes[0])
            cats = [c.get("@id") for c in as_list(work.get("category")) if isinstance(c, dict)]
            new = next((tm["workTypeFromCategory"][c] for c in cats if c in tm["workTypeFromCategory"]), "Work")
            work["@type"] = new
    for rule in tm.get("derived", []):
        node = work if rule.get("entity") == "Work" else thing
        if node is None or rule["to"] in node:
            continue
        src = next(
            (x for x in as_list(node.get(rule["from"])) if isinstance(x, dict) and rule["type"] in types_of(x)), None
        )
        if src is not None:
            derived = {"@type": rule["as"]}
            derived.update({p: src[p] for p in rule["properties"] if p in src})
            if len(derived) > 1:
                node[rule["to"]] = derived
    ttypes = types_of(thing)
    if ttypes and ttypes[0] in tm["instanceTypeFromCategory"]:
        table = tm["instanceTypeFromCategory"][ttypes[0]]
        cats = [c.get("@id") for c in as_list(thing.get("category")) if isinstance(c, dict)]
        thing["@type"] = next((table[c] for c in cats if c in table), table.get("*", "Instance"))
    return data
