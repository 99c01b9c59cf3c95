"""Libris's display definitions: which properties show an entity (the lenses) and the text around
them (the Fresnel formats), as the Libris client writes an entity on one line.

Both come from ``tui/data/display-lenses.json`` (built by ``tools/build_vocab.py`` from
libris/definitions ``display.jsonld``, Apache-2.0): ``lensGroups`` (``chips``, ``cards``,
``full``: the properties of a class in display order) and ``formatters`` (``fresnel:Format``:
for a class and/or property, the ``contentBefore`` / ``contentFirst`` / ``contentAfter`` /
``contentLast`` of the resource, the property, or each value).

How a format is found, as Libris finds it: for a property of a resource of class C, the format
of ``C/property``, then of C's superclasses (nearest first), then of the property alone, then
``C/*`` and its superclasses'; the first that says anything about the part asked for (the
property, or its values) wins. The resource itself takes the format of its class. Around a part:
the first takes ``contentFirst`` (when the format gives a ``contentBefore``), the others
``contentBefore``; the last takes ``contentLast`` (when there is a ``contentAfter``), the others
``contentAfter``; a part that writes nothing writes no separators either. So "Holmberg, Åke,
1907-1991" is the ``chips`` lens of Person (familyName, givenName, lifeSpan) with the comma
before a given name and a life span, and a contribution's roles come in brackets after its agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tui.core.mapping import vocab
from tui.core.mapping.marcframe import load_vocabulary
from tui.core.mapping.values import as_list, types_of

WILD = "*"
F = "fresnel:"


@lru_cache(maxsize=1)
def display_data() -> dict:
    try:
        return json.loads((vocab.DATA / "display-lenses.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def lens_groups() -> dict:
    return display_data().get("lensGroups", {})


@lru_cache(maxsize=4096)
def class_chain(cls: str) -> tuple[str, ...]:
    """``cls`` and its superclasses, the nearest first (the one with most superclasses of its own
    is the most specific)."""
    sup = load_vocabulary().superclasses
    rest = sorted(sup.get(cls, ()), key=lambda c: (-len(sup.get(c, ())), c))
    return (cls, *rest)


def lens_for(group: str, types: list[str]) -> list | None:
    """The lens of ``group`` (``chips``, ``cards``, ``full``) for an entity of ``types``: its own
    class's, else its nearest superclass's."""
    lenses = lens_groups().get(group, {})
    for t in types:
        if t in lenses:
            return lenses[t]
    for t in types:
        for s in class_chain(t)[1:]:
            if s in lenses:
                return lenses[s]
    return None


def lens_properties(lens: list) -> list[list[str]]:
    """The lens's entries as lists of alternatives (``alternateProperties``: the first present)."""
    out: list[list[str]] = []
    for p in lens:
        if isinstance(p, str):
            out.append([p])
        elif isinstance(p, dict):
            alts = [a for a in p.get("alternateProperties") or () if isinstance(a, str)]
            if alts:
                out.append(alts)
    return out


@dataclass(frozen=True)
class Around:
    """What a format puts around a part (``None``: it says nothing)."""

    before: str | None = None
    after: str | None = None
    first: str | None = None
    last: str | None = None

    def wrap(self, text: str, is_first: bool, is_last: bool) -> str:
        if not text:
            return ""  # a part that shows nothing gets no separators either
        if self.before is not None and is_first:
            pre = self.first or ""
        else:
            pre = self.before or ""
        if self.after is not None and is_last:
            post = self.last or ""
        else:
            post = self.after or ""
        return pre + text + post


NOTHING = Around()


def _around(d: Any) -> Around | None:
    if not isinstance(d, dict):
        return None
    return Around(
        d.get(F + "contentBefore"), d.get(F + "contentAfter"), d.get(F + "contentFirst"), d.get(F + "contentLast")
    )


class Formats:
    """The ``fresnel:Format`` table, indexed by ``Class/property``, ``Class`` and ``property``."""

    def __init__(self, formatters: dict):
        self.index: dict[str, dict] = {}
        for f in formatters.values():
            classes = f.get(F + "classFormatDomain") or []
            props = f.get(F + "propertyFormatDomain") or []
            if classes and props:
                keys = [f"{c}/{p}" for c in classes for p in props]
            else:
                keys = list(classes or props)
            for k in keys:
                self.index[k] = f

    def _find(self, cls: str, prop: str, part: str) -> Around:
        chain = class_chain(cls) if cls else ()
        for key in [f"{c}/{prop}" for c in chain] + [prop] + [f"{c}/{WILD}" for c in chain]:
            f = self.index.get(key)
            if f is not None and f.get(F + part) is not None:
                return _around(f[F + part]) or NOTHING
        return NOTHING

    def property(self, cls: str, prop: str) -> Around:
        return self._find(cls, prop, "propertyFormat")

    def value(self, cls: str, prop: str) -> Around:
        return self._find(cls, prop, "valueFormat")

    def resource(self, cls: str) -> Around:
        for c in class_chain(cls) if cls else ():
            f = self.index.get(c)
            if f is not None and f.get(F + "resourceFormat") is not None:
                return _around(f[F + "resourceFormat"]) or NOTHING
        return NOTHING


@lru_cache(maxsize=1)
def formats() -> Formats:
    return Formats(display_data().get("formatters") or {})


#: how a value that links to another entity (has an ``@id``) is written: its text, or None to
#: leave it out (the caller knows the linked terms' labels and the URI templates)
LinkText = Callable[[dict], "str | None"]


def pick_lang(v: Any, lang: str) -> Any:
    if isinstance(v, dict) and v and all(isinstance(k, str) and "@" not in k for k in v):
        return v.get(lang) or v.get("sv") or v.get("en") or next(iter(v.values()))
    return v


def format_entity(node: dict, lang: str, link_text: LinkText, group: str = "chips", depth: int = 0) -> str:
    """``node`` on one line the way the Libris client writes it: the properties of its ``group``
    lens, each value in the lens of its own class, with the formats' separators. Empty when the
    lens selects nothing the node has."""
    types = types_of(node)
    lens = lens_for(group, types) if types else None
    if lens is None or depth > 6:
        return ""
    cls = types[0]
    fm = formats()
    selected: list[tuple[str, list]] = []
    for alts in lens_properties(lens):
        for a in alts:
            vals = as_list(node.get(a))
            if not vals and node.get(a + "ByLang") is not None:
                vals = as_list(pick_lang(node[a + "ByLang"], lang))
            if vals:
                selected.append((a, vals))
                break
    parts: list[str] = []
    shown = [
        (p, [t for t in (_value_text(v, lang, link_text, group, depth) for v in vals) if t]) for p, vals in selected
    ]
    shown = [(p, texts) for p, texts in shown if texts]
    for i, (p, texts) in enumerate(shown):
        va = fm.value(cls, p)
        inner = "".join(va.wrap(t, j == 0, j == len(texts) - 1) for j, t in enumerate(texts))
        parts.append(fm.property(cls, p).wrap(inner, i == 0, i == len(shown) - 1))
    return fm.resource(cls).wrap("".join(parts), True, True)


def _value_text(v: Any, lang: str, link_text: LinkText, group: str, depth: int) -> str | None:
    if isinstance(v, dict) and "@value" in v:
        v = v["@value"]
    if isinstance(v, dict):
        if "@id" in v:  # a link: its term's label, its own description or what its URI says
            return link_text(v)
        return format_entity(v, lang, link_text, group, depth + 1) or None
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        s = str(v).strip()
        return s or None
    return None


__all__ = ["Around", "Formats", "formats", "format_entity", "lens_for", "lens_groups", "lens_properties", "class_chain"]
