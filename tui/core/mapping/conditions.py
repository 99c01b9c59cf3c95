"""Which mapping rule applies to a MARC field: the one condition engine of the mapping.

Marcframe gives the rules of a tag with the conditions under which each applies (its ``when``:
``i2=1``, ``$2=sao``, ``$a =~ .+:\\s*$``, ``$t & i1=0``, ``$b | $c``). The conversion (``When``,
parsed from marcframe itself) and the label view (the same conditions as data in the label
mapping, plus its own "first of repeated fields") decide them here, with marcframe's meaning:
a subfield condition looks at the first subfield with that code, a pattern must match the whole
value, an indicator is compared as it is.
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


def first_value(pairs: Sequence[tuple[str, Any]], code: str) -> str | None:
    """The value of the first subfield ``code`` of a field (marcframe looks no further)."""
    for c, v in pairs:
        if c == code:
            return _text(v)
    return None


def value_matches(pattern: str, value: str) -> bool:
    """marcframe's ``=~``: ``pattern`` matches the whole value."""
    try:
        return _full_regex(pattern).fullmatch(value) is not None
    except re.error:
        return False


@lru_cache(maxsize=1024)
def _full_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_WHEN_PART = re.compile(r"(?:(?:\$(\w+)|i(1|2)|(\S+))(?:\s*(=~?)\s*(\S+))?)(?:\s*(&|\|)\s*)?")


class When:
    """A marcframe ``when`` (``$t & i1=0``, ``i2=7 & $2 =~ .+``, ``$b | $c``, ``@type=Person``)
    parsed once: the tests on a field, whether all or any must hold, the indicator values it
    fixes (written back on revert) and the subfield patterns the written values must meet."""

    __slots__ = ("tests", "every", "ind1", "ind2", "code_patterns", "match_domain")

    def __init__(self, when: str):
        self.tests: list[tuple[str, str, str | None, str | None]] = []
        self.every = True
        self.ind1: str | None = None
        self.ind2: str | None = None
        #: code -> (operator, value): what a value of that subfield must be to count
        self.code_patterns: dict[str, tuple[str, str | None]] = {}
        self.match_domain: str | None = None
        for m in _WHEN_PART.finditer(when):
            code, ind, term, op, value, joiner = m.groups()
            if joiner:
                self.every = joiner == "&"
            if code:
                if op:
                    self.code_patterns[code] = (op, value)
                    self.tests.append(("sub", code, op, value))
                else:
                    self.tests.append(("has", code, None, None))
            elif ind:
                self.tests.append(("ind", "ind" + ind, "=", value))
                if ind == "1":
                    self.ind1 = value
                else:
                    self.ind2 = value
            elif term == "@type":
                self.match_domain = value

    @staticmethod
    def _check(op: str | None, expected: str | None, value: Any) -> bool:
        if value is None:
            return False
        if op == "=~":
            return value_matches(expected or "", str(value))
        return value == expected

    def match_value(self, code: str, value: Any) -> bool:
        """Whether a value written into subfield ``code`` meets this rule's condition on it."""
        pat = self.code_patterns.get(code)
        return True if pat is None else self._check(pat[0], pat[1], value)

    def holds(self, field: dict) -> bool:
        """Whether the conditions hold for a field in marcframe's JSON shape
        (``{"ind1": ..., "ind2": ..., "subfields": [{code: value}, ...]}``)."""
        subs = field.get("subfields") or ()
        results = (self._test(t, field, subs) for t in self.tests)
        return all(results) if self.every else any(results)

    def _test(self, test: tuple, field: dict, subs: Any) -> bool:
        kind, key, op, expected = test
        if kind == "ind":
            return bool(field.get(key) == expected)
        for sub in subs:
            if isinstance(sub, dict) and key in sub:
                return True if kind == "has" else self._check(op, expected, sub[key])
        return False


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
        value = first_value([(sf.code, sf.value) for sf in fld.subfields], cond["sub"])
        if "exists" in cond:
            return (value is not None) == bool(cond["exists"])
        if value is None:
            return False
        if "in" in cond:
            return value in cond["in"]
        if "match" in cond:
            return value_matches(cond["match"], value)
        return True
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
