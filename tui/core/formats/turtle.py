"""Libris records as Turtle (RDF), through the same JSON-LD the ``jsonld`` format writes.

Writing: the records become the Libris-shaped JSON-LD document (``jsonld.to_document``), which
rdflib reads with the shipped context and writes as Turtle, with the ``kbv:`` and ``marc:``
prefixes. What is not RDF (``_marcUncompleted``, the MARC fields the mapping does not cover) is
not in Turtle; use the ``jsonld`` format to keep it.

Reading: rdflib parses the Turtle; the graph is written as JSON-LD in Libris's context, blank
nodes used once are embedded where they are used, and the records are read as from a JSON-LD
file. (RDF has no order of repeated values; a record read from Turtle lists them as rdflib does.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from tui.core.formats import jsonld
from tui.core.formats.registry import TURTLE
from tui.core.model.record import UnreadableFile
from tui.core.sources.base import ListSource

FORMAT = TURTLE.id

PREFIXES = {
    "kbv": "https://id.kb.se/vocab/",
    "marc": "https://id.kb.se/marc/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def to_graph(records: Iterable[Any]):
    doc = jsonld.to_document(records, context="inline")
    g = jsonld.parse_graph(doc)
    for p, ns in PREFIXES.items():
        g.bind(p, ns, override=True)
    return g


def write(records: Iterable[Any], out: BinaryIO, **options) -> None:
    g = to_graph(records)
    data = g.serialize(format="turtle")
    out.write(data.encode("utf-8") if isinstance(data, str) else data)


def _embed_blank_nodes(nodes: list[dict]) -> list[dict]:
    """Put each blank node used exactly once where it is used (Libris embeds them)."""
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    uses: dict[str, int] = {}

    def count(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                count(y)
        elif isinstance(x, dict):
            if set(x) == {"@id"} and x["@id"].startswith("_:"):
                uses[x["@id"]] = uses.get(x["@id"], 0) + 1
            for k, v in x.items():
                if k != "@id":
                    count(v)

    count(nodes)
    embedded: set[str] = set()

    def embed(x: Any, depth: int = 0) -> Any:
        if depth > 50:
            return x
        if isinstance(x, list):
            return [embed(y, depth + 1) for y in x]
        if isinstance(x, dict):
            if set(x) == {"@id"} and uses.get(x["@id"]) == 1 and x["@id"] in by_id:
                embedded.add(x["@id"])
                target = {k: v for k, v in by_id[x["@id"]].items() if k != "@id"}
                return embed(target, depth + 1)
            return {k: embed(v, depth + 1) if k != "@id" else v for k, v in x.items()}
        return x

    out = [embed(n) for n in nodes]
    return [n for n, orig in zip(out, nodes) if orig.get("@id") not in embedded]


def graph_to_document(g) -> dict:
    ctx = jsonld.local_context()
    text = g.serialize(format="json-ld", context=ctx, auto_compact=True)
    doc = json.loads(text)
    nodes = doc.get("@graph", [doc] if "@id" in doc else [])
    return {"@graph": _embed_blank_nodes([n for n in nodes if isinstance(n, dict)])}


def open_source(path: str) -> ListSource:
    from rdflib import Graph

    try:
        g = Graph().parse(path, format="turtle")
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc)) from None
    except Exception as exc:  # rdflib's syntax errors have no common base class
        raise UnreadableFile(path, f"not valid Turtle: {exc}") from None
    doc = graph_to_document(g)
    recs = jsonld.split_document(doc)
    if not recs:
        raise UnreadableFile(path, "Turtle with no Libris record in it (no resource of type kbv:Record)")
    entries = jsonld.records_to_marc(recs, str(Path(path)))
    raws = [json.dumps(jsonld.flat_form(r), ensure_ascii=False).encode("utf-8") for r in recs]
    return ListSource(path, entries, raws, fmt=FORMAT)
