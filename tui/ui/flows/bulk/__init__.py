"""Edits over many records at once, each record its own undo step and the changes screen
first: find and replace (``find_replace``) and task lists (``tasks``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable


def skipped_text(skipped: Counter) -> str:
    """What the rules kept or refused, by rule id: ``EPL-PROTECT 2, CHN-READONLY 1``."""
    return ", ".join(f"{rule} {n}" for rule, n in sorted(skipped.items()))


def apply_per_record(session, slots: Iterable[int], make: Callable[[], object]) -> tuple[list, Counter]:
    """``make()``'s command on each record of ``slots`` through the session, each its own undo
    step. Returns the commands done and what the rules refused since the preview, by rule id."""
    from tui.core.editing.commands import Refused

    done: list = []
    refused: Counter = Counter()
    for slot in slots:
        cmd = make()
        try:
            session.do(slot, cmd)
        except Refused as exc:
            refused[exc.refusal.rule] += 1
            continue
        done.append(cmd)
    return done, refused
