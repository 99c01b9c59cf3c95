"""What every part of the conversion shares: token maps both ways, adding a value the way
marcframe does (one value, or one more of a list, merging things with the same ``@id``), finding
the entity a part is about, and the order Java gives sets (marcframe's output depends on it)."""

from __future__ import annotations

import re
from typing import Any, Protocol

from tui.core.mapping.marcframe.vocabulary import Vocabulary

JSON = dict[str, Any]


class Rules(Protocol):
    """What the parts of a rule set use of it (``tui.core.mapping.marcframe.ruleset.RuleSet``)."""

    name: str
    vocab: Vocabulary
    token_maps: dict
    default_punctuation: JSON
    thing_link: str
    top_pending: dict[str, JSON]
    top_pending_keys: list[str]
    group_cache: dict

    def subfield_handler(self, code: str, dfn: JSON, leading: tuple[str, ...] = ()) -> Any: ...


class LocalEntities(Protocol):
    """A field's local entities (its pending resources), as a subfield asks for them."""

    def local_entity(
        self, state: dict, field: JSON, owner: JSON | None, key: str, local: dict, force_new: bool = False
    ) -> JSON: ...


def as_list(v: Any) -> list:
    return v if isinstance(v, list) else [] if v is None else [v]


class MalformedField(Exception):
    """A field whose value has the wrong shape (text where subfields belong): kept as broken."""


class Result:
    """What converting one field gave: ``ok``, and the elements no rule took (``unhandled``)."""

    __slots__ = ("ok", "unhandled")

    def __init__(self, ok: bool, unhandled: list[str] | None = None):
        self.ok = ok
        self.unhandled = unhandled or []


OK = Result(True)
FAIL = Result(False)


def unhandled_result(codes: list[str]) -> Result:
    return Result(not codes, java_set_order(codes))


# -- Java's iteration order of small hash sets ---------------------------------------------------


def _java_hash(s: str) -> int:
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def _int32(h: int) -> int:
    h &= 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def java_hash(value: Any) -> int:
    """``Object.hashCode()`` of a JSON-ish value as Java computes it (strings, ints, booleans,
    ``None``, lists)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1231 if value else 1237
    if isinstance(value, int):
        return _int32(value)
    if isinstance(value, str):
        return _int32(_java_hash(value))
    if isinstance(value, list):
        h = 1
        for v in value:
            h = _int32(31 * h + java_hash(v))
        return h
    return _int32(hash(value))


def order_hash(position: int, not_number: bool, code: str) -> int:
    """``java_hash([position, not_number, code])``, the key marcframe orders subfields by."""
    h = _int32(31 + position)
    h = _int32(31 * h + (1231 if not_number else 1237))
    return _int32(31 * h + _java_hash(code))


def groovy_sort_key(key: Any) -> Any:
    """The order Groovy's ``sort { closure }`` gives for keys that are lists: lists cannot be
    compared, so Groovy orders them by their hash code. Marcframe orders subfields this way."""
    return java_hash(key) if isinstance(key, list) else key


def java_set_order(items: list[str]) -> list[str]:
    """``items`` (distinct, in insertion order) in the order a ``java.util.HashSet`` of them
    iterates: by bucket (the spread hash over the table size), then insertion. Marcframe keeps
    such sets in its output (``_unhandled``) and strips punctuation in that order."""
    if len(items) < 2:
        return list(items)
    cap = 16
    while len(items) > cap * 0.75:
        cap *= 2

    def bucket(s: str) -> int:
        h = _java_hash(s)
        return (h ^ (h >> 16)) & (cap - 1)

    return [s for _, _, s in sorted((bucket(s), i, s) for i, s in enumerate(items))]


# -- adding values ---------------------------------------------------------------------------------


def add_value(obj: JSON, key: str, value: Any, repeatable: bool) -> None:
    """Put ``value`` under ``key``: set once, or added to the list (``repeatable``, or when there
    is a value already); a thing with an ``@id`` already there is merged into one; an equal
    value is not added twice; a list of one becomes its value when not ``repeatable``."""
    current = obj.get(key)
    if current and not isinstance(current, list):
        current = [current]
    if current or repeatable:
        lst: list = current or []
        vid = value.get("@id") if isinstance(value, dict) else None
        if vid:
            existing = next((x for x in lst if isinstance(x, dict) and x.get("@id") == vid), None)
            if existing:
                for k, v in existing.items():
                    if isinstance(v, list):
                        for it in v:
                            add_value(value, k, it, True)
                    else:
                        add_value(value, k, v, False)
                lst[lst.index(existing)] = value
            else:
                lst.append(value)
        elif not next((x for x in lst if x == value), None):
            lst.append(value)
        value = lst
    if not repeatable and isinstance(value, list) and len(value) == 1:
        value = value[0]
    obj[key] = value


def deep_merged_clone(keep_some: JSON, keep_all: JSON) -> JSON:
    """``keep_all`` with what only ``keep_some`` has (an entity read with its fallback)."""
    result: JSON = {}
    for key in list(keep_all) + [k for k in keep_some if k not in keep_all]:
        high, low = keep_all.get(key), keep_some.get(key)
        if not high and low:
            result[key] = low
        elif high and not low:
            result[key] = high
        elif high and low:
            if isinstance(high, dict):
                if isinstance(low, dict):
                    result[key] = deep_merged_clone(low, high)
                else:
                    high = [high]
            if isinstance(high, list):
                result[key] = list(high) + (list(low) if isinstance(low, list) else [low])
    return result


def sorted_pending_keys(pending: dict) -> list[str]:
    """Pending resources in the order they can be built: by name, then by how many others
    they hang from."""

    def deps(key: str) -> int:
        n, about, seen = 0, pending[key].get("about"), {key}
        while about and about not in seen:
            n += 1
            seen.add(about)
            about = (pending.get(about) or {}).get("about")
        return n

    return sorted(sorted(pending), key=deps)


def get_all_by_path(entity: Any, path: str) -> list:
    results: list = []

    def collect(node: Any, chain: list[str]) -> None:
        for it in as_list(node):
            value = it.get(chain[0]) if isinstance(it, dict) else None
            if len(chain) > 1:
                collect(value, chain[1:])
            elif isinstance(value, list):
                results.extend(value)
            else:
                results.append(value)

    collect(entity, path.split("."))
    return results


def get_by_path(entity: Any, path: str) -> Any:
    got = get_all_by_path(entity, path)
    return got[0] if got else None


def java_trim(s: str) -> str:
    """``String.trim()``: strips what is at most a space (U+0000-U+0020), nothing else."""
    start, end = 0, len(s)
    while start < end and s[start] <= " ":
        start += 1
    while end > start and s[end - 1] <= " ":
        end -= 1
    return s[start:end]


def object_contains(obj: Any, pattern: Any) -> bool:
    """marcframe's ``onRevert`` shape test. As in marcframe, a dict pattern is decided by its
    first key alone."""
    if isinstance(pattern, list):
        return all(object_contains(obj, p) for p in pattern)
    if isinstance(pattern, dict):
        if isinstance(obj, list):
            return any(object_contains(x, pattern) for x in obj)
        if not isinstance(obj, dict):
            return False
        for k, v in pattern.items():
            if k not in obj:
                return False
            return object_contains(obj[k], v)
        return True
    return bool(obj == pattern)


# -- the base of every part ----------------------------------------------------------------------


class Part:
    """A field, subfield, indicator or fixed-field column handler."""

    ruleset: Rules
    about_entity_name: str | None = None
    fallback_entity_name: str | None = None
    token_map: dict | None = None
    reverse_token_map: dict | None = None
    embedded: bool = False

    def set_token_map(self, token_maps: dict, dfn: JSON) -> None:
        tm = dfn.get("tokenMap")
        if not tm:
            return
        self.token_map = token_maps[tm] if isinstance(tm, str) else tm
        rev: dict = {}
        for k, v in (self.token_map or {}).items():
            if v is not None:
                rev[v] = k
        over = dfn.get("reverseTokenMapOverrides")
        if isinstance(over, str):
            over = token_maps.get(over)
        if isinstance(over, dict):
            rev.update(over)
        self.reverse_token_map = rev

    def revert_object(self, obj: Any) -> Any:
        rev = self.reverse_token_map
        if rev:
            if isinstance(obj, list):
                return [rev.get(x) if _hashable(x) else None for x in obj]
            return rev.get(obj) if _hashable(obj) else None
        return obj

    def is_instance_of(self, entity: Any, base: Any) -> bool:
        return self.ruleset.vocab.is_instance(entity, base)

    def new_entity(self, state: dict, rtype: Any, eid: Any = None, embedded: Any = ...) -> JSON:
        if embedded is ...:
            embedded = self.embedded
        ent: JSON = {}
        if rtype:
            ent["@type"] = rtype
        if eid:
            ent["@id"] = eid
        if not embedded:
            state["quoted"].append(ent)
        return ent

    def get_entity(self, state: dict, data: JSON, about_alias: str = "?record") -> JSON:
        """The entity this part is about, in a record being reverted (``data`` when it is not
        the record)."""
        rs = self.ruleset
        if rs.thing_link not in data:
            return data
        about_map = state.get("aboutMap")
        if not about_map:
            _ok, about_map = build_about_map(rs, rs.top_pending, rs.top_pending_keys, data, about_alias)
            state["aboutMap"] = about_map
        about_entity = (about_map.get(self.about_entity_name or "") or [None])[0] or data
        if self.fallback_entity_name:
            fallback = (about_map.get(self.fallback_entity_name) or [None])[0]
            if fallback:
                return deep_merged_clone(fallback, about_entity)
        return about_entity


def _hashable(x: Any) -> bool:
    return not isinstance(x, (dict, list))


def build_about_map(
    rs: Rules, pending: dict | None, keys: list[str] | None, entity: JSON, about_alias: str | None
) -> tuple[bool, dict[str, list]]:
    """The entities each pending resource of a field stands for in ``entity`` (reverting), and
    whether every required one is there."""
    about_map: dict[str, list] = {}
    required_ok = True
    if about_alias:
        about_map[about_alias] = [entity]
    if pending:
        vocab = rs.vocab
        for key in keys or ():
            if key in about_map:
                continue
            dfn = pending[key]
            rtype = dfn.get("resourceType")
            about_key = dfn.get("about")
            parents = [entity] if about_key is None else about_map.get(about_key)
            for parent in parents or ():
                if not isinstance(parent, dict):
                    continue
                link = dfn.get("link") or dfn.get("addLink")
                about = parent.get(link)
                if not about and dfn.get("infer") is True:
                    about = next((parent[p] for p in vocab.sub_properties(link) if parent.get(p)), None)
                if not about and dfn.get("absorbSingle"):
                    if vocab.is_instance(parent, rtype):
                        about = parent
                    else:
                        required_ok = False
                item_pos = dfn.get("itemPos")
                for pos, item in enumerate(as_list(about)):
                    if not item or not isinstance(item, dict) or (rtype and not vocab.is_instance(item, rtype)):
                        continue
                    if (pos == 0 and item_pos == "rest") or (pos > 0 and item_pos == "first"):
                        continue
                    about_map.setdefault(key, []).append(item)
                candidates = dfn.get("allowedTypesOnRevert")
                if candidates:
                    items = about_map.get(key)
                    selected: list = []
                    for t in candidates:
                        selected = [it for it in items or () if it.get("@type") == t]
                        if selected:
                            break
                    about_map[key] = selected
        if any(d.get("required") and k not in about_map for k, d in pending.items()):
            required_ok = False
    return required_ok, about_map


def compile_full(pattern: Any) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


class Handler(Part):
    """A handler of a whole field (fixed, control or data): what it links, and how repeated
    fields of its tag are grouped (``groupId``, ``linkEveryIfRepeated``)."""

    def __init__(self, ruleset: Rules, tag: str, dfn: JSON, base_tag: str | None = None):
        self.ruleset = ruleset
        self.tag = tag
        self.base_tag = base_tag or tag
        self.token_maps: dict = ruleset.token_maps
        self.defines_domain_entity_type: str | None = dfn.get("aboutType") or None
        self.about_entity_name = dfn.get("aboutEntity") or "?thing"
        self.fallback_entity_name = dfn.get("fallbackEntity")
        self.repeatable = "addLink" in dfn
        self.link: str | None = dfn.get("link") or dfn.get("addLink")
        self.resource_type: str | None = dfn.get("resourceType")
        self.ignored = dfn.get("ignored") is True
        self.group_id: str | None = dfn.get("groupId")
        self.embedded = dfn.get("embedded") is True
        self.only_subsequent_repeated = False
        lr = dfn.get("linkEveryIfRepeated")
        if dfn.get("linkSubsequentRepeated"):
            lr = dfn["linkSubsequentRepeated"]
            self.only_subsequent_repeated = True
        self.link_repeated: JSON | None = None
        if lr:
            self.link_repeated = {
                "link": lr.get("addLink") or lr.get("link"),
                "repeatable": "addLink" in lr,
                "resourceType": lr.get("resourceType"),
                "groupId": lr.get("groupId"),
                "embedded": lr.get("embedded"),
            }

    def link_rule(self, state: dict, field: JSON) -> JSON:
        """How this field links its entity: as its tag's rule says, or, for a repeated tag, as
        its rule for repeated fields says."""
        group = state["sourceMap"].get(self.base_tag) or []
        if self.link_repeated:
            if len(group) > 1:
                first = group[0] is field
                if not (first and self.only_subsequent_repeated):
                    rule = dict(self.link_repeated)
                    if rule["groupId"]:
                        rule["groupId"] = self.make_group_id(rule["groupId"], group, field, -1)
                    return rule
        return {
            "link": self.link,
            "repeatable": self.repeatable,
            "resourceType": self.resource_type,
            "groupId": self.make_group_id(self.group_id, group, field) if self.group_id else None,
            "embedded": self.embedded,
        }

    @staticmethod
    def make_group_id(group_id: str, group: list, field: JSON, offset: int = 0) -> str:
        """marcframe's group id of the fields of one tag (``$seq``: ``g<count>-<number>``)."""
        seq = next((f"g{len(group) + offset}-{i + 1 + offset}" for i, f in enumerate(group) if f is field), "null")
        return group_id.replace("$seq", seq, 1)
