"""One subfield (or indicator) of a data field, both ways: its ISBD punctuation stripped and put
back, token maps, the entity it is about (a pending resource of the field), a link made from its
value by a URI template, a value split into several properties and joined again."""

from __future__ import annotations

import re
from typing import Any

from tui.core.mapping.marcframe import uritemplate
from tui.core.mapping.marcframe.parts import JSON, LocalEntities, Part, Rules, add_value, java_set_order, java_trim
from tui.core.mapping.marcframe.uritemplate import UNESCAPED_SLOT, token_from_id

#: no MARC field holds a value this long (ISO 2709 ends a field at 9,999 bytes): marcframe's
#: patterns, some of which search, are not tried on longer ones
MAX_PATTERN_VALUE = 10_000


def _pattern(p: Any) -> re.Pattern[str] | None:
    return re.compile(p) if p else None


class SubfieldHandler(Part):
    """One subfield (or indicator) rule. It depends only on its definition and on the leading
    punctuation of its field's other subfields, so fields that share a definition (a tag's
    ``match`` rules repeat the tag's subfields) share the handler."""

    def __init__(self, ruleset: Rules, code: str, dfn: JSON, leading: tuple[str, ...] = ()):
        self.ruleset = ruleset
        self.code = code
        self.set_token_map(ruleset.token_maps, dfn)
        self.about_entity_name = dfn.get("aboutEntity")
        self.fallback_entity_name = dfn.get("fallbackEntity")
        self.ignored = dfn.get("ignored") is True
        self.ignore_on_revert = dfn.get("ignoreOnRevert") is True
        self.trailing_punctuation: str | None = dfn.get("trailingPunctuation")
        self.leading_punctuation: str | None = dfn.get("leadingPunctuation")
        default = ruleset.default_punctuation
        chars = (
            dfn["punctuationChars"]
            if "punctuationChars" in dfn
            else (self.trailing_punctuation or default.get("punctuationChars"))
        )
        self.punctuation_chars: list[str] | None = list(chars) if chars else None
        self.surrounding_chars: list[str] | None = (
            list(dfn["surroundingChars"]) if dfn.get("surroundingChars") else None
        )
        self.skip_leading = _pattern(dfn["skipLeading"] if "skipLeading" in dfn else default.get("skipLeading"))
        self.block_next_leading = _pattern(
            dfn["blockNextLeading"] if "blockNextLeading" in dfn else default.get("blockNextLeading")
        )
        self.balance_brackets = (
            dfn["balanceBrackets"] if "balanceBrackets" in dfn else default.get("balanceBrackets")
        ) is True
        self.new_about = self.alt_new = False
        if dfn.get("aboutNew"):
            self.about: str | None = dfn["aboutNew"]
            self.new_about = True
        elif dfn.get("aboutAltNew"):
            self.about = dfn["aboutAltNew"]
            self.new_about = self.alt_new = True
        else:
            self.about = dfn.get("about")
        self.repeatable = "addLink" in dfn
        self.link: str | None = dfn.get("link") or dfn.get("addLink")
        self.uri_template: str | None = dfn.get("uriTemplate") or None
        self.match_uri_token = _pattern(dfn.get("matchUriToken"))
        self.repeat_property = "addProperty" in dfn
        self.property: str | None = dfn.get("property") or dfn.get("addProperty")
        self.resource_type: str | None = dfn.get("resourceType")
        self.required = dfn.get("required") is True
        self.supplementary = dfn.get("supplementary") is True
        self.overwrite = dfn.get("overwrite") is True
        self.infer = dfn.get("infer") is True
        self.equivalent_to_id = dfn.get("equivalentToId") is True
        self.split_pattern: re.Pattern[str] | None = None
        self.split_properties: list[str] | None = None
        self.rejoin: str | None = None
        self.join_end: str | None = None
        self.allow_empty: Any = None
        if dfn.get("splitValueProperties"):
            self.split_pattern = _pattern(dfn.get("splitValuePattern"))
            self.split_properties = list(dfn["splitValueProperties"])
            self.rejoin = dfn.get("rejoin")
            self.join_end = dfn.get("joinEnd")
            self.allow_empty = dfn.get("allowEmpty")
        self.cast_pattern = _pattern(dfn.get("castPattern"))
        self.cast_property: str | None = dfn.get("castProperty") if self.cast_pattern else None
        self.marc_default: str | None = dfn.get("marcDefault")
        self.defined_elsewhere_token: str | None = dfn.get("definedElsewhereToken")
        self.append_value_from: str | None = dfn.get("onRevertAppendValueFrom")
        self.requires_i1: str | None = dfn.get("requires-i1")
        self.requires_i2: str | None = dfn.get("requires-i2")
        self.item_pos: Any = dfn.get("itemPos")
        if leading:
            # every leading punctuation of the field's subfields is stripped from the end of each
            # value too, after the subfield's own characters
            own = list(dict.fromkeys(self.punctuation_chars or []))
            self.punctuation_chars = own + [c for c in leading if c not in own]

    # -- MARC -> JSON-LD --------------------------------------------------------------------------

    def clear_chars(self, val: str) -> str:
        if len(val) > 1:
            val = java_trim(val)
            for c in self.punctuation_chars or ():
                if len(val) < 2:
                    break
                if val[-1] == c:
                    val = java_trim(val[:-1])
            for c in self.surrounding_chars or ():
                if len(val) < 2:
                    break
                if val[-1] == c:
                    val = java_trim(val[:-1])
                elif val[0] == c:
                    val = java_trim(val[1:])
        if self.balance_brackets:
            if val.startswith("["):
                if "]" not in val:
                    val += "]"
            elif val.endswith("]") and "[" not in val:
                val = "[" + val
        return val

    def convert_value(
        self,
        fh: LocalEntities,
        state: dict,
        field: JSON,
        value: Any,
        ent: JSON | None,
        params: dict,
        local: dict,
        preceding_new_about: bool = False,
    ) -> bool:
        """Put one subfield's (or indicator's) value into the data; ``False`` if no rule took it."""
        if not value:
            return True  # no value: as if not there
        if not isinstance(value, str):
            value = str(value)
        value = self.clear_chars(value)
        if self.token_map:
            if value == self.defined_elsewhere_token:
                return True
            mapped = self.token_map.get(value)
            if mapped is None:
                return False
            value = mapped
        ok = False
        key_base = ""
        if self.about:
            ent = fh.local_entity(
                state,
                field,
                ent,
                self.about,
                local,
                False if (self.alt_new and preceding_new_about) else self.new_about,
            )
        if ent is None:
            return False
        if self.link:
            eid = None
            tmpl = self.uri_template
            if (
                tmpl
                and isinstance(value, str)
                and (self.match_uri_token is None or self.match_uri_token.fullmatch(value))
            ):
                eid = value if tmpl == UNESCAPED_SLOT else uritemplate.expand(tmpl, {"_": value})
            new = self.new_entity(state, self.resource_type, eid)
            add_value(ent, self.link, new, self.repeatable)
            ent = new
            key_base = f"{self.link}."
            ok = True
        prop = self.property
        did_split = False
        text = value if isinstance(value, str) else None
        if self.split_pattern is not None and text is not None and len(text) <= MAX_PATTERN_VALUE:
            m = self.split_pattern.search(text)
            if m:
                for i, p in enumerate(self.split_properties or ()):
                    v = m.group(i + 1) if i < (m.re.groups or 0) else None
                    if v:
                        ent[p] = v
                    add_value(params, key_base + p, v, True)
                did_split = ok = True
        if not did_split and self.cast_pattern is not None and text is not None and len(text) <= MAX_PATTERN_VALUE:
            if self.cast_pattern.search(text):
                prop = self.cast_property
        if not did_split and prop:
            if self.marc_default is None or value != self.marc_default:
                if self.overwrite:
                    ent[prop] = value
                else:
                    add_value(ent, prop, value, self.repeat_property)
                add_value(params, key_base + prop, value, True)
            ok = True
        return ok

    # -- JSON-LD -> MARC --------------------------------------------------------------------------

    def revert(self, state: dict, data: JSON, current: JSON | None) -> list | None:
        got = self.revert_with_position(state, data, current)
        return None if got is None else [v for v, _, _ in got]

    def revert_with_position(self, state: dict, data: JSON, current: Any) -> list[tuple[Any, int, Any]] | None:
        """The values this subfield gets from ``current``, each with the position of the item it
        came from and that item (where the value is in the data)."""
        if self.about_entity_name:
            current = self.get_entity(state, data)
        if current is None:
            return None
        entities: Any = current.get(self.link) if self.link else [current]
        if entities is None:
            return [(self.marc_default, 1, None)] if self.marc_default else None
        if isinstance(entities, dict):
            entities = [entities]
        elif not isinstance(entities, list):
            entities = [entities]
        vocab = self.ruleset.vocab
        values: list[tuple[Any, int, Any]] = []
        for i, entity in enumerate(entities, 1):
            if i == 1:
                if self.item_pos == "rest":
                    continue
            elif self.item_pos == "first":
                break
            if not isinstance(entity, dict):
                continue
            entity_id = entity.get("@id")
            prop_value = vocab.property_value(entity, self.property)
            if self.ignore_on_revert:
                continue
            if self.append_value_from and self.append_value_from in entity:
                extra = entity[self.append_value_from]
                extra_text = " ".join(_groovy_str(x) for x in extra) if isinstance(extra, list) else _groovy_str(extra)
                prop_value = f"{_groovy_str(entity.get(self.property))} {extra_text}"
            if prop_value is None and self.cast_property:
                prop_value = entity.get(self.cast_property)
            if prop_value is None and self.infer:
                for sub in vocab.sub_properties(self.property):
                    prop_value = vocab.property_value(entity, sub)
                    if prop_value:
                        break
            if prop_value is None and self.equivalent_to_id:
                prop_value = entity.get("@id")
            check_type = True
            if self.property and not prop_value and not entity.get("@type") and self.uri_template:
                prop_value = token_from_id(entity_id, self.uri_template, self.match_uri_token)
                if prop_value:
                    check_type = False
            if check_type and self.resource_type and not vocab.is_instance(entity, self.resource_type):
                continue
            props = self.split_properties
            if props and self.rejoin and (not prop_value or self.property in props):
                parts: list[str] = []
                all_empty = True
                for p in props:
                    v = entity.get(p)
                    if v is None and self.allow_empty:
                        v = ""
                    else:
                        all_empty = False
                    if v is not None:
                        parts.append(", ".join(_groovy_str(x) for x in v) if isinstance(v, list) else _groovy_str(v))
                if len(parts) == len(props) and not all_empty:
                    joined = self.rejoin.join(parts)
                    if self.join_end and not joined.endswith(self.join_end):
                        joined += self.join_end
                    values.append((joined, i, entity))
                    continue
            value: Any = None
            if self.property:
                value = self.revert_object(prop_value)
            elif self.link:
                obj = entity_id
                if obj and self.uri_template:
                    token = token_from_id(obj, self.uri_template, self.match_uri_token)
                    if token:
                        obj = token
                value = self.revert_object(obj)
            if isinstance(value, str) and value:
                if self.surrounding_chars:
                    lead, tail = self.surrounding_chars[0], self.surrounding_chars[1]
                    if value[0] != lead:
                        value = lead + value
                    if value[-1] != tail:
                        value += tail
                if self.trailing_punctuation and not value.endswith(self.trailing_punctuation):
                    value += self.trailing_punctuation
            if value is not None:
                values.append((value, i, entity))
            elif self.marc_default:
                values.append((self.marc_default, i, None))
        return values or None


def _groovy_str(v: Any) -> str:
    """A value as Groovy writes it into a string (``null``, ``true``)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def leading_chars(dfns: list[JSON]) -> tuple[str, ...]:
    """The characters of every leading punctuation of a field's subfields, in the order of a
    Java hash set."""
    seen: list[str] = []
    for d in dfns:
        for c in d.get("leadingPunctuation") or "":
            if c not in seen:
                seen.append(c)
    return tuple(java_set_order(seen))
