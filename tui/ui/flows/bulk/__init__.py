"""Edits over many records at once, each record its own undo step and the changes screen
first: find and replace (``find_replace``) and task lists (``tasks``)."""

from __future__ import annotations

from collections import Counter


def skipped_text(skipped: Counter) -> str:
    """What the rules kept or refused, by rule id: ``EPL-PROTECT 2, CHN-READONLY 1``."""
    return ", ".join(f"{rule} {n}" for rule, n in sorted(skipped.items()))
