"""The label mapping's marshal cache (``tui.core.mapping.label_mapping._load_data``): used when it was built
from the very data files, rebuilt when they change, ignored when damaged, never required."""

from __future__ import annotations

import gc
import json
import shutil
import types
from pathlib import Path

import pytest

from tui.core.mapping import label_mapping as labels
from tui.resources import data_dir as data_dir_of_package

DATA = data_dir_of_package()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the three data files standing in for the package's ``tui/data``."""
    d = tmp_path / "data"
    d.mkdir()
    for name in labels.MAPPING_FILES:
        shutil.copy(DATA / name, d / name)
    monkeypatch.setattr(labels, "resources", types.SimpleNamespace(files=lambda pkg: d))
    return d


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LIBRIS_TUI_CACHE_DIR", str(tmp_path / "cache"))
    return labels.mapping_cache_path()


def from_json(d: Path) -> tuple:
    return tuple(json.loads((d / name).read_text("utf-8")) for name in labels.MAPPING_FILES)


def no_json(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("decoded JSON although the cache is good")

    monkeypatch.setattr(labels.json, "loads", refuse)


def test_the_cache_dir_is_the_override_or_the_platformdirs_user_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRIS_TUI_CACHE_DIR", str(tmp_path / "here"))
    assert labels.mapping_cache_path().parent == tmp_path / "here"
    monkeypatch.delenv("LIBRIS_TUI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # conftest: never the user's own
    assert labels.cache_dir() == tmp_path / "xdg" / "libris-tui"


def test_first_load_writes_the_cache_and_the_next_uses_it(data_dir, cache, monkeypatch):
    assert not cache.exists()
    first = labels._load_data()
    assert first == from_json(data_dir)
    assert cache.is_file()
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # no temporary file left
    no_json(monkeypatch)
    assert labels._load_data() == first


def test_the_shipped_data_load_the_same_through_the_cache(cache):
    built = labels._load_data()  # from JSON (no cache yet)
    cached = labels._load_data()
    assert cached == built == from_json(DATA)
    m = labels.Mapping(*cached)
    assert m.tag("bib", "245") == from_json(DATA)[0]["formats"]["bib"]["245"]


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "flipped", "other-magic"])
def test_a_damaged_cache_falls_back_to_json_and_is_rebuilt(data_dir, cache, damage):
    good = labels._load_data()
    blob = cache.read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"\x00\xffnot a cache at all\n\x01\x02")
    elif damage == "empty":
        cache.write_bytes(b"")
    elif damage == "truncated":
        cache.write_bytes(blob[: len(blob) // 2])
    elif damage == "flipped":
        i = len(blob) - 1000
        cache.write_bytes(blob[:i] + bytes([blob[i] ^ 0x40]) + blob[i + 1 :])
    else:
        cache.write_bytes(blob.replace(labels._CACHE_MAGIC, labels._CACHE_MAGIC[:-1] + b"0", 1))
    assert labels._load_data() == good
    assert cache.read_bytes() == blob  # rebuilt


def test_a_changed_data_file_rebuilds_the_cache(data_dir, cache, monkeypatch):
    labels._load_data()
    old = cache.read_bytes()
    kbv = json.loads((data_dir / "kbv-labels.json").read_text("utf-8"))
    kbv["hasTitle"]["sv"] = "Titel (ändrad)"
    (data_dir / "kbv-labels.json").write_text(json.dumps(kbv, ensure_ascii=False), "utf-8")
    mapping, kbv_now, terms = labels._load_data()
    assert kbv_now["hasTitle"]["sv"] == "Titel (ändrad)"
    assert cache.read_bytes() != old
    no_json(monkeypatch)
    assert labels._load_data()[1]["hasTitle"]["sv"] == "Titel (ändrad)"


def test_a_cache_for_another_version_is_not_used(data_dir, cache, monkeypatch):
    labels._load_data()
    import tui

    monkeypatch.setattr(tui, "__version__", tui.__version__ + ".post1")
    calls = []
    real = json.loads
    monkeypatch.setattr(labels.json, "loads", lambda s: calls.append(1) or real(s))
    assert labels._load_data() == from_json(data_dir)
    assert calls  # decoded again


@pytest.mark.parametrize("where", ["a-file", "unwritable"])
def test_no_usable_cache_dir_is_no_error(data_dir, tmp_path, monkeypatch, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    target = blocker / "cache" if where == "a-file" else blocker
    monkeypatch.setenv("LIBRIS_TUI_CACHE_DIR", str(target))
    assert labels._load_data() == from_json(data_dir)
    assert labels._load_data() == from_json(data_dir)


def test_the_collector_is_left_as_it_was(data_dir, cache):
    labels._load_data()
    assert gc.isenabled()
    labels._load_data()
    assert gc.isenabled()
    gc.disable()
    try:
        labels._load_data()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_frozen_objects_stay_frozen(data_dir, cache):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        labels._load_data()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
