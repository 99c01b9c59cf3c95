"""The KBV vocabulary and linked terms shipped in ``tui/data`` as RDF (read with rdflib, once,
for their labels), and the 2026 type model."""

from __future__ import annotations

import json
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
def type_model() -> JSON:
    """The 2026 KBV type model (category on PhysicalResource/DigitalResource, the Work typed by its
    issuance) against the one MARC maps (Instance types, Work content types, issuanceType)."""
    with open(TYPE_MODEL_FILE, encoding="utf-8") as fh:
        return json.load(fh)
