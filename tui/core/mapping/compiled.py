"""The label mapping compiled for the conversion and the label view: for each format and tag,
its variants (when marcframe uses each) and, per variant, the targets of the field, its
indicators, subfields and fixed-field positions: the KBV path each becomes and marcframe's own
directive for the value (``raw``).

It is built from the same document the label view reads (``label-mapping.json`` through the one
loader, ``tui.core.mapping.label_mapping``), and variants are chosen by the one condition engine
(``tui.core.mapping.conditions``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from typing import Any

JSON = dict[str, Any]
#: marcframe's own key for what a record's MARC has that the mapping does not take
UNCOMPLETED = "_marcUncompleted"
#: values longer than this (no MARC field can hold one: ISO 2709 fields end at 9 999 bytes) are
#: not split by marcframe's value patterns, some of which take quadratic time on long values
MAX_PATTERN_VALUE = 10_000


def _raw(target: JSON | None) -> JSON:
    """The marcframe directive of a target; for one cut off in the summary, what survives."""
    if not target:
        return {}
    raw = target.get("raw")
    if isinstance(raw, dict) and "_truncated" in raw:
        return _repair_json(raw["_truncated"])
    return raw if isinstance(raw, dict) else {}


@lru_cache(maxsize=2048)
def _repair_json_text(text: str) -> str:
    """The longest prefix of cut-off JSON that parses once its open brackets are closed."""
    for end in range(len(text), 0, -1):
        head = text[:end].rstrip()
        if not head or head[-1] in ",:":
            continue
        stack: list[str] = []
        in_str = esc = False
        for ch in head:
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch in "{[":
                stack.append("}" if ch == "{" else "]")
            elif ch in "}]" and stack:
                stack.pop()
        if in_str or "]" in stack:
            continue  # a list cut short would say something else than the whole list
        candidate = head + "".join(reversed(stack))
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return candidate
    return "{}"


def _repair_json(text: str) -> JSON:
    try:
        out = json.loads(_repair_json_text(text))
    except ValueError:
        out = {}
    return out if isinstance(out, dict) else {}


@dataclass
class Step:
    prop: str
    cls: str | None = None


@dataclass
class Target:
    """One mapped element (the field itself, a subfield, an indicator or a fixed position)."""

    code: str
    entity: str
    steps: list[Step]  # entity steps below the root entity
    leaf: str | None  # the property the value goes to; None: the value is the entity (a link)
    tokenmap: dict | None
    uri: str | None
    raw: JSON
    ignored: bool = False
    path: str = ""
    start: int = 0
    end: int = 0
    value_rules: list[JSON] = dc_field(default_factory=list)

    @property
    def many_leaf(self) -> bool:
        r = self.raw
        if self.leaf is None or self.leaf == "@type":
            return bool(r.get("addLink"))
        return "addProperty" in r or ("addLink" in r and "property" not in r and "addProperty" not in r)

    @property
    def many_link(self) -> bool:
        """The last entity step is added as one more of a list (addLink) or set once (link)."""
        return "addLink" in self.raw

    @property
    def new_entity(self) -> bool:
        """This element starts a new entity at its last entity step (aboutNew / addLink / link+type)."""
        r = self.raw
        return bool(r.get("aboutNew")) or (
            ("addLink" in r or "link" in r)
            and bool(self.steps)
            and (r.get("addLink") or r.get("link")) == self.steps[-1].prop
        )


@dataclass
class Variant:
    when: str
    conditions: list[JSON]
    on_revert: JSON | None
    field: Target | None
    subfields: dict[str, Target]
    ind: dict[int, Target | None]
    positions: list[Target]
    #: its position in the tag's ``variants`` in the mapping document (for the label view)
    index: int = -1

    @property
    def is_revert_only(self) -> bool:
        return any(c.get("onRevert") for c in self.conditions) or self.on_revert is not None

    def subfield_order(self) -> list[str]:
        raw = _raw_field(self)
        order = raw.get("subfieldOrder")
        codes = list(self.subfields)
        if isinstance(order, str):
            seq = [c for c in order.split() if c != "..."]
            rest = [c for c in _DEFAULT_ORDER if c in codes and c not in seq]
            return seq + rest + [c for c in codes if c not in seq and c not in rest]
        return [c for c in _DEFAULT_ORDER if c in codes] + [c for c in codes if c not in _DEFAULT_ORDER]


_DEFAULT_ORDER = list("683") + list("abcdefghijklmnopqrstuvwxyz") + list("0124579")


def _raw_field(v: Variant) -> JSON:
    return v.field.raw if v.field else {}


@dataclass
class TagRules:
    fmt: str
    tag: str
    kind: str  # data / control / fixed
    variants: list[Variant]
    #: what choosing a variant for a MARC field looks at, worked out once
    #: (``tui.core.mapping.conditions.choose_variant``)
    _choice: tuple | None = dc_field(default=None, repr=False, compare=False)

    @property
    def choice(self) -> tuple[list[tuple[Variant, list[JSON], bool]], Variant | None]:
        """The conditional variants in order, each with its conditions on the field itself and
        whether it takes only the first of repeated fields; then the fallback (marcframe's
        ``(default)``, else the base entry)."""
        if self._choice is None:
            cands = [v for v in self.variants if not v.is_revert_only]
            conditional = [
                (v, [c for c in v.conditions if not c.get("first")], any(c.get("first") for c in v.conditions))
                for v in cands
                if v.conditions
            ]
            fallback = next((v for v in cands if v.when == "(default)"), None) or next(
                (v for v in cands if not v.conditions), None
            )
            self._choice = (conditional, fallback)
        return self._choice


class Mapping:
    """label-mapping.json, read for conversion."""

    def __init__(self, doc: JSON):
        self.doc = doc
        self.tokenmaps: dict[str, dict] = doc.get("tokenMaps") or {}
        #: tags compiled so far (the label view compiles only the tags it meets)
        self._rules: dict[tuple[str, str], TagRules | None] = {}
        self._formats: dict[str, dict[str, TagRules]] | None = None
        self._set_properties: set[str] = set()
        self._split_props: dict[str, list] | None = None

    def rules(self, fmt: str, tag: str) -> TagRules | None:
        key = (fmt, tag)
        try:
            return self._rules[key]
        except KeyError:
            pass
        tm = ((self.doc.get("formats") or {}).get(fmt) or {}).get(tag)
        rules = self._tag(fmt, tag, tm) if tm is not None else None
        if rules is not None and self._split_props is not None:
            self._fix_split(rules, self._split_props)
        self._rules[key] = rules
        return rules

    def tags(self, fmt: str) -> list[str]:
        return sorted((self.doc.get("formats") or {}).get(fmt) or {})

    @property
    def formats(self) -> dict[str, dict[str, TagRules]]:
        """Every tag of every format, compiled (what the conversion needs as a whole)."""
        self._complete()
        assert self._formats is not None
        return self._formats

    @property
    def set_properties(self) -> set[str]:
        """Properties marcframe mostly adds as one more of a list (addLink/addProperty) rather
        than sets once (link/property), counted over every directive, nested ones included: the
        shape of an entity a path passes through without a directive of its own."""
        self._complete()
        return self._set_properties

    def _complete(self) -> None:
        if self._formats is not None:
            return
        formats: dict[str, dict[str, TagRules]] = {}
        for fmt, tags in (self.doc.get("formats") or {}).items():
            formats[fmt] = {}
            for tag in tags:
                compiled = self.rules(fmt, tag)
                if compiled is not None:
                    formats[fmt][tag] = compiled
        many: dict[str, int] = {}
        one: dict[str, int] = {}

        def count(r: Any) -> None:
            if isinstance(r, dict):
                for k, v in r.items():
                    if k in ("addLink", "addProperty") and isinstance(v, str):
                        many[v] = many.get(v, 0) + 1
                    elif k in ("link", "property") and isinstance(v, str):
                        one[v] = one.get(v, 0) + 1
                    elif isinstance(v, (dict, list)):
                        count(v)
            elif isinstance(r, list):
                for x in r:
                    count(x)

        every = [
            t for rules in formats.values() for tr in rules.values() for v in tr.variants for t in self._targets(v)
        ]
        for t in every:
            count(t.raw)
        self._set_properties = {p for p, n in many.items() if n > one.get(p, 0)}
        # a directive cut off after its splitValuePattern gets the properties the same pattern
        # names elsewhere in the mapping
        split_props: dict[str, list] = {}
        for t in every:
            pat, props = t.raw.get("splitValuePattern"), t.raw.get("splitValueProperties")
            if isinstance(pat, str) and isinstance(props, list):
                split_props.setdefault(pat, props)
        for rules in formats.values():
            for tr in rules.values():
                self._fix_split(tr, split_props)
        self._split_props = split_props
        self._formats = formats

    def _fix_split(self, rules: TagRules, split_props: dict[str, list]) -> None:
        for v in rules.variants:
            for t in self._targets(v):
                pat = t.raw.get("splitValuePattern")
                if (
                    isinstance(pat, str)
                    and not isinstance(t.raw.get("splitValueProperties"), list)
                    and pat in split_props
                ):
                    t.raw = dict(t.raw, splitValueProperties=split_props[pat])

    @staticmethod
    def _targets(v: Variant) -> Iterator[Target]:
        if v.field:
            yield v.field
        yield from v.subfields.values()
        for t in v.ind.values():
            if t:
                yield t
        yield from v.positions

    def _tag(self, fmt: str, tag: str, tm: JSON) -> TagRules:
        variants = []
        raw_variants = tm.get("variants") or []
        base = next((v for v in raw_variants if not v.get("when")), None)
        for index, v in enumerate(raw_variants):
            subs_src = dict((base or {}).get("subfields") or {}) if v is not base else {}
            subs_src.update(v.get("subfields") or {})
            subs = {code: t for code, t in ((c, self._target(c, x)) for c, x in subs_src.items()) if t}
            ind = {}
            for n in (1, 2):
                t = v.get(f"ind{n}")
                if t is None and base is not None and v is not base:
                    t = base.get(f"ind{n}")
                ind[n] = self._target(f"i{n}", t) if t else None
            fld = v.get("field")
            if fld is None and base is not None and v is not base:
                fld = base.get("field")
            positions = []
            for p in v.get("positions") or []:
                t = self._target(f"[{p.get('start')}]", p)
                if t:
                    t.start, t.end = int(p.get("start", 0)), int(p.get("end", int(p.get("start", 0)) + 1))
                    positions.append(t)
            when = v.get("when") or ""
            on_revert = v.get("onRevert")
            if on_revert is None and when.startswith("onRevert:"):
                try:
                    on_revert = json.loads(when[len("onRevert:") :])
                except ValueError:
                    on_revert = None
            variants.append(
                Variant(
                    when=when,
                    conditions=list(v.get("conditions") or []),
                    on_revert=on_revert,
                    field=self._target("field", fld) if fld else None,
                    subfields=subs,
                    ind=ind,
                    positions=positions,
                    index=index,
                )
            )
        # marcframe's "inherit-match": a variant that is the named one plus its own entries
        by_when = {v.when: v for v in variants}
        for v in variants:
            src = v.field.raw.get("inherit-match") if v.field else None
            if isinstance(src, str) and src in by_when and by_when[src] is not v:
                other = by_when[src]
                for code, t in other.subfields.items():
                    v.subfields.setdefault(code, t)
                for n in (1, 2):
                    if v.ind.get(n) is None:
                        v.ind[n] = other.ind.get(n)
                if v.field and not v.field.steps and other.field is not None:
                    v.field = Target(
                        v.field.code,
                        other.field.entity,
                        other.field.steps,
                        None,
                        other.field.tokenmap,
                        other.field.uri,
                        {**other.field.raw, **v.field.raw},
                        False,
                        other.field.path,
                    )
        kind = tm.get("kind") or (
            "fixed" if any(v.positions for v in variants) else "control" if tag < "010" else "data"
        )
        return TagRules(fmt, tag, kind, variants)

    def _target(self, code: str, t: JSON | None) -> Target | None:
        if not t:
            return None
        raw = _raw(t)
        if t.get("displayOnly"):
            return None
        path = t.get("path") or ""
        if t.get("ignored") or raw.get("ignored") or path.startswith("(ignored") or raw is None:
            return Target(code, "", [], None, None, None, raw, ignored=True, path=path)
        entity = t.get("entity") or path.split(".", 1)[0].split(" ", 1)[0]
        steps_src = t.get("steps")
        if steps_src is None:
            steps_src = _parse_steps(path)
        tokenmap = t.get("tokenMap")
        if tokenmap is None and isinstance(raw.get("tokenMap"), (dict, str)):
            tokenmap = raw.get("tokenMap")
        if isinstance(tokenmap, str):
            tokenmap = self.tokenmaps.get(tokenmap)
        uri = t.get("uriTemplate") or raw.get("uriTemplate")
        if "punctuationChars" not in raw and isinstance(t.get("punctuation"), str):
            raw = dict(raw, punctuationChars=t["punctuation"])
        steps = [Step(s.get("property") or s.get("prop") or "", s.get("class")) for s in steps_src]
        leaf: str | None = None
        if steps:
            last = steps[-1]
            is_link = last.cls is not None or (
                code != "field" and uri and not ("property" in raw or "addProperty" in raw)
            )
            if code == "field" or is_link:
                leaf = None
            else:
                leaf = last.prop
                steps = steps[:-1]
        if code == "field":
            leaf = None
        return Target(
            code, entity, steps, leaf, tokenmap, uri, raw, False, path, value_rules=list(t.get("valueRules") or [])
        )


_STEP = re.compile(r"^(?P<prop>[^\[]+)(?:\[(?P<cls>[^\]]+)\])?$")


def _parse_steps(path: str) -> list[JSON]:
    p = path.split(" ", 1)[0]
    parts, buf, depth = [], "", 0
    for ch in p:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "." and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    out = []
    for s in parts[1:]:
        m = _STEP.match(s)
        if m:
            d = {"property": m.group("prop")}
            if m.group("cls"):
                d["class"] = m.group("cls")
            out.append(d)
    return out
