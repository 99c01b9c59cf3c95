"""Which mapping variant applies to a MARC field: the one condition engine of the mapping.

A tag's entry in the mapping has variants, each with the conditions under which marcframe uses
it (its ``when``: ``i2=1``, ``$2=sao``, ``$a =~ .+:\\s*$``, the first of repeated fields). The
label view and both directions of the conversion choose a field's variant here, so they can
never disagree about which rule a field falls under.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pymarc import Field

from tui.core.mapping.values import is_blank

if TYPE_CHECKING:
    from tui.core.mapping.compiled import TagRules, Variant


def _text(v: Any) -> str:
    """A subfield's value as text (a reader may leave ``None``)."""
    return v if isinstance(v, str) else ("" if v is None else str(v))


_LEADING_RUN = re.compile(r"^(?:\.[+*]|\((\[\^[^\]]+\])\+\))")


@lru_cache(maxsize=1024)
def search_regex(pattern: str) -> re.Pattern[str]:
    """A pattern that finds a match exactly when ``pattern`` does, in linear time.

    Marcframe's conditions often start with a greedy run (``.+:\\s*$``, ``([^,]+),...``); an
    unanchored ``search`` then retries the run from every position: quadratic, minutes for one
    huge field (a fuzz finding). Only *whether* it matches counts here, and a run of one or more
    characters before the rest matches exactly when one such character stands right before it:
    ``.+REST`` -> ``(?<=.)REST``, ``([^,]+)REST`` -> ``(?<=[^,])REST``; ``.*REST`` -> ``REST``.
    """
    m = _LEADING_RUN.match(pattern)
    if m and not pattern.startswith("^"):
        rest = pattern[m.end() :]
        try:
            if pattern.startswith(".*"):
                return re.compile(rest)
            return re.compile(f"(?<={m.group(1) or '.'})(?:{rest})")
        except re.error:
            pass
    return re.compile(pattern)


def condition_holds(cond: dict, fld: Field, leader: str = "", first_ok: bool = True) -> bool:
    """Whether one condition of a variant holds for ``fld`` (``first_ok``: no earlier field of
    the tag took this variant, for ``{"first": true}``). ``onRevert`` conditions belong to
    JSON-LD -> MARC only and never hold for a MARC field."""
    if cond.get("onRevert"):
        return False
    if "ind" in cond:
        inds: list[str] = list(fld.indicators or [])
        n = int(cond["ind"]) - 1
        val = (inds[n] if n < len(inds) else " ") or " "
        allowed = cond.get("in") or []
        return val in allowed or (is_blank(val) and any(is_blank(a) for a in allowed))
    if "sub" in cond:
        vals = [_text(sf.value) for sf in fld.subfields if sf.code == cond["sub"]]
        if "exists" in cond:
            return bool(vals) == bool(cond["exists"])
        if "in" in cond:
            return any(v in cond["in"] for v in vals)
        if "match" in cond:
            try:
                rx = search_regex(cond["match"])
            except re.error:
                return False
            return any(rx.search(v) for v in vals)
        return bool(vals)
    if "leader" in cond:
        pos = int(cond["leader"])
        return leader[pos : pos + 1] in (cond.get("in") or [])
    if cond.get("first"):
        return first_ok
    return True


def choose_variant(rules: TagRules, fld: Field, leader: str = "", earlier: Sequence[Field] = ()) -> Variant | None:
    """The variant the MARC side uses for ``fld``: the first conditional one whose conditions
    hold; marcframe's ``(default)`` when none does; the base entry last. ``earlier`` are the
    fields of the same tag before ``fld`` in the record: a variant for the first of repeated
    fields (``{"first": true}``) applies only when none of them meets its other conditions."""
    conditional, fallback = rules.choice
    for v, plain, first in conditional:
        if not all(condition_holds(c, fld, leader) for c in plain):
            continue
        if first and any(all(condition_holds(c, e, leader) for c in plain) for e in earlier):
            continue
        return v
    return fallback
