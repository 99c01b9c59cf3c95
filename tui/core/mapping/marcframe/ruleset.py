"""Marcframe's three rule sets (bib, auth, hold) built from the data, and one record converted
with them: MARC in marcframe's JSON shape to Libris's embedded JSON-LD (the Record with its
``mainEntity``), and back."""

from __future__ import annotations

import re
from typing import Any

from tui.core.mapping.marcframe.field import FieldHandler, merge_definitions
from tui.core.mapping.marcframe.fixed import FixedFieldHandler, SimpleHandler, TokenSwitchHandler
from tui.core.mapping.marcframe.parts import JSON, MalformedField, as_list, sorted_pending_keys
from tui.core.mapping.marcframe.subfield import SubfieldHandler
from tui.core.mapping.marcframe.uritemplate import expand
from tui.core.mapping.marcframe.vocabulary import Vocabulary

MARC_CATEGORIES = ("bib", "auth", "hold")
#: control fields converted before all others (the record's kind and dates first)
PREPROC_TAGS = frozenset(("000", "001", "006", "007", "008"))
UNCOMPLETED = "_marcUncompleted"
BROKEN = "_marcBroken"
FAILED_FIXED = "_marcFailedFixedFields"

Handlerish = FixedFieldHandler | TokenSwitchHandler | FieldHandler | SimpleHandler


def _include(config: JSON, dfn: JSON) -> JSON:
    """A field definition with the patterns it includes merged in (theirs first)."""
    merged: JSON = {}
    for name in as_list(dfn.get("include")):
        base = config["patterns"][name]
        if base.get("include"):
            base = _include(config, base)
        merge_definitions(base, merged)
    merge_definitions(dfn, merged)
    merged.pop("include", None)
    if merged.get("match"):
        merged["match"] = [_include(config, m) for m in merged["match"]]
    return merged


def _inherit(config: JSON, section: JSON, tag: str, dfn: JSON) -> JSON:
    """A field definition on top of the one it inherits (``"inherit": "100"``, ``"bib:007"``)."""
    ref = dfn.get("inherit")
    if not ref:
        return dfn
    ref_tag = tag
    if ":" in ref:
        ref, ref_tag = ref.split(":", 1)
    base = section[ref] if ref in section else config[ref][ref_tag]
    if base.get("inherit"):
        base = _inherit(config, config[ref] if ref in config else section, ref or ref_tag, base)
    merged = {**base, **dfn}
    merged.pop("inherit", None)
    return merged


class RuleSet:
    def __init__(self, conversion: Conversion, name: str, config: JSON):
        self.conversion = conversion
        self.name = name
        self.vocab: Vocabulary = conversion.vocab
        self.token_maps: dict = conversion.token_maps
        self.default_punctuation: JSON = conversion.default_punctuation
        self.handlers: dict[str, Handlerish] = {}
        #: subfield order and groups by (subfieldOrder, subfield handlers), with the handlers
        self.group_cache: dict[tuple, tuple[list[list[SubfieldHandler]], list[SubfieldHandler]]] = {}
        #: subfield handlers by (definition, code, the field's leading punctuation), each with
        #: its definition (kept alive, so that its id is not reused)
        self._subfields: dict[tuple[int, str, tuple[str, ...]], tuple[SubfieldHandler, JSON]] = {}
        self.primary_tags: set[str] = set()
        self.revert_order: list[str] = []
        self.about_types: dict[str, set[str]] = {"?record": set(), "?thing": set()}
        self.top_pending: dict[str, JSON] = dict(config.get("pendingResources") or {})
        self.set_spec_prefixes: JSON = {}
        self.thing_link = "mainEntity"
        self.defining_trait: str | None = None
        section: JSON = config[name]
        for tag, dfn in section.items():
            if tag == "postProcessing":
                continue
            if tag == "pendingResources":
                self.top_pending.update(dfn)
                continue
            if tag == "oaipmhSetSpecPrefixMap":
                self.set_spec_prefixes = dfn
                continue
            if tag.startswith("TODO:") or not dfn:
                continue
            self.thing_link = self.top_pending["?thing"]["link"]
            self.defining_trait = (self.top_pending.get("?work") or {}).get("link")
            dfn = _include(config, _inherit(config, section, tag, dfn))
            if dfn.get("aboutType") and dfn["aboutType"] != "Record":
                self.about_types.setdefault(dfn.get("aboutEntity") or "?thing", set()).add(dfn["aboutType"])
            for m in dfn.get("match") or ():
                if m.get("aboutType") and m["aboutType"] != "Record":
                    key = m.get("aboutEntity") or dfn.get("aboutEntity") or "?thing"
                    self.about_types.setdefault(key, set()).add(m["aboutType"])
            handler: Handlerish
            if dfn.get("tokenTypeMap"):
                handler = TokenSwitchHandler(self, tag, dfn)
            elif dfn.get("recTypeBibLevelMap"):
                handler = TokenSwitchHandler(self, tag, dfn, "recTypeBibLevelMap")
            elif any(k.startswith("[") for k in dfn):
                handler = FixedFieldHandler(self, tag, dfn)
            elif "match" in dfn or any(k.startswith("$") for k in dfn):
                handler = FieldHandler(self, tag, dfn)
                if handler.depends_on:
                    self.primary_tags.update(handler.depends_on)
                if handler.defines_domain_entity_type is not None:
                    self.primary_tags.add(tag)
            else:
                handler = SimpleHandler(self, tag, dfn)
            self.handlers[tag] = handler
        self.top_pending_keys = sorted_pending_keys(self.top_pending)
        default_thing = self.top_pending.get("?thing", {}).get("resourceType")
        if default_thing:
            self.about_types["?thing"].add(default_thing)
        # a field that prefers others on revert (260 -> 264) comes after them
        order: dict[str, None] = {}
        for tag, h in self.handlers.items():
            if isinstance(h, FieldHandler) and h.on_revert_prefer:
                preferred = [t for t in h.on_revert_prefer if t in self.handlers]
                for t in preferred:
                    ph = self.handlers[t]
                    if isinstance(ph, FieldHandler) and h.group_id and h.group_id == ph.group_id:
                        ph.shares_group_id_with = h.shares_group_id_with
                        ph.shares_group_id_with.update((tag, t))
                for t in preferred:
                    order.setdefault(t, None)
            order.setdefault(tag, None)
        self.revert_order = list(order)

    def subfield_handler(self, code: str, dfn: JSON, leading: tuple[str, ...] = ()) -> SubfieldHandler:
        key = (id(dfn), code, leading)
        got = self._subfields.get(key)
        if got is None or got[1] is not dfn:
            got = self._subfields[key] = (SubfieldHandler(self, code, dfn, leading), dfn)
        return got[0]

    def matches_data(self, data: JSON) -> bool:
        """Whether reverting ``data`` is for this rule set (by its thing's type or trait)."""
        thing = data.get(self.thing_link)
        if self.defining_trait and isinstance(thing, dict) and thing.get(self.defining_trait):
            return True
        if any(t in self.about_types["?record"] for t in as_list(data.get("@type")) if isinstance(t, str)):
            return True
        if not isinstance(thing, dict):
            return False
        return any(t in self.about_types["?thing"] for t in as_list(thing.get("@type")) if isinstance(t, str))

    # -- MARC -> JSON-LD --------------------------------------------------------------------------

    def convert(self, marc: JSON, state: dict) -> None:
        first: list[dict] = []
        primary: list[dict] = []
        other: list[dict] = []
        for key in self.top_pending:
            state["entityMap"][key] = {}
        source_map = state["sourceMap"]
        for field in marc.get("fields") or ():
            if not isinstance(field, dict):
                continue
            for tag in field:
                source_map.setdefault(tag, []).append(field)
                if tag in PREPROC_TAGS:
                    first.append(field)
                elif tag in self.primary_tags:
                    primary.append(field)
                else:
                    other.append(field)
        leader = self.handlers.get("000")
        if leader is not None:
            state["field"] = None
            leader.convert(state, source_map.get("leader") or "")
        for fields in (first, primary, other):
            self._fields(state, fields)

    def _fields(self, state: dict, fields: list[dict]) -> None:
        remains = state["marcRemains"]
        for field in fields:
            state["field"] = field
            try:
                result = None
                for tag, value in field.items():
                    handler = self.handlers.get(tag)
                    if handler is not None:
                        result = handler.convert(state, value)
                if result is None or not result.ok:
                    kept = dict(field)
                    if result is not None and result.unhandled:
                        kept["_unhandled"] = list(result.unhandled)
                    remains["uncompleted"].append(kept)
            except MalformedField:
                remains["broken"].append(field)

    def complete_entities(self, entity_map: dict[str, JSON]) -> None:
        """Types and ids of the record, its thing and its work; each linked to what it is
        about."""
        record = entity_map["?record"]
        given = record.get("@id")
        for key, dfn in self.top_pending.items():
            entity = entity_map.get(key)
            if not entity and not dfn.get("addEmpty"):
                continue
            if entity is None:
                entity = entity_map[key] = {}
            if not entity.get("@type"):
                entity["@type"] = dfn.get("resourceType")
            eid = entity.get("@id")
            built = None
            tokens_ok = all(
                isinstance(record.get(k), (str, int)) and re.search(rx, str(record.get(k)))
                for k, rx in (dfn.get("matchUriTokens") or {}).items()
            )
            if dfn.get("uriTemplate") and tokens_ok:
                built = expand(dfn["uriTemplate"], {**record, "marcType": self.name}, partial=True)
            if not eid and given and dfn.get("fragmentId"):
                eid = entity["@id"] = f"{given}#{dfn['fragmentId']}"
            if built:
                if not eid:
                    entity["@id"] = built
                else:
                    entity.setdefault("sameAs", []).append({"@id": built})
            if dfn.get("about") and dfn.get("link"):
                about = entity_map[dfn["about"]]
                existing = about.get(dfn["link"])
                if existing:
                    if isinstance(existing, dict):
                        for k, v in entity.items():
                            if k in existing:
                                existing[k] = as_list(existing[k]) + [v]
                            else:
                                existing[k] = v
                    elif isinstance(existing, list):
                        existing.append(entity)
                    entity_map[key] = existing
                else:
                    about[dfn["link"]] = entity

    # -- JSON-LD -> MARC --------------------------------------------------------------------------

    def revert(self, data: JSON, sources: dict | None = None) -> JSON:
        """``data`` as MARC. ``sources``, when given, gets where each value came from: for a
        subfield, ``id(subfield) -> (subfield, node, property)``; for a control or fixed field,
        ``id(field) -> (field, [(node, property), ...])``."""
        state: dict[str, Any] = {"revertedBy": {}, "groupIds": {}, "sources": sources}
        marc: JSON = {}
        fields: list[dict] = []
        marc["fields"] = fields
        for tag in self.revert_order:
            handler = self.handlers[tag]
            fixed: list = []
            if sources is not None and not isinstance(handler, FieldHandler):
                state["fixedSources"] = fixed
            value = handler.revert(state, data, marc)
            state.pop("fixedSources", None)
            if tag == "000":
                marc["leader"] = value
                if sources is not None:
                    sources["000"] = (None, fixed)
                continue
            if value is None:
                continue
            made = [{tag: v} for v in value if v] if isinstance(value, list) else [{tag: value}]
            if sources is not None and not isinstance(handler, FieldHandler):
                if isinstance(handler, SimpleHandler) and not fixed:
                    fixed = handler.source(state, data)
                for f in made:
                    sources[id(f)] = (f, fixed)
            fields.extend(made)
        fields.sort(key=lambda f: next(iter(f)))
        for it in as_list(data.get(UNCOMPLETED)):
            if isinstance(it, dict) and "_unhandled" not in it:
                field = {}
                for k, v in it.items():
                    if isinstance(v, dict) and isinstance(v.get("subfields"), dict):
                        v = {**v, "subfields": [v["subfields"]]}
                    field[k] = v
                fields.append(field)
        return marc


class Conversion:
    """Marcframe as a whole: its token maps, defaults and the three rule sets."""

    def __init__(self, config: JSON, vocab: Vocabulary):
        self.vocab = vocab
        self.token_maps: dict = config.get("tokenMaps") or {}
        self.marc_types: dict = config.get("marcTypeFromTypeOfRecord") or {}
        self.default_punctuation: JSON = config.get("defaultPunctuation") or {}
        self.keep_group_ids = config.get("keepGroupIds") is True
        self.rulesets = {name: RuleSet(self, name, config) for name in MARC_CATEGORIES}
        for token, type_name in (self.token_maps.get("typeOfRecord") or {}).items():
            cat = self.marc_types.get(token) or self.marc_types.get("*")
            if cat in self.rulesets:
                self.rulesets[cat].about_types["?thing"].add(type_name)

    def category(self, leader: str) -> str:
        """bib, auth or hold, from leader/06 (the type of record)."""
        return self.marc_types.get(leader[6:7]) or self.marc_types["*"]

    def ruleset_for(self, data: JSON) -> RuleSet:
        for rs in self.rulesets.values():
            if rs.matches_data(data):
                return rs
        return self.rulesets["bib"]

    def convert(self, marc: JSON, record_id: str | None = None) -> JSON:
        """One MARC record (marcframe's JSON shape) as Libris JSON-LD, embedded form."""
        leader = marc.get("leader") or ""
        if not isinstance(leader, str):
            leader = str(leader)
        rs = self.rulesets[self.category(leader)]
        remains: dict[str, Any] = {"failedFixedFields": {}, "uncompleted": [], "broken": []}
        state: dict[str, Any] = {
            "sourceMap": {"leader": leader},
            "bnodeCounter": 0,
            "entityMap": {},
            "quoted": [],
            "marcRemains": remains,
            "field": None,
        }
        rs.convert(marc, state)
        record = state["entityMap"]["?record"]
        thing = state["entityMap"]["?thing"]
        if remains["uncompleted"]:
            record[UNCOMPLETED] = remains["uncompleted"]
        if remains["broken"]:
            record[BROKEN] = remains["broken"]
        if remains["failedFixedFields"]:
            record[FAILED_FIXED] = remains["failedFixedFields"]
        if record_id is not None:
            if record.get("@id"):
                record.setdefault("sameAs", []).append({"@id": record_id})
            else:
                record["@id"] = record_id
        for ent in state["quoted"]:
            eid = ent.get("@id")
            if isinstance(eid, str) and (eid.startswith("#") or eid.startswith("_:")):
                del ent["@id"]
        rs.complete_entities(state["entityMap"])
        linked = record.get(rs.thing_link)
        if linked:
            if linked is not thing and isinstance(linked, dict):
                for k, v in thing.items():
                    if not linked.get(k):
                        linked[k] = v
        else:
            record[rs.thing_link] = thing
        return record

    def revert(self, data: JSON) -> JSON:
        """One record in embedded JSON-LD as MARC (marcframe's JSON shape)."""
        return self.ruleset_for(data).revert(data)
