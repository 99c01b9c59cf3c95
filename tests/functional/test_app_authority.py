"""An authority record in the app: the label view shows the Person itself under AUKTORITET, and
the MARC view's cursor follows the label view's line to its 100."""

from __future__ import annotations

from functional_helpers import build_app, main_screen, screen_text

MRK = """\
=LDR  00000cz  a2200000n  4500
=001  191503
=008  931215n|\\acnnaabn\\\\\\\\\\\\\\\\\\\\\\a\\aaa\\\\\\\\\\\\d
=100  1\\$aJansson, Tove,$d1914-2001
=400  1\\$aHaij, Vera,$d1914-2001
"""


async def test_the_label_view_of_an_authority_record(tmp_path):
    p = tmp_path / "auth.mrk"
    p.write_text(MRK, "utf-8")
    app = build_app(p)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "AUKTORITET" in text and "Person: Jansson, Tove, 1914-2001" in text
        assert "INSTANS" not in text
        screen = main_screen(app)
        labels = screen.labels
        i = next(k for k, ln in enumerate(labels.lines) if ln.text == "Person: Jansson, Tove, 1914-2001")
        labels.focus()
        labels.move_to(i)
        await pilot.pause()
        marc = screen.marc
        assert any(marc.lines[k].text.startswith("100") for k in marc.linked)
