"""Shared fixtures: the project's own sample records, and the peer corpus in ../shared when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_records"
#: ``../shared`` beside the checkout (``LIBRIS_TUI_SHARED`` names it for a checkout elsewhere,
#: such as a git worktree)
SHARED = Path(os.environ.get("LIBRIS_TUI_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus" / "pymarc"
REFERENCE = SHARED / "reference"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def seed_notation() -> Path:
    return SAMPLES / "seed-records.txt"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/pymarc is not present (it is in CI and in developer checkouts)")
    return CORPUS


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present")
    return REFERENCE


@pytest.fixture(scope="session")
def _cache_base(tmp_path_factory) -> Path:
    """One cache dir for the whole run (the label-mapping cache is rebuilt once, not per test)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch, _cache_base):
    """Config, state, cache and journals of tests never touch the user's real directories."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LIBRIS_TUI_CACHE_DIR", str(_cache_base / "libris-tui"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_base / "xdg-cache"))
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("LIBRIS_TUI_STATE_DIR", str(base / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))


# -- the end of a run: expected failures counted by what is missing, Libris's spec cases counted -

_SPEC_RESULTS: dict[str, list[int]] = {}


def pytest_runtest_logreport(report):
    """Count Libris's marcframe spec cases (tests/unit/test_spec_cases.py) by format and
    direction: [passed, run]."""
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    key = dict(report.user_properties).get("marcframe_spec")
    if key:
        got = _SPEC_RESULTS.setdefault(key, [0, 0])
        got[1] += 1
        got[0] += report.passed


def _spec_summary(tr) -> None:
    if not _SPEC_RESULTS:
        return
    tr.write_sep("-", "Libris's marcframe spec cases (convert / revert), passed of run")
    total = [0, 0, 0, 0]
    for fmt in ("bib", "hold", "auth"):
        c = _SPEC_RESULTS.get(f"{fmt} convert", [0, 0])
        r = _SPEC_RESULTS.get(f"{fmt} revert", [0, 0])
        both = [c[0] + r[0], c[1] + r[1]]
        pct = f"{100 * both[0] / both[1]:.1f}%" if both[1] else "-"
        tr.write_line(
            f"  {fmt:5} convert {c[0]:4d}/{c[1]:<4d}  revert {r[0]:4d}/{r[1]:<4d}  both {both[0]:4d}/{both[1]:<4d} {pct}"
        )
        total = [total[0] + c[0], total[1] + c[1], total[2] + r[0], total[3] + r[1]]
    tr.write_line(
        f"  all   convert {total[0]:4d}/{total[1]:<4d}  revert {total[2]:4d}/{total[3]:<4d}"
        f"  both {total[0] + total[2]:4d}/{total[1] + total[3]:<4d}"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Expected failures (xfail) are summed up by their reason, which names the capability that
    is missing, instead of one line each (``-rx`` still lists them one by one)."""
    tr = terminalreporter
    asked = config.option.reportchars or ""
    if "x" not in asked:  # -ra / -rA: summed up below, not listed one by one
        tr.reportchars = tr.reportchars.replace("x", "")
    result = yield
    _spec_summary(tr)
    xfailed = tr.stats.get("xfailed", [])
    if xfailed:
        by_reason: dict[str, int] = {}
        for rep in xfailed:
            reason = (getattr(rep, "wasxfail", "") or "").removeprefix("reason: ").strip() or "(no reason given)"
            by_reason[reason] = by_reason.get(reason, 0) + 1
        tr.write_sep("-", f"{len(xfailed)} expected failures, by what is missing")
        for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
            tr.write_line(f"{n:5d}  {reason}")
    return result


def pytest_collection_modifyitems(config, items):
    """Tests that start a dask cluster run last: dask leaves a thread running in the process, and
    tests of forked workers skip in a process with threads."""
    items.sort(key=lambda item: "dask" in item.nodeid)
