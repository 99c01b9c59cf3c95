"""The app's export dialog offers exactly the formats the registry says export writes (JSON-LD
too), and follows a format renamed in the registry."""

from __future__ import annotations

import dataclasses

from functional_helpers import build_app, said
from textual.widgets import Input, Select

from tui.core.formats import open_source, registry
from tui.ui.dialogs.export_dialog import ExportDialog


async def _open_export(pilot):
    await pilot.press("x")
    for _ in range(50):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, ExportDialog):
            return pilot.app.screen
    raise AssertionError(f"no export dialog; said {said(pilot.app)[-3:]}")


def _offered(select: Select) -> list[tuple[str, str]]:
    """The (label, id) pairs the format list shows, read from the list when it is opened."""
    from textual.widgets._select import SelectOverlay

    overlay = select.query_one(SelectOverlay)
    return [(str(o.prompt), select._options[k][1]) for k, o in enumerate(overlay.options)]


async def test_the_dialog_offers_every_export_format_and_writes_json_ld(seed_file, tmp_path):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        dialog = await _open_export(pilot)
        select = dialog.query_one("#format", Select)
        assert _offered(select) == [(f.label, f.id) for f in registry.exportable()]
        assert ("Libris XL JSON-LD (.jsonld)", "jsonld") in _offered(select)
        select.value = "jsonld"
        await pilot.pause()
        out = tmp_path / "seed-records-export.jsonld"
        assert dialog.query_one("#path", Input).value == str(out)
        dialog.query_one("#export-button").press()
        for _ in range(100):
            await pilot.pause(0.05)
            if any(s.startswith("Exported") for s in said(app)):
                break
        assert any(s.startswith("Exported: 2 records written to") for s in said(app)), said(app)
    back = open_source(out)
    assert back.format == "jsonld"
    assert [e.title for e in back.records()] == [e.title for e in open_source(seed_file).records()]


async def test_a_format_renamed_in_the_registry_is_renamed_in_the_dialog(seed_file, monkeypatch):
    renamed = dataclasses.replace(registry.MARCXML, id="marc-xml", name="MARC XML slim")
    monkeypatch.setattr(registry, "FORMATS", tuple(renamed if f is registry.MARCXML else f for f in registry.FORMATS))
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        dialog = await _open_export(pilot)
        select = dialog.query_one("#format", Select)
        assert ("MARC XML slim (.xml)", "marc-xml") in _offered(select)
        assert "marcxml" not in [v for _, v in _offered(select)]
        dialog.query_one("#path", Input).value = "out.xml"  # the extension picks the format
        await pilot.pause()
        assert select.value == "marc-xml"
