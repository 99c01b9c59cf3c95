"""A snapshot of the main screen with the Swedish user interface at 80x24 (the footer shows whole
key hints). The other snapshots (``test_snapshots.py``) are in English, the default."""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import SAMPLES, build_app

from tui.ui import i18n


@pytest.fixture
def here(tmp_path, monkeypatch):
    shutil.copy(SAMPLES / "seed-records.txt", tmp_path / "seed-records.txt")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIBRIS_TUI_CONFIG_DIR", "/nonexistent/libris-tui")
    yield tmp_path
    i18n.set_language("en")


def test_main_screen_swedish_80x24(snap_compare, here):
    assert snap_compare(build_app("seed-records.txt", ui_language="sv"), terminal_size=(80, 24))
