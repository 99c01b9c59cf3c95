"""MARC 21 content checks: a record's tags, indicators, subfield codes and fixed fields against the
definitions of its format (bibliographic, holdings or authority, from leader/06).

The definitions are data: ``tui/data/marc21.json`` through ``tui.core.model.marc21defs`` (tags,
indicators, codes) and ``tui/data/fixed-fields.json`` through ``tui.core.editing.fixedfields``
(the positions of the leader, 006, 007 and 008 with their code lists). Each check says its
finding under a rule of the rule table (``tui/data/rules.toml``, kind ``content``), which gives
its severity and sentence:

* MARC-TAG: a tag the format does not define, or defines as obsolete;
* MARC-REPEAT: a non-repeatable field or subfield code repeated;
* MARC-INDICATOR: an indicator value not defined for the tag, or obsolete;
* MARC-SUBFIELD: a subfield code not defined for the tag, or obsolete;
* MARC-REQUIRED: a subfield code the definitions require missing from its field (and a
  required field missing from the record, where a schedule says so);
* MARC-FIXED: the length of 006, 007 (by category of material) and the holdings and authority
  008 (the bibliographic 008 is STRUCT-008's), and each coded position of the leader, 006, 007 and
  008 (by record type and material) against its code list;
* MARC-880: the $6 linkage between an 880 and the field it stands beside, both ways;
* MARC-LOCAL: local tags (9XX, X9X) and the fields Libris defined itself are allowed; they are
  not checked against MARC 21 (no finding; the field help names them so).

What the structure checks already say (an indicator or code that is no valid character, the
fill character, orphan text, a second 001, 008 or 245) is not said again here.

Speed: what a data field can be found to have wrong depends only on its tag, indicators and
codes, so the findings are worked out once per such shape (``Checker._shape``) and looked up
for every field of that shape after; only fields with $6 and the fixed fields look at values.

``Checker`` runs the checks for one ``marc21defs.Format`` and a source of fixed-field layouts:
``checker_for(leader)`` gives the shipped formats' checkers; the Avram test suite builds its own
from Avram schemas (tests/unit/test_avram_suite.py) and runs the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from tui.core.model import marc21defs
from tui.core.model.marc21defs import Format, Tag
from tui.core.rules import table

#: what the content checks can be told not to do (the Avram options they support); all on
CHECKS = (
    "undefinedField",
    "deprecatedField",
    "nonrepeatableField",
    "missingField",
    "invalidIndicator",
    "undefinedSubfield",
    "deprecatedSubfield",
    "nonrepeatableSubfield",
    "missingSubfield",
    "invalidPosition",
    "linkage",
)

_VALID_CODES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_VALID_INDS = frozenset(" 0123456789abcdefghijklmnopqrstuvwxyz")
_FILL = "|"
_code_of = itemgetter(0)
#: 880 $6 / a linked field's $6: linking tag, occurrence number, then script and orientation
_LINKAGE = re.compile(r"^(\d{3})-(\d{2,})(?:/.*)?$")

Add = Callable[..., None]

#: what a field's shape asks for besides its findings: count it (a non-repeatable tag), look at its
#: $6, say an 880 has none, check a control field's value
_NONREP, _LINKED, _NO_6, _CHECK = 1, 2, 4, 8
#: the shape of a field with nothing to say and nothing to count (one object: compared by identity)
_CLEAN: tuple[tuple, int] = ((), 0)


@dataclass(frozen=True, slots=True)
class FixedSpec:
    """How one control field's value is checked: its length (None: any) and its coded positions
    as (offset, length, allowed values, position span, names (en, sv)), for the layout named."""

    length: int | None
    positions: tuple[tuple[int, int, frozenset, str, tuple[str, str]], ...]
    title: tuple[str, str]
    #: a value shorter than ``length`` is allowed (007: the positions after the end are not coded)
    truncated: bool = False
    #: a position past the end of the value is a finding (MARC-FIXED short); else not checked
    short: bool = False
    #: the coded positions as runs (start, end) of the value: what its findings depend on
    ranges: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not self.ranges and self.positions:
            runs: list[list[int]] = []
            for off, length, *_ in sorted(self.positions):
                if runs and off <= runs[-1][1]:
                    runs[-1][1] = max(runs[-1][1], off + length)
                else:
                    runs.append([off, off + length])
            object.__setattr__(self, "ranges", tuple((a, b) for a, b in runs))


#: a control field's tag, its value and the record's leader -> the spec; None: nothing to check.
#: ``False`` as spec: a 006/007 whose first position chooses no layout
FixedSource = Callable[[str, str, str], "FixedSpec | None | bool"]


class Checker:
    """The content checks of one format. ``check(leader, fields, add)`` says every finding of one
    record through ``add(rule, key, tag, occurrence, **fields)`` (the validator's ``add``)."""

    def __init__(
        self,
        fmt: Format,
        fixed: FixedSource | None = None,
        *,
        options: dict[str, bool] | None = None,
        required_tags: Iterable[str] = (),
        skip_repeat: Iterable[str] = (),
        local_codes: Iterable[str] = (),
        fixed_tags: Iterable[str] | None = None,
        allow_local: bool = True,
    ):
        self.fmt = fmt
        self.tags = fmt.tags
        self.fixed = fixed
        self.on = {k: True for k in CHECKS} | dict(options or {})
        self.required_tags = tuple(required_tags)
        #: tags whose repetition another check already reports (STRUCT-001, STRUCT-008 ...)
        self.skip_repeat = frozenset(skip_repeat)
        #: codes any field may have for local use ($9 in MARC 21)
        self.local_codes = frozenset(local_codes)
        #: 9XX and X9X without a current definition are the library's own (MARC-LOCAL)
        self.allow_local = allow_local
        #: the control fields ``fixed`` is asked about (None: all)
        self.fixed_tags = frozenset(fixed_tags) if fixed_tags is not None else None
        #: per language: (tag, ind1, ind2, codes) of a data field -> (findings, flags)
        self._shapes: dict[str, dict[tuple, tuple[tuple, int]]] = {}
        #: per language: a control field's tag -> (findings, flags)
        self._tags: dict[str, dict[str, tuple[tuple, int]]] = {}
        #: per language: (spec, length, coded positions) of a control field -> findings
        self._fixed: dict[str, dict[tuple, tuple]] = {}

    # -- one record --------------------------------------------------------------------------

    def check(self, leader: str, fields, add: Add) -> None:
        lang = table.language()
        shapes = self._shapes.get(lang)
        if shapes is None:
            shapes = self._shapes[lang] = {}
        shape_of = shapes.get
        clean = _CLEAN
        seen: dict[str, int] | None = None  # non-repeatable tags -> how many so far
        linked: list[tuple[int, str, str]] | None = None  # (index, tag, first $6) of fields with $6
        if self.fixed is not None and leader:
            self._control("000", leader, leader, add, None)
        for i, f in enumerate(fields):
            tag = f.tag
            if f.control_field:
                found, flags = self._control_tag(tag, lang)
                if found:
                    occ = _occ(fields, i)
                    for rule, k, kw in found:
                        add(rule, k, tag, occ, **kw)
                if flags & _CHECK and f.data:
                    self._control(tag, f.data, leader, add, fields, i)
            else:
                inds = f.indicators
                key = (tag, inds[0], inds[1], tuple(map(_code_of, f.subfields)))
                shape = shape_of(key)
                if shape is clean:  # most fields: nothing to say, nothing to count
                    continue
                if shape is None:
                    shape = self._shape(key, lang)
                    if len(shapes) < 65536:
                        shapes[key] = shape
                found, flags = shape
                if found:
                    occ = _occ(fields, i)
                    for rule, k, kw in found:
                        add(rule, k, tag, occ, **kw)
                if flags & _LINKED:
                    for code, value in f.subfields:
                        if code == "6":
                            if linked is None:
                                linked = []
                            linked.append((i, tag, value))
                            break
                elif flags & _NO_6:
                    add("MARC-880", "no-6", tag, _occ(fields, i))
            if flags & _NONREP:
                if seen is None:
                    seen = {}
                n = seen.get(tag, 0) + 1
                seen[tag] = n
                if n > 1:
                    add("MARC-REPEAT", "field", tag, _occ(fields, i), tag=tag, name=self.tags[tag].name(lang))
        if linked:
            self._linkage(fields, linked, add)
        if self.required_tags and self.on["missingField"]:
            for tag in self.required_tags:
                if not any(f.tag == tag for f in fields):
                    d = self.tags.get(tag)
                    add("MARC-REQUIRED", "field", tag, None, tag=tag, name=d.name(lang) if d else "")

    def _control_tag(self, tag: str, lang: str) -> tuple[tuple, int]:
        """What is said about a control field's tag, and its flags (``_NONREP``, ``_CHECK``)."""
        tags = self._tags.get(lang)
        if tags is None:
            tags = self._tags[lang] = {}
        got = tags.get(tag)
        if got is None:
            d, said, nonrep = self._tag(tag, lang)
            check = d is not None and self.fixed is not None and (self.fixed_tags is None or tag in self.fixed_tags)
            got = tags[tag] = (said, (_NONREP if nonrep else 0) | (_CHECK if check else 0))
        return got

    # -- tags --------------------------------------------------------------------------------

    def _tag(self, tag: str, lang: str) -> tuple[Tag | None, tuple, bool]:
        """(the definition to check the field against, or None; what to say about the tag
        itself; is it non-repeatable)."""
        d = self.tags.get(tag)
        if self.allow_local and self.fmt.status(tag) == "local":
            return None, (), False
        if d is None:
            if not self.on["undefinedField"]:
                return None, (), False
            return None, (("MARC-TAG", "undefined", {"tag": tag, "format": _format_name(self.fmt.id)}),), False
        nonrep = not d.repeatable and tag not in self.skip_repeat and self.on["nonrepeatableField"]
        if d.obsolete:
            if not self.on["deprecatedField"]:
                return d, (), nonrep
            # an obsolete field is said to be so; what is in it is not checked further
            return None, (("MARC-TAG", "obsolete", {"tag": tag, "name": d.name(lang)}),), nonrep
        return d, (), nonrep

    # -- data fields -------------------------------------------------------------------------

    def _shape(self, key: tuple, lang: str) -> tuple[tuple, int]:
        """The findings of a data field with this tag, these indicators and codes, and its flags
        (``_NONREP``, ``_LINKED``, ``_NO_6``)."""
        tag, i1, i2, codes = key
        on = self.on
        d, said, nonrep = self._tag(tag, lang)
        flags = _NONREP if nonrep else 0
        if on["linkage"]:
            if "6" in codes:
                flags |= _LINKED
            elif tag == "880":
                flags |= _NO_6
        if d is None:
            return (said, flags) if said or flags else _CLEAN
        out: list[tuple[str, str, dict]] = list(said)
        if d.indicators is not None and on["invalidIndicator"]:
            for pos, (ind, value) in enumerate(zip(d.indicators, (i1, i2)), 1):
                if ind.values is None or value not in _VALID_INDS:
                    continue  # any value; or not a valid character at all (STRUCT-INDICATOR)
                v = ind.values.get(value)
                if v is None:
                    defined = ", ".join(repr(c) for c in ind.values)
                    out.append(
                        (
                            "MARC-INDICATOR",
                            "libris" if d.libris else "undefined",
                            {"tag": tag, "position": pos, "value": value, "defined": defined},
                        )
                    )
                elif v.obsolete:
                    out.append(
                        (
                            "MARC-INDICATOR",
                            "obsolete",
                            {"tag": tag, "position": pos, "value": value, "meaning": v.name(lang)},
                        )
                    )
        subs = d.subfields
        if subs is not None:
            counts: dict[str, int] = {}
            for c in codes:
                counts[c] = counts.get(c, 0) + 1
            for c, n in counts.items():
                if c not in _VALID_CODES:
                    continue  # STRUCT-SUBFIELD-CODE, STRUCT-ORPHAN-TEXT
                s = subs.get(c)
                if s is None:
                    if c in self.local_codes:
                        continue
                    if on["undefinedSubfield"]:
                        out.append(("MARC-SUBFIELD", "libris" if d.libris else "undefined", {"tag": tag, "code": c}))
                    continue
                if s.obsolete and on["deprecatedSubfield"]:
                    out.append(("MARC-SUBFIELD", "obsolete", {"tag": tag, "code": c, "name": s.name(lang)}))
                    continue
                if n > 1 and not s.repeatable and on["nonrepeatableSubfield"]:
                    out.append(("MARC-REPEAT", "subfield", {"tag": tag, "code": c, "name": s.name(lang), "n": n}))
            if on["missingSubfield"]:
                for c, s in subs.items():
                    if s.required and not s.obsolete and c not in counts:
                        how = "libris" if d.libris else "subfield"
                        out.append(("MARC-REQUIRED", how, {"tag": tag, "code": c, "name": s.name(lang)}))
        return (tuple(out), flags) if out or flags else _CLEAN

    # -- 880 linkage -------------------------------------------------------------------------

    def _linkage(self, fields, linked: list[tuple[int, str, str]], add: Add) -> None:
        """Every 880 $6 ``TAG-NN`` (NN not 00) is answered by a field TAG with $6 ``880-NN``, and
        every such $6 ``880-NN`` by an 880 with $6 ``TAG-NN``."""
        parsed = []
        links: set[tuple[str, str, str]] = set()  # (tag of the field, tag it links to, number)
        for i, tag, value in linked:
            m = _LINKAGE.match(value.strip())
            if m is None:
                add("MARC-880", "malformed", tag, _occ(fields, i), tag=tag, value=value)
                continue
            other, number = m.group(1), m.group(2)
            parsed.append((i, tag, value, other, number))
            links.add((tag, other, number))
        for i, tag, value, other, number in parsed:
            if number.strip("0") == "":
                continue  # NN 00: an 880 with no field beside it
            if tag == "880":
                if other == "880":
                    add("MARC-880", "malformed", tag, _occ(fields, i), tag=tag, value=value)
                elif (other, "880", number) not in links:
                    add(
                        "MARC-880",
                        "unpaired",
                        tag,
                        _occ(fields, i),
                        tag=tag,
                        value=value,
                        other=other,
                        back=f"880-{number}",
                    )
            elif other == "880" and ("880", tag, number) not in links:
                add(
                    "MARC-880",
                    "unpaired",
                    tag,
                    _occ(fields, i),
                    tag=tag,
                    value=value,
                    other="880",
                    back=f"{tag}-{number}",
                )

    # -- fixed fields ------------------------------------------------------------------------

    def _control(self, tag: str, value: str, leader: str, add: Add, fields, i: int = 0) -> None:
        spec = self.fixed(tag, value, leader) if self.fixed is not None else None
        if spec is None:
            return
        if spec is False:
            found: tuple = (("MARC-FIXED", "category", {"tag": tag, "value": value[:1]}),)
        else:
            assert isinstance(spec, FixedSpec)
            lang = table.language()
            cache = self._fixed.get(lang)
            if cache is None:
                cache = self._fixed[lang] = {}
            # the findings depend on the length and the coded positions only (not on dates ...)
            if spec.short:  # what is said quotes the whole value
                key: tuple = (id(spec), value)
            else:
                key = (id(spec), len(value), "".join([value[a:b] for a, b in spec.ranges]))
            got = cache.get(key)
            if got is None:
                got = self._fixed_findings(tag, value, spec, lang)
                if len(cache) < 65536:
                    cache[key] = got
            found = got
        if found:
            occ = _occ(fields, i) if fields is not None else None
            for rule, k, kw in found:
                add(rule, k, tag, occ, **kw)

    def _fixed_findings(self, tag: str, value: str, spec: FixedSpec, lang: str) -> tuple:
        out: list[tuple[str, str, dict]] = []
        title = spec.title[1] if lang == "sv" else spec.title[0]
        n = len(value)
        if spec.length is not None and n != spec.length:
            info = {"tag": tag, "length": n, "expected": spec.length, "layout": title}
            if n > spec.length or not spec.truncated:
                return (("MARC-FIXED", "length", info),)
            out.append(("MARC-FIXED", "shorter", info))
        if not self.on["invalidPosition"]:
            return tuple(out)
        sv = lang == "sv"
        for off, length, allowed, span, names in spec.positions:
            if off + length > n:
                if spec.short:
                    out.append(
                        ("MARC-FIXED", "short", {"tag": tag, "span": span, "position": names[sv], "value": value})
                    )
                continue
            text = value[off : off + length]
            if text not in allowed:
                out.append(
                    (
                        "MARC-FIXED",
                        "code",
                        {"tag": tag, "span": span, "value": text, "position": names[sv], "layout": title},
                    )
                )
        return tuple(out)


def _occ(fields, i: int) -> int:
    """1-based occurrence of ``fields[i]`` among the fields with its tag (only for findings)."""
    tag = fields[i].tag
    return sum(1 for f in fields[: i + 1] if f.tag == tag)


def _format_name(fid: str) -> str:
    name = "format-" + fid
    return table.phrase(name) if name in table.current().phrases else fid


# -- the shipped formats -------------------------------------------------------------------------

#: subfield codes for local use in any field (MARC 21 reserves $9; Libris uses it, 042 $9 EPLK)
LOCAL_CODES = ("9",)
#: the length of 008 by format (the bibliographic one is STRUCT-008's)
LENGTH_008 = {"bib": 40, "hold": 32, "auth": 40}
LENGTH_006 = 18
#: leader positions the structure checks look at already (STRUCT-LEADER)
_LEADER_CHECKED = {"bib": frozenset((5, 6, 7, 9, 20)), "hold": frozenset((5, 6, 9, 20))}
_KIND = {"bib": "bib", "hold": "holdings", "auth": "authority"}


def _spec(layout, length: int | None, skip: frozenset = frozenset(), truncated: bool = False) -> FixedSpec:
    from tui.core.editing.fixedfields import FILL

    positions = []
    for p in layout.positions:
        if p.codes is None or p.offset in skip:
            continue
        allowed = frozenset(p.codes) | {p.default, FILL * p.length}
        positions.append((p.offset, p.length, allowed, p.span, (p.en or p.sv, p.sv or p.en)))
    return FixedSpec(length, tuple(positions), (layout.en or layout.name, layout.sv or layout.en), truncated)


@cache
def _shipped_spec(fid: str, tag: str, key: str) -> FixedSpec | None | bool:
    from tui.core.editing import fixedfields as ff

    kind = _KIND[fid]
    if tag == "000":
        layout = ff.layout_for("000", kind, "")
        return _spec(layout, None, _LEADER_CHECKED.get(fid, frozenset())) if layout is not None else None
    if tag == "008":
        layout = ff.layout_for("008", kind, "      " + key)
        if fid == "bib":  # the length is STRUCT-008's
            return _spec(layout, None) if layout is not None else None
        if layout is None:
            return FixedSpec(LENGTH_008[fid], (), ("008", "008"))
        return _spec(layout, LENGTH_008[fid])
    layout = ff.layout_for(tag, kind, "", key)
    if layout is None:
        return False if key else None
    if tag == "006":
        return _spec(layout, LENGTH_006)
    length = max(p.offset + p.length for p in layout.positions)
    return _spec(layout, length, truncated=True)


def _shipped_fixed(fid: str) -> FixedSource:
    auth = fid == "auth"
    bib = fid == "bib"

    def fixed(tag: str, value: str, leader: str):
        if tag == "000":
            if auth or len(leader) != 24:
                return None
            return _shipped_spec(fid, "000", "")
        if tag == "008":
            if auth:  # no authority 008 positions in the definitions: its length only
                return _auth_008()
            return _shipped_spec(fid, "008", leader[6:8] if bib else "")
        if tag == "007" or (tag == "006" and bib):
            if auth:
                return None
            return _shipped_spec(fid, tag, value[:1])
        return None

    return fixed


@cache
def _auth_008() -> FixedSpec:
    return FixedSpec(LENGTH_008["auth"], (), ("008", "008"))


@cache
def _checker(fid: str) -> Checker:
    fmt = marc21defs.definitions().formats[fid]
    skip = ("001", "008", "245") if fid == "bib" else ("001",)
    return Checker(
        fmt, _shipped_fixed(fid), skip_repeat=skip, local_codes=LOCAL_CODES, fixed_tags=("006", "007", "008")
    )


def checker_for(leader: str) -> Checker:
    """The checker of the format ``leader`` says the record is in."""
    return _checker(marc21defs.format_of(leader))


def check(marc, add: Add) -> None:
    """The content checks of a pymarc record, said through ``add`` (the validator's)."""
    leader = str(marc.leader) if marc.leader is not None else ""
    checker_for(leader).check(leader if len(leader) == 24 and leader.isascii() else "", marc.fields, add)


__all__ = ["Checker", "FixedSpec", "CHECKS", "check", "checker_for", "LENGTH_008", "LENGTH_006"]
