"""The KBV vocabulary and linked terms shipped in ``tui/data`` (read with rdflib, once): class
hierarchy, term codes, the 2026 type model and MARC 21 facts the conversion needs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from tui.resources import data_dir

DATA = data_dir()
TYPE_MODEL_FILE = DATA / "kbv-type-model.json"
JSON = dict[str, Any]


@lru_cache(maxsize=1)
def vocab_graph():
    """The KBV vocabulary subset shipped in ``data/kbv.ttl`` (rdflib graph, parsed once)."""
    from rdflib import Graph

    return Graph().parse(DATA / "kbv.ttl", format="turtle")


@lru_cache(maxsize=1)
def terms_graph():
    """Labels and codes of linked terms, ``data/kbv-terms.ttl`` (rdflib graph, parsed once)."""
    from rdflib import Graph

    return Graph().parse(DATA / "kbv-terms.ttl", format="turtle")


@lru_cache(maxsize=1)
def superclasses() -> dict[str, set[str]]:
    """KBV class -> every class it is a subclass of (itself included), from the shipped vocabulary."""
    from rdflib import RDFS

    g = vocab_graph()
    ns = {"https://id.kb.se/vocab/": "", "https://id.kb.se/marc/": "marc:"}

    def short(u) -> str:
        s = str(u)
        for base, pre in ns.items():
            if s.startswith(base):
                return pre + s[len(base) :]
        return s

    out: dict[str, set[str]] = {}
    for s in set(g.subjects(RDFS.subClassOf, None)):
        out[short(s)] = {short(o) for o in g.transitive_objects(s, RDFS.subClassOf)}
    return out


def is_a(types: Iterable[str], cls: str) -> bool:
    sup = superclasses()
    return any(t == cls or cls in sup.get(t, ()) for t in types)


@lru_cache(maxsize=1)
def term_codes() -> dict[str, str]:
    """Linked term URI -> its code (``https://id.kb.se/relator/author`` -> ``aut``), from the
    shipped term data."""
    from rdflib import URIRef

    g = terms_graph()
    code = URIRef("https://id.kb.se/vocab/code")
    return {str(s): str(o) for s, o in g.subject_objects(code)}


@lru_cache(maxsize=1)
def marc21_fields() -> JSON:
    with open(DATA / "marc21-fields.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def type_model() -> JSON:
    """The 2026 KBV type model (category on PhysicalResource/DigitalResource, the Work typed by its
    issuance) against the one MARC maps (Instance types, Work content types, issuanceType)."""
    with open(TYPE_MODEL_FILE, encoding="utf-8") as fh:
        return json.load(fh)
