"""Conformance with Libris's own MARC <-> JSON-LD conversion (marcframe's ``_spec`` test pairs).

``tests/data/jsonld/marcframe-spec-cases.json`` (Apache-2.0, from libris/librisxl: see THIRD_PARTY_NOTICES) holds, per MARC tag, a
MARC source (and the ``normalized`` MARC Libris writes back) with the JSON-LD ``result``. The
comparison is Libris's own (``MarcFrameConverterSpec``): a case's record is the skeleton record
(the first ``000`` case) plus the case's fields; *convert* compares the whole JSON-LD record
(ids aside); *revert* compares the whole MARC record, fields sorted by tag.

**Scope**: a case is in scope when every MARC element it uses is in the mapping
(``tui/data/label-mapping.json``, from Libris's ``marcframe-summary.tsv``): each field's tag,
each subfield code and indicator of the variant that applies, each coded fixed-field position.
008/18-34 (the material-specific positions) and similar are not in the summary, so cases using
them are out of scope. For holdings revert, the leader is compared only in ``000`` cases (the
skeleton's leader contradicts Libris's own ``000`` case for holdings: ``1n`` vs ``un``).

In-scope cases that differ are listed, each with the reason, in
``tests/data/jsonld/spec-known-differences.json`` and run as strict xfails: when one starts to
pass, the test says so and the list must shrink.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pymarc import Leader, Record

from tui.core.mapping import conditions, convert, linked, revert

DATA = Path(__file__).resolve().parent.parent / "data" / "jsonld"
CASES = json.loads((DATA / "marcframe-spec-cases.json").read_text(encoding="utf-8"))
KNOWN = json.loads((DATA / "spec-known-differences.json").read_text(encoding="utf-8"))["differences"]
FILL = set(" |")


def _record(m: dict) -> Record:
    r = Record(force_utf8=True)
    r.leader = Leader(m.get("leader") or " " * 24)
    for f in m.get("fields", []):
        for tag, body in f.items():
            r.add_field(revert._json_field(tag, body))
    return r


def _marc_json(r: Record) -> dict:
    return {"leader": str(r.leader), "fields": [convert._field_json(f) for f in r.fields]}


def _norm(x) -> str:
    return json.dumps(x, sort_keys=True, ensure_ascii=False)


def _merge(base: dict, part: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in part.items():
        if isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


def _with_fields(skeleton: dict, src) -> dict:
    m = copy.deepcopy(skeleton)
    if isinstance(src, list):
        m["fields"] += src
    elif "fields" in src:
        if src.get("leader"):
            m["leader"] = src["leader"]
        m["fields"] = src["fields"]
    else:
        m["fields"].append(src)
    return m


# -- scope -------------------------------------------------------------------------------------


def _mapped(fmt: str, marc: dict, mapping: linked.Mapping) -> str | None:
    """Why ``marc`` is not within the mapping (``None``: every element is mapped)."""
    rec = _record(marc)
    if marc.get("leader"):
        why = _positions_mapped(fmt, "000", marc["leader"], mapping)
        if why:
            return why
    for f in rec.fields:
        rules = mapping.rules(fmt, f.tag)
        if rules is None:
            return f"{f.tag} is not in the mapping"
        if f.is_control_field():
            if rules.kind == "fixed":
                why = _positions_mapped(fmt, f.tag, f.data or "", mapping)
                if why:
                    return why
            continue
        v = conditions.choose_variant(rules, f, str(rec.leader))
        if v is None or v.field is None:
            return f"{f.tag}: no variant applies"
        for sf in f.subfields:
            if sf.code not in v.subfields:
                return f"{f.tag} ${sf.code} is not in the mapping"
    return None


def _positions_mapped(fmt: str, tag: str, data: str, mapping: linked.Mapping) -> str | None:
    rules = mapping.rules(fmt, tag)
    if rules is None:
        return f"{tag} is not in the mapping"
    covered: set[int] = set()
    for v in rules.variants:
        for t in v.positions:
            covered.update(range(t.start, t.end))
    for i, ch in enumerate(data):
        if ch not in FILL and i not in covered and not (tag == "000" and i < 5 or 10 <= i < 17):
            return f"{tag}/{i:02d} is not in the mapping"
    return None


def _cases():
    mapping = linked.load_mapping()
    out = []
    for fmt in ("bib", "hold"):
        skeleton = CASES[fmt]["000"][0]
        for tag, cases in CASES[fmt].items():
            for i, case in enumerate(cases):
                if not isinstance(case, dict) or "result" not in case:
                    continue
                name = case.get("name") or case.get("Name") or ""
                if case.get("source"):
                    marc = _with_fields(skeleton["source"], case["source"])
                    key = f"{fmt} {tag} convert {i}"
                    out.append((key, fmt, tag, "convert", case, _mapped(fmt, marc, mapping), name))
                expected = case.get("normalized") or case.get("source")
                if expected is not None:
                    if tag == "000":
                        marc = {"leader": expected["leader"], "fields": expected.get("fields", [])}
                    else:
                        marc = _with_fields(skeleton["source"], expected)
                    key = f"{fmt} {tag} revert {i}"
                    out.append((key, fmt, tag, "revert", case, _mapped(fmt, marc, mapping), name))
    return out


ALL = _cases()
IN_SCOPE = [c for c in ALL if c[5] is None]


def _params():
    for key, fmt, tag, direction, case, _why, name in IN_SCOPE:
        marks = []
        if key in KNOWN:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[key]))
        yield pytest.param(fmt, tag, direction, case, id=f"{key} {name}".strip(), marks=marks)


@pytest.mark.parametrize("fmt,tag,direction,case", list(_params()))
def test_spec_case(fmt, tag, direction, case):
    mapping = linked.load_mapping()
    skeleton = CASES[fmt]["000"][0]
    if direction == "convert":
        marc = _with_fields(skeleton["source"], case["source"])
        got = linked.marc_to_jsonld(_record(marc), mapping)
        expected = copy.deepcopy(skeleton["result"])
        for k in ("@id",):
            if k in got:
                expected[k] = got[k]
            else:
                expected.pop(k, None)
        thing_id = got.get("mainEntity", {}).get("@id")
        if thing_id:
            expected["mainEntity"]["@id"] = thing_id
        else:
            expected["mainEntity"].pop("@id", None)
        expected = _merge(expected, case["result"])
        assert _norm(got) == _norm(expected)
    else:
        data = _merge(_merge(skeleton["result"], case["result"]), case.get("addOnRevert") or {})
        got = _marc_json(linked.jsonld_to_marc(data, mapping))
        source = case.get("normalized") or case.get("source")
        if tag == "000":
            expected = {"leader": source["leader"], "fields": source.get("fields", [])}
        else:
            expected = _with_fields(skeleton["source"], source)
            if isinstance(source, list):
                expected["fields"].sort(key=lambda f: list(f)[0])
            got["leader"] = expected["leader"]  # the skeleton's leader is not under test here
        assert _norm(got) == _norm(expected)


def test_known_differences_are_in_scope_cases():
    """The list of known differences names only in-scope cases (no stale entries)."""
    keys = {c[0] for c in IN_SCOPE}
    assert set(KNOWN) <= keys, sorted(set(KNOWN) - keys)


def test_scope_is_most_of_the_cases():
    """The scope is the mapped fields, not what happens to pass: most cases are in it."""
    assert len(IN_SCOPE) >= 0.6 * len(ALL)
