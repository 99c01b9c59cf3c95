"""Libris's own conversion tests: every ``_spec`` case of marcframe (bib, hold, auth), run and
compared the way Libris's ``MarcFrameConverterSpec`` runs and compares them.

``tests/data/jsonld/marcframe-spec-cases.json`` (Apache-2.0, from libris/librisxl: see
THIRD_PARTY_NOTICES) holds all 778 cases, per format and tag: a MARC ``source`` (and the
``normalized`` MARC Libris writes back) with the JSON-LD ``result``. As Libris does:

* the record of a case is the format's skeleton (its first ``000`` case, ``normalized`` if it has
  one) with the case's fields added, or the case's whole record;
* *convert* compares the whole JSON-LD record (the record's and its thing's ``@id`` aside), with
  the case's ``result`` merged into the skeleton's;
* *revert* compares the whole MARC record with ``normalized`` whenever it is not null (an empty
  list: the field is dropped on revert), else with ``source``; the reverted data must choose the
  case's format's rule set;
* a case runs when it has (``source`` or ``normalized``) and ``result``; it is converted when it
  has a ``source``.

No case may differ: an expected failure would have to name the capability that is missing. The
counts per format and direction are printed at the end of the run (``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tui.core.mapping.marcframe import load_conversion

DATA = Path(__file__).resolve().parent.parent / "data" / "jsonld"
CASES = json.loads((DATA / "marcframe-spec-cases.json").read_text(encoding="utf-8"))
FORMATS = ("bib", "hold", "auth")


def _norm(x) -> str:
    return json.dumps(x, sort_keys=True, ensure_ascii=False, indent=1)


def _merge(base: dict, part: dict | None) -> dict:
    """Groovy's ``putAll`` of the case into the skeleton: a map merged one level deep."""
    for k, v in (part or {}).items():
        if isinstance(base.get(k), dict):
            base[k].update(v)
        else:
            base[k] = v
    return base


def _skeleton(fmt: str) -> tuple[dict, dict]:
    first = CASES[fmt]["000"][0]
    return first.get("normalized") or first["source"], first["result"]


def _with_fields(marc: dict, src, sort: bool = False) -> dict:
    marc = copy.deepcopy(marc)
    src = copy.deepcopy(src)
    if isinstance(src, list):
        marc["fields"] += src
        if sort:
            marc["fields"].sort(key=lambda f: next(iter(f)))
    elif "fields" in src:
        if src.get("leader"):
            marc["leader"] = src["leader"]
        marc["fields"] = src["fields"]
    else:
        marc["fields"].append(src)
    return marc


def runs(case) -> bool:
    return isinstance(case, dict) and bool(case.get("source") or case.get("normalized")) and bool(case.get("result"))


def _checks():
    for fmt in FORMATS:
        for tag, cases in CASES[fmt].items():
            for i, case in enumerate(cases):
                if not runs(case):
                    continue
                name = case.get("name") or f"#{i}"
                if case.get("source"):
                    yield pytest.param(fmt, tag, i, "convert", id=f"{fmt} {tag} convert {i} {name}")
                yield pytest.param(fmt, tag, i, "revert", id=f"{fmt} {tag} revert {i} {name}")


CHECKS = list(_checks())


def convert_check(fmt: str, case: dict) -> tuple[str, str]:
    """(what the conversion gives, what Libris's case says) for converting ``case``."""
    skeleton, result = _skeleton(fmt)
    got = load_conversion().convert(_with_fields(skeleton, case["source"]))
    expected = copy.deepcopy(result)
    if got.get("@id"):
        expected["@id"] = got["@id"]
    else:
        expected.pop("@id", None)
    thing = got.get("mainEntity")
    thing_id = thing.get("@id") if isinstance(thing, dict) else None
    if thing_id:
        expected["mainEntity"]["@id"] = thing_id
    else:
        expected["mainEntity"].pop("@id", None)
    _merge(expected, copy.deepcopy(case["result"]))
    return _norm(got), _norm(expected)


def revert_check(fmt: str, case: dict) -> tuple[str, str]:
    """(what reverting gives, what Libris's case says) for reverting ``case``."""
    skeleton, result = _skeleton(fmt)
    data = _merge(_merge(copy.deepcopy(result), copy.deepcopy(case["result"])), copy.deepcopy(case.get("addOnRevert")))
    conversion = load_conversion()
    ruleset = conversion.ruleset_for(data)
    got = ruleset.revert(data)
    source = case["normalized"] if case.get("normalized") is not None else case["source"]
    expected = _with_fields(skeleton, source, sort=True)
    return _norm(got) + ("" if ruleset.name == fmt else f"\n(rule set {ruleset.name}, not {fmt})"), _norm(expected)


@pytest.mark.parametrize("fmt,tag,index,direction", CHECKS)
def test_spec_case(fmt, tag, index, direction, record_property):
    record_property("marcframe_spec", f"{fmt} {direction}")
    case = CASES[fmt][tag][index]
    got, expected = (convert_check if direction == "convert" else revert_check)(fmt, case)
    assert got == expected


def test_every_case_of_the_file_is_run_or_is_one_libris_does_not_run():
    """The checks are all of the file's cases, counted as the file itself counts them."""
    counts = CASES["counts"]
    total = sum(len(CASES[fmt][tag]) for fmt in FORMATS for tag in CASES[fmt])
    assert total == 778 == sum(counts[fmt]["cases"] for fmt in FORMATS)
    for fmt in FORMATS:
        ran = [p for p in CHECKS if p.values[0] == fmt]
        assert sum(1 for p in ran if p.values[3] == "convert") == counts[fmt]["convert"]
        assert sum(1 for p in ran if p.values[3] == "revert") == counts[fmt]["revert"] == counts[fmt]["runByLibris"]
    not_run = [
        (fmt, tag, i)
        for fmt in FORMATS
        for tag, cases in CASES[fmt].items()
        for i, case in enumerate(cases)
        if not runs(case)
    ]
    assert all(not CASES[f][t][i].get("_runByLibris") for f, t, i in not_run)
    assert len(not_run) == total - sum(counts[fmt]["runByLibris"] for fmt in FORMATS)


def test_the_shipped_cases_are_libris_s(reference):
    """The cases in tests/data are the full set of the reference, unchanged."""
    shared = json.loads((reference / "upstream" / "marcframe-spec-cases-full.json").read_text(encoding="utf-8"))
    assert shared == CASES
