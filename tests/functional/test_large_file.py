"""A file too large to classify before the first frame: the first record shows at once, a polite
worker indexes and classifies the rest (CHN-HIDE), and rows map to the right records throughout.

The file is mapped (over 16 MiB) and has more records than are classified synchronously; every
other record is a channel record. No timing is asserted.
"""

from __future__ import annotations

import gc

from functional_helpers import SAMPLES, build_app, main_screen

PAIRS = 12_500  # seed-records.mrc is a bib and a channel record: 25,000 records, ~17 MiB


def _big_file(tmp_path):
    path = tmp_path / "big.mrc"
    path.write_bytes((SAMPLES / "seed-records.mrc").read_bytes() * PAIRS)
    assert path.stat().st_size > 16 * 1024 * 1024
    return path


async def _wait_indexed(pilot, app, tries: int = 600) -> None:
    for _ in range(tries):
        if app.index_complete:
            break
        await pilot.pause(0.05)
    assert app.index_complete


async def test_first_record_then_the_rest_in_the_background(tmp_path):
    app = build_app(_big_file(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert app.first_record_shown.is_set()
        assert screen.slot == 0 and screen.labels.lines and screen.marc.lines
        await _wait_indexed(pilot, app)
        assert len(app.session) == 2 * PAIRS
        assert screen.records.count == PAIRS  # the channel records are hidden
        assert screen._chan.channel_count == PAIRS
        assert [screen._slot_for_row(r) for r in (0, 1, PAIRS - 1)] == [0, 2, 2 * PAIRS - 2]
        await pilot.press("n", "n")
        assert screen.slot == 4
        await pilot.press("c")  # channel records shown: rows are slots
        assert screen.records.count == 2 * PAIRS and screen.slot == 4


async def test_a_jump_beyond_the_worker_lands_on_the_record(tmp_path):
    app = build_app(_big_file(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        far = 2 * PAIRS - 2  # the last bib: classified at once when jumped to
        screen.go_to_slot(far)
        await pilot.pause()
        assert screen.slot == far and not screen.show_channels
        assert screen.records.cursor == screen._row_for_slot(far) == PAIRS - 1
        await _wait_indexed(pilot, app)
        assert screen.records.count == PAIRS and screen._chan.channel_count == PAIRS


async def test_the_garbage_collector_is_left_as_found(tmp_path):
    before = gc.get_threshold()
    enabled = gc.isenabled()
    app = build_app(_big_file(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app._gc_tuned:
                break
            await pilot.pause(0.05)
        # collections run between moves, not automatically in the middle of one
        assert app._gc_tuned and not gc.isenabled() and gc.get_freeze_count() > 0
        await pilot.press("n", "n")
        gc.collect(0)  # (the test's own allocations) then a move's worth, collected after its frame
        app.collect_young()
    assert gc.get_threshold() == before
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == 0


async def test_a_held_key_does_not_run_out_of_rows(tmp_path):
    """While keys come in, the indexing worker waits (it must not slow the moves down); a held
    ``n`` then runs past the rows classified before the first frame, and the list keeps ahead of
    the cursor (KEEP_AHEAD) by classifying more at once."""
    from time import monotonic

    from tui.ui.flows.indexing import FIRST_CLASSIFY

    app = build_app(_big_file(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        app.busy_until = monotonic() + 3600  # a key held down: the worker never gets a turn
        screen = main_screen(app)
        await pilot.pause()
        first_rows = screen.records.count  # FIRST_CLASSIFY records, and what keeping ahead added
        assert FIRST_CLASSIFY // 2 <= first_rows < PAIRS
        moves = first_rows + 20
        for done in range(moves):
            screen.action_next_record()
            if done % 50 == 49:  # (a key repeat lets the app draw between keys)
                await pilot.pause()
        await pilot.pause()
        assert screen.records.cursor == moves
        assert screen.slot == 2 * moves  # the bibs, the channel records in between hidden
        assert screen.records.count > moves
        assert not app.index_complete
