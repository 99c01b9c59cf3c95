"""The Libris label view: a MARC record as Libris's cataloguing client shows it.

Everything about *which* MARC goes *where* and *what it is called* is data:
``tui/data/label-mapping.json`` (built by ``tools/build_mapping.py`` from Libris's own MARC
mapping, the KBV labels and the display lenses; schema in ``tui/data/MAPPING.md``). This module
only walks a record, picks the mapping variant that applies to each field, and turns values into
lines. Nothing is dropped: a field or subfield without a mapping is shown as ``MARC 912 #a``.

Every line carries ``refs``: the MARC field (tag, 1-based occurrence), subfield index and code
it comes from, so that the UI can link the label view and the MARC view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache

from pymarc import Field

from tui.core.mapping.conditions import choose_variant, search_regex
from tui.core.mapping.label_mapping import Mapping, load_mapping
from tui.core.model.record import ORPHAN, LibrisRecord
from tui.core.views.lines import SECTIONS, LabelLine, SourceRef

UNMAPPED_SECTION_ENTITY = "Instance"
_BIG = 10_000


# -- variants -----------------------------------------------------------------------------------


def _sv(sf) -> str:
    """A subfield's value as text (a reader may leave ``None``)."""
    v = sf.value
    return v if isinstance(v, str) else ("" if v is None else str(v))


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def select_variant(m: Mapping, fmt: str, tm: dict, f: Field, earlier: list[Field]) -> dict | None:
    """The variant of ``tm`` (the mapping entry of ``f``'s tag) that applies to ``f``, chosen by
    the conversion's own condition engine (``earlier``: the fields of the same tag before ``f``)."""
    rules = m.compiled.rules(fmt, f.tag)
    v = choose_variant(rules, f, "", earlier) if rules is not None else None
    return tm["variants"][v.index] if v is not None else None


# -- value handling -----------------------------------------------------------------------------


def _clean(value: str, t: dict) -> str:
    out = value
    punct = t.get("punctuation")
    if punct:
        out = out.rstrip(" " + punct)
        if not out.strip():
            out = value  # nothing but punctuation: show it as given
    if t.get("transform") == "brackets":
        s = out.strip()
        if s.startswith("[") and s.endswith("]"):
            out = s[1:-1].strip()
        elif s.startswith("["):
            out = s[1:].rstrip("] ").strip()
    return out


@dataclass
class _Raw:
    """A line before sorting: where it goes and how it sorts."""

    entity: str
    order_prop: str | None
    field_pos: int
    within: float
    label: str
    value: str
    refs: list[SourceRef]
    join_key: str | None = None
    join_sep: str = ", "
    is_type: bool = False
    holding_group: int = -1
    extra: dict = dc_field(default_factory=dict)


class _Builder:
    def __init__(self, mapping: Mapping, lang: str):
        self.m = mapping
        self.lang = lang if lang in ("sv", "en") else "sv"

    # labels ---------------------------------------------------------------------------------
    def _join_labels(self, labels: list[str], cls_label: str | None = None) -> str:
        out = []
        for lab in labels:
            if lab == "{class}":
                if cls_label:
                    out.append(cls_label)
                continue
            out.append(lab)
        return " / ".join(out)

    def _labels(self, t: dict, key: str = "labels") -> list[str]:
        return list(t.get(key, {}).get(self.lang) or t.get(key, {}).get("sv") or [])

    # one target -------------------------------------------------------------------------------
    def value_lines(self, t: dict, raw_value: str, cls_label: str | None) -> list[tuple[str, str]]:
        """(label, value) lines for a mapped subfield / position value: usually one; a value
        rule may split a value into several properties (``2016-`` -> start year)."""
        value = _clean(raw_value, t)
        for rule in t.get("valueRules", []) or []:
            m = _regex(rule["match"]).search(value)
            if not m:
                continue
            out = []
            for part in rule.get("parts") or [rule]:
                v = m.group(part.get("group", 0))
                if v:
                    labels = list(part["labels"].get(self.lang) or part["labels"]["sv"])
                    out.append((self._join_labels(labels, cls_label), v))
            if out:
                return out
        labels = self._labels(t)
        if t.get("uriTemplate"):
            labels, value = self._link(t, value.strip())
        return [(self._join_labels(labels, cls_label), value)]

    def _link(self, t: dict, code: str) -> tuple[list[str], str]:
        uri = t["uriTemplate"].replace("{+_}", code).replace("{_}", code)
        known = self.m.linked_label(uri, self.lang) if code else None
        mode = t.get("collapse", "known")
        if t.get("collapsedLabels") and (mode == "always" or (mode == "known" and known)):
            return self._labels(t, "collapsedLabels"), known or code
        return self._labels(t), code

    def token_line(self, t: dict, code: str) -> tuple[str, str] | None:
        tm = self.m.token_map(t.get("tokenMap"))
        if tm is None:
            return None
        if code not in tm:
            return None
        token = tm[code]
        if token is None:
            return None
        if t.get("uriTemplate") and isinstance(token, str):
            labels, value = self._link(t, token)
            return self._join_labels(labels), value
        val = self.m.token_value(token, self.lang)
        if val is None:
            return None
        return self._join_labels(self._labels(t)), val

    def class_of(self, t: dict, code_value: str) -> str | None:
        """The class (KBV term) an @type-target gives its entity, from an indicator or value."""
        tm = self.m.token_map(t.get("tokenMap"))
        if tm is None:
            return None
        tok = tm.get(code_value)
        return tok if isinstance(tok, str) else None

    # fields -------------------------------------------------------------------------------
    def field_lines(
        self,
        fmt: str,
        f: Field,
        occ: int,
        pos: int,
        earlier: list[Field],
        holding: int | None = None,
        skip_codes: tuple[str, ...] = (),
    ) -> list[_Raw]:
        tm = self.m.tag(fmt, f.tag)
        ref0 = SourceRef(f.tag, occ, None, None, holding)
        if f.is_control_field():
            return self.control_lines(tm, f, occ, pos, holding)
        variant = select_variant(self.m, fmt, tm, f, earlier) if tm else None
        if variant is None:
            return [self.unmapped_field(f, occ, pos, holding)]
        default_entity = variant.get("entity") or UNMAPPED_SECTION_ENTITY
        section_entity = variant.get("section") or default_entity
        out: list[_Raw] = []
        # class providers: an indicator or subfield giving the class of an embedded entity
        cls_labels: dict[str, str] = {}
        provider_refs: list[SourceRef] = []
        inds = (list(f.indicators or []) + [" ", " "])[:2]
        for n in (1, 2):
            t = variant.get(f"ind{n}")
            if t and not t.get("ignored") and t.get("typeOf") and t["typeOf"] != t.get("entity"):
                cls = self.class_of(t, inds[n - 1] or " ")
                if cls:
                    cls_labels[f"ind{n}"] = self.m.term_label(cls, self.lang)
        subs = variant.get("subfields", {})
        for i, sf in enumerate(f.subfields):
            t = subs.get(sf.code)
            if t and not t.get("ignored") and t.get("typeOf") and t["typeOf"] != t.get("entity"):
                cls = self.class_of(t, _sv(sf).strip())
                if cls:
                    cls_labels.setdefault("$" + sf.code, self.m.term_label(cls, self.lang))
                    provider_refs.append(SourceRef(f.tag, occ, i, sf.code, holding))

        def cls_for(t: dict) -> str | None:
            src = t.get("classFrom")
            if not src:
                return None
            if src in cls_labels:
                return cls_labels[src]
            fb = t.get("classFallback")
            return (fb.get(self.lang) or fb.get("sv"))[0] if fb else None

        def entity_of(t: dict) -> str:
            return t.get("section") or (section_entity if variant.get("section") else t.get("entity") or default_entity)

        # indicators
        for n in (1, 2):
            t = variant.get(f"ind{n}")
            code = inds[n - 1] or " "
            if not t or t.get("ignored") or t.get("typeOf") or "steps" not in t or not t.get("labels"):
                continue
            if variant.get("field") and t.get("path") == variant["field"].get("path"):
                continue  # the indicator only selects the field's resource: nothing to show
            ref = SourceRef(f.tag, occ, None, None, holding)
            if t.get("tokenMap") is not None:
                lv = self.token_line(t, code)
                if lv is None:
                    continue
                label, value = lv
            else:
                if code == " " or not t["steps"]:
                    continue
                label, value = self._join_labels(self._labels(t)), code
            out.append(_Raw(entity_of(t), _first_prop(t), pos, -3 + n, label, value, [ref]))
        # subfields
        order = variant.get("displayOrder") or []
        for i, sf in enumerate(f.subfields):
            if sf.code in skip_codes:
                continue
            ref = SourceRef(f.tag, occ, i, sf.code, holding)
            within = (order.index(sf.code) if sf.code in order else len(order)) * 1000 + i
            if sf.code == ORPHAN:
                out.append(_Raw(section_entity, None, pos, within, f"MARC {f.tag}", _sv(sf), [ref]))
                continue
            t = subs.get(sf.code) or subs.get("_")
            if t is None or t.get("ignored") or "steps" not in t or (not t.get("labels") and not t.get("typeOf")):
                out.append(_Raw(section_entity, None, pos, within, f"MARC {f.tag} #{sf.code}", _sv(sf), [ref]))
                continue
            if t.get("typeOf"):
                if t["typeOf"] != t.get("entity"):
                    if ("$" + sf.code) in cls_labels:
                        continue  # shown as the class in the other lines' label path
                    out.append(_Raw(section_entity, None, pos, within, f"MARC {f.tag} #{sf.code}", _sv(sf), [ref]))
                    continue
                tok = self.class_of(t, _sv(sf).strip())
                if tok is None:
                    out.append(_Raw(section_entity, None, pos, within, f"MARC {f.tag} #{sf.code}", _sv(sf), [ref]))
                    continue
                out.append(
                    _Raw(
                        t["entity"],
                        "@type",
                        pos,
                        within,
                        self._join_labels(self._labels(t)),
                        self.m.term_label(tok, self.lang),
                        [ref],
                        is_type=True,
                    )
                )
                continue
            if t.get("tokenMap") is not None and not t.get("uriTemplate"):
                lv = self.token_line(t, _sv(sf))
                if lv is None:
                    out.append(_Raw(section_entity, None, pos, within, f"MARC {f.tag} #{sf.code}", _sv(sf), [ref]))
                    continue
                label, value = lv
                out.append(_Raw(entity_of(t), _first_prop(t), pos, within, label, value, [ref]))
                continue
            refs = [ref] + [r for r in provider_refs if r.subfield_index != i]
            for k, (label, value) in enumerate(self.value_lines(t, _sv(sf), cls_for(t))):
                out.append(
                    _Raw(
                        entity_of(t),
                        _first_prop(t),
                        pos,
                        within + k / 10,
                        label,
                        value,
                        refs,
                        join_key=t.get("joinKey") if t.get("join") else None,
                        join_sep=t.get("join") or ", ",
                    )
                )
        if not out and not f.subfields:
            out.append(_Raw(section_entity, None, pos, 0, f"MARC {f.tag}", "", [ref0]))
        return out

    def control_lines(self, tm: dict | None, f: Field, occ: int, pos: int, holding: int | None) -> list[_Raw]:
        ref = SourceRef(f.tag, occ, None, None, holding)
        data = f.data or ""
        if tm is None:
            return [_Raw(UNMAPPED_SECTION_ENTITY, None, pos, 0, f"MARC {f.tag}", data, [ref])]
        v = tm["variants"][0] if tm["variants"] else None
        if tm["kind"] == "fixed":
            return self.position_lines(v, data, f.tag, occ, pos, holding)
        t = (v or {}).get("field")
        if not t or t.get("ignored") or not t.get("labels") or not t.get("steps"):
            return [_Raw(UNMAPPED_SECTION_ENTITY, None, pos, 0, f"MARC {f.tag}", data, [ref])]
        return [
            _Raw(t.get("section") or t["entity"], _first_prop(t), pos, k, label, value, [ref])
            for k, (label, value) in enumerate(self.value_lines(t, data, None))
        ]

    def position_lines(
        self, v: dict | None, data: str, tag: str, occ: int, pos: int, holding: int | None
    ) -> list[_Raw]:
        out: list[_Raw] = []
        ref = SourceRef(tag, occ, None, None, holding)
        for k, p in enumerate((v or {}).get("positions", [])):
            if p.get("ignored") or "steps" not in p or len(data) < p["end"]:
                continue
            code = data[p["start"] : p["end"]]
            if code in (p.get("quiet") or []):
                continue
            if p.get("typeOf"):
                tok = self.class_of(p, code)
                if tok is None:
                    continue
                out.append(
                    _Raw(
                        p["entity"],
                        "@type",
                        pos,
                        k,
                        self._join_labels(self._labels(p)),
                        self.m.term_label(tok, self.lang),
                        [ref],
                        is_type=True,
                    )
                )
                continue
            if not code.strip(" |#^0") and not p.get("tokenMap"):
                continue  # blank or fill: nothing coded
            if p.get("tokenMap") is not None and not p.get("uriTemplate"):
                lv = self.token_line(p, code)
                if lv is None:
                    continue
                label, value = lv
                out.append(_Raw(p.get("section") or p["entity"], _first_prop(p), pos, k, label, value, [ref]))
                continue
            if not code.strip(" |#^"):
                continue
            for j, (label, value) in enumerate(self.value_lines(p, code.strip(), None)):
                out.append(
                    _Raw(
                        p.get("section") or p["entity"],
                        _first_prop(p),
                        pos,
                        k + j / 10,
                        label,
                        value,
                        [ref],
                        join_key=p.get("joinKey") if p.get("join") else None,
                        join_sep=p.get("join") or ", ",
                    )
                )
        return out

    def unmapped_field(self, f: Field, occ: int, pos: int, holding: int | None) -> _Raw:
        body = []
        refs = []
        for i, sf in enumerate(f.subfields):
            body.append(_sv(sf) if sf.code == ORPHAN else f"#{sf.code}" + (f" {_sv(sf)}" if _sv(sf) else ""))
            refs.append(SourceRef(f.tag, occ, i, sf.code, holding))
        return _Raw(
            UNMAPPED_SECTION_ENTITY,
            None,
            pos,
            0,
            f"MARC {f.tag}",
            " ".join(body),
            refs or [SourceRef(f.tag, occ, None, None, holding)],
        )

    # a whole record ------------------------------------------------------------------------
    def record_lines(self, rec, fmt: str, holding: int | None = None, exclude: set[int] | None = None) -> list[_Raw]:
        exclude = exclude or set()
        out: list[_Raw] = []
        leader = str(rec.leader) if rec.leader is not None else ""
        tm0 = self.m.tag(fmt, "000")
        if leader and tm0:
            out += self.position_lines(tm0["variants"][0], leader, "000", 1, -1, holding)
        seen: dict[str, list[Field]] = {}
        for pos, f in enumerate(rec.fields):
            earlier = seen.setdefault(f.tag, [])
            occ = len(earlier) + 1
            if pos not in exclude:
                out += self.field_lines(fmt, f, occ, pos, list(earlier), holding)
            earlier.append(f)
        return out


def _first_prop(t: dict) -> str | None:
    steps = t.get("steps") or []
    return steps[0]["property"] if steps else None


# -- derived types, joins, ordering --------------------------------------------------------------


def _derived_types(b: _Builder, rec, raws: list[_Raw]) -> list[_Raw]:
    typed = {r.entity for r in raws if r.is_type}
    out = []
    for d in b.m.data.get("derivedTypes", []):
        if d["entity"] in typed:
            continue
        refs = []
        ok = True
        for c in d["conditions"]:
            hit = []
            occ = 0
            for f in rec.fields:
                if f.tag != c["tag"]:
                    continue
                occ += 1
                if f.is_control_field():
                    continue
                for i, sf in enumerate(f.subfields):
                    if sf.code == c["sub"] and search_regex(c["match"]).search(_sv(sf)):
                        hit.append(SourceRef(f.tag, occ, i, sf.code))
            if not hit:
                ok = False
                break
            refs += hit
        if ok:
            label = (d["labels"].get(b.lang) or d["labels"]["sv"])[0]
            out.append(_Raw(d["entity"], "@type", -1, 0, label, b.m.term_label(d["type"], b.lang), refs, is_type=True))
            typed.add(d["entity"])
    return out


def _join(raws: list[_Raw]) -> list[_Raw]:
    out: list[_Raw] = []
    first: dict[tuple[str, str, int], _Raw] = {}
    for r in raws:
        if r.join_key:
            key = (r.entity, r.join_key, r.holding_group)
            if key in first:
                head = first[key]
                vals = head.value.split(head.join_sep) if head.value else []
                if r.value not in vals:
                    head.value = head.join_sep.join(vals + [r.value]) if vals else r.value
                head.refs = head.refs + [x for x in r.refs if x not in head.refs]
                continue
            first[key] = r
        out.append(r)
    return out


def _sort_key(m: Mapping, r: _Raw) -> tuple:
    lens = m.lens_index.get(r.entity)
    if r.is_type:
        prop_rank = -1
    elif lens is None:  # MARC order
        prop_rank = 0
    else:
        prop_rank = lens.get(r.order_prop, _BIG) if r.order_prop else _BIG
    return (r.holding_group, prop_rank, r.field_pos, r.within)


def _holding_raws(b: _Builder, rec: LibrisRecord) -> list[_Raw]:
    out: list[_Raw] = []
    group = 0
    for hi, h in enumerate(rec.holdings):
        raws = [r for r in b.record_lines(h.marc, "hold", holding=hi) if r.entity == "Item"]
        for r in raws:
            r.holding_group = group
        out += raws
        group += 1
    # embedded holdings: fields with $5 <sigel> (Libris exports)
    conf = b.m.data["holdings"]
    code5 = conf["sigelCode"]
    groups: dict[str, list[tuple[int, Field, int]]] = {}
    seen: dict[str, int] = {}
    for pos, f in enumerate(rec.marc.fields):
        seen[f.tag] = seen.get(f.tag, 0) + 1
        sig = _embedded_sigel(b.m, f)
        if sig is not None:
            groups.setdefault(sig, []).append((pos, f, seen[f.tag]))
    st = conf["sigelTarget"]
    for sig, fields in groups.items():
        refs = [
            SourceRef(f.tag, occ, i, sf.code)
            for _, f, occ in fields
            for i, sf in enumerate(f.subfields)
            if sf.code == code5
        ]
        mine: list[_Raw] = []
        for pos, f, occ in fields:
            earlier = [g for g in rec.marc.get_fields(f.tag)][: occ - 1]
            for r in b.field_lines("hold", f, occ, pos, earlier, None, skip_codes=(code5,)):
                r.holding_group = group
                r.entity = "Item"
                mine.append(r)
        held = next((r for r in mine if r.order_prop == "heldBy" and r.value.strip() == sig), None)
        if held is not None:  # the fields say who holds it (852 $b): that line carries the $5 refs too
            held.refs = held.refs + [x for x in refs if x not in held.refs]
        elif sig:
            label = " / ".join(st["labels"].get(b.lang) or st["labels"]["sv"])
            mine.insert(0, _Raw("Item", "heldBy", fields[0][0], -10, label, sig, refs, holding_group=group))
        out += mine
        group += 1
    return out


def _bib_ignores(m: Mapping, tag: str) -> bool:
    tm = m.tag("bib", tag)
    if tm is None:
        return True
    return all((v.get("field") or {}).get("ignored") for v in tm["variants"] if not v.get("revertOnly"))


def _embedded_sigel(m: Mapping, f: Field) -> str | None:
    """The sigel of a holdings field embedded in a bib, or None if ``f`` is not one."""
    conf = m.data["holdings"]
    if f.is_control_field() or f.tag not in conf["embeddedTags"]:
        return None
    sig = next((_sv(sf).strip() for sf in f.subfields if sf.code == conf["sigelCode"] and _sv(sf).strip()), None)
    if sig:
        return sig
    if not _bib_ignores(m, f.tag):
        return None
    code = conf.get("sigelFallback", {}).get(f.tag)
    return next((_sv(sf).strip() for sf in f.subfields if code and sf.code == code and _sv(sf).strip()), "")


def embedded_holding_positions(m: Mapping, rec: LibrisRecord) -> set[int]:
    return {pos for pos, f in enumerate(rec.marc.fields) if _embedded_sigel(m, f) is not None}


# -- public API ---------------------------------------------------------------------------------


def label_view(record: LibrisRecord, lang: str = "sv") -> list[LabelLine]:
    """The label view of ``record``: lines in section order (ADMINMETADATA, INSTANS AV VERK,
    INSTANS, BESTÅND), each with its source references."""
    if getattr(record, "origin", None) is not None:
        # read from Libris JSON-LD: the view comes from the graph itself
        from tui.core.views import graph_labels

        if graph_labels.is_linked(record):
            return graph_labels.label_view(record, lang)
    if record.kind == "authority":
        # no label table for the authority format: marcframe's auth rules, labelled from the graph
        from tui.core.views import graph_labels

        return graph_labels.authority_view(record, lang)
    m = load_mapping()
    b = _Builder(m, lang)
    fmt = "hold" if record.kind == "holdings" else "bib"
    exclude = embedded_holding_positions(m, record) if fmt == "bib" else set()
    raws = b.record_lines(record.marc, fmt, exclude=exclude)
    raws += _derived_types(b, record.marc, raws)
    if fmt == "bib":
        raws += _holding_raws(b, record)
    raws = _join(raws)
    skip = {e: set(s.get("skip", [])) for e, s in m.sections.items()}
    lines: list[LabelLine] = []
    for entity in m.entity_order:
        mine = [r for r in raws if r.entity == entity and r.order_prop not in skip.get(entity, ())]
        mine.sort(key=lambda r: _sort_key(m, r))
        for r in mine:
            lines.append(LabelLine(m.section_ids[entity], r.label, r.value, tuple(r.refs)))
    # entities the sections do not name (should not happen with the shipped data): last, as Instance
    known = set(m.entity_order)
    for r in raws:
        if r.entity not in known:
            lines.append(LabelLine(m.section_ids[UNMAPPED_SECTION_ENTITY], r.label, r.value, tuple(r.refs)))
    return lines


def section_heading(section: str, lang: str = "sv") -> str:
    h = load_mapping().headings.get(section)
    return (h.get(lang) or h["sv"]) if h else section


def render_label_view(lines: Iterable[LabelLine], lang: str = "sv") -> list[str]:
    """The text of the label view: each section heading, then its lines (``label: value``)."""
    out: list[str] = []
    current = None
    for ln in lines:
        if ln.section != current:
            out.append(section_heading(ln.section, lang))
            current = ln.section
        out.append(ln.text)
    return out


__all__ = [
    "SECTIONS",
    "SourceRef",
    "LabelLine",
    "label_view",
    "render_label_view",
    "section_heading",
    "load_mapping",
    "Mapping",
    "select_variant",
]
