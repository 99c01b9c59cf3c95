"""The app's fuzz campaign (``tools/fuzz_app.py``) on a few inputs: the terminal-attack record as
an ordinary record driven through every dialog shows no raw control character and raises
nothing, and a handful of mutated files go through the campaign's own loop with no crash."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import fuzz_app  # noqa: E402


def test_every_dialog_on_the_attack_record_shows_no_raw_control_character(tmp_path):
    attack = fuzz_app.ordinary_attack(tmp_path)
    assert attack is not None
    outcome, sig, text = fuzz_app._one(attack, 300)
    assert sig is None, text
    assert outcome == "records:1"


def test_a_few_mutated_inputs_through_the_campaign_loop(tmp_path):
    seeds = [str(p) for p in fuzz_app.seeds_for(tmp_path, include_corpus=False)]
    stats = fuzz_app.worker((0, 7, time.time() + 600, 3, 300, tmp_path, seeds))
    assert stats["inputs"] == 3
    assert stats["crashes"] == {}, stats["examples"]
