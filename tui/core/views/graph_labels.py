"""The label view of a JSON-LD record, straight from its graph (not through MARC).

``label_view(record)`` returns the same ``LabelLine`` objects as ``tui.core.views.labels`` does for a
MARC record, for a ``LibrisRecord`` whose ``origin`` is a ``LinkedOrigin`` (read from Libris
JSON-LD by ``tui.core.formats.jsonld``). It walks the record's description: the Record
(ADMINMETADATA), the Work (INSTANS AV VERK), the Instance (INSTANS) and the holdings' Items
(BESTÅND), and makes one line per value: the property path in labels, ``: value``.

* Labels come from the KBV vocabulary shipped as data (``data/kbv.ttl``, linked terms in
  ``data/kbv-terms.ttl``), read with rdflib; where the seed words a label differently than the
  current vocabulary (the seed's wording wins), the label mapping's wording is used so both views agree.
* Property order: ``@type`` first, then the Libris client's display lens for the section
  (``data/display-lenses.json``, through the label mapping's ``sections``); the Instance in MARC
  field order, as the MARC label view shows it; properties no lens names come last, in the
  order of the data.
* Linked terms collapse to their label (``Språk: Svenska, Odefinierat språk``); links the
  vocabulary does not know are shown as the label mapping shows the MARC value they come from
  (``Bibliografi / Bibliotek / Sigel: SHB``, ``Skapad av: NB``).
* Each line refers to the MARC field/subfield the value went to in the record's ``.marc``
  (recorded by the converter), so the UI can link the two views.

How ``tui.core.views.labels.label_view`` dispatches here: ``if is_linked(record): return
graph_labels.label_view(record, lang)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from tui.core.mapping import display, vocab
from tui.core.mapping.label_mapping import load_mapping as load_label_mapping
from tui.core.mapping.terms import term_label_from_uri
from tui.core.mapping.values import as_list, extract_token, types_of
from tui.core.views.lines import LabelLine, SourceRef

KBV = "https://id.kb.se/vocab/"
MARC = "https://id.kb.se/marc/"
#: keys that are identity or framing, not description
_SKIP = {"@id", "@context", "@reverse", "sameAs", "mainEntity", "meta", "@graph"}
_CHIP_SEP = "--"


# ---------------------------------------------------------------------------------------------
# Vocabulary (rdflib)
# ---------------------------------------------------------------------------------------------


def _term_iri(term: str) -> str:
    if term.startswith(("http://", "https://")):
        return term
    if term.startswith("marc:"):
        return MARC + term[5:]
    return KBV + term


@lru_cache(maxsize=1)
def _vocab_labels() -> dict[str, dict[str, str]]:
    """KBV IRI -> {lang: label}, read with rdflib from the shipped vocabulary."""
    from rdflib import RDFS

    g = vocab.vocab_graph()
    out: dict[str, dict[str, str]] = {}
    for s, o in g.subject_objects(RDFS.label):
        lang = getattr(o, "language", None) or "sv"
        out.setdefault(str(s), {}).setdefault(lang, str(o))
    return out


@lru_cache(maxsize=1)
def _term_labels() -> dict[str, dict[str, str]]:
    """Linked term IRI -> {lang: label} (languages, countries, relators, enumerations...)."""
    from rdflib.namespace import SKOS

    g = vocab.terms_graph()
    out: dict[str, dict[str, str]] = {}
    for s, o in g.subject_objects(SKOS.prefLabel):
        lang = getattr(o, "language", None) or "sv"
        out.setdefault(str(s), {}).setdefault(lang, str(o))
    return out


@lru_cache(maxsize=1)
def _label_overrides() -> dict[str, dict[str, str]]:
    """Terms whose label the seed words differently (``bibliography``: "Bibliografi"): the label
    mapping's wording, so that a record reads the same in both views."""
    try:
        over = json.loads((vocab.DATA / "label-overrides.json").read_text(encoding="utf-8"))
        kbv = json.loads((vocab.DATA / "kbv-labels.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {t: kbv[t] for t in (over.get("termLabels") or {}) if not t.startswith("NOTE") and t in kbv}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def term_label(term: str, lang: str = "sv") -> str:
    """The label of a KBV class or property (capitalised for display)."""
    over = _label_overrides().get(term)
    if over and (over.get(lang) or over.get("sv")):
        return over.get(lang) or over["sv"]
    labs = _vocab_labels().get(_term_iri(term))
    if labs:
        lab = labs.get(lang) or labs.get("sv") or labs.get("en")
        if lab:
            return _cap(lab)
    local = term.split(":", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).split()
    return _cap(" ".join([words[0]] + [w.lower() for w in words[1:]])) if words else term


def linked_term_label(uri: str, lang: str = "sv") -> str | None:
    labs = _term_labels().get(uri)
    if not labs:
        return None
    return labs.get(lang) or labs.get("sv") or labs.get("en")


# ---------------------------------------------------------------------------------------------
# What the label mapping says about links (collapse, label path)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _link_targets() -> dict[tuple[str, str], list[dict]]:
    """(entity, first property) -> mapping targets that link there through a URI template."""
    m = load_label_mapping()
    out: dict[tuple[str, str], list[dict]] = {}
    for fmt in ("bib", "hold"):
        for tm in m.formats.get(fmt, {}).values():
            for v in tm.get("variants", []):
                targets = (
                    list((v.get("subfields") or {}).values())
                    + [v.get("ind1"), v.get("ind2")]
                    + list(v.get("positions") or [])
                )
                for t in targets:
                    if not t or t.get("ignored") or not t.get("uriTemplate") or not t.get("steps"):
                        continue
                    key = (t.get("entity", ""), t["steps"][0].get("property"))
                    out.setdefault(key, []).append(t)
    return out


@lru_cache(maxsize=1)
def _hidden_class_props() -> set[tuple[str, ...]]:
    """Property paths whose embedded entity's class the mapping does not show in its labels
    (``Genre/form / Föredragen benämning``): the label list is as long as the properties."""
    m = load_label_mapping()
    out: set[tuple[str, ...]] = set()
    for fmt in ("bib", "hold"):
        for tm in m.formats.get(fmt, {}).values():
            for v in tm.get("variants", []):
                for t in (v.get("subfields") or {}).values():
                    steps = (t or {}).get("steps") or []
                    labs = ((t or {}).get("labels") or {}).get("sv") or []
                    if (
                        len(steps) >= 2
                        and steps[0].get("class")
                        and len(labs) == len(steps)
                        and not t.get("uriTemplate")
                    ):
                        out.add((t.get("entity", ""), steps[0]["property"]))
    return out


@lru_cache(maxsize=1)
def _prefix_only_labels() -> dict[tuple[str, str], dict]:
    """(entity, last property) -> labels, for mapping targets whose label is just the last
    property (the seed's ``Typanmärkning: kbse-mimer`` under an identifier)."""
    m = load_label_mapping()
    out: dict[tuple[str, str], dict] = {}
    for fmt in ("bib",):
        for tm in m.formats.get(fmt, {}).values():
            for v in tm.get("variants", []):
                for t in (v.get("subfields") or {}).values():
                    steps = (t or {}).get("steps") or []
                    labs = (t or {}).get("labels") or {}
                    if len(steps) >= 2 and len(labs.get("sv") or []) == 1:
                        out[(t.get("entity", ""), steps[0]["property"] + "." + steps[-1]["property"])] = labs
    return out


# ---------------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------------


def is_linked(record: Any) -> bool:
    from tui.core.formats.jsonld import LinkedOrigin

    return isinstance(getattr(record, "origin", None), LinkedOrigin)


class _Walker:
    def __init__(self, lang: str, prov: dict, holding: int | None):
        self.lang = lang if lang in ("sv", "en") else "sv"
        self.prov = prov or {}
        self.holding = holding
        self.m = load_label_mapping()

    def refs(self, path: str, prop: str | None = None, prefix: bool = False) -> tuple[SourceRef, ...]:
        out: list[SourceRef] = []
        for (p, pr), hits in self.prov.items():
            if (p == path and (prop is None or pr == prop)) or (prefix and (p == path or p.startswith(path + "/"))):
                for tag, occ, idx, code in hits:
                    r = SourceRef(tag, occ, idx, code, self.holding)
                    if r not in out:
                        out.append(r)
        return tuple(out)

    # -- one entity ----------------------------------------------------------------------------
    def entity_lines(
        self, section: str, entity: str, node: dict, path: str, skip: Iterable[str] = ()
    ) -> list[tuple[tuple, LabelLine]]:
        skip = set(skip) | _SKIP
        out: list[tuple[tuple, LabelLine]] = []
        types = types_of(node)
        if types and types != [entity]:
            label = (self.m.data.get("typeLabels", {}).get(entity) or {}).get(self.lang) or term_label("@type")
            out.append(
                (
                    (-1, 0, 0),
                    LabelLine(
                        section, label, ", ".join(term_label(t, self.lang) for t in types), self.refs(path, "@type")
                    ),
                )
            )
        order = self._order(entity)
        for k, (prop, value) in enumerate(
            (p, v) for p, v in node.items() if p not in skip and p != "@type" and not p.startswith("_")
        ):
            lines = self.value_lines(
                section,
                entity,
                [prop],
                [term_label(_base_prop(prop), self.lang)],
                value,
                f"{path}/{prop}" if path else prop,
                node,
                prop,
                path,
            )
            for j, ln in enumerate(lines):
                out.append((self._sort_key(order, prop, k, j, ln), ln))
        return out

    def _order(self, entity: str) -> list[str] | str | None:
        sec = self.m.sections.get(entity)
        return sec.get("order") if sec else None

    @staticmethod
    def _sort_key(order, prop: str, k: int, j: int, ln: LabelLine) -> tuple:
        if order == "marc":
            if ln.refs:
                r = ln.refs[0]
                return (0, (r.tag, r.occurrence, r.subfield_index if r.subfield_index is not None else -1), k, j)
            return (1, ("", 0, 0), k, j)
        if isinstance(order, list) and prop in order:
            return (0, order.index(prop), k, j)
        return (1, 0, k, j)

    # -- values --------------------------------------------------------------------------------
    def value_lines(
        self,
        section: str,
        entity: str,
        props: list[str],
        labels: list[str],
        value: Any,
        vpath: str,
        parent: dict,
        prop: str,
        ppath: str,
    ) -> list[LabelLine]:
        lang = self.lang
        if prop.endswith("ByLang") and isinstance(value, dict):
            v = value.get(lang) or value.get("sv") or next(iter(value.values()), None)
            value = v[0] if isinstance(v, list) and v else v
        values = as_list(value)
        out: list[LabelLine] = []
        collapsed: list[str] = []
        collapsed_refs: list[SourceRef] = []
        for i, v in enumerate(values):
            ipath = f"{vpath}/{i}" if isinstance(value, list) else vpath
            if isinstance(v, dict) and "@value" in v:
                v = v["@value"]
            if isinstance(v, dict) and "@list" in v:
                v = v["@list"]
            if isinstance(v, list):  # a list (termComponentList): one chip
                out.append(
                    LabelLine(
                        section,
                        " / ".join(labels),
                        _CHIP_SEP.join(self.chip(x) for x in v),
                        self.refs(ipath, prefix=True),
                    )
                )
                continue
            if isinstance(v, dict):
                link = self.link_value(entity, props, v)
                if link is not None:
                    mode, lab_path, text = link
                    refs = self.refs(ipath, prefix=True) or self.refs(ppath, prop)
                    if mode == "collapse":
                        collapsed.append(text)
                        collapsed_refs.extend(r for r in refs if r not in collapsed_refs)
                    else:
                        out.append(LabelLine(section, " / ".join(lab_path), text, refs))
                    continue
                out.extend(self.node_lines(section, entity, props, labels, v, ipath))
                continue
            if isinstance(v, bool):
                text = (self.m.data.get("booleanLabels", {}).get("true" if v else "false") or {}).get(lang, str(v))
            elif v is None:
                continue
            else:
                text = str(v)
                if prop in ("recordStatus", "encodingLevel", "issuanceType") or (
                    text.startswith("marc:") and " " not in text
                ):
                    text = term_label(text, lang)
            lab = self._short_label(entity, props) or " / ".join(labels)
            out.append(LabelLine(section, lab, text, self.refs(ppath, prop)))
        if collapsed:
            out.insert(0, LabelLine(section, " / ".join(labels), ", ".join(collapsed), tuple(collapsed_refs)))
        return out

    def _short_label(self, entity: str, props: list[str]) -> str | None:
        if len(props) < 2:
            return None
        labs = _prefix_only_labels().get((entity, props[0] + "." + props[-1]))
        if not labs:
            return None
        return (labs.get(self.lang) or labs.get("sv") or [None])[0]

    def node_lines(
        self, section: str, entity: str, props: list[str], labels: list[str], node: dict, npath: str
    ) -> list[LabelLine]:
        types = types_of(node)
        comps = node.get("termComponentList")
        if "ComplexSubject" in types or (isinstance(comps, list) and not node.get("prefLabel")):
            own = node.get("prefLabel")
            text = own if isinstance(own, str) else _CHIP_SEP.join(self.chip(x) for x in as_list(comps))
            return [LabelLine(section, " / ".join(labels), text, self.refs(npath, prefix=True))]
        sub_labels = list(labels)
        hidden = (entity, props[0]) in _hidden_class_props() and len(props) == 1
        if types and not hidden:
            sub_labels.append(", ".join(term_label(t, self.lang) for t in types))
        if self._shown_as_chip(node, entity if props[:1] == ["hasVariant"] else ""):
            # a qualified link (a contribution: its agent and roles): one line, as Libris writes it
            return [LabelLine(section, " / ".join(sub_labels), self._own_chip(node), self.refs(npath, prefix=True))]
        out: list[LabelLine] = []
        for p, v in node.items():
            if p in _SKIP or p == "@type" or p.startswith("_"):
                continue
            out.extend(
                self.value_lines(
                    section,
                    entity,
                    props + [p],
                    sub_labels + [term_label(_base_prop(p), self.lang)],
                    v,
                    f"{npath}/{p}",
                    node,
                    p,
                    npath,
                )
            )
        if not out and node.get("@id"):
            out.append(LabelLine(section, " / ".join(labels), node["@id"], self.refs(npath, prefix=True)))
        return out

    def _shown_as_chip(self, node: dict, entity: str = "") -> bool:
        """Whether an embedded entity shows on one line: its ``chips`` lens names every property
        it has and it links to an entity described elsewhere (a contribution whose agent is a
        linked Person: "Holmberg, Åke, 1907-1991 (Författare)"). An entity described in the
        record itself keeps a line per value, as the MARC label view shows it; the variants of an
        authority record's entity (``entity`` is ``Authority``) are written as chips too ("Haij,
        Vera, 1914-2001"), as Libris's authority cards show them."""
        lens = _chip_lens(types_of(node))
        if not lens:
            return False
        named = {a for alts in display.lens_properties(lens) for a in alts}
        own = [p for p in node if p not in _SKIP and p != "@type" and not p.startswith("_")]
        if not own or any(_base_prop(p) not in named for p in own):
            return False
        if entity == "Authority":
            return True
        return any(
            isinstance(x, dict) and isinstance(x.get("@id"), str) and not linked_term_label(x["@id"], self.lang)
            for p in own
            for x in as_list(node[p])
        )

    def chip(self, v: Any) -> str:
        """A short text for an entity (Libris's "chip"): a known term's label, else the entity
        written by its class's ``chips`` lens and the display formats ("Holmberg, Åke,
        1907-1991"), else a label, name or code, else what its URI says."""
        if isinstance(v, str):
            return v
        if not isinstance(v, dict):
            return str(v)
        uri = v.get("@id")
        if isinstance(uri, str):
            return self.link_text(v) or uri
        return self._own_chip(v)

    def _own_chip(self, v: dict) -> str:
        text = display.format_entity(v, self.lang, self.link_text)
        if text:
            return text
        for key in ("prefLabel", "label", "name", "code", "mainTitle"):
            x = v.get(key)
            if isinstance(x, list) and x:
                x = x[0]
            if isinstance(x, str):
                return x
            lx = v.get(key + "ByLang")
            if isinstance(lx, dict) and lx:
                return lx.get(self.lang) or lx.get("sv") or next(iter(lx.values()))
        return ""

    def link_text(self, v: dict) -> str | None:
        """How a link to another entity reads: the label of a known term, else the entity's own
        description where the data embellishes it (framed records), else the token the
        mapping's URI templates take from it (``https://libris.kb.se/library/Li``: ``Li``)."""
        uri = v.get("@id")
        if not isinstance(uri, str):
            return self._own_chip(v) or None
        known = linked_term_label(uri, self.lang)
        if known:
            return known
        if len(v) > 1:
            own = self._own_chip({k: x for k, x in v.items() if k != "@id"})
            if own:
                return own
        return term_label_from_uri(uri) or _template_token(uri) or uri

    def link_value(self, entity: str, props: list[str], v: dict):
        """How a link shows: ``("collapse", labels, text)`` to join on one line, or
        ``("line", labels, text)``; ``None`` when ``v`` is a description, not a link."""
        uri = v.get("@id")
        if not isinstance(uri, str):
            return None
        known = linked_term_label(uri, self.lang)
        if known:
            return ("collapse", [], known)
        for t in _link_targets().get((entity, props[0]), ()):
            steps = t["steps"]
            link_at = t.get("linkStep", len(steps) - 1)
            if link_at != len(props) - 1 or [s.get("property") for s in steps[: len(props)]] != props:
                continue
            tok = extract_token(t["uriTemplate"], uri)
            if tok is None:
                continue
            if t.get("collapse") == "always":
                return ("collapse", [], tok)
            labs = (t.get("labels") or {}).get(self.lang) or (t.get("labels") or {}).get("sv") or []
            return ("line", list(labs), tok)
        # a linked entity described elsewhere (embellished in framed data, or just its URI)
        return ("collapse", [], self.link_text(v) or uri)


def _chip_lens(types: list[str]) -> list | None:
    """The ``chips`` lens of an entity of ``types`` (its class's, else its nearest superclass's)."""
    return display.lens_for("chips", types)


@lru_cache(maxsize=1)
def _uri_templates() -> tuple[tuple[str, str], ...]:
    """The URI templates the mapping links through, each with the text before its token: the
    longest prefix first, so that the most specific template reads a URI."""
    seen: dict[str, str] = {}
    for targets in _link_targets().values():
        for t in targets:
            tpl = t["uriTemplate"]
            head = tpl.split("{", 1)[0]
            if head.startswith(("http://", "https://")) and "/" in head.split("://", 1)[1]:
                seen[tpl] = head
    return tuple(sorted(seen.items(), key=lambda x: -len(x[1])))


def _template_token(uri: str) -> str | None:
    """The code a URI stands for when the mapping makes such URIs from a code (a library's sigel
    in ``https://libris.kb.se/library/{sigel}``)."""
    for tpl, head in _uri_templates():
        if uri.startswith(head):
            tok = extract_token(tpl, uri)
            if tok:
                return tok
    return None


def _base_prop(p: str) -> str:
    return p[:-6] if p.endswith("ByLang") else p


def _emitter(lines: list[LabelLine]):
    def emit(entity: str, items: list[tuple[tuple, LabelLine]]) -> None:
        items.sort(key=lambda x: x[0])
        lines.extend(ln for _, ln in items)

    return emit


def _authority_lines(w: _Walker, data: dict, lines: list[LabelLine]) -> list[LabelLine]:
    """An authority record: the Record (ADMINMETADATA), then its main entity, the Person,
    Organization, Topic ... itself, under AUKTORITET in MARC order (no Work, no Instance)."""
    sec = w.m.section_ids
    emit = _emitter(lines)
    emit("Record", w.entity_lines(sec["Record"], "Record", {k: v for k, v in data.items() if k != "mainEntity"}, ""))
    main = data.get("mainEntity")
    thing: dict = main if isinstance(main, dict) else {}
    items = []
    skip: set[str] = set()
    lens = _chip_lens(types_of(thing))
    if lens:
        # the entity itself first, written as Libris writes it ("Person: Jansson, Tove, 1914-2001");
        # the properties that say it are not repeated a line each
        named = {a for alts in display.lens_properties(lens) for a in alts}
        skip = {p for p in thing if _base_prop(p) in named}
        text = w._own_chip(thing)
        if text:
            refs: list[SourceRef] = []
            for p in sorted(skip | {"name"}):
                refs.extend(r for r in w.refs("mainEntity", p) if r not in refs)
            label = ", ".join(term_label(t, w.lang) for t in types_of(thing))
            items.append(((-1, 1, 0), LabelLine(sec["Authority"], label, text, tuple(refs))))
    items += w.entity_lines(sec["Authority"], "Authority", thing, "mainEntity", skip=skip)
    emit("Authority", items)
    return lines


def authority_view(record: Any, lang: str = "sv") -> list[LabelLine]:
    """The label view of a MARC authority record (leader/06 ``z``): converted with marcframe's
    ``auth`` rules as Libris converts it, and labelled from that JSON-LD; each line points back
    to the MARC fields its value comes from (the conversion run back, as for JSON-LD files)."""
    from tui.core.mapping.linked import jsonld_to_marc, marc_to_jsonld

    data = marc_to_jsonld(record.marc)
    prov: dict = {}
    jsonld_to_marc(data, prov)
    return _authority_lines(_Walker(lang, prov, None), data, [])


def label_view(record: Any, lang: str = "sv") -> list[LabelLine]:
    """The label view of a record read from JSON-LD, from its graph."""
    origin = record.origin
    data = origin.data
    m = load_label_mapping()
    sec = m.section_ids
    prov = getattr(origin, "provenance", None) or {}
    w = _Walker(lang, prov, None)
    lines: list[LabelLine] = []
    if record.kind == "authority":
        return _authority_lines(w, data, lines)
    rec_node = {k: v for k, v in data.items() if k != "mainEntity"}
    thing = data.get("mainEntity") if isinstance(data.get("mainEntity"), dict) else {}
    emit = _emitter(lines)

    emit("Record", w.entity_lines(sec["Record"], "Record", rec_node, ""))
    if origin.kind == "hold":
        skip = set(m.sections.get("Item", {}).get("skip", []))
        emit("Item", w.entity_lines(sec["Item"], "Item", thing, "mainEntity", skip=skip))
        return lines
    work = thing.get("instanceOf")
    if isinstance(work, dict):
        emit("Work", w.entity_lines(sec["Work"], "Work", work, "mainEntity/instanceOf"))
    emit("Instance", w.entity_lines(sec["Instance"], "Instance", thing, "mainEntity", skip={"instanceOf"}))
    for i, h in enumerate(getattr(record, "holdings", []) or []):
        horigin = getattr(h, "origin", None)
        if horigin is None or not hasattr(horigin, "data"):
            continue
        hw = _Walker(lang, getattr(horigin, "provenance", None) or {}, i)
        item = horigin.data.get("mainEntity") if isinstance(horigin.data.get("mainEntity"), dict) else {}
        skip = set(m.sections.get("Item", {}).get("skip", []))
        emit("Item", hw.entity_lines(sec["Item"], "Item", item, "mainEntity", skip=skip))
    return lines


__all__ = ["authority_view", "label_view", "is_linked", "term_label", "linked_term_label"]
