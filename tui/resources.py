"""Where the shipped data lives, installed or in a source checkout.

Installed, ``keymaps/`` and ``themes/`` are the packages ``tui.keymaps`` and ``tui.themes``
(see pyproject.toml); in a checkout they sit at the top of the tree. ``tui/data`` is in the
package either way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    spec = importlib.util.find_spec(f"tui.{name}")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if Path(loc).is_dir():
                return Path(loc)
    return _PKG.parent / name  # source checkout


def data_dir() -> Path:
    return _PKG / "data"


def data_file(name: str) -> Path:
    return data_dir() / name


def keymaps_dir() -> Path:
    return _shipped("keymaps")


def themes_dir() -> Path:
    return _shipped("themes")
