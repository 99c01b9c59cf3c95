"""Functional tests drive the real app (Pilot, snapshots) on copies of the sample records.

Each test gets its own copy of the records (saves and exports never touch the repository) and
its own config/state directories (tests/conftest.py), so nothing depends on the user's setup.
Helpers are in ``functional_helpers.py``.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
from pathlib import Path

import pytest
from functional_helpers import DATA, SAMPLES


@pytest.fixture
def seed_file(tmp_path) -> Path:
    dst = tmp_path / "seed-records.txt"
    shutil.copy(SAMPLES / "seed-records.txt", dst)
    return dst


@pytest.fixture
def data_file(tmp_path):
    """Copy a file of tests/data/functional into the test's directory."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copy(DATA / name, dst)
        return dst

    return copy


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests (Textual's Pilot) with asyncio, without another plugin."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
