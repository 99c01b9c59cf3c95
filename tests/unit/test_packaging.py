"""The installed (non-editable) package must carry every subpackage and its data."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_every_python_package_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tui").rglob("__init__.py")}
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_data_dirs_exist_for_listed_packages():
    cfg = _pyproject()["tool"]["setuptools"]
    dirs = cfg["package-dir"]
    for pkg in cfg["packages"]:
        where = ROOT / dirs.get(pkg, pkg.replace(".", "/"))
        assert where.is_dir(), f"{pkg}: {where} does not exist"


def test_shipped_keymaps_and_themes_are_found():
    from tui import resources

    assert (resources.keymaps_dir() / "default.toml").is_file()
    assert (resources.themes_dir() / "default.toml").is_file()
