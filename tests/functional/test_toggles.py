"""Check boxes and radio buttons show their state in the character (``▐X▌`` / ``▐ ▌``), so it
reads the same with NO_COLOR, in 16 colours and in a copy of the screen's text."""

from __future__ import annotations

from textual.app import App
from textual.widgets import RadioSet

from tui.ui.widgets.toggles import MarkedCheckbox, MarkedRadioButton


class _Toggles(App):
    def compose(self):
        yield MarkedCheckbox("Ignore case", False, id="case")
        with RadioSet():
            yield MarkedRadioButton("This record", value=True, id="record")
            yield MarkedRadioButton("Every record", id="file")


def _text(app) -> str:
    return "\n".join(s.text for s in app.screen._compositor.render_strips())


async def test_the_state_is_in_the_character():
    app = _Toggles()
    async with app.run_test(size=(40, 8)) as pilot:
        text = _text(app)
        assert "▐ ▌ Ignore case" in text and "▐●▌ This record" in text and "▐ ▌ Every record" in text
        app.query_one("#case", MarkedCheckbox).value = True
        app.query_one("#file", MarkedRadioButton).value = True
        await pilot.pause()
        text = _text(app)
        assert "▐X▌ Ignore case" in text and "▐ ▌ This record" in text and "▐●▌ Every record" in text
