"""Libris XL JSON-LD (embedded form) -> MARC21, the same mapping entries run the other way: for
each tag and variant it finds the entities at the field's path, reads each subfield's value back
along its path, and keeps a variant only if reading the produced field would choose that same
variant again (so conditions such as ``$a =~ .+:\\s*$`` hold for what is written)."""

from __future__ import annotations

import json
import re
from typing import Any

from pymarc import Field, Leader, Record, Subfield
from pymarc.field import Indicators

from tui.core.mapping.compiled import UNCOMPLETED, Mapping, Step, TagRules, Target, Variant
from tui.core.mapping.conditions import choose_variant
from tui.core.mapping.label_mapping import load_mapping as load_label_mapping
from tui.core.mapping.terms import expand_complex_terms, legacy_types
from tui.core.mapping.values import (
    as_list,
    by_lang,
    extract_token,
    format_datetime,
    literal,
    reverse_tokenmap,
    types_of,
)
from tui.core.mapping.vocab import is_a, marc21_fields, term_codes

JSON = dict[str, Any]


class _Reverter:
    def __init__(self, mapping: Mapping, data: JSON, prov: dict | None = None):
        self.m = mapping
        self.data = expand_complex_terms(legacy_types(data))
        self.record: JSON = self.data
        thing = self.data.get("mainEntity")
        self.thing: JSON = thing if isinstance(thing, dict) else {}
        work = self.thing.get("instanceOf")
        self.work: JSON = work if isinstance(work, dict) else {}
        self.fmt = "hold" if "Item" in types_of(self.thing) or "heldBy" in self.thing else "bib"
        facts = marc21_fields().get(self.fmt, {})
        self.obsolete = set(facts.get("obsolete") or [])
        self.non_repeatable = set(facts.get("nonRepeatable") or [])
        #: (id(node), property) already written into some field (by another tag)
        self.consumed: set[tuple[int, str]] = set()
        self.prov = prov
        self._exact = self._exact_classes()
        #: id(node) -> its path from the record ("mainEntity/hasTitle/0"), for provenance
        self.paths: dict[int, str] = {}
        _index_paths(self.data, "", self.paths)
        #: id(field) -> [(subfield index or None, code, (id(node), property))]
        self.field_src: dict[int, list] = {}
        self.fixed_src: dict[str, list] = {}

    def root(self, name: str) -> JSON:
        return {"Record": self.record, "Work": self.work}.get(name, self.thing)

    def _exact_classes(self) -> dict[tuple[str, str], set[str]]:
        """Classes that some field names exactly at the end of a path (entity, property): a node
        of such a class goes to that field, not to one for a superclass (VariantTitle -> 246)."""
        out: dict[tuple[str, str], set[str]] = {}
        for tr in self.m.formats.get(self.fmt, {}).values():
            for v in tr.variants:
                t = v.field
                if t and t.steps and t.steps[-1].cls:
                    out.setdefault((t.entity, t.steps[-1].prop), set()).add(t.steps[-1].cls)
        return out

    # -- walking paths -------------------------------------------------------------------------
    def _nodes(self, base: JSON, steps: list[Step], entity: str = "", top: bool = False) -> list[JSON]:
        nodes = [base]
        for i, st in enumerate(steps):
            nxt: list[JSON] = []
            for n in nodes:
                for v in as_list(n.get(st.prop)):
                    if not isinstance(v, dict):
                        continue
                    if st.cls and not self._type_ok(v, st.cls, entity if (top and i == 0) else "", st.prop):
                        continue
                    nxt.append(v)
            nodes = nxt
        return nodes

    def _type_ok(self, node: JSON, cls: str, entity: str = "", prop: str = "") -> bool:
        ts = types_of(node)
        if not ts:
            return True
        if cls in ts:
            return True
        if entity and any(t in self._exact.get((entity, prop), ()) for t in ts):
            return False
        return is_a(ts, cls) or (cls in ("Agent", "Resource") and True)

    # -- values --------------------------------------------------------------------------------
    def _values(self, node: JSON, t: Target, used: list | None = None) -> list[str]:
        """The MARC values of target ``t`` on ``node`` (the entity the target's value is about)."""
        vals = self._values_raw(node, t)
        if used is not None and vals:
            used.append(self._src(node, t))
        return vals

    @staticmethod
    def _src(node: JSON, t: Target) -> tuple[int, str]:
        prop = t.leaf or (t.raw.get("addLink") or t.raw.get("link") or "@id")
        if t.leaf is None and t.steps:
            prop = "@id"
        return (id(node), prop)

    def _values_raw(self, node: JSON, t: Target) -> list[str]:
        raw = t.raw
        leaf = t.leaf
        if t.tokenmap is not None:
            out: list[str] = []
            vals = types_of(node) if leaf in ("@type", None) and not t.uri else as_list(node.get(leaf)) if leaf else []
            for v in vals:
                tok = v if isinstance(v, (str, bool)) else (v.get("@id") if isinstance(v, dict) else None)
                code = (
                    reverse_tokenmap(t.tokenmap, tok, raw.get("reverseTokenMapOverrides")) if tok is not None else None
                )
                if code is None and isinstance(tok, str) and t.uri:
                    x = extract_token(t.uri, tok)
                    code = reverse_tokenmap(t.tokenmap, x) if x else None
                if code is None and isinstance(v, dict) and isinstance(v.get("code"), str):
                    code = reverse_tokenmap(t.tokenmap, v["code"])
                if code is not None:
                    out.append(code)
            if not out and t.uri and isinstance(node.get("@id"), str):
                x = extract_token(t.uri, node["@id"])
                code = reverse_tokenmap(t.tokenmap, x) if x else None
                if code is not None:
                    out.append(code)
            return out
        if t.uri:
            if leaf is None:
                prop = raw.get("addLink") or raw.get("link")
                links = [node] if t.steps or not prop else as_list(node.get(prop))
                out = []
                for v in links:
                    if isinstance(v, dict) and isinstance(v.get("@id"), str):
                        tok = extract_token(t.uri, v["@id"])
                        if tok is not None:
                            out.append(tok)
                return out
            vals = [s for s in (literal(v) for v in as_list(node.get(leaf))) if s is not None]
            if not vals and isinstance(node.get("@id"), str):
                tok = extract_token(t.uri, node["@id"])
                code = term_codes().get(node["@id"]) if leaf == "code" else None
                if code and tok != code:
                    tok = code
                if tok is not None:
                    vals = [tok]
            return [self._punct(v, t) for v in vals]
        if leaf is None:
            return [self._punct(s, t) for s in (literal(x) for x in as_list(node.get("label"))) if s]
        if leaf == "@type":
            return [x for x in types_of(node)]
        props = raw.get("splitValueProperties")
        if (
            isinstance(props, list)
            and raw.get("splitValuePattern")
            and leaf in props
            and node.get(props[0]) is not None
        ):
            parts = [literal(as_list(node.get(p))[0]) if node.get(p) is not None else None for p in props]
            rejoin = raw.get("rejoin")
            if rejoin and parts[0] is not None and any(parts[1:]):
                val = parts[0] + "".join(rejoin + p for p in parts[1:] if p) + (raw.get("joinEnd") or "")
            else:
                val = parts[0] or ""
            return [self._punct(val, t)] if val else []
        vals = as_list(node.get(leaf))
        if not vals:
            lv = by_lang(node, leaf)
            vals = [lv] if lv else []
        if not vals:
            rebuilt = self._from_value_rules(node, t)
            if rebuilt is not None:
                return [rebuilt]
        res = []
        for v in vals:
            s = literal(v)
            if s is None:
                continue
            if raw.get("parseDateTime"):
                s = format_datetime(s, raw["parseDateTime"], raw.get("timeZone")) or s
            res.append(self._punct(s, t))
        return res

    @staticmethod
    def _from_value_rules(node: JSON, t: Target) -> str | None:
        """A value the mapping split or cast on the way in (``264 $c 2016-`` -> ``startYear``),
        put back together with the rule's ``revert`` template."""
        for rule in t.value_rules:
            parts = rule.get("parts") or (
                [{"group": rule.get("group", 1), "property": (rule.get("steps") or [{}])[-1].get("property")}]
                if rule.get("steps")
                else []
            )
            props = [p.get("property") for p in parts if p.get("property")]
            if not props or node.get(props[0]) is None:
                continue
            template = rule.get("revert") or "{_}"
            vals = {p: (literal(as_list(node.get(p))[0]) if node.get(p) is not None else "") for p in props}
            out = template.replace("{_}", vals.get(props[0]) or "")
            for p, v in vals.items():
                out = out.replace("{" + p + "}", v or "")
            return out
        cast = t.raw.get("castProperty")
        if isinstance(cast, str) and node.get(cast) is not None:
            return literal(as_list(node.get(cast))[0])
        return None

    @staticmethod
    def _punct(value: str, t: Target) -> str:
        raw = t.raw
        surround = raw.get("surroundingChars")
        if isinstance(surround, str) and len(surround) == 2 and value and not value.startswith(surround[0]):
            value = f"{surround[0]}{value}{surround[1]}"
        trail = raw.get("trailingPunctuation")
        if isinstance(trail, str) and trail.strip() and not value.rstrip().endswith(trail.strip()):
            value = value + trail.strip()
        return value

    # -- the record ----------------------------------------------------------------------------
    def revert(self) -> Record:
        rec = Record(force_utf8=True)
        rec.leader = Leader(self._fixed_value("000", 24, " " * 24) or " " * 24)
        produced: dict[str, list[Field]] = {}
        tags = [t for t in self.m.tags(self.fmt) if t != "000"]
        # a tag that prefers others on revert (260 -> 264) goes after them
        prefer = {t: [p for p in self._prefers(t) if p in tags and p != t] for t in tags}
        ordered: list[str] = []
        placed: set[str] = set()
        pending = list(tags)
        while pending:
            ready = [t for t in pending if all(p in placed for p in prefer[t])] or pending[:1]
            t = ready[0]
            ordered.append(t)
            placed.add(t)
            pending.remove(t)
        for tag in ordered:
            rules = self.m.rules(self.fmt, tag)
            if rules is None:
                continue
            if rules.kind == "fixed":
                ends = [t.end for v in rules.variants for t in v.positions]
                val = self._fixed_value(tag, max(ends + [_FIXED_LEN.get(tag, 0)]), None)
                if val is not None:
                    produced.setdefault(tag, []).append(Field(tag=tag, data=val))
                continue
            if rules.kind == "control":
                for v in self._control(rules):
                    produced.setdefault(tag, []).append(Field(tag=tag, data=v))
                continue
            if tag in self.obsolete:
                continue
            fields = self._data(rules)
            if fields:
                produced.setdefault(tag, []).extend(fields)
        for d in as_list(self.record.get(UNCOMPLETED)):
            if not isinstance(d, dict):
                continue
            utag = next((k for k in d if not k.startswith("_")), None)
            if utag is None or (d.get("_unhandled") and produced.get(utag)):
                continue
            f = _json_field(utag, d[utag])
            if f is not None:
                lst = produced.setdefault(utag, [])
                pos = d.get("_order")
                lst.insert(min(pos, len(lst)) if isinstance(pos, int) else len(lst), f)
        for tag in sorted(produced):
            seen: list = []
            for f in produced[tag]:
                key = (
                    f.data
                    if f.is_control_field()
                    else (tuple(f.indicators or ()), tuple((sf.code, sf.value) for sf in f.subfields))
                )
                if key in seen and not f.is_control_field():
                    continue  # the same field from two descriptions of one thing (490 + 830)
                seen.append(key)
                rec.add_field(f)
        if self.prov is not None:
            self._provenance(rec)
        return rec

    def _provenance(self, rec: Record) -> None:
        """Fill ``self.prov``: (node path, property) -> [(tag, occurrence, subfield index, code)]."""
        prov = self.prov
        if prov is None:
            return
        for tag, srcs in self.fixed_src.items():
            for nid, prop in srcs:
                path = self.paths.get(nid)
                if path is not None:
                    prov.setdefault((path, prop), []).append((tag if tag != "000" else "000", 1, None, None))
        occ: dict[str, int] = {}
        for f in rec.fields:
            occ[f.tag] = occ.get(f.tag, 0) + 1
            for i, code, (nid, prop) in self.field_src.get(id(f), ()):
                path = self.paths.get(nid)
                if path is not None:
                    prov.setdefault((path, prop), []).append((f.tag, occ[f.tag], i, code))

    def _prefers(self, tag: str) -> list[str]:
        rules = self.m.rules(self.fmt, tag)
        for v in rules.variants if rules is not None else ():
            if v.field is not None:
                p = v.field.raw.get("onRevertPrefer")
                if p:
                    return [p] if isinstance(p, str) else list(p)
        return []

    def _fixed_value(self, tag: str, length: int, base: str | None) -> str | None:
        rules = self.m.rules(self.fmt, tag)
        chars = list((base if base is not None else "|" * length).ljust(length)[:length])
        if rules is None:
            return base
        variant = next((v for v in rules.variants if not v.conditions and v.positions), None) or next(
            (v for v in rules.variants if v.positions), None
        )
        if variant is None:
            return base
        any_data = False
        for t in variant.positions:
            width = t.end - t.start
            if t.end > length:
                continue
            fd = t.raw.get("fixedDefault")
            if isinstance(fd, str) and len(fd) == width:
                chars[t.start : t.end] = list(fd)
            if t.ignored:
                continue
            root = self.root(t.entity)
            nodes = self._nodes(root, t.steps) if t.steps else [root]
            vals: list[str] = []
            for n in nodes:
                vals = self._values(n, t)
                if vals:
                    break
            if t.raw.get("parseZeroPaddedNumber"):
                vals = [v.zfill(width) for v in vals if v.isdigit()]
            for _k, v in enumerate(vals):
                if 0 < len(v) < width and (t.uri or t.leaf):
                    v = v.ljust(width)  # 008/15-17 country "sw "
                if len(v) != width:
                    continue
                chars[t.start : t.end] = list(v)
                src_node = next((n for n in nodes if self._values_raw(n, t)), None)
                if src_node is not None:
                    self.fixed_src.setdefault(tag, []).append(self._src(src_node, t))
                if not (t.entity == "Record" and tag != "000"):
                    any_data = True
                break
        if base is None and not any_data:
            return None
        return "".join(chars)

    def _control(self, rules: TagRules) -> list[str]:
        out: list[str] = []
        for v in rules.variants:
            t = v.field
            if t is None or t.ignored or v.is_revert_only:
                continue
            raw = t.raw
            prop = raw.get("property") or raw.get("addProperty") or raw.get("link") or raw.get("addLink")
            if not prop:
                continue
            for val in as_list(self.root(t.entity).get(prop)):
                if t.uri:
                    s = extract_token(t.uri, val.get("@id", "")) if isinstance(val, dict) else None
                    rx = raw.get("matchUriToken")
                    if s is not None and rx and not re.search(rx, s):
                        s = None
                else:
                    s = literal(val)
                    if s is not None and raw.get("parseDateTime"):
                        s = format_datetime(s, raw["parseDateTime"], raw.get("timeZone"))
                if s:
                    out.append(s)
                    self.fixed_src.setdefault(rules.tag, []).append((id(self.root(t.entity)), prop))
            if out:
                break
        if rules.tag in self.non_repeatable:
            out = out[:1]
        return out

    def _data(self, rules: TagRules) -> list[Field]:
        variants = [v for v in rules.variants if v.field is not None and not v.field.ignored]
        conditional = [v for v in variants if v.conditions and not v.is_revert_only]
        # a base entry is only a template when every variant requires what it lacks (800 $a)
        req_all = (
            set.intersection(
                *[{c for c, t in v.subfields.items() if t.raw.get("required") and not t.ignored} for v in conditional]
            )
            if conditional
            else set()
        )
        base = [
            v
            for v in variants
            if not v.conditions and all(c in v.subfields and not v.subfields[c].ignored for c in req_all)
        ]
        ordered = [v for v in variants if v.is_revert_only] + conditional + base
        groups: dict[tuple, list[Variant]] = {}
        for v in ordered:
            ft = v.field
            assert ft is not None
            groups.setdefault((ft.entity, tuple((s.prop, s.cls) for s in ft.steps)), []).append(v)
        results: list[tuple[int, Field, list]] = []
        done: set[int] = set()
        seq = 0
        for _key, vs in groups.items():
            ft = vs[0].field
            assert ft is not None
            root = self.root(ft.entity)
            if not root:
                continue
            nodes = [root] if not ft.steps else self._nodes(root, ft.steps, ft.entity, top=True)
            for node in nodes:
                if ft.steps and id(node) in done:
                    continue
                got = self._best_field(rules, vs, node, root)
                if got is None:
                    continue
                f, used = got
                if ft.steps:
                    done.add(id(node))
                order = self._node_order(root, ft, node)
                results.append((order if order is not None else 10_000 + seq, f, used))
                seq += 1
                if not ft.steps:
                    break
        results.sort(key=lambda x: x[0])
        out: list[Field] = []
        for _, f, used in results:
            fresh = [u for u in used if u not in self.consumed]
            if used and not fresh:
                continue  # everything in it is already written by another field
            if rules.tag in self.non_repeatable and out:
                continue
            self.consumed.update(used)
            out.append(f)
        return out

    def _node_order(self, root: JSON, ft: Target, node: JSON) -> int | None:
        """Position of ``node`` in its list (fields come out in the order of the data)."""
        if not ft.steps:
            return None
        parents = self._nodes(root, ft.steps[:-1]) if len(ft.steps) > 1 else [root]
        for p in parents:
            for i, v in enumerate(as_list(p.get(ft.steps[-1].prop))):
                if v is node:
                    return i
        return None

    def _on_revert_ok(self, v: Variant, node: JSON) -> bool:
        spec = (v.on_revert or {}).get("onRevert")
        if spec is None:
            return True
        return _shape_matches(node, spec)

    def _best_field(self, rules: TagRules, variants: list[Variant], node: JSON, root: JSON):
        for v in variants:
            if v.is_revert_only and not self._on_revert_ok(v, node):
                continue
            got = self._field(rules, v, node, root)
            if got is None:
                continue
            f, used = got
            if v.is_revert_only:
                then = (v.on_revert or {}).get("then") or {}
                inds = list(f.indicators or (" ", " "))
                for n in (1, 2):
                    if f"ind{n}" in then:
                        inds[n - 1] = then[f"ind{n}"]
                f.indicators = inds
                return f, used
            chosen = choose_variant(rules, f)
            if chosen is v or (chosen is not None and _same_subs(chosen, v, f)):
                return f, used
        return None

    def _field(self, rules: TagRules, v: Variant, node: JSON, root: JSON) -> tuple[Field, list] | None:
        ft = v.field
        if ft is None:
            return None
        fsteps = ft.steps
        fprops = [s.prop for s in fsteps]
        items: list[tuple[tuple, str, str, tuple[int, str]]] = []
        val: str | None
        used: list = []
        order = v.subfield_order()
        first_node: JSON | None = None
        for code in order:
            t = v.subfields.get(code)
            if t is None or t.ignored or t.raw.get("ignoreOnRevert"):
                continue
            if t.entity == ft.entity and [s.prop for s in t.steps[: len(fsteps)]] == fprops:
                base, rel = node, t.steps[len(fsteps) :]
            else:
                # about the root entity (245 $c responsibilityStatement): written once, with the first
                if fsteps:
                    if first_node is None:
                        firsts = self._nodes(root, fsteps, ft.entity, top=True)
                        first_node = firsts[0] if firsts else {}
                    if node is not first_node:
                        continue
                base, rel = self.root(t.entity), t.steps
            pos = order.index(code)
            if rel:
                parents = [base] if len(rel) == 1 else self._nodes(base, rel[:-1])
                for p in parents:
                    lst = as_list(p.get(rel[-1].prop))
                    for k, n in enumerate(lst):
                        if not isinstance(n, dict) or (rel[-1].cls and not self._type_ok(n, rel[-1].cls)):
                            continue
                        for val in self._values(n, t, used):
                            items.append(((self._group_pos(v, rel, order), k, pos), code, val, self._src(n, t)))
            else:
                for val in self._values(base, t, used):
                    items.append(((pos, 0, pos), code, val, self._src(base, t)))
        items = [x for x in items if x[2] != "" or v.subfields[x[1]].raw.get("allowEmpty")]
        if not items:
            return None
        have = {x[1] for x in items}
        if any(t.raw.get("required") and not t.ignored and c not in have for c, t in v.subfields.items()):
            return None
        items.sort(key=lambda x: x[0])
        seq = [(c, val) for _, c, val, _ in items]
        srcs = [(i, c, src) for i, (_, c, _, src) in enumerate(items)]
        inds = [" ", " "]
        for n in (1, 2):
            t = v.ind.get(n)
            val = None
            if t is not None and not t.ignored and (t.leaf is not None or t.tokenmap is not None or t.uri):
                if t.entity == ft.entity and [s.prop for s in t.steps[: len(fsteps)]] == fprops:
                    base, rel = node, t.steps[len(fsteps) :]
                else:
                    base, rel = self.root(t.entity), t.steps
                nodes = self._nodes(base, rel) if rel else [base]
                if nodes:
                    vals = self._values(nodes[0], t)
                    val = vals[0] if vals else None
                    elsewhere = t.raw.get("definedElsewhereToken")
                    if val is None and isinstance(elsewhere, str) and t.leaf and nodes[0].get(t.leaf) is not None:
                        val = elsewhere  # 650 ind2 7: the scheme is named in $2
            if val is None and t is not None:
                md = t.raw.get("marcDefault")
                if isinstance(md, str) and len(md) == 1:
                    val = md
            for c in v.conditions:
                if c.get("ind") == n and c.get("in") and (val is None or val not in c["in"]):
                    val = c["in"][0]
            inds[n - 1] = (val or " ")[:1]
        if v.is_revert_only:
            then = (v.on_revert or {}).get("then") or {}
            for n in (1, 2):
                if f"ind{n}" in then:
                    inds[n - 1] = then[f"ind{n}"]
        # a subfield that only belongs with a given indicator ($2 with ind2 7)
        keep = [
            i
            for i, (c, val) in enumerate(seq)
            if not any(
                isinstance(v.subfields[c].raw.get(f"requires-i{n}"), str)
                and v.subfields[c].raw[f"requires-i{n}"] != inds[n - 1]
                for n in (1, 2)
            )
        ]
        if not keep:
            return None
        if len(keep) < len(seq):
            seq = [seq[i] for i in keep]
            srcs = [(j, c, src) for j, (i, c, src) in enumerate(srcs[i] for i in keep)]
        for c in v.conditions:
            if "sub" in c and "match" in c:
                seq = _satisfy(seq, c["sub"], c["match"])
        out: list[Subfield] = []
        for code, val in seq:
            t = v.subfields.get(code)
            lead = t.raw.get("leadingPunctuation") if t else None
            if isinstance(lead, str) and lead.strip() and out:
                prev = out[-1]
                if not prev.value.rstrip().endswith(lead.strip()):
                    out[-1] = Subfield(prev.code, prev.value.rstrip() + lead)
            out.append(Subfield(code, val))
        f = Field(tag=rules.tag, indicators=Indicators(*inds), subfields=out)
        self.field_src[id(f)] = srcs
        return f, used

    @staticmethod
    def _group_pos(v: Variant, rel: list[Step], order: list[str]) -> int:
        """Subfields read from one list (``termComponentList``) keep the list's order: they sort
        by the first code reading that list, then by list position."""
        prop = rel[0].prop
        best = None
        for code in order:
            t = v.subfields.get(code)
            if t and not t.ignored and any(s.prop == prop for s in t.steps):
                best = order.index(code)
                break
        return best if best is not None else 0


#: shortest fixed fields (MARC 21): when the mapped positions end before this
_FIXED_LEN = {"006": 18, "007": 2}


def _same_subs(a: Variant, b: Variant, f: Field) -> bool:
    """Whether reading ``f`` with variant ``a`` means the same as with ``b`` (same paths and
    token maps for everything ``f`` has)."""

    def sig(t: Target | None):
        return (t.path, json.dumps(t.tokenmap, sort_keys=True), t.uri) if t is not None and not t.ignored else None

    for sf in f.subfields:
        if sig(a.subfields.get(sf.code)) != sig(b.subfields.get(sf.code)):
            return False
    for n in (1, 2):
        if sig(a.ind.get(n)) != sig(b.ind.get(n)):
            return False
    return sig(a.field) == sig(b.field)


def _satisfy(seq: list[tuple[str, str]], code: str, pattern: str) -> list[tuple[str, str]]:
    """Make ``$code =~ pattern`` hold where it is ISBD end punctuation (``.+:\\s*$`` -> `` :``)."""
    m = re.fullmatch(r"\.\+(\\?.)\\s\*\$", pattern)
    if not m:
        return seq
    ch = m.group(1).lstrip("\\")
    for i, (c, val) in enumerate(seq):
        if c == code:
            if not val.rstrip().endswith(ch):
                seq[i] = (c, val.rstrip() + ("" if ch == "." else " ") + ch)
            break
    return seq


def _shape_matches(node: Any, spec: Any) -> bool:
    """marcframe's ``onRevert`` shape: every key of ``spec`` is in ``node`` with a matching value
    (``{}`` = present)."""
    if isinstance(spec, dict):
        if not spec:
            return node is not None
        if isinstance(node, list):
            return any(_shape_matches(x, spec) for x in node)
        if not isinstance(node, dict):
            return False
        for k, v in spec.items():
            if k == "@type":
                if v not in types_of(node):
                    return False
                continue
            if k not in node or not _shape_matches(node[k], v):
                return False
        return True
    if isinstance(node, list):
        return any(_shape_matches(x, spec) for x in node)
    return node == spec


def _index_paths(node: Any, path: str, out: dict[int, str]) -> None:
    """id(node) -> ``prop/index/prop`` path from the record, for every dict in it."""
    if isinstance(node, dict):
        out[id(node)] = path
        for k, v in node.items():
            _index_paths(v, f"{path}/{k}" if path else k, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _index_paths(v, f"{path}/{i}", out)


def _json_field(tag: str, body: Any) -> Field | None:
    if isinstance(body, str):
        return Field(tag=tag, data=body)
    if isinstance(body, dict):
        subs = []
        for sf in body.get("subfields") or []:
            for code, val in sf.items():
                subs.append(Subfield(code, val if isinstance(val, str) else str(val)))
        return Field(
            tag=tag, indicators=Indicators(body.get("ind1", " ") or " ", body.get("ind2", " ") or " "), subfields=subs
        )
    return None


def jsonld_to_marc(data: JSON, mapping: Mapping | None = None, provenance: dict | None = None) -> Record:
    """One Libris record in embedded form (Record + ``mainEntity``) as a MARC21 record.

    ``provenance``, when given, is filled with ``(node path, property) -> [(tag, occurrence,
    subfield index, code)]``: where each value of the data went (``node path`` as
    ``mainEntity/hasTitle/0``; the record itself is ``""``)."""
    return _Reverter(mapping or load_label_mapping().compiled, data, provenance).revert()
