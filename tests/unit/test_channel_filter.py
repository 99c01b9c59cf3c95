"""The channel filter (CHN-HIDE) the record list uses: the same verdicts as detect.is_channel on
every record, found by raw scans a chunk at a time; rows <-> slots kept compactly."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tui.core.batch.channel_filter import ChannelIndex, channel_slots, release_pages
from tui.core.formats import open_source
from tui.core.formats.iso2709 import read_bytes
from tui.core.model.record import LibrisRecord
from tui.core.rules.detect import is_channel

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample_records").glob("*.*"))
SAMPLES = [p for p in SAMPLES if p.suffix != ".md"]


def _decide(src):
    def decide(i: int) -> bool:
        e = src.entry(i)
        return isinstance(e, LibrisRecord) and is_channel(e)

    return decide


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_same_verdicts_as_a_full_parse(path):
    src = open_source(path)
    src.build_index()
    decide = _decide(src)
    assert channel_slots(src, 0, len(src), decide) == [i for i in range(len(src)) if decide(i)]


def test_small_chunks_and_ranges_find_the_same(tmp_path):
    seed = (ROOT / "sample_records" / "seed-records.mrc").read_bytes()
    src = read_bytes(seed * 50)
    decide = _decide(src)
    want = [i for i in range(len(src)) if decide(i)]
    assert want == list(range(1, 100, 2))
    assert channel_slots(src, 0, len(src), decide, chunk_bytes=1000) == want
    assert channel_slots(src, 0, 37, decide) + channel_slots(src, 37, len(src), decide) == want


def test_character_references_in_marcxml_are_looked_at(tmp_path):
    xml = (ROOT / "sample_records" / "seed-records.xml").read_text(encoding="utf-8")
    assert "[channel record]" in xml
    p = tmp_path / "refs.xml"
    p.write_text(xml.replace("[channel record]", "[Channel&#32;rec&#x6F;rd]"), encoding="utf-8")
    src = open_source(p)
    src.build_index()
    decide = _decide(src)
    assert any(decide(i) for i in range(len(src)))
    assert channel_slots(src, 0, len(src), decide) == [i for i in range(len(src)) if decide(i)]


def test_rows_and_slots_agree_with_a_plain_list():
    rng = random.Random(6)
    for n, share in ((1, 1.0), (50, 0.0), (3000, 0.3), (3000, 0.97)):
        channels = sorted(rng.sample(range(n), int(n * share)))
        idx = ChannelIndex()
        cut = n // 3
        idx.add(cut, [s for s in channels if s < cut])
        idx.add(n, channels)  # overlapping: slots below the old upto are not added twice
        shown = [s for s in range(n) if s not in set(channels)]
        assert idx.channel_count == len(channels)
        assert idx.rows(False) == len(shown) and idx.rows(True) == n
        for row, slot in enumerate(shown):
            assert idx.slot_for_row(row, False) == slot
            assert idx.row_for_slot(slot, False) == row
        for slot in channels:
            assert idx.row_for_slot(slot, False) is None and idx.is_channel(slot)
            assert idx.row_for_slot(slot, True) == slot


def test_release_pages_is_harmless_without_a_mapping():
    src = read_bytes((ROOT / "sample_records" / "seed-records.mrc").read_bytes())
    release_pages(src)
    release_pages(src, 0, 10)
    assert len(src) == 2
