"""MARC21 -> Libris XL JSON-LD (embedded form: the Record with its ``mainEntity``), following
each mapping entry's path: creating the entities its classes name and setting the value where
the path ends. What a field does not map is kept in ``_marcUncompleted`` (marcframe's own
convention) and written back as it was."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from pymarc import Field, Record
from pymarc.field import Indicators

from tui.core.mapping.compiled import MAX_PATTERN_VALUE, UNCOMPLETED, Mapping, Step, TagRules, Target
from tui.core.mapping.conditions import choose_variant, condition_holds
from tui.core.mapping.label_mapping import load_mapping as load_label_mapping
from tui.core.mapping.terms import absorb_term_lists
from tui.core.mapping.values import as_list, expand_uri, is_blank, parse_datetime, strip_punct
from tui.core.model.record import ORPHAN

JSON = dict[str, Any]
#: a fixed field's variants are chosen by the leader alone: their field conditions see no field
_NO_FIELD = Field(tag="999", indicators=Indicators(" ", " "), subfields=[])


def _field_json(f: Field) -> JSON:
    if f.is_control_field():
        return {f.tag: f.data}
    return {
        f.tag: {
            "ind1": f.indicators[0] if f.indicators else " ",
            "ind2": f.indicators[1] if f.indicators else " ",
            "subfields": [{sf.code: sf.value} for sf in f.subfields],
        }
    }


def _add(node: JSON, prop: str, value: Any, many: bool) -> None:
    if value is None:
        return
    if isinstance(value, dict) and isinstance(value.get("@id"), str):
        # one linked thing said twice (008/35-37 and 041 $a): one link, its data merged
        for cur in as_list(node.get(prop)):
            if isinstance(cur, dict) and cur.get("@id") == value["@id"]:
                for k, v in value.items():
                    cur.setdefault(k, v)
                return
    if many:
        cur = node.get(prop)
        if cur is None:
            node[prop] = [value]
        else:
            cur = as_list(cur)
            if value not in cur or isinstance(value, dict) and not value.get("@id"):
                cur.append(value)
            node[prop] = cur
    elif prop in node and node[prop] != value:
        cur = as_list(node[prop])
        cur.append(value)
        node[prop] = cur
    else:
        node[prop] = value


class _Converter:
    def __init__(self, mapping: Mapping, record: Record):
        self.m = mapping
        self.rec = record
        self.leader = str(record.leader) if record.leader else " " * 24
        t = self.leader[6:7]
        self.fmt = "hold" if t in "uvxy" and t else "bib"
        self.record: JSON = {"@type": "Record"}
        self.thing: JSON = {"@type": "Item" if self.fmt == "hold" else "Instance"}
        self.work: JSON | None = None
        self.uncompleted: list[JSON] = []
        #: the fields of each tag converted so far (for a variant that takes the first of them)
        self.earlier: dict[str, list[Field]] = {}
        #: the field's own pendingResources say whether an entity it links is one or many
        self.pending_many: dict[str, bool] = {}

    def root(self, name: str) -> JSON:
        if name == "Record":
            return self.record
        if name == "Work":
            if self.work is None:
                self.work = {"@type": "Work"}
            return self.work
        return self.thing

    # -- entities ------------------------------------------------------------------------------
    def _link(self, parent: JSON, step: Step, many: bool | None, new: bool) -> JSON:
        many = self._many(step.prop) if many is None else many
        cur = parent.get(step.prop)
        if not new and cur is not None:
            last = as_list(cur)[-1]
            if isinstance(last, dict):
                return last
        node: JSON = {"@type": step.cls} if step.cls else {}
        _add(parent, step.prop, node, many)
        return node

    def _many(self, prop: str) -> bool:
        local = self.pending_many.get(prop)
        if local is not None:
            return local
        return prop in self.m.set_properties

    # -- fields --------------------------------------------------------------------------------
    def convert(self) -> JSON:
        self._fixed("000", self.leader)
        for f in self.rec.fields:
            self._field(f)
            self.earlier.setdefault(f.tag, []).append(f)
        return self._finish()

    def _field(self, f: Field) -> None:
        rules = self.m.rules(self.fmt, f.tag)
        if rules is None:
            self.uncompleted.append(_field_json(f))
        elif not f.is_control_field():
            self._data(rules, f)
        elif rules.kind == "fixed":
            self._fixed(f.tag, f.data or "", f)
        else:
            self._control(rules, f)

    def _fixed(self, tag: str, value: str, f: Field | None = None) -> None:
        rules = self.m.rules(self.fmt, tag)
        if rules is None:
            if f is not None:
                self.uncompleted.append(_field_json(f))
            return
        variant = (
            next(
                (
                    v
                    for v in rules.variants
                    if not v.is_revert_only and all(condition_holds(c, _NO_FIELD, self.leader) for c in v.conditions)
                ),
                None,
            )
            or rules.variants[-1]
        )
        scope: dict = {}
        for t in variant.positions:
            if t.ignored:
                continue
            chunk = value[t.start : t.end]
            if len(chunk) < t.end - t.start:
                continue
            self._position(t, chunk, scope)

    def _position(self, t: Target, chunk: str, scope: dict) -> None:
        raw = t.raw
        fixed_default = raw.get("fixedDefault")
        if fixed_default is not None and chunk == fixed_default and not t.uri and t.tokenmap is not None:
            return
        if t.tokenmap is not None:
            key = "_" if chunk == " " else chunk
            if key in t.tokenmap or chunk in t.tokenmap:
                tok = t.tokenmap.get(key, t.tokenmap.get(chunk))
                if tok is None:
                    return
                self._subvalue(None, None, self.root(t.entity), t, tok, scope, token=True)
            return
        if fixed_default is not None and chunk == fixed_default and not t.uri:
            return
        if not chunk.strip() or set(chunk) <= {"|"}:
            return
        match_as_default = raw.get("matchAsDefault")
        if isinstance(match_as_default, str) and re.search(match_as_default, chunk):
            return
        if t.uri:
            tok = chunk.strip()
            rx = raw.get("matchUriToken")
            if rx and not re.search(rx, tok):
                return
        if raw.get("parseDateTime"):
            v = parse_datetime(chunk, raw["parseDateTime"], raw.get("timeZone"))
            if v is None:
                return
            self._subvalue(None, None, self.root(t.entity), t, v, scope)
            return
        if raw.get("parseZeroPaddedNumber") and chunk.strip().isdigit():
            self._subvalue(None, None, self.root(t.entity), t, int(chunk.strip()), scope)
            return
        self._subvalue(None, None, self.root(t.entity), t, chunk.strip() if t.uri else chunk, scope)

    def _control(self, rules: TagRules, f: Field) -> None:
        variant = choose_variant(rules, f, self.leader, self.earlier.get(f.tag, ()))
        t = variant.field if variant else None
        if t is None or t.ignored:
            if t is None:
                self.uncompleted.append(_field_json(f))
            return
        raw = t.raw
        value = f.data or ""
        if raw.get("parseDateTime"):
            v = parse_datetime(value, raw["parseDateTime"], raw.get("timeZone"))
            if v is None:
                self.uncompleted.append(_field_json(f))
                return
            value = v
        prop = raw.get("property") or raw.get("addProperty") or raw.get("link") or raw.get("addLink")
        root = self.root(t.entity)
        if not prop:
            self.uncompleted.append(_field_json(f))
            return
        if t.uri:
            rx = raw.get("matchUriToken")
            if rx and not re.search(rx, value):
                self.uncompleted.append(_field_json(f))
                return
            _add(root, prop, {"@id": expand_uri(t.uri, value)}, "addLink" in raw)
            return
        _add(root, prop, value, "addProperty" in raw)

    def _data(self, rules: TagRules, f: Field) -> None:
        if any(sf.code == ORPHAN or not sf.value for sf in f.subfields):
            # a malformed field (text before the first code, an empty subfield) is not read as
            # data: it is kept as it was, and written back as it was, in its place
            d = _field_json(f)
            d["_order"] = sum(
                1
                for x in self.rec.fields
                if x.tag == f.tag and x is not f and self.rec.fields.index(x) < self.rec.fields.index(f)
            )
            self.uncompleted.append(d)
            return
        variant = choose_variant(rules, f, self.leader, self.earlier.get(f.tag, ()))
        if variant is None:
            self.uncompleted.append(_field_json(f))
            return
        unhandled: list[str] = []
        ft = variant.field
        if ft is None or ft.ignored:
            if ft is not None and ft.ignored:
                return
            self.uncompleted.append(_field_json(f))
            return
        root = self.root(ft.entity)
        fnode = root
        scope: dict[tuple, JSON] = {}
        self.pending_many = {}
        pend = ft.raw.get("pendingResources")
        if isinstance(pend, dict):
            for spec in pend.values():
                if isinstance(spec, dict):
                    if isinstance(spec.get("link"), str):
                        self.pending_many[spec["link"]] = False
                    elif isinstance(spec.get("addLink"), str):
                        self.pending_many[spec["addLink"]] = True
        for i, st in enumerate(ft.steps):
            last = i == len(ft.steps) - 1
            # a MARC field's own entity is one more of a list unless marcframe says "link"
            many = (("addLink" in ft.raw) if ("addLink" in ft.raw or "link" in ft.raw) else True) if last else None
            fnode = self._link(fnode, st, many, new=last)
        scope[("field",)] = fnode
        # indicators
        for n in (1, 2):
            ind = f.indicators[n - 1] if f.indicators else " "
            t = variant.ind.get(n)
            if t is None or t.ignored:
                continue
            if t.tokenmap is not None:
                key = "_" if ind == " " else ind
                if key in t.tokenmap or ind in t.tokenmap:
                    tok = t.tokenmap.get(key, t.tokenmap.get(ind))
                    if tok is not None:
                        self._subvalue(ft, fnode, root, t, tok, scope, token=True)
                elif not is_blank(ind) and ind != str(t.raw.get("marcDefault", " ")):
                    unhandled.append(f"ind{n}")
                continue
            md = t.raw.get("marcDefault")
            if is_blank(ind) or (md is not None and ind == md):
                continue
            if t.leaf is None and not t.uri:
                continue  # the indicator only selects the variant (the field's own resource)
            self._subvalue(ft, fnode, root, t, ind, scope)
        subs = list(f.subfields)
        for i, sf in enumerate(subs):
            t = variant.subfields.get(sf.code)
            if t is None:
                unhandled.append(sf.code)
                continue
            if t.ignored:
                continue
            if sf.value is None or sf.value == "":
                continue
            value = sf.value
            # ISBD punctuation that introduces the next subfield (" :" before 264 $b) is not data
            nxt = variant.subfields.get(subs[i + 1].code) if i + 1 < len(subs) else None
            lead = nxt.raw.get("leadingPunctuation") if nxt is not None and not nxt.ignored else None
            if (
                isinstance(lead, str)
                and lead.strip()
                and value.rstrip().endswith(lead.strip())
                and len(value.strip()) > len(lead.strip())
            ):
                value = value.rstrip()[: -len(lead.strip())].rstrip()
            if t.tokenmap is not None:
                key = value.strip()
                if key in t.tokenmap:
                    if t.tokenmap[key] is not None:
                        self._subvalue(ft, fnode, root, t, t.tokenmap[key], scope, token=True)
                    continue
                if not t.uri:
                    unhandled.append(sf.code)
                    continue
            self._subvalue(ft, fnode, root, t, value, scope)
        if unhandled:
            d = _field_json(f)
            d["_unhandled"] = unhandled
            self.uncompleted.append(d)
        # an entity that got nothing but its type is no data: drop it
        if fnode is not root and set(fnode) <= {"@type"} and ft.steps:
            self._drop(root, ft.steps, fnode)

    def _drop(self, root: JSON, steps: list[Step], node: JSON) -> None:
        parent = root
        for st in steps[:-1]:
            nxt = parent.get(st.prop)
            parent = as_list(nxt)[-1] if nxt else {}
        prop = steps[-1].prop
        cur = parent.get(prop)
        if isinstance(cur, list):
            cur = [x for x in cur if x is not node]
            if cur:
                parent[prop] = cur
            else:
                parent.pop(prop, None)
        elif cur is node:
            parent.pop(prop, None)

    def _subvalue(
        self, ft: Target | None, fnode: JSON | None, root: JSON, t: Target, value: Any, scope: dict, token: bool = False
    ) -> None:
        # relative to the field's entity when the path runs through it, else to the root
        fsteps = ft.steps if ft is not None else []
        key: tuple
        if (
            ft is not None
            and fnode is not None
            and (
                t.entity == ft.entity
                and len(t.steps) >= len(fsteps)
                and [s.prop for s in t.steps[: len(fsteps)]] == [s.prop for s in fsteps]
            )
        ):
            base, rel, key = fnode, t.steps[len(fsteps) :], ("field",)
        else:
            base, rel, key = self.root(t.entity), t.steps, (t.entity,)
        node = base
        for i, st in enumerate(rel):
            key = key + (st.prop, st.cls)
            last = i == len(rel) - 1
            if last and t.new_entity:
                many = t.many_link if ("addLink" in t.raw or "link" in t.raw) else None
                node = self._link(node, st, many, new=True)
                scope[key] = node
            elif key in scope:
                node = scope[key]
            else:
                node = self._link(node, st, None, new=True)
                scope[key] = node
        self._put(t, node, value, token=token)

    def _put(self, t: Target, node: JSON, value: Any, token: bool = False) -> None:
        raw = t.raw
        leaf = t.leaf
        if token:
            if leaf == "@type" or leaf is None and not t.uri:
                if isinstance(value, str):
                    node["@type"] = value
                return
            if t.uri and isinstance(value, str):
                node["@id"] = expand_uri(t.uri, value)
            if leaf:
                _add(node, leaf, value, t.many_leaf)
            return
        if isinstance(value, str):
            value = strip_punct(value, raw)
            if value == "" and not raw.get("allowEmpty"):
                return
        if t.uri:
            tok = value.strip() if isinstance(value, str) else value
            rx = raw.get("matchUriToken")
            if isinstance(tok, str) and (not rx or re.search(rx, tok)):
                if leaf is None and not t.steps and not raw.get("link") and not raw.get("addLink"):
                    return
                target = node
                if leaf is None and t.steps and target.get("@id") is None and set(target) <= {"@type"}:
                    target["@id"] = expand_uri(t.uri, tok)
                    return
                if leaf is None:
                    prop = raw.get("addLink") or raw.get("link")
                    if prop:
                        _add(node, prop, {"@id": expand_uri(t.uri, tok)}, "addLink" in raw)
                    return
                node["@id"] = expand_uri(t.uri, tok)
            if leaf:
                _add(node, leaf, value, t.many_leaf)
            return
        if t.value_rules and isinstance(value, str) and len(value) <= MAX_PATTERN_VALUE:
            for rule in t.value_rules:
                try:
                    # at the start, as marcframe matches a value (search would be quadratic)
                    m = re.match(rule.get("match") or "$^", value)
                except re.error:
                    continue
                if not m:
                    continue
                parts = rule.get("parts") or [
                    {"group": rule.get("group", 1), "property": (rule.get("steps") or [{}])[-1].get("property")}
                ]
                done = False
                for part in parts:
                    g = part.get("group", 1)
                    v = m.group(g) if g is not None and g <= (m.re.groups or 0) else None
                    if v and part.get("property"):
                        _add(node, part["property"], v, False)
                        done = True
                if done:
                    return
        pattern = raw.get("splitValuePattern")
        props = raw.get("splitValueProperties")
        if pattern and props and isinstance(value, str) and len(value) <= MAX_PATTERN_VALUE:
            m = re.match(pattern, value)
            if m and m.group(0) == value:
                for prop, g in zip(props, m.groups()):
                    if g is not None:
                        _add(
                            node,
                            prop,
                            g,
                            prop in ("qualifier",)
                            and "addProperty" not in raw
                            and False
                            or (prop == leaf and t.many_leaf),
                        )
                return
        if raw.get("parseDateTime") and isinstance(value, str):
            v = parse_datetime(value, raw["parseDateTime"], raw.get("timeZone"))
            if v is not None:
                value = v
        if leaf is None:
            if isinstance(value, str):
                node.setdefault("label", value)
            return
        if leaf == "@type":
            node["@type"] = value
            return
        _add(node, leaf, value, t.many_leaf)

    # -- finishing -----------------------------------------------------------------------------
    def _finish(self) -> JSON:
        if self.work is not None:
            self.thing["instanceOf"] = self.work
        absorb_term_lists(self.thing)
        rec = self.record
        cn = rec.get("controlNumber")
        if isinstance(cn, str) and cn.strip():
            rid, tid = ids_for(cn.strip(), self.fmt)
            rec.setdefault("@id", rid)
            self.thing.setdefault("@id", tid)
        rec["mainEntity"] = self.thing
        _prune_empty(rec)
        _merge_same_ids(rec)
        if self.uncompleted:
            rec[UNCOMPLETED] = self.uncompleted
        return rec


def ids_for(control_number: str, fmt: str = "bib") -> tuple[str, str]:
    """Record and thing ids as Libris mints them from 001: ``http://libris.kb.se/bib/123`` /
    ``http://libris.kb.se/resource/bib/123`` for Libris I numbers, ``https://libris.kb.se/<id>`` and
    ``#it`` for XL ids."""
    if re.fullmatch(r"\d{1,14}", control_number):
        return (f"http://libris.kb.se/{fmt}/{control_number}", f"http://libris.kb.se/resource/{fmt}/{control_number}")
    if re.fullmatch(r"[0-9a-z]{10,20}", control_number):
        return f"https://libris.kb.se/{control_number}", f"https://libris.kb.se/{control_number}#it"
    safe = quote(control_number, safe="")
    return f"https://libris.kb.se/{fmt}/{safe}", f"https://libris.kb.se/{fmt}/{safe}#it"


def _merge_same_ids(node: Any) -> None:
    """One linked thing said twice (008/35-37 and 041 $a): one link, with the data of both."""
    if isinstance(node, dict):
        for k, v in list(node.items()):
            if isinstance(v, list):
                merged: list = []
                seen: dict[str, dict] = {}
                for x in v:
                    xid = x.get("@id") if isinstance(x, dict) else None
                    if isinstance(xid, str) and xid in seen:
                        for kk, vv in x.items():
                            seen[xid].setdefault(kk, vv)
                        continue
                    if isinstance(xid, str):
                        seen[xid] = x
                    merged.append(x)
                node[k] = merged
            _merge_same_ids(node[k])
    elif isinstance(node, list):
        for x in node:
            _merge_same_ids(x)


def _prune_empty(node: Any) -> None:
    """Drop entities that got no data (a link whose code did not make a URI)."""
    if isinstance(node, dict):
        for k in list(node):
            v = node[k]
            _prune_empty(v)
            if isinstance(v, list):
                v = [x for x in v if x != {}]
                if v:
                    node[k] = v
                else:
                    del node[k]
            elif v == {}:
                del node[k]
    elif isinstance(node, list):
        for x in node:
            _prune_empty(x)


def marc_to_jsonld(record: Record, mapping: Mapping | None = None) -> JSON:
    """One MARC21 record (bib or holdings) as Libris JSON-LD, embedded form (Record with its
    ``mainEntity``)."""
    return _Converter(mapping or load_label_mapping().compiled, record).convert()
