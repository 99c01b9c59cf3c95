"""Control fields and fixed-length fields: a value put on a property or made into a link
(``001``, ``005``), a fixed field read column by column (the leader, ``008``), and a fixed field
whose columns depend on its first character or on the leader (``006``, ``007``, ``008``)."""

from __future__ import annotations

import re
from typing import Any

from tui.core.mapping.marcframe import datetimes
from tui.core.mapping.marcframe.parts import FAIL, JSON, OK, Handler, Result, Rules, add_value, as_list
from tui.core.mapping.marcframe.uritemplate import SLOT, token_from_id

FIXED_UNDEF = "|"
FIXED_NONE = " "
FIXED_FAUX_NONE = "_"
_COLUMN_KEY = re.compile(r"\[(\d+)(?::(\d+))?\]\s*")


class SimpleHandler(Handler):
    """A value (a control field, a fixed-field column) put on a property, or made into a link
    by a URI template; token maps, dates and zero-padded numbers on the way."""

    def __init__(self, ruleset: Rules, tag: str, dfn: JSON):
        super().__init__(ruleset, tag, dfn)
        self.set_token_map(ruleset.token_maps, dfn)
        if dfn.get("addProperty"):
            self.repeatable = True
        self.property: str | None = dfn.get("property") or dfn.get("addProperty")
        self.date_pattern: str | None = dfn.get("parseDateTime") or None
        self.time_zone: str | None = dfn.get("timeZone")
        self.zero_padded = dfn.get("parseZeroPaddedNumber") is True
        self.uri_template: str | None = dfn.get("uriTemplate")
        self.match_uri_token: re.Pattern[str] | None = None
        self.tokens_in_order: list[str] | None = None
        mut = dfn.get("matchUriToken")
        if mut:
            if mut.startswith("^[") and mut.endswith("]$"):
                self.tokens_in_order = list(mut[2:-2])
            self.match_uri_token = re.compile(mut)
        self.silent_revert = dfn.get("silentRevert")

    def convert(self, state: dict, value: Any) -> Result | None:
        if self.ignored:
            return OK
        if not (self.property or self.link):
            return None
        str_value = value
        tm = self.token_map
        if tm:
            mapped = tm.get(str_value) if isinstance(str_value, str) else None
            if not mapped and isinstance(str_value, str):
                mapped = tm.get(str_value.lower())
            if mapped is None:
                return Result(str_value in tm) if isinstance(str_value, str) else FAIL
            if mapped is False:
                return OK
            value = str_value = mapped
        if isinstance(value, str) and all(c in (FIXED_NONE, FIXED_UNDEF) for c in value):
            return OK
        if self.date_pattern and isinstance(value, str):
            parsed = datetimes.parse_marc(value, self.date_pattern, self.time_zone)
            if parsed is not None:
                value = parsed
        elif self.zero_padded and value and isinstance(str_value, str):
            try:
                value = int(str_value.strip())
            except ValueError:
                pass
        ent = state["entityMap"].get(self.about_entity_name)
        if ent is None:
            return FAIL
        if self.defines_domain_entity_type:
            ent["@type"] = self.defines_domain_entity_type
        if self.link:
            new = self.new_entity(state, self.resource_type)
            add_value(ent, self.link, new, self.repeatable)
            ent = new
        if self.uri_template:
            if self.match_uri_token is None or (
                isinstance(str_value, str) and self.match_uri_token.fullmatch(str_value)
            ):
                ent["@id"] = self.uri_template.replace(SLOT, str(str_value).strip())
            else:
                ent["code"] = value
        elif self.property:
            add_value(ent, self.property, value, self.repeatable)
        return OK

    def revert(self, state: dict, data: JSON, result: JSON | None) -> Any:
        entity: Any = self.get_entity(state, data)
        if self.link:
            entity = entity.get(self.link) if isinstance(entity, dict) else None
        if entity and self.property:
            if isinstance(entity, list):  # Groovy reads a property of a list off each of its items
                v: Any = [x.get(self.property) if isinstance(x, dict) else None for x in entity]
            else:
                v = entity.get(self.property) if isinstance(entity, dict) else None
            if v:
                if self.date_pattern:
                    if isinstance(v, list):
                        v = v[0]
                    if not isinstance(v, str):
                        return None
                    got = datetimes.format_marc(v, self.date_pattern)
                    return v if got is None else got
                if self.zero_padded:
                    return f"{v:03d}" if isinstance(v, int) and not isinstance(v, bool) else None
            return self.revert_object(v)
        out = []
        for it in as_list(entity) if isinstance(entity, list) else [entity]:
            got = None
            if self.uri_template:
                token = token_from_id(it, self.uri_template, self.match_uri_token)
                if token:
                    got = self._revert_token(state, it, token)
                elif isinstance(it, dict):
                    for same in as_list(it.get("sameAs")):
                        token = token_from_id(same, self.uri_template, self.match_uri_token)
                        if token:
                            got = self._revert_token(state, it, token)
                            break
            out.append(got)
        return out

    def source(self, state: dict, data: JSON) -> list[tuple[Any, str]]:
        """Where this handler's value comes from in ``data``: (node, property) pairs."""
        entity: Any = self.get_entity(state, data)
        if self.link:
            linked = entity.get(self.link) if isinstance(entity, dict) else None
            return [(x, "@id") for x in as_list(linked) if isinstance(x, dict)]
        return [(entity, self.property)] if self.property and isinstance(entity, dict) else []

    def _revert_token(self, state: dict, obj: Any, token: str) -> Any:
        v = self.revert_object(token)
        if v and self.silent_revert is False and isinstance(obj, dict):
            state["revertedBy"][id(obj)] = self.base_tag
        return v


class Column(SimpleHandler):
    """One column (or run of columns) of a fixed field."""

    def __init__(self, fixed: FixedFieldHandler, dfn: JSON, start: int, end: int, item_pos: Any):
        super().__init__(fixed.ruleset, f"{fixed.tag}-{start}-{end}", dfn)
        self.start, self.end = start, end
        self.width = end - start
        self.item_pos = item_pos if isinstance(item_pos, int) and not isinstance(item_pos, bool) else None
        self.fixed_default: str | None = dfn.get("fixedDefault")
        self.ignore_on_revert = dfn.get("ignoreOnRevert")
        mad = dfn.get("matchAsDefault")
        self.match_as_default = re.compile(mad) if mad else None
        tm = self.token_map
        if not self.fixed_default and (not tm or (FIXED_FAUX_NONE not in tm and FIXED_NONE not in tm)):
            self.fixed_default = FIXED_UNDEF

    def token(self, value: str) -> str:
        if len(value) < self.start:
            return ""
        return value[self.start : self.end]

    def convert(self, state: dict, value: Any) -> Result | None:
        token = self.token(value)
        if token == "" or token == self.fixed_default:
            return OK
        if self.match_as_default is not None and self.match_as_default.fullmatch(token):
            return OK
        return super().convert(state, token)

    def revert_column(self, state: dict, data: JSON) -> Any:
        v = super().revert(state, data, None)
        if self.ignore_on_revert and self.fixed_default:
            return self.fixed_default
        if self.fixed_default and (v is None or (isinstance(v, (list, str)) and all(x is None for x in v))):
            return self.fixed_default
        if isinstance(v, list):
            v = [x for x in v if x and isinstance(x, str) and self.width >= len(x)]
            if len(v) > 1 and self.tokens_in_order is not None:
                have = set(v)
                v = [t for t in self.tokens_in_order if t in have]
            if self.item_pos is not None:
                return v[self.item_pos] if self.item_pos < len(v) else self.fixed_default
            return v[0] if v else None
        return v

    def is_actual_value(self, value: str) -> bool:
        return value != self.fixed_default and (
            self.match_as_default is None or not self.match_as_default.fullmatch(value)
        )


class FixedFieldHandler:
    """A fixed field read column by column (the leader, ``008``)."""

    def __init__(self, ruleset: Rules, tag: str, dfn: JSON | None):
        self.ruleset = ruleset
        self.tag = tag
        self.columns: list[Column] = []
        self.field_size = 0
        for key, obj in (dfn or {}).items():
            if not key.startswith("[") or not obj:
                continue
            nums = [(int(a), int(b) if b else int(a) + 1) for a, b in _COLUMN_KEY.findall(key)]
            for i, (start, end) in enumerate(nums):
                pos = obj.get("itemPos") or (i if len(nums) > 1 else None)
                self.columns.append(Column(self, obj, start, end, pos))
                self.field_size = max(self.field_size, end)
        self.columns.sort(key=lambda c: c.start)

    def convert(self, state: dict, value: Any) -> Result:
        ok = True
        failed = state["marcRemains"]["failedFixedFields"]
        text = value if isinstance(value, str) else ""
        for col in self.columns:
            got = col.convert(state, text)
            if got is not None and not got.ok:
                ok = False
                key = f"{col.start}" + (f"_{col.end - col.start}" if col.end != col.start + 1 else "")
                failed.setdefault(self.tag, {})[key] = col.token(text)
        return Result(ok)

    def revert(self, state: dict, data: JSON, result: JSON | None, keep_empty: bool = False) -> str | None:
        value = [FIXED_NONE] * self.field_size
        actual = False
        sources = state.get("fixedSources")
        for col in self.columns:
            obj = col.revert_column(state, data)
            if obj and isinstance(obj, str) and col.width >= len(obj):
                value[col.start : col.start + len(obj)] = list(obj)
                if col.is_actual_value(obj):
                    actual = True
                    if sources is not None:
                        sources.extend(col.source(state, data))
        return "".join(value) if (actual or keep_empty) else None


class TokenSwitchHandler(Handler):
    """A fixed field whose columns depend on its first character (``006``, ``007``) or on the
    leader's type of record and bibliographic level (``008``)."""

    def __init__(self, ruleset: Rules, tag: str, dfn: JSON, key: str = "tokenTypeMap"):
        super().__init__(ruleset, tag, dfn)
        self.base = FixedFieldHandler(ruleset, tag, dfn)
        self.handlers: dict[str, FixedFieldHandler] = {}
        self.by_leader = key == "recTypeBibLevelMap"
        token_map = dfn[key]
        if self.by_leader:
            for rec_types, names in token_map.items():
                for type_name, levels in names.items():
                    for rec_type in rec_types.split(","):
                        for level in levels:
                            self.handlers[rec_type + level] = FixedFieldHandler(ruleset, tag, dfn.get(type_name))
        else:
            if isinstance(token_map, str):
                token_map = dfn[token_map]["tokenMap"]
            base_types = dfn.get("baseTypeMap") or {}
            for token, type_name in token_map.items():
                type_name = base_types.get(type_name) or type_name
                self.handlers[token] = FixedFieldHandler(ruleset, tag, dfn.get(type_name))
        size = max((h.field_size for h in self.handlers.values()), default=0)
        for h in self.handlers.values():
            h.field_size = size

    def _token(self, leader: str | None, value: Any) -> Any:
        if self.by_leader:
            leader = leader or ""
            return leader[6:7] + leader[7:8]
        return value[0] if value else value

    def convert(self, state: dict, value: Any) -> Result:
        handler = self.handlers.get(self._token(state["sourceMap"]["leader"], value))
        if handler is None:
            return FAIL
        rule = self.link_rule(state, state["field"])
        if rule["link"]:
            ent = state["entityMap"][self.about_entity_name]
            new = self.new_entity(state, rule["resourceType"], rule["groupId"], rule["embedded"])
            add_value(ent, rule["link"], new, rule["repeatable"])
            state = dict(state)
            state["entityMap"] = dict(state["entityMap"])
            state["entityMap"]["?thing"] = new
        self.base.convert(state, value)  # (its failures are kept, but do not fail the field)
        return Result(handler.convert(state, value).ok)

    def revert(self, state: dict, data: JSON, result: JSON) -> list[str]:
        entities: list = [data]
        root = self.get_entity(state, data)
        if self.link:
            entities = as_list(root.get(self.link)) if root.get(self.link) else []
        if self.link_repeated:
            more = root.get(self.link_repeated["link"])
            if more:
                entities = entities + as_list(more)
        values = []
        for entity in entities:
            if not isinstance(entity, dict):
                continue
            value = self.base.revert(state, entity, result, True) or ""
            handler = self.handlers.get(self._token(result.get("leader"), value))
            if handler is not None:
                overlay = handler.revert(state, entity, result, True) or ""
                if len(value) == 1:
                    value = value + overlay[1:]
                else:
                    combined = list(value)
                    for i, c in enumerate(overlay):
                        if c != " " and i < len(combined):
                            combined[i] = c
                    value = "".join(combined)
            if any(c not in (FIXED_NONE, FIXED_UNDEF, "0") for c in value):
                values.append(value)
        return values
