"""A data field, both ways: the entity it makes or links (``addLink``, ``computeLinks``), the
local entities its subfields are about (``pendingResources``), the rules that apply under
conditions (``match`` with ``when``), and on revert the fields it writes from the entities it
finds, subfields in marcframe's order with their ISBD punctuation."""

from __future__ import annotations

import re
from typing import Any

from tui.core.mapping.conditions import When
from tui.core.mapping.marcframe import uritemplate
from tui.core.mapping.marcframe.parts import (
    FAIL,
    JSON,
    OK,
    Handler,
    MalformedField,
    Result,
    Rules,
    add_value,
    as_list,
    build_about_map,
    get_all_by_path,
    get_by_path,
    java_hash,
    object_contains,
    order_hash,
    sorted_pending_keys,
    unhandled_result,
)
from tui.core.mapping.marcframe.subfield import SubfieldHandler, leading_chars

_SUBFIELD_KEY = re.compile(r"^\$(\w+)$")
_GENERIC_REL = "generic:{_}"


def merge_definitions(source: JSON, target: JSON) -> None:
    """``source``'s entries put into ``target``, their pending resources merged."""
    target_pending = target.pop("pendingResources", None)
    source_pending = source.get("pendingResources")
    if source_pending:
        target_pending = dict(target_pending or {})
        target_pending.update(source_pending)
    target.update(source)
    if target_pending:
        target["pendingResources"] = target_pending


def _is_empty_node(v: Any) -> bool:
    return isinstance(v, dict) and (not v or (len(v) == 1 and "@type" in v))


class FieldHandler(Handler):
    def __init__(self, ruleset: Rules, tag: str, dfn: JSON, base_tag: str | None = None):
        super().__init__(ruleset, tag, dfn, base_tag)
        self.ind1 = ruleset.subfield_handler("ind1", dfn["i1"]) if dfn.get("i1") else None
        self.ind2 = ruleset.subfield_handler("ind2", dfn["i2"]) if dfn.get("i2") else None
        self.pending: dict[str, JSON] | None = dfn.get("pendingResources") or None
        self.pending_keys = sorted_pending_keys(self.pending) if self.pending else None
        self.about_alias: str | None = dfn.get("aboutAlias")
        self.allow_link_on_revert = as_list(dfn.get("allowLinkOnRevert"))
        self.depends_on: list[str] | None = dfn.get("dependsOn")
        self.construct_properties: dict | None = dfn.get("constructProperties")
        self.uri_template: str | None = dfn.get("uriTemplate") or None
        self.uri_template_keys = uritemplate.variables(self.uri_template) if self.uri_template else []
        self.uri_template_defaults: dict | None = dfn.get("uriTemplateDefaults")
        prefer = dfn.get("onRevertPrefer")
        self.on_revert_prefer: list[str] | None = [prefer] if isinstance(prefer, str) else prefer
        self.shares_group_id_with: set[str] = set()
        self.silent_revert = dfn.get("silentRevert") is True
        self.compute_links: JSON = dict(dfn["computeLinks"]) if dfn.get("computeLinks") else {}
        if self.compute_links:
            self.compute_links["use"] = re.sub(r"^\$", "", self.compute_links["use"])
        self.match_rules: list[MatchRule] = MatchRule.parse_rules(self, dfn)
        subs = {key[1:]: obj for key, obj in dfn.items() if obj and _SUBFIELD_KEY.match(key)}
        lead = leading_chars(list(subs.values()))
        self.subfields: dict[str, SubfieldHandler] = {
            code: ruleset.subfield_handler(code, obj, lead) for code, obj in subs.items()
        }
        self.groups = self._order_and_group(dfn.get("subfieldOrder"))

    def _order_and_group(self, order_text: str | None) -> list[list[SubfieldHandler]]:
        """Subfields in the order they are written back: marcframe's ``subfieldOrder`` (``...``
        for the rest; ``$6`` always first), numbers after letters otherwise; subfields that start
        a new entity together (``aboutNew``) form a group, ordered by its first member. (The
        ``match`` rules of a tag mostly share its subfields: worked out once per set.)"""
        cache = self.ruleset.group_cache
        ckey = (order_text, tuple(id(s) for s in self.subfields.values()))
        got = cache.get(ckey)
        if got is not None:
            return got[0]
        order: dict[str, int] = {}
        if order_text:
            for i, code in enumerate(order_text.split()):
                order[code] = i
        if not order.get("..."):
            order["..."] = len(order)
        if not order.get("6"):
            order["6"] = -1
        # marcframe sorts by [position, not a number, code]: lists, which Groovy orders by hash code
        keys = {
            s.code: order_hash(order.get(s.code, order["..."]), not s.code.isdigit(), s.code)
            for s in self.subfields.values()
        }
        about_groups = {s.about for s in self.subfields.values() if s.new_about}
        groups: dict[str | None, list[SubfieldHandler]] = {}
        for s in self.subfields.values():
            groups.setdefault(s.about if s.about in about_groups else "$" + s.code, []).append(s)
        out = [sorted(g, key=lambda s: keys[s.code]) for g in groups.values()]
        out.sort(key=lambda g: keys[g[0].code])
        cache[ckey] = (out, list(self.subfields.values()))
        return out

    # -- MARC -> JSON-LD --------------------------------------------------------------------------

    def convert(self, state: dict, value: Any) -> Result:
        if self.ignored:
            return OK
        if not isinstance(value, dict):
            raise MalformedField()
        entity_map = state["entityMap"]
        about_entity = entity_map.get(self.about_entity_name)
        if about_entity is None:
            return FAIL
        if self.defines_domain_entity_type:
            about_entity["@type"] = self.defines_domain_entity_type
        for rule in self.match_rules:
            if rule.on_revert is not None:
                continue
            handler = rule.handler_for(about_entity, value)
            if handler is not None:
                return handler.convert(state, value)
        handled: set[str] = set()
        linked = self._linkage(state, about_entity, value, handled)
        entity = about_entity if linked is None else linked
        params: dict = {}
        unhandled: list[str] = []
        local: dict[str, JSON] = {}
        if self.about_alias:
            local[self.about_alias] = entity
        for ind_key, ind_handler in (("ind1", self.ind1), ("ind2", self.ind2)):
            if ind_handler is None:
                continue
            ok = ind_handler.convert_value(self, state, value, value.get(ind_key), entity, params, local)
            if not ok and ind_handler.marc_default is None and ind_key not in unhandled:
                unhandled.append(ind_key)
        preceding_code: str | None = None
        preceding_new_about = False
        ind1, ind2 = value.get("ind1"), value.get("ind2")
        for sub in value.get("subfields") or ():
            if not isinstance(sub, dict):
                continue
            for code, sub_value in sub.items():
                h = self.subfields.get(code)
                if h is not None and h.ignored:
                    continue
                ok = False
                if h is not None:
                    ent = entity_map.get(h.about_entity_name) if h.about_entity_name else entity
                    if (h.requires_i1 and h.requires_i1 != ind1) or (h.requires_i2 and h.requires_i2 != ind2):
                        ok = True  # the rule does not apply with this indicator
                    else:
                        ok = h.convert_value(
                            self,
                            state,
                            value,
                            sub_value,
                            ent,
                            params,
                            local,
                            code != preceding_code and preceding_new_about,
                        )
                    preceding_new_about = h.new_about
                    preceding_code = code
                if not ok and code not in handled and code not in unhandled:
                    unhandled.append(code)
        _remove_empty_nodes(about_entity)
        if self.construct_properties:
            for key, dfn in self.construct_properties.items():
                if key not in entity:
                    parts = get_all_by_path(entity, dfn["property"])
                    if len(parts) > 1 and not any(p is None for p in parts):
                        constructed = dfn["join"].join(str(p) for p in parts)
                        entity[key] = constructed
                        params[key] = constructed
        if self.uri_template:
            for k in self.uri_template_keys:
                if k not in params:
                    v = get_by_path(about_entity, k)
                    if not v and self.uri_template_defaults:
                        v = self.uri_template_defaults.get(k)
                    if v:
                        params[k] = v
            if all(k in params for k in self.uri_template_keys):
                computed = uritemplate.expand(self.uri_template, params)
                if entity.get("@id"):
                    add_value(entity, "sameAs", {"@id": entity["@id"]}, True)
                entity["@id"] = computed
        for local_key, local_entity in local.items():
            if local_key == self.about_alias:
                continue
            pending = (self.pending or {}).get(local_key) or {}
            if pending.get("uriTemplate") and "@id" not in local_entity:
                uri = uritemplate.expand(pending["uriTemplate"], local_entity)
                if uri:
                    local_entity["@id"] = uri
            if pending.get("absorbSingle"):
                link = pending.get("link") or pending.get("addLink")
                parent = local.get(pending["about"]) if pending.get("about") else entity
                items = parent.get(link) if parent is not None and link else None
                if isinstance(items, list) and len(items) == 1 and parent is not None and link:
                    del parent[link]
                    parent.update(items[0])
        return unhandled_result(unhandled)

    def _linkage(self, state: dict, entity: JSON, value: JSON, handled: set[str]) -> JSON | None:
        """The field's own entity, made and linked as its rule says (or ``None``)."""
        rule = self.link_rule(state, state["field"])
        if not (rule["link"] or rule["resourceType"]):
            return None
        use_links: list[str] = []
        cl = self.compute_links
        if cl:
            use = cl["use"]
            mapping = cl["mapping"] if isinstance(cl.get("mapping"), dict) else self.token_maps.get(cl.get("mapping"))
            mapping = mapping or {}
            tokens = [next(iter(s.values())) for s in value.get("subfields") or () if isinstance(s, dict) and use in s]
            for t in tokens:
                d = mapping.get(t)
                if d is None and isinstance(t, str):
                    d = mapping.get(re.sub(r"[^a-z0-9_-]", "", t.lower()))
                use_links.append(d if isinstance(d, str) else uritemplate.expand(_GENERIC_REL, {"_": t}) or "")
            if use_links:
                handled.add(use)
            elif mapping.get("*"):
                use_links = [mapping["*"]]
        if use_links:
            rule["repeatable"] = True
        new = self.new_entity(state, rule["resourceType"], rule["groupId"], rule["embedded"])
        ref = new
        if use_links and rule["link"]:
            if not new.get("@id"):
                new["@id"] = f"_:b-{state['bnodeCounter']}"
                state["bnodeCounter"] += 1
            ref = {"@id": new["@id"]}
        if rule["link"]:
            add_value(entity, rule["link"], new, rule["repeatable"])
        for link in use_links:
            add_value(entity, link, ref, rule["repeatable"])
        return new

    def local_entity(
        self, state: dict, field: JSON, owner: JSON | None, key: str, local: dict, force_new: bool = False
    ) -> JSON:
        """The field's local entity ``key`` (a pending resource), made and linked on first use
        (or anew, ``force_new``)."""
        entity = local.get(key)
        if entity is None or force_new:
            pending = (self.pending or {})[key]
            pid = None
            if pending.get("groupId"):
                pid = self.make_group_id(
                    pending["groupId"], state["sourceMap"].get(self.base_tag) or [], state["field"]
                )
            entity = local[key] = self.new_entity(state, pending.get("resourceType"), pid, pending.get("embedded"))
            link = pending.get("link") or pending.get("addLink")
            if pending.get("about"):
                owner = self.local_entity(state, field, owner, pending["about"], local)
            if owner is not None and link:
                add_value(owner, link, entity, "addLink" in pending)
        return entity

    # -- JSON-LD -> MARC --------------------------------------------------------------------------

    def revert(self, state: dict, data: JSON, result: JSON, used: list[MatchRule] | None = None) -> list | None:
        used = used or []
        matched: list = []
        for rule in self.match_rules:
            got = rule.handler.revert(state, data, result, used + [rule])
            if rule.handler.ignored and got:
                return None
            if got:
                matched += got
        top = self.get_entity(state, data)
        if (
            not matched
            and self.defines_domain_entity_type
            and not self.is_instance_of(top, self.defines_domain_entity_type)
        ):
            return None
        results: list = []
        use_links: list[JSON] = [{"link": x, "resourceType": self.resource_type} for x in self.allow_link_on_revert]
        cl = self.compute_links
        if cl and isinstance(cl.get("mapping"), dict):
            for code, comp_link in cl["mapping"].items():
                if comp_link in top:
                    use_links.append({"link": comp_link, "subfield": None if code == "*" else {cl["use"]: code}})
        else:
            use_links.append({"link": self.link, "resourceType": self.resource_type})
        if self.link_repeated:
            if not self.only_subsequent_repeated and self.link_repeated["link"] in top:
                use_links = [self.link_repeated]
            else:
                use_links.append(self.link_repeated)
        base = self.uri_template
        if base and "{" in base:
            base = base[: base.index("{")]
        for use_link in use_links:
            entities: list = [top]
            if use_link.get("link"):
                entities = as_list(top.get(use_link["link"]))
                rtype = use_link.get("resourceType")
                if rtype:
                    entities = [e for e in entities if self._usable(e, rtype, base)]
            for it in entities:
                if not isinstance(it, dict):
                    continue
                ok, about_map = build_about_map(self.ruleset, self.pending, self.pending_keys, it, self.about_alias)
                if ok:
                    field = self.revert_one(
                        state, data, top, it, about_map, used, use_link.get("groupId") or self.group_id
                    )
                    if field:
                        if use_link.get("subfield"):
                            field["subfields"].insert(0, use_link["subfield"])
                        results.append(field)
        return results + matched

    def _usable(self, e: Any, rtype: str, base: str | None) -> bool:
        if not e or not isinstance(e, dict):
            return False
        if base:
            eid = e.get("@id")
            if not eid or not str(eid).startswith(base):
                if not any(
                    isinstance(s, dict) and str(s.get("@id") or "").startswith(base) for s in as_list(e.get("sameAs"))
                ):
                    return False
        return self.is_instance_of(e, rtype)

    def revert_one(
        self,
        state: dict,
        data: JSON,
        top: JSON,
        current: JSON,
        about_map: dict,
        used: list[MatchRule],
        group_id: str | None,
    ) -> JSON | None:
        """One field written from the entity ``current`` (or ``None``)."""
        if any(not r.accept_revert(current, state) for r in used):
            return None
        i1 = next((r.ind1 for r in used if r.ind1), None) or self._indicator(self.ind1, state, data, current, about_map)
        i2 = next((r.ind2 for r in used if r.ind2), None) or self._indicator(self.ind2, state, data, current, about_map)
        subs: list[dict] = []
        failed = False
        only_supplementary = True
        used_entities: dict[int, JSON] = {}
        prev_added: tuple[str, dict] | None = None
        first_rel: dict | None = None
        rel_pos: dict[int, int] = {}
        required_codes: set[str] = set()
        succeeded: set[str] = set()
        reverted_by = state["revertedBy"]
        group_ids = state["groupIds"]
        #: where each subfield's value came from, when asked: id(subfield) -> (subfield, node, property)
        sources: dict | None = state.get("sources")
        for group in self.groups:
            about = group[0].about or self.about_alias
            if about is None:
                pairs = [(h, current) for h in group]
            else:
                pairs = [(h, e) for e in about_map.get(about) or () for h in group]
            for h, sel in pairs:
                code = h.code
                if failed:
                    continue
                if h.required:
                    required_codes.add(code)
                if h.requires_i1:
                    if i1 is None:
                        i1 = h.requires_i1
                    elif i1 != h.requires_i1:
                        continue
                if h.requires_i2:
                    if i2 is None:
                        i2 = h.requires_i2
                    elif i2 != h.requires_i2:
                        continue
                if not sel:
                    failed = True
                    continue
                by = reverted_by.get(id(sel)) or sel.get("_revertedBy")
                if (
                    (sel is not top and by and (not group_id or group_ids.get(id(sel)) != group_id))
                    or by == self.base_tag
                    or (by is not None and by in self.shares_group_id_with)
                ):
                    continue
                got = h.revert_with_position(state, data, sel)
                just_added: tuple[str, dict] | None = None
                first_value: Any = None
                if got is not None:
                    repeat_ok = bool((h.link and h.repeatable) or (h.property and h.repeat_property))
                    for vs, pos, src in got:
                        for v in _flatten(vs):
                            if used and any(not r.match_value(code, v) for r in used):
                                continue
                            if just_added and not repeat_ok:
                                break
                            sub = {code: v}
                            if h.item_pos == "rest":
                                if first_rel is None:
                                    first_rel = sub
                                rel_pos[id(sub)] = pos
                            subs.append(sub)
                            if sources is not None and src is not None:
                                sources[id(sub)] = (sub, src, h.property or "@id")
                            just_added = (code, sub)
                            if first_value is None:
                                first_value = v
                    if h.required and not just_added and code not in succeeded:
                        failed = True
                elif (h.required or h.requires_i1 or h.requires_i2) and code not in succeeded:
                    failed = True
                if not failed and just_added:
                    used_entities[id(sel)] = sel
                    succeeded.add(code)
                    if prev_added and h.leading_punctuation:
                        prev_code, prev_sub = prev_added
                        prev_h = self.subfields[prev_code]
                        if not prev_h.trailing_punctuation:
                            prev_value = prev_sub[prev_code]
                            lead = h.leading_punctuation
                            skips = h.skip_leading is not None and h.skip_leading.fullmatch(str(first_value))
                            blocks = prev_h.block_next_leading is not None and prev_h.block_next_leading.fullmatch(
                                str(prev_value)
                            )
                            if (
                                not skips
                                and not blocks
                                and isinstance(prev_value, str)
                                and not prev_value.endswith(lead)
                            ):
                                prev_sub[prev_code] = prev_value + lead
                if just_added:
                    if not h.supplementary:
                        only_supplementary = False
                    prev_added = just_added
        if required_codes and not required_codes <= succeeded:
            failed = True
        if failed or i1 is None or i2 is None or not subs or only_supplementary:
            return None
        if rel_pos:
            start = subs.index(first_rel) if first_rel is not None else 0
            order = list(subs)
            subs.sort(key=lambda s: java_hash([start, rel_pos[id(s)]] if id(s) in rel_pos else [order.index(s), None]))
        field = {"ind1": i1, "ind2": i2, "subfields": subs}
        if used and not all(r.matches(field) for r in used):
            return None
        for key in used_entities:
            if not self.silent_revert:
                reverted_by[key] = self.base_tag
            group_ids[key] = group_id
        return field

    def _indicator(
        self, handler: SubfieldHandler | None, state: dict, data: JSON, current: JSON, about_map: dict
    ) -> str | None:
        entities = about_map.get(handler.about) if handler is not None and handler.about else [current]
        if handler is None:
            return " "
        for e in entities or ():
            got = handler.revert(state, data, e)
            if got is not None:
                v = got[0] if isinstance(got, list) else got
                return v if isinstance(v, str) or v is None else str(v)
        return None


def _flatten(vs: Any) -> list:
    if not isinstance(vs, list):
        return [vs]
    out: list = []
    for v in vs:
        out.extend(_flatten(v)) if isinstance(v, list) else out.append(v)
    return out


def _remove_empty_nodes(entity: JSON) -> None:
    """Drop the values of ``entity`` that are empty entities or entities with only a type."""
    for k in list(entity):
        v = entity[k]
        if isinstance(v, list):
            kept = [x for x in v if not _is_empty_node(x)]
            if len(kept) != len(v):
                v[:] = kept
            if not v:
                del entity[k]
        elif _is_empty_node(v):
            del entity[k]


class MatchRule:
    """A rule of a field that applies under a condition (marcframe's ``match`` with ``when``),
    or on revert only, when the data has a given shape (``{"onRevert": ...}``)."""

    @staticmethod
    def parse_rules(parent: FieldHandler, dfn: JSON) -> list[MatchRule]:
        defs = dfn.pop("match", None)
        if defs is None:
            return []
        by_when = {d.get("when") if isinstance(d.get("when"), str) else None: d for d in defs}
        rules = []
        for d in defs:
            copy = {k: v for k, v in dfn.items() if k != "match"}
            if copy.get("pendingResources"):
                copy["pendingResources"] = dict(copy["pendingResources"])
            merge_definitions(d, copy)
            rules.append(MatchRule(parent, copy, by_when))
        return rules

    def __init__(self, parent: FieldHandler, dfn: JSON, by_when: dict):
        self.when: When | None = None
        self.on_revert: Any = None
        self.ind1: str | None = None
        self.ind2: str | None = None
        when = dfn.pop("when", None)
        if isinstance(when, str):
            self.when = When(when)
            self.ind1, self.ind2 = self.when.ind1, self.when.ind2
        elif isinstance(when, dict):
            self.on_revert = when.get("onRevert")
            if self.on_revert:
                then = when.get("then") or {}
                self.ind1 = then.get("ind1") or None
                self.ind2 = then.get("ind2") or None
        inherit = dfn.pop("inherit-match", None)
        if inherit:
            dfn = {**by_when.get(inherit, {}), **dfn}
            dfn.pop("when", None)
            dfn.pop("inherit-match", None)
        tag = f"{parent.tag}[{when}]" if when else parent.tag
        self.handler = FieldHandler(parent.ruleset, tag, dfn, parent.base_tag)
        for r in self.handler.match_rules:
            if self.ind1:
                r.ind1 = self.ind1
            if self.ind2:
                r.ind2 = self.ind2

    def handler_for(self, entity: JSON, value: JSON) -> FieldHandler | None:
        w = self.when
        if w is not None and w.match_domain:
            if entity.get("@type") != w.match_domain:
                return None
            if not w.tests:
                return self.handler
        return self.handler if self.matches(value) else None

    def matches(self, value: JSON) -> bool:
        if self.on_revert:
            return True
        if self.when is None:
            return True
        return self.when.holds(value)

    def match_value(self, code: str, value: Any) -> bool:
        return True if self.when is None else self.when.match_value(code, value)

    def accept_revert(self, entity: JSON, state: dict) -> bool:
        if self.on_revert is None:
            return True
        return object_contains(entity, self.on_revert)
