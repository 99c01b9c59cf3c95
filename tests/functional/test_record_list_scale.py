"""The record list draws only what is on screen: a million rows cost what ten do."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import App, ComposeResult

from tui.ui.widgets.record_list import RecordList


class ListApp(App):
    def __init__(self, rows: int):
        super().__init__()
        self.rows = rows
        self.asked: list[int] = []

    def row_text(self, row: int) -> Text:
        self.asked.append(row)
        return Text(f"record {row + 1}")

    def compose(self) -> ComposeResult:
        yield RecordList(self.row_text)

    def on_mount(self) -> None:
        self.query_one(RecordList).set_count(self.rows)
        self.query_one(RecordList).focus()


async def _walk(rows: int) -> tuple[float, int, str]:
    app = ListApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        t = time.perf_counter()
        await pilot.press("end", "pageup", "up", "up", "home", "pagedown")
        await pilot.pause()
        elapsed = time.perf_counter() - t
        app.query_one(RecordList)
        await pilot.press("end")
        await pilot.pause()
        last = "\n".join(s.text for s in app.screen._compositor.render_strips())
        return elapsed, len(set(app.asked)), last


async def test_a_million_rows_render_only_what_is_seen():
    small_t, small_asked, _ = await _walk(10)
    big_t, big_asked, last = await _walk(1_000_000)
    assert "record 1000000" in last
    # only rows that were on screen were ever built: a few screens' worth, not a million
    assert big_asked < 24 * 6
    # and it takes about as long (generous bound: CI machines are noisy)
    assert big_t < max(1.0, small_t * 5)
