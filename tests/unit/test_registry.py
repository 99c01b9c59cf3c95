"""One format registry: the command line, detection, messages and the README follow it, and a
format renamed in the registry is renamed everywhere (the app's dialog: tests/functional/
test_export_formats.py)."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest

from tui.cli import build_parser
from tui.core.formats import detect, format_for_output, module, registry, sniff
from tui.core.model.record import UnreadableFile

ROOT = Path(__file__).resolve().parents[2]


def _subparser(name: str):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[name]


def _option(parser, flag: str):
    return next(a for a in parser._actions if flag in a.option_strings)


def test_the_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert registry.markdown_table() in readme, "README's formats table is stale: paste registry.markdown_table()"
    # and no other list of export formats in it
    for m in re.finditer(r"--to ([\w-]+(?:\|[\w-]+)+)", readme):
        assert m.group(1).split("|") == registry.exportable_ids()


def test_every_format_has_its_module_reader_and_writer():
    for f in registry.FORMATS:
        mod = importlib.import_module(f.module)
        assert mod.FORMAT == f.id
        assert callable(mod.open_source)
        assert callable(mod.write) == f.writable
        assert f.extension.startswith(".")
        assert registry.for_extension("x" + f.extension) is f
    ids = registry.ids()
    assert len(ids) == len(set(ids))
    exts = [e for f in registry.FORMATS for e in f.extensions]
    assert len(exts) == len(set(exts)), "an extension names one format"


@pytest.mark.parametrize("command", ["export", "move-restricted-uris", "add-holding"])
def test_the_cli_choices_and_help_are_the_registry(command):
    to = _option(_subparser(command), "--to")
    assert list(to.choices) == registry.exportable_ids()
    for f in registry.exportable():
        assert f"{f.id} ({f.name})" in to.help


def test_detection_names_every_format_when_it_cannot_tell(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x01\x02 nothing we read")
    with pytest.raises(UnreadableFile) as exc:
        detect(p)
    for f in registry.FORMATS:
        assert f.name in str(exc.value)


def test_output_format_from_the_extension():
    assert format_for_output("out.mrc") == "iso2709"
    assert format_for_output("out.XML") == "marcxml"
    assert format_for_output("out.jsonld") == "jsonld"
    assert format_for_output("out.bin", "mrk") == "mrk"
    with pytest.raises(UnreadableFile, match="use --to"):
        format_for_output("out.bin")
    with pytest.raises(UnreadableFile, match="unknown format 'nope'"):
        module("nope")


def test_a_format_renamed_in_the_registry_is_renamed_everywhere(monkeypatch, tmp_path):
    """The one place: change MARCXML's id and name in the table, and the command line, the help,
    detection, output by extension, messages and the README table all say the new ones."""
    renamed = dataclasses.replace(registry.MARCXML, id="marc-xml", name="MARC XML slim")
    table = tuple(renamed if f is registry.MARCXML else f for f in registry.FORMATS)
    monkeypatch.setattr(registry, "FORMATS", table)

    to = _option(_subparser("export"), "--to")
    assert "marc-xml" in to.choices and "marcxml" not in to.choices
    assert "marc-xml (MARC XML slim)" in to.help
    assert sniff(b'<?xml version="1.0"?><collection/>') == "marc-xml"
    assert format_for_output(tmp_path / "out.xml") == "marc-xml"
    assert module("marc-xml").__name__ == renamed.module
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x01\x02")
    with pytest.raises(UnreadableFile, match="MARC XML slim"):
        detect(p)
    table_md = registry.markdown_table()
    assert "| MARC XML slim (`.xml`, `.marcxml`) | `marc-xml` |" in table_md
    assert table_md not in (ROOT / "README.md").read_text("utf-8")  # the README test would say so
