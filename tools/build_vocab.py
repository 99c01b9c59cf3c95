#!/usr/bin/env python3
"""Build the linked-data files the JSON-LD side of libris-tui ships (run from the project root).

    python tools/build_vocab.py [--reference ../shared/reference]

Reads Libris's public reference data (../shared/reference, see its README) and writes (licences:
the KBV labels are CC0, everything from Libris's context, display lenses and MARC terms is
Apache-2.0, see THIRD_PARTY_NOTICES):

* ``tui/data/context.jsonld``: the JSON-LD context Libris records name as ``/context.jsonld`` or
  ``https://id.kb.se/context.jsonld``. The app works offline, so the reader maps both to this
  file; it is *generated*: ``@vocab`` and prefixes, the properties whose values are vocabulary
  terms (``"recordStatus": "marc:New"``), the ordered lists (``termComponentList``), the
  language maps (``prefLabelByLang``) and the datatypes Libris declares. Only what changes the RDF
  reading of a record matters here (compaction containers such as ``@set`` do not).
* ``tui/data/kbv.ttl``: the KBV vocabulary subset the label view needs: every class and property
  with its Swedish and English labels, ``subClassOf``/``subPropertyOf``/``inverseOf``; read with
  rdflib (``tui.core.views.graph_labels``).
* ``tui/data/kbv-terms.ttl``: labels and codes of linked value terms (languages, countries,
  relators, MARC enumerations, RDA, categories...).
* ``tui/data/display-lenses.json``: the property order the Libris client uses per class
  (``chips``, ``cards`` and ``full`` lens groups), and its Fresnel formats (``formatters``: the
  text before, between and after properties and values, per class and property), taken from
  ``upstream/definitions/source/vocab/display.jsonld`` when the reference data has it.

Each output is deterministic (sorted), so a rebuild on unchanged input gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tui" / "data"

KBV = "https://id.kb.se/vocab/"
MARC = "https://id.kb.se/marc/"

PREFIXES = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "sdo": "http://schema.org/",
    "dc": "http://purl.org/dc/terms/",
    "kbv": KBV,
    "marc": MARC,
    "ls": "https://id.kb.se/ns/librissearch/",
    "bulk": "https://id.kb.se/ns/bulk/",
    "bibdb": "https://id.kb.se/ns/bibdb/",
}

#: properties whose (string) values are vocabulary terms: ``"recordStatus": "marc:New"`` is the
#: term https://id.kb.se/marc/New, not a string (Libris context, sys/context/kbv.jsonld)
VOCAB_VALUED = [
    "issuanceType",
    "additionalType",
    "recordStatus",
    "encodingLevel",
    "shelfMarkStatus",
    "marc:publicationStatus",
    "marc:holdingType",
    "marc:sequenceStatus",
    "marc:thesaurus",
    "marc:nameForm",
    "marc:typeOfDate",
    "marc:languageCode",
    "marc:typeOfTimePeriod",
    "marc:i2sourceOfCode",
    "marc:i1codeSource",
    "marc:typeCompletenessSourceOfClassCallNumber",
    "marc:coverageOrLocationInSource",
    "marc:summaryType",
    "marc:audienceType",
    "marc:displayConstantController",
    "marc:subjectLevel",
]

#: ordered lists (``@list``), as in Libris's context
LISTS = {
    "termComponentList": None,
    "hasPartList": "hasPart",
    "includesList": "includes",
    "sliceList": "slice",
    "marc:data": None,
    "marc:partList": None,
    "marc:parts": None,
}

#: language maps: ``prefLabelByLang: {"sv": "..."}`` is prefLabel with language tags
BY_LANG = [
    "label",
    "comment",
    "prefLabel",
    "altLabel",
    "hiddenLabel",
    "singularLabel",
    "pluralLabel",
    "note",
    "definition",
    "scopeNote",
    "editorialNote",
    "changeNote",
    "historyNote",
    "title",
    "description",
    "mainTitle",
    "subtitle",
    "titleRemainder",
    "partNumber",
    "partName",
    "responsibilityStatement",
    "editionStatement",
    "seriesStatement",
    "seriesEnumeration",
    "familyName",
    "givenName",
    "name",
    "lifeSpan",
]

DATATYPES = {
    "created": "xsd:dateTime",
    "modified": "xsd:dateTime",
    "atTime": "xsd:dateTime",
    "url": "xsd:anyURI",
    "marc:isPrivate": "xsd:boolean",
    "marc:internationalInterest": "xsd:boolean",
}

#: keys in Libris records that are processing leftovers, not data
NULLED = [
    "_marcUncompleted",
    "_marcBroken",
    "_marcFailedFixedFields",
    "_note",
    "_topicTree",
    "recordPriority",
    "highlight",
]


def build_context() -> dict:
    ctx: dict = {"@vocab": KBV}
    ctx.update(PREFIXES)
    for p in VOCAB_VALUED:
        ctx[p] = {"@type": "@vocab"}
    for name, target in LISTS.items():
        ctx[name] = {"@container": "@list"} if target is None else {"@id": target, "@container": "@list"}
    for p in BY_LANG:
        ctx[f"{p}ByLang"] = {"@id": p, "@container": "@language"}
    for p, dt in DATATYPES.items():
        ctx[p] = {"@type": dt}
    ctx["uri"] = {"@type": "xsd:anyURI"}
    for p in NULLED:
        ctx[p] = None
    return {"@context": ctx}


def _iri(term: str) -> URIRef:
    if term.startswith(("http://", "https://")):
        return URIRef(term)
    if ":" in term:
        prefix, local = term.split(":", 1)
        if prefix in PREFIXES:
            return URIRef(PREFIXES[prefix] + local)
    return URIRef(KBV + term)


def build_vocab(terms: dict) -> Graph:
    g = Graph()
    g.bind("kbv", KBV)
    g.bind("marc", MARC)
    g.bind("owl", OWL)
    for name in sorted(terms):
        t = terms[name]
        s = _iri(name)
        kind = t.get("kind")
        if kind == "class":
            g.add((s, RDF.type, OWL.Class))
        elif kind == "property":
            types = t.get("types") or []
            g.add(
                (
                    s,
                    RDF.type,
                    OWL.ObjectProperty
                    if any("ObjectProperty" in x for x in types)
                    else OWL.DatatypeProperty
                    if any("DatatypeProperty" in x for x in types)
                    else RDF.Property,
                )
            )
        else:
            g.add((s, RDF.type, RDFS.Resource))
        for lang in ("sv", "en"):
            for lab in (t.get("labels") or {}).get(lang, []) or []:
                if lab:
                    g.add((s, RDFS.label, Literal(lab, lang=lang)))
        for sup in t.get("subClassOf") or []:
            g.add((s, RDFS.subClassOf, _iri(sup)))
        for sup in t.get("subPropertyOf") or []:
            g.add((s, RDFS.subPropertyOf, _iri(sup)))
        for inv in t.get("inverseOf") or []:
            g.add((s, OWL.inverseOf, _iri(inv)))
    return g


def build_terms(tsv: Path) -> Graph:
    g = Graph()
    g.bind("kbv", KBV)
    g.bind("skos", SKOS)
    with open(tsv, encoding="utf-8", newline="") as fh:
        rows = sorted(csv.DictReader(fh, delimiter="\t"), key=lambda r: r["uri"])
    for r in rows:
        s = URIRef(r["uri"])
        if r.get("type"):
            g.add((s, RDF.type, _iri(r["type"])))
        if r.get("code"):
            g.add((s, _iri("code"), Literal(r["code"])))
        for lang in ("sv", "en"):
            if r.get(f"label_{lang}"):
                g.add((s, SKOS.prefLabel, Literal(r[f"label_{lang}"], lang=lang)))
    return g


def write_turtle(g: Graph, path: Path) -> None:
    data = g.serialize(format="turtle")
    path.write_text(data, encoding="utf-8")


#: the parts of a fresnel:Format the label view uses: where it applies and the text it puts
#: around a resource, a property and each value (styles are for a browser, not a terminal)
_FORMAT_KEYS = (
    "fresnel:classFormatDomain",
    "fresnel:propertyFormatDomain",
    "fresnel:resourceFormat",
    "fresnel:propertyFormat",
    "fresnel:valueFormat",
)


def build_formatters(display: dict) -> dict:
    """The display definitions' ``formatters`` (``fresnel:Format``), each cut to its domains and
    content (``contentBefore`` / ``contentFirst`` / ``contentAfter`` / ``contentLast``); a
    domain given as one string becomes a list of one."""
    out: dict = {}
    for fid, f in (display.get("formatters") or {}).items():
        if not isinstance(f, dict) or f.get("@type") != "fresnel:Format":
            continue
        kept: dict = {}
        for k in _FORMAT_KEYS:
            v = f.get(k)
            if v is None:
                continue
            if k.endswith("Domain"):
                v = [v] if isinstance(v, str) else list(v)
            kept[k] = v
        if any(k in kept for k in _FORMAT_KEYS[2:]):
            out[fid] = kept
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", default=str(ROOT.parent / "shared" / "reference"))
    ap.add_argument("--out", default=str(DATA))
    args = ap.parse_args(argv)
    ref, out = Path(args.reference), Path(args.out)
    if not ref.is_dir():
        print(f"build_vocab: no reference data at {ref}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)

    (out / "context.jsonld").write_text(
        json.dumps(build_context(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    terms = json.loads((ref / "kbv-terms.json").read_text(encoding="utf-8"))
    write_turtle(build_vocab(terms), out / "kbv.ttl")
    write_turtle(build_terms(ref / "term-labels.tsv"), out / "kbv-terms.ttl")
    lenses = json.loads((ref / "display-lenses.json").read_text(encoding="utf-8"))
    subset = {
        "source": lenses.get("source", ""),
        "lensGroups": {g: lenses["lensGroups"][g] for g in ("chips", "cards", "full") if g in lenses["lensGroups"]},
    }
    display = ref / "upstream" / "definitions" / "source" / "vocab" / "display.jsonld"
    if display.exists():
        subset["formatters"] = build_formatters(json.loads(display.read_text(encoding="utf-8")))
    (out / "display-lenses.json").write_text(
        json.dumps(subset, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote context.jsonld, kbv.ttl, kbv-terms.ttl, display-lenses.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
