"""MARC21 <-> Libris XL JSON-LD, both directions driven by ONE declarative mapping.

The mapping is ``tui/data/label-mapping.json`` (built by ``tools/build_mapping.py`` from Libris's
own MARC mapping, marcframe, and documented in ``tui/data/MAPPING.md``): for every tag, indicator,
subfield and fixed-field position, the KBV property path it becomes (``Instance.hasTitle[Title]
.mainTitle``), under which conditions (``i2=1``, ``$2=sao``), with marcframe's own directive for
the value (``raw``: punctuation, token maps, URI templates, one value or many). The label view
reads the same file. There is no per-tag code here:

* **MARC -> JSON-LD** (``marc_to_jsonld``) follows each entry's path, creating the entities named
  by its classes, and sets the value where the path ends.
* **JSON-LD -> MARC** (``jsonld_to_marc``) runs the same entries the other way: for each tag and
  variant it finds the entities at the field's path, reads each subfield's value back along its
  path, and keeps a variant only if reading the produced field would choose that same variant
  again (so conditions such as ``$a =~ .+:\\s*$`` hold for what is written).

The JSON-LD this module speaks is Libris's *embedded* form of one record: the Record with its
``mainEntity`` (Instance, or Item for holdings) embedded, and the Work embedded in ``instanceOf``;
``tui.core.formats.jsonld`` turns files (flat ``@graph``, framed, holdings records) into it and back.

What a field does not map is not lost: it is kept in ``_marcUncompleted`` (marcframe's own
convention, ignored as RDF by the context) and written back as it was.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from pymarc import Field, Leader, Record, Subfield

from tui.core.model.record import ORPHAN
from tui.resources import data_dir

DATA = data_dir()
MAPPING_FILE = DATA / "label-mapping.json"
TYPE_MODEL_FILE = DATA / "kbv-type-model.json"

KBV = "https://id.kb.se/vocab/"
UNCOMPLETED = "_marcUncompleted"

JSON = dict[str, Any]
#: values longer than this (no MARC field can hold one: ISO 2709 fields end at 9 999 bytes) are
#: not split by marcframe's value patterns, some of which take quadratic time on long values
MAX_PATTERN_VALUE = 10_000


# ---------------------------------------------------------------------------------------------
# The mapping, as the converter reads it
# ---------------------------------------------------------------------------------------------


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


class Mapping:
    """label-mapping.json, read for conversion."""

    def __init__(self, doc: JSON):
        self.doc = doc
        self.tokenmaps: dict[str, dict] = doc.get("tokenMaps") or {}
        self.formats: dict[str, dict[str, TagRules]] = {}
        for fmt, tags in (doc.get("formats") or {}).items():
            self.formats[fmt] = {tag: self._tag(fmt, tag, tm) for tag, tm in tags.items()}
        #: properties marcframe mostly adds as one more of a list (addLink/addProperty) rather
        #: than sets once (link/property), counted over every directive, nested ones included:
        #: the shape of an entity a path passes through without a directive of its own
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

        for rules in self.formats.values():
            for tr in rules.values():
                for v in tr.variants:
                    for t in self._targets(v):
                        count(t.raw)
        self.set_properties: set[str] = {p for p, n in many.items() if n > one.get(p, 0)}
        # a directive cut off after its splitValuePattern gets the properties the same pattern
        # names elsewhere in the mapping
        split_props: dict[str, list] = {}
        for rules in self.formats.values():
            for tr in rules.values():
                for v in tr.variants:
                    for t in self._targets(v):
                        pat, props = t.raw.get("splitValuePattern"), t.raw.get("splitValueProperties")
                        if isinstance(pat, str) and isinstance(props, list):
                            split_props.setdefault(pat, props)
        for rules in self.formats.values():
            for tr in rules.values():
                for v in tr.variants:
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
        for v in raw_variants:
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
        steps = [Step(s.get("property") or s.get("prop"), s.get("class")) for s in steps_src]
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

    def rules(self, fmt: str, tag: str) -> TagRules | None:
        return self.formats.get(fmt, {}).get(tag)

    def tags(self, fmt: str) -> list[str]:
        return sorted(self.formats.get(fmt, {}))


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


@lru_cache(maxsize=4)
def _load(path: str) -> Mapping:
    with open(path, encoding="utf-8") as fh:
        return Mapping(json.load(fh))


def load_mapping(path: str | Path | None = None) -> Mapping:
    p = Path(path) if path else MAPPING_FILE
    if not p.is_file():
        raise FileNotFoundError(f"the MARC mapping {p} is missing (run tools/build_mapping.py)")
    return _load(str(p))


@lru_cache(maxsize=1)
def type_model() -> JSON:
    """The 2026 KBV type model (category on PhysicalResource/DigitalResource, the Work typed by its
    issuance) against the one MARC maps (Instance types, Work content types, issuanceType)."""
    with open(TYPE_MODEL_FILE, encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------------------------------------
# Conditions (the "when" of a variant), the same on both sides
# ---------------------------------------------------------------------------------------------


def _blank(c: str) -> bool:
    return c in (" ", "_", "#", "")


@lru_cache(maxsize=512)
def _condition_regex(pattern: str) -> tuple[re.Pattern[str], bool]:
    """A ``$x =~ pattern`` condition. A pattern starting with ``.+``/``.*`` finds a match iff
    it matches at the start, so it is matched there: searching from every position of a huge
    value would take quadratic time."""
    return re.compile(pattern), pattern.startswith((".+", ".*", "^"))


def condition_holds(cond: JSON, fld: Field, leader: str = "", first_ok: bool = True) -> bool:
    if cond.get("onRevert"):
        return False
    if "ind" in cond:
        val = (fld.indicators[int(cond["ind"]) - 1] if fld.indicators else " ") or " "
        allowed = cond.get("in") or []
        return val in allowed or (_blank(val) and any(_blank(a) for a in allowed))
    if "sub" in cond:
        vals = [sf.value for sf in fld.subfields if sf.code == cond["sub"]]
        if "exists" in cond:
            return bool(vals) == bool(cond["exists"])
        if "in" in cond:
            return any(v in cond["in"] for v in vals)
        if "match" in cond:
            try:
                rx, anchored = _condition_regex(cond["match"])
            except re.error:
                return False
            return any((rx.match(v) if anchored else rx.search(v)) for v in vals)
        return bool(vals)
    if "leader" in cond:
        pos = int(cond["leader"])
        return leader[pos : pos + 1] in (cond.get("in") or [])
    if cond.get("first"):
        return first_ok
    return True


def choose_variant(rules: TagRules, fld: Field, leader: str = "", seen: dict | None = None) -> Variant | None:
    """The variant the MARC side uses for ``fld``: the first whose conditions hold; marcframe's
    ``(default)`` when no condition holds; the base entry last."""
    cands = [v for v in rules.variants if not v.is_revert_only]
    conditional = [v for v in cands if v.conditions]
    seen = seen if seen is not None else {}
    for v in conditional:
        others = [c for c in v.conditions if not c.get("first")]
        if all(condition_holds(c, fld, leader) for c in others):
            if any(c.get("first") for c in v.conditions):
                key = (rules.tag, v.when)
                if seen.get(key):
                    continue
                seen[key] = True
            return v
    default = next((v for v in cands if v.when == "(default)"), None)
    if default:
        return default
    return next((v for v in cands if not v.conditions), None)


# ---------------------------------------------------------------------------------------------
# Values: punctuation, splitting, token maps, URIs, dates
# ---------------------------------------------------------------------------------------------


def _strip_punct(value: str, raw: JSON) -> str:
    v = value
    surround = raw.get("surroundingChars")
    chars = raw.get("punctuationChars") or ""
    lead = raw.get("leadingPunctuation")
    trail = raw.get("trailingPunctuation")
    if chars or surround:
        v = v.strip()
        changed = True
        while changed and len(v) > 1:
            changed = False
            if v[-1] in chars:
                v = v[:-1].rstrip()
                changed = True
        if surround and len(surround) == 2:
            if v.startswith(surround[0]):
                v = v[1:]
            if surround[1] in v:
                v = v[: v.rindex(surround[1])] + v[v.rindex(surround[1]) + 1 :]
            v = v.strip()
            changed = True
            while changed and len(v) > 1:
                changed = False
                if v[-1] in chars:
                    v = v[:-1].rstrip()
                    changed = True
    if (
        isinstance(trail, str)
        and trail.strip()
        and v.rstrip().endswith(trail.strip())
        and len(v.strip()) > len(trail.strip())
    ):
        v = v.rstrip()[: -len(trail.strip())].rstrip()
    if isinstance(lead, str) and lead.strip() and v.lstrip().startswith(lead.strip()):
        v = v.lstrip()[len(lead.strip()) :].lstrip()
    return v


def _expand_uri(template: str, token: str) -> str:
    if "{+_}" in template:
        return template.replace("{+_}", token)
    return template.replace("{_}", quote(token, safe=""))


def _extract_token(template: str, uri: str) -> str | None:
    key = "{+_}" if "{+_}" in template else "{_}"
    if key not in template:
        return None
    pre, post = template.split(key, 1)
    if uri.startswith(pre) and uri.endswith(post) and len(uri) >= len(pre) + len(post):
        tok = uri[len(pre) : len(uri) - len(post) if post else None]
        return tok if key == "{+_}" else unquote(tok)
    return None


_JAVA_DT = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


def _parse_datetime(value: str, pattern: str, tz: str | None) -> str | None:
    """marcframe's ``parseDateTime``: ``yyMMdd``, ``yyyyMMddHHmmss.S`` -> ISO date-time (Java style,
    with ``.0`` fraction), in the given zone (``CET``)."""
    fmt = pattern
    frac = ""
    if fmt.endswith(".S"):
        fmt = fmt[:-2]
        if "." in value:
            value, frac = value.split(".", 1)
    for j, p in _JAVA_DT:
        fmt = fmt.replace(j, p)
    try:
        dt = datetime.strptime(value.strip(), fmt)
    except ValueError:
        return None
    if "%y" in fmt and dt.year > datetime.now().year + 1:
        dt = dt.replace(year=dt.year - 100)
    try:
        dt = dt.replace(tzinfo=ZoneInfo(tz or "CET"))
    except Exception:  # pragma: no cover - tz database missing
        pass
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    off = dt.strftime("%z")
    off = f"{off[:3]}:{off[3:]}" if off else ""
    return f"{base}.{frac or '0'}{off}"


def _format_datetime(value: str, pattern: str, tz: str | None) -> str | None:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(.*)$", value or "")
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, rest = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    if rest and hh is not None:
        try:
            src = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if src.tzinfo is not None:
                dt = src.astimezone(ZoneInfo(tz or "CET")).replace(tzinfo=None)
                frac = frac or "0"
        except ValueError:
            pass
    fmt = pattern
    suffix = ""
    if fmt.endswith(".S"):
        fmt = fmt[:-2]
        suffix = "." + ((frac or "0")[:1])
    for j, p in _JAVA_DT:
        fmt = fmt.replace(j, p)
    return dt.strftime(fmt) + suffix


def _reverse_tokenmap(tm: dict, token: Any, overrides: Any = None) -> str | None:
    if isinstance(overrides, dict) and token in overrides:
        code = overrides[token]
        return None if code in ("|", None) else code
    found = None
    for code, tok in tm.items():
        if tok == token and tok is not None:
            found = code  # the last code for a token wins, as when marcframe inverts the map
    return None if found is None else " " if found == "_" else found


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _types(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    return [t for t in _as_list(node.get("@type")) if isinstance(t, str)]


def _literal(v: Any) -> str | None:
    """A MARC value for a JSON-LD value: strings, numbers, booleans, ``{"@value": ...}``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and "@value" in v:
        return _literal(v["@value"])
    return None


def _by_lang(node: dict, prop: str, lang: str = "sv") -> str | None:
    d = node.get(f"{prop}ByLang")
    if isinstance(d, dict) and d:
        v = d.get(lang) or d.get("sv") or d.get("en") or next(iter(d.values()))
        v = v[0] if isinstance(v, list) and v else v
        return v if isinstance(v, str) else None
    return None


# ---------------------------------------------------------------------------------------------
# MARC -> JSON-LD
# ---------------------------------------------------------------------------------------------


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
        for cur in _as_list(node.get(prop)):
            if isinstance(cur, dict) and cur.get("@id") == value["@id"]:
                for k, v in value.items():
                    cur.setdefault(k, v)
                return
    if many:
        cur = node.get(prop)
        if cur is None:
            node[prop] = [value]
        else:
            cur = _as_list(cur)
            if value not in cur or isinstance(value, dict) and not value.get("@id"):
                cur.append(value)
            node[prop] = cur
    elif prop in node and node[prop] != value:
        cur = _as_list(node[prop])
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
        self.seen_variants: dict = {}
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
            last = _as_list(cur)[-1]
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
            rules = self.m.rules(self.fmt, f.tag)
            if rules is None:
                self.uncompleted.append(_field_json(f))
                continue
            if f.is_control_field():
                if rules.kind == "fixed":
                    self._fixed(f.tag, f.data or "", f)
                else:
                    self._control(rules, f)
            else:
                self._data(rules, f)
        return self._finish()

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
                    if not v.is_revert_only
                    and all(
                        condition_holds(c, Field(tag="999", indicators=[" ", " "], subfields=[]), self.leader)
                        for c in v.conditions
                    )
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
            v = _parse_datetime(chunk, raw["parseDateTime"], raw.get("timeZone"))
            if v is None:
                return
            self._subvalue(None, None, self.root(t.entity), t, v, scope)
            return
        if raw.get("parseZeroPaddedNumber") and chunk.strip().isdigit():
            self._subvalue(None, None, self.root(t.entity), t, int(chunk.strip()), scope)
            return
        self._subvalue(None, None, self.root(t.entity), t, chunk.strip() if t.uri else chunk, scope)

    def _control(self, rules: TagRules, f: Field) -> None:
        variant = choose_variant(rules, f, self.leader, self.seen_variants)
        t = variant.field if variant else None
        if t is None or t.ignored:
            if t is None:
                self.uncompleted.append(_field_json(f))
            return
        raw = t.raw
        value = f.data or ""
        if raw.get("parseDateTime"):
            v = _parse_datetime(value, raw["parseDateTime"], raw.get("timeZone"))
            if v is None:
                self.uncompleted.append(_field_json(f))
                return
            value = v
        prop = raw.get("property") or raw.get("addProperty") or raw.get("link") or raw.get("addLink")
        root = self.root(t.entity)
        if t.uri:
            rx = raw.get("matchUriToken")
            if rx and not re.search(rx, value):
                self.uncompleted.append(_field_json(f))
                return
            _add(root, prop, {"@id": _expand_uri(t.uri, value)}, "addLink" in raw)
            return
        if not prop:
            self.uncompleted.append(_field_json(f))
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
        variant = choose_variant(rules, f, self.leader, self.seen_variants)
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
                elif not _blank(ind) and ind != str(t.raw.get("marcDefault", " ")):
                    unhandled.append(f"ind{n}")
                continue
            md = t.raw.get("marcDefault")
            if _blank(ind) or (md is not None and ind == md):
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
            parent = _as_list(nxt)[-1] if nxt else {}
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
        if ft is not None and (
            t.entity == ft.entity
            and len(t.steps) >= len(fsteps)
            and [s.prop for s in t.steps[: len(fsteps)]] == [s.prop for s in fsteps]
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
                node["@id"] = _expand_uri(t.uri, value)
            if leaf:
                _add(node, leaf, value, t.many_leaf)
            return
        if isinstance(value, str):
            value = _strip_punct(value, raw)
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
                    target["@id"] = _expand_uri(t.uri, tok)
                    return
                if leaf is None:
                    prop = raw.get("addLink") or raw.get("link")
                    if prop:
                        _add(node, prop, {"@id": _expand_uri(t.uri, tok)}, "addLink" in raw)
                    return
                node["@id"] = _expand_uri(t.uri, tok)
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
            v = _parse_datetime(value, raw["parseDateTime"], raw.get("timeZone"))
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
        _absorb_term_lists(self.thing)
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


def _absorb_term_lists(node: Any) -> None:
    """A term built as a ``termComponentList`` of one component *is* that component; with more,
    it is a ``ComplexSubject`` whose label is the components joined with ``--`` (marcframe)."""
    if isinstance(node, list):
        for x in node:
            _absorb_term_lists(x)
        return
    if not isinstance(node, dict):
        return
    for v in list(node.values()):
        _absorb_term_lists(v)
    comps = node.get("termComponentList")
    if not isinstance(comps, list) or not comps:
        return
    own = node.get("prefLabel")
    if isinstance(own, str) and comps:
        # the term's own heading ($a) is the first component of a complex one
        first = {"@type": (_types(node) or ["Topic"])[0], "prefLabel": own}
        comps = [first] + comps
        node["termComponentList"] = comps
        del node["prefLabel"]
    if len(comps) == 1 and isinstance(comps[0], dict):
        only = comps[0]
        del node["termComponentList"]
        for k, v in only.items():
            if k == "@type" and node.get("@type"):
                continue
            node.setdefault(k, v)
    elif len(comps) > 1:
        node["@type"] = "ComplexSubject"
        labels = [c.get("prefLabel") for c in comps if isinstance(c, dict) and isinstance(c.get("prefLabel"), str)]
        if labels and "prefLabel" not in node:
            node["prefLabel"] = "--".join(labels)


def marc_to_jsonld(record: Record, mapping: Mapping | None = None) -> JSON:
    """One MARC21 record (bib or holdings) as Libris JSON-LD, embedded form (Record with its
    ``mainEntity``)."""
    return _Converter(mapping or load_mapping(), record).convert()


# ---------------------------------------------------------------------------------------------
# JSON-LD -> MARC
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def vocab_graph():
    """The KBV vocabulary subset shipped in ``data/kbv.ttl`` (rdflib graph, parsed once)."""
    from rdflib import Graph

    return Graph().parse(DATA / "kbv.ttl", format="turtle")


@lru_cache(maxsize=1)
def terms_graph():
    """Labels and codes of linked terms, ``data/kbv-terms.ttl`` (rdflib graph, parsed once)."""
    from rdflib import Graph

    return Graph().parse(DATA / "kbv-terms.ttl", format="turtle")


@lru_cache(maxsize=1)
def superclasses() -> dict[str, set[str]]:
    """KBV class -> every class it is a subclass of (itself included), from the shipped vocabulary."""
    from rdflib import RDFS

    g = vocab_graph()
    ns = {"https://id.kb.se/vocab/": "", "https://id.kb.se/marc/": "marc:"}

    def short(u) -> str:
        s = str(u)
        for base, pre in ns.items():
            if s.startswith(base):
                return pre + s[len(base) :]
        return s

    out: dict[str, set[str]] = {}
    for s in set(g.subjects(RDFS.subClassOf, None)):
        out[short(s)] = {short(o) for o in g.transitive_objects(s, RDFS.subClassOf)}
    return out


def is_a(types: Iterable[str], cls: str) -> bool:
    sup = superclasses()
    return any(t == cls or cls in sup.get(t, ()) for t in types)


@lru_cache(maxsize=1)
def term_codes() -> dict[str, str]:
    """Linked term URI -> its code (``https://id.kb.se/relator/author`` -> ``aut``), from the
    shipped term data."""
    from rdflib import URIRef

    g = terms_graph()
    code = URIRef("https://id.kb.se/vocab/code")
    return {str(s): str(o) for s, o in g.subject_objects(code)}


@lru_cache(maxsize=1)
def marc21_fields() -> JSON:
    with open(DATA / "marc21-fields.json", encoding="utf-8") as fh:
        return json.load(fh)


class _Reverter:
    def __init__(self, mapping: Mapping, data: JSON, prov: list | None = None):
        self.m = mapping
        self.data = expand_complex_terms(legacy_types(data))
        self.record: JSON = self.data
        thing = self.data.get("mainEntity")
        self.thing: JSON = thing if isinstance(thing, dict) else {}
        work = self.thing.get("instanceOf")
        self.work: JSON = work if isinstance(work, dict) else {}
        self.fmt = "hold" if "Item" in _types(self.thing) or "heldBy" in self.thing else "bib"
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
                for v in _as_list(n.get(st.prop)):
                    if not isinstance(v, dict):
                        continue
                    if st.cls and not self._type_ok(v, st.cls, entity if (top and i == 0) else "", st.prop):
                        continue
                    nxt.append(v)
            nodes = nxt
        return nodes

    def _type_ok(self, node: JSON, cls: str, entity: str = "", prop: str = "") -> bool:
        ts = _types(node)
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
            vals = _types(node) if leaf in ("@type", None) and not t.uri else _as_list(node.get(leaf))
            for v in vals:
                tok = v if isinstance(v, (str, bool)) else (v.get("@id") if isinstance(v, dict) else None)
                code = (
                    _reverse_tokenmap(t.tokenmap, tok, raw.get("reverseTokenMapOverrides")) if tok is not None else None
                )
                if code is None and isinstance(tok, str) and t.uri:
                    x = _extract_token(t.uri, tok)
                    code = _reverse_tokenmap(t.tokenmap, x) if x else None
                if code is None and isinstance(v, dict) and isinstance(v.get("code"), str):
                    code = _reverse_tokenmap(t.tokenmap, v["code"])
                if code is not None:
                    out.append(code)
            if not out and t.uri and isinstance(node.get("@id"), str):
                x = _extract_token(t.uri, node["@id"])
                code = _reverse_tokenmap(t.tokenmap, x) if x else None
                if code is not None:
                    out.append(code)
            return out
        if t.uri:
            if leaf is None:
                prop = raw.get("addLink") or raw.get("link")
                links = [node] if t.steps or not prop else _as_list(node.get(prop))
                out = []
                for v in links:
                    if isinstance(v, dict) and isinstance(v.get("@id"), str):
                        tok = _extract_token(t.uri, v["@id"])
                        if tok is not None:
                            out.append(tok)
                return out
            vals = [s for s in (_literal(v) for v in _as_list(node.get(leaf))) if s is not None]
            if not vals and isinstance(node.get("@id"), str):
                tok = _extract_token(t.uri, node["@id"])
                code = term_codes().get(node["@id"]) if leaf == "code" else None
                if code and tok != code:
                    tok = code
                if tok is not None:
                    vals = [tok]
            return [self._punct(v, t) for v in vals]
        if leaf is None:
            return [self._punct(s, t) for s in (_literal(x) for x in _as_list(node.get("label"))) if s]
        if leaf == "@type":
            return [x for x in _types(node)]
        props = raw.get("splitValueProperties")
        if (
            isinstance(props, list)
            and raw.get("splitValuePattern")
            and leaf in props
            and node.get(props[0]) is not None
        ):
            parts = [_literal(_as_list(node.get(p))[0]) if node.get(p) is not None else None for p in props]
            rejoin = raw.get("rejoin")
            if rejoin and any(parts[1:]):
                val = parts[0] + "".join(rejoin + p for p in parts[1:] if p) + (raw.get("joinEnd") or "")
            else:
                val = parts[0] or ""
            return [self._punct(val, t)] if val else []
        vals = _as_list(node.get(leaf))
        if not vals:
            lv = _by_lang(node, leaf)
            vals = [lv] if lv else []
        if not vals:
            rebuilt = self._from_value_rules(node, t)
            if rebuilt is not None:
                return [rebuilt]
        res = []
        for v in vals:
            s = _literal(v)
            if s is None:
                continue
            if raw.get("parseDateTime"):
                s = _format_datetime(s, raw["parseDateTime"], raw.get("timeZone")) or s
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
            vals = {p: (_literal(_as_list(node.get(p))[0]) if node.get(p) is not None else "") for p in props}
            out = template.replace("{_}", vals.get(props[0]) or "")
            for p, v in vals.items():
                out = out.replace("{" + p + "}", v or "")
            return out
        cast = t.raw.get("castProperty")
        if isinstance(cast, str) and node.get(cast) is not None:
            return _literal(_as_list(node.get(cast))[0])
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
        for d in _as_list(self.record.get(UNCOMPLETED)):
            if not isinstance(d, dict):
                continue
            tag = next((k for k in d if not k.startswith("_")), None)
            if tag is None or (d.get("_unhandled") and produced.get(tag)):
                continue
            f = _json_field(tag, d[tag])
            if f is not None:
                lst = produced.setdefault(tag, [])
                pos = d.get("_order")
                lst.insert(min(pos, len(lst)) if isinstance(pos, int) else len(lst), f)
        for tag in sorted(produced):
            seen: list = []
            for f in produced[tag]:
                key = (
                    f.data
                    if f.is_control_field()
                    else (tuple(f.indicators), tuple((sf.code, sf.value) for sf in f.subfields))
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
        for v in rules.variants:
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
            for val in _as_list(self.root(t.entity).get(prop)):
                if t.uri:
                    s = _extract_token(t.uri, val.get("@id", "")) if isinstance(val, dict) else None
                    rx = raw.get("matchUriToken")
                    if s is not None and rx and not re.search(rx, s):
                        s = None
                else:
                    s = _literal(val)
                    if s is not None and raw.get("parseDateTime"):
                        s = _format_datetime(s, raw["parseDateTime"], raw.get("timeZone"))
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
            groups.setdefault((ft.entity, tuple((s.prop, s.cls) for s in ft.steps)), []).append(v)
        results: list[tuple[int, Field, list]] = []
        done: set[int] = set()
        seq = 0
        for _key, vs in groups.items():
            ft = vs[0].field
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
            for i, v in enumerate(_as_list(p.get(ft.steps[-1].prop))):
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
                inds = list(f.indicators)
                for n in (1, 2):
                    if f"ind{n}" in then:
                        inds[n - 1] = then[f"ind{n}"]
                f.indicators = inds
                return f, used
            chosen = choose_variant(rules, f, "", {})
            if chosen is v or (chosen is not None and _same_subs(chosen, v, f)):
                return f, used
        return None

    def _field(self, rules: TagRules, v: Variant, node: JSON, root: JSON):
        ft = v.field
        fsteps = ft.steps
        fprops = [s.prop for s in fsteps]
        items: list[tuple[tuple, str, str]] = []
        used: list = []
        order = v.subfield_order()
        first_node = None
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
                    lst = _as_list(p.get(rel[-1].prop))
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
        f = Field(tag=rules.tag, indicators=inds, subfields=out)
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
                if v not in _types(node):
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


def expand_complex_terms(data: Any) -> Any:
    """The inverse of building a ``ComplexSubject``: its first component is the term (``$a``), the
    rest stay its ``termComponentList`` (``$x $y $z $v``)."""
    if isinstance(data, list):
        return [expand_complex_terms(x) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for k, v in data.items():
        v = expand_complex_terms(v)
        if k in _TERM_PROPS:
            v = [_linked_term(x) for x in v] if isinstance(v, list) else _linked_term(v)
        out[k] = v
    comps = out.get("termComponentList")
    if "ComplexSubject" in _types(out) and isinstance(comps, list) and comps:
        first = comps[0] if isinstance(comps[0], dict) else {}
        out["@type"] = (_types(first) or ["Topic"])[0]
        label = first.get("prefLabel") or _by_lang(first, "prefLabel") or _term_label(first.get("@id"))
        if label:
            out["prefLabel"] = label
        elif "prefLabel" in out:
            out.pop("prefLabel")
        rest = comps[1:]
        if rest:
            out["termComponentList"] = [
                dict(c, prefLabel=c.get("prefLabel") or _term_label(c.get("@id")))
                if isinstance(c, dict) and not c.get("prefLabel") and c.get("@id")
                else c
                for c in rest
            ]
        else:
            out.pop("termComponentList")
    return out


_TERM_PROPS = {"subject", "genreForm", "termComponentList"}
_TERM_URI = re.compile(r"^https?://id\.kb\.se/term/([^/]+)/([^/#]+)$")


def _linked_term(node: Any) -> Any:
    """A subject or genre linked by URI only (``https://id.kb.se/term/sao/Historiker``) spelled
    out as MARC needs it: its heading and its scheme, both in the URI."""
    if not isinstance(node, dict) or set(node) - {"@id", "@type"}:
        return node
    m = _TERM_URI.match(node.get("@id") or "")
    if not m:
        return node
    scheme = m.group(1)
    out = dict(node)
    out.setdefault("@type", "GenreForm" if scheme.endswith("gf") else "Topic")
    out["prefLabel"] = unquote(m.group(2))
    out["inScheme"] = {"@id": f"https://id.kb.se/term/{scheme}", "@type": "ConceptScheme", "code": scheme}
    return out


def _term_label(uri: Any) -> str | None:
    """The heading of a linked term whose URI spells it (``https://id.kb.se/term/sao/Historiker``)."""
    if not isinstance(uri, str):
        return None
    m = re.match(r"^https?://id\.kb\.se/term/[^/]+/([^/#]+)$", uri)
    return unquote(m.group(1)) if m else None


def _json_field(tag: str, body: Any) -> Field | None:
    if isinstance(body, str):
        return Field(tag=tag, data=body)
    if isinstance(body, dict):
        subs = []
        for sf in body.get("subfields") or []:
            for code, val in sf.items():
                subs.append(Subfield(code, val if isinstance(val, str) else str(val)))
        return Field(tag=tag, indicators=[body.get("ind1", " ") or " ", body.get("ind2", " ") or " "], subfields=subs)
    return None


def legacy_types(data: JSON) -> JSON:
    """The record in the type model MARC maps: the 2026 model (``PhysicalResource``/
    ``DigitalResource`` with ``category``, the Work typed by issuance) is read back into Instance
    types, Work content types and ``issuanceType`` (table in ``data/kbv-type-model.json``)."""
    data = copy.deepcopy(data)
    thing = data.get("mainEntity")
    if not isinstance(thing, dict):
        return data
    tm = type_model()
    work = thing.get("instanceOf") if isinstance(thing.get("instanceOf"), dict) else None
    issuance = set(tm["issuanceTypes"])
    if work is not None:
        wtypes = _types(work)
        if wtypes and wtypes[0] in issuance:
            thing.setdefault("issuanceType", wtypes[0])
            cats = [c.get("@id") for c in _as_list(work.get("category")) if isinstance(c, dict)]
            new = next((tm["workTypeFromCategory"][c] for c in cats if c in tm["workTypeFromCategory"]), "Work")
            work["@type"] = new
    for rule in tm.get("derived", []):
        node = work if rule.get("entity") == "Work" else thing
        if node is None or rule["to"] in node:
            continue
        src = next(
            (x for x in _as_list(node.get(rule["from"])) if isinstance(x, dict) and rule["type"] in _types(x)), None
        )
        if src is not None:
            derived = {"@type": rule["as"]}
            derived.update({p: src[p] for p in rule["properties"] if p in src})
            if len(derived) > 1:
                node[rule["to"]] = derived
    ttypes = _types(thing)
    if ttypes and ttypes[0] in tm["instanceTypeFromCategory"]:
        table = tm["instanceTypeFromCategory"][ttypes[0]]
        cats = [c.get("@id") for c in _as_list(thing.get("category")) if isinstance(c, dict)]
        thing["@type"] = next((table[c] for c in cats if c in table), table.get("*", "Instance"))
    return data


def jsonld_to_marc(data: JSON, mapping: Mapping | None = None, provenance: dict | None = None) -> Record:
    """One Libris record in embedded form (Record + ``mainEntity``) as a MARC21 record.

    ``provenance``, when given, is filled with ``(node path, property) -> [(tag, occurrence,
    subfield index, code)]``: where each value of the data went (``node path`` as
    ``mainEntity/hasTitle/0``; the record itself is ``""``)."""
    return _Reverter(mapping or load_mapping(), data, provenance).revert()
