"""Yank, put and duplicate fields (the register), across records and across files, undoable."""

from __future__ import annotations

import shutil

import pytest
from functional_helpers import DATA, build_app, focus_marc_line, main_screen, said, screen_text

URI = "856 4/0 #u http://example.org/vanlig #z Fulltext"


@pytest.fixture
def plain_file(tmp_path):
    dst = tmp_path / "plain.mrk"
    shutil.copy(DATA / "plain.mrk", dst)
    return dst


async def test_copy_an_856_from_one_record_to_another_and_undo(plain_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await focus_marc_line(pilot, "856")
        await pilot.press("y")
        await pilot.pause()
        assert any("Yanked =856  40$uhttp://example.org/vanlig$zFulltext" in s for s in said(app))
        await pilot.press("n")
        await pilot.pause()
        assert screen.slot == 1 and URI not in screen_text(app)
        await pilot.press("P")
        await pilot.pause()
        assert URI in screen_text(app)
        assert screen.session.history.commands()[-1].op == "add-fields"
        await pilot.press("u")
        await pilot.pause()
        assert URI not in screen_text(app) and not screen.session.dirty


async def test_put_into_a_record_of_another_file(plain_file, tmp_path):
    other = tmp_path / "other.mrk"
    shutil.copy(DATA / "plain.mrk", other)
    first = build_app(plain_file)
    async with first.run_test(size=(120, 40)) as pilot:
        await focus_marc_line(pilot, "650")
        await pilot.press("y")
        await pilot.pause()
    second = build_app(other)
    async with second.run_test(size=(120, 40)) as pilot:
        screen = main_screen(second)
        await pilot.press("n")
        await pilot.pause()
        await focus_marc_line(pilot, "245")
        await pilot.press("P")
        await pilot.pause()
        text = screen_text(second)
        assert "650 -/7 #a Film #2 sao" in text and "650 -/7 #a Fotografi #2 sao" in text
        assert any("Put from plain.mrk, record 1" in s for s in said(second))
        assert screen.session.is_changed(1)


async def test_duplicate_a_field_and_the_refusals(plain_file, seed_file):
    app = build_app(plain_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_marc_line(pilot, "650")
        await pilot.press("D")
        await pilot.pause()
        assert screen_text(app).count("650 -/7 #a Film #2 sao") == 2
        await pilot.press("u")
        await pilot.pause()
        assert screen_text(app).count("650 -/7 #a Film #2 sao") == 1
        # the system fields cannot be duplicated or put (SYS-READONLY)
        await focus_marc_line(pilot, "001")
        before = len(said(app, "error"))
        await pilot.press("D")
        await pilot.pause()
        assert "SYS-READONLY" in said(app, "error")[before]
        await pilot.press("y")
        await pilot.press("n", "P")
        await pilot.pause()
        assert "SYS-READONLY" in said(app, "error")[-1]
        assert not main_screen(app).session.dirty
    # into an e-plikt record, a protected field is refused with its rule; and a channel record refuses all
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await focus_marc_line(pilot, "655")
        await pilot.press("D")
        await pilot.pause()
        assert "Refused (EPL-PROTECT)" in said(app, "error")[-1]
        await focus_marc_line(pilot, "520")
        await pilot.press("y")
        await pilot.press("c", "n")
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        assert "CHN-READONLY" in said(app, "error")[-1]
        assert not main_screen(app).session.dirty
