"""The Avram test suite (../shared/reference/marc21/avram-test-suite: schema, record, expected
errors, language independent) through the content checks: each schema made a ``Checker``
(tui/core/validation/avram.py), each test's records checked, the errors compared with those
expected (their kind, tag, subfield, indicator, position and value; not the English message).
Cases that need what the checks do not do (avram.UNSUPPORTED) are expected to fail, saying which
capability they need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.core.validation import avram

SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "marc21" / "avram-test-suite"
KEYS = ("error", "tag", "id", "subfield", "indicator", "position", "value", "occurrence")


_ABSENT = pytest.param(None, None, None, id="absent", marks=pytest.mark.skip(reason=f"{SUITE} is not there"))


def _tests() -> list[tuple[str, dict, dict, str | None]]:
    """(id, case, test, what it needs that the checks lack) for every test of the suite."""
    out = []
    for path in sorted(SUITE.glob("*.json")) if SUITE.is_dir() else ():
        for c, case in enumerate(json.loads(path.read_text("utf-8")), 1):
            for t, test in enumerate(case["tests"], 1):
                out.append((f"{path.stem}-{c}-{t}", case, test, _needs(test)))
    return out


def _cases():
    if not SUITE.is_dir():
        return [_ABSENT]
    return [
        pytest.param(
            case,
            test,
            need,
            id=name,
            marks=[pytest.mark.xfail(reason=f"needs {need}", strict=True)] if need else [],
        )
        for name, case, test, need in _tests()
    ]


def _needs(test: dict) -> str | None:
    """The capability a test needs that the checks lack (None: none)."""
    for e in test.get("errors") or ():
        if e.get("error") in avram.UNSUPPORTED:
            return avram.UNSUPPORTED[e["error"]]
        if "Existence mismatch" in e.get("message", ""):
            return avram.UNSUPPORTED["existence"]
    return None


def _key(e: dict) -> tuple:
    if e.get("error") != "missingField":
        e = {k: v for k, v in e.items() if k != "id"}
    return tuple((k, str(e[k])) for k in KEYS if k in e)


@pytest.mark.parametrize("case,test,need", _cases())
def test_avram_suite(case, test, need):
    options = {**(case.get("options") or {}), **(test.get("options") or {})}
    chk = avram.checker(case["schema"], options)
    records = test["records"] if "records" in test else [test["record"]]
    got = avram.validate(chk, records)
    assert sorted(map(_key, got)) == sorted(map(_key, test.get("errors") or []))


def test_how_much_of_the_suite_passes():
    """A record of the count (the xfails above say what each needs)."""
    if not SUITE.is_dir():
        pytest.skip(f"{SUITE} is not there")
    tests = _tests()
    needs = [need for *_, need in tests if need]
    assert len(tests) == 39
    assert len(needs) == 16, needs


def _supported(errors) -> list[dict]:
    return [
        e
        for e in errors or ()
        if e.get("error") not in avram.UNSUPPORTED and "Existence mismatch" not in e.get("message", "")
    ]


@pytest.mark.parametrize(
    "case,test,need",
    [pytest.param(case, test, need, id=name) for name, case, test, need in _tests() if need] or [_ABSENT],
)
def test_what_the_checks_do_of_the_cases_they_cannot_pass(case, test, need):
    """Of a case expected to fail, the errors the checks do support are found all the same."""
    options = {**(case.get("options") or {}), **(test.get("options") or {})}
    chk = avram.checker(case["schema"], options)
    records = test["records"] if "records" in test else [test["record"]]
    assert sorted(map(_key, avram.validate(chk, records))) == sorted(map(_key, _supported(test.get("errors"))))
