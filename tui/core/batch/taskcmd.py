"""A task list run on one record as one edit command (``RunTasks``), for the app: the same
operations as ``libris-tui batch`` (``tasks``), each through the edit commands and the rules,
undone as one step, and replayed from the crash journal from the task list's own text (the file
may have changed or gone since).

``plan_tasks`` dry-runs it over records (copies; the records are not touched) for the changes
screen, counting what the rules refused by rule id."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

from tui.core.batch.tasks import TaskFileError, TaskList, parse_tasks
from tui.core.editing.commands import COMMANDS, EditCommand, EditContext
from tui.core.editing.replace import FilePlan
from tui.core.rules.table import Refusal


@dataclass
class RunTasks(EditCommand):
    """Every operation of a task list (its TOML ``text``, read from ``path``) on the record, in
    order; what the rules refuse is not done and is counted in ``refused`` by rule id."""

    text: str
    path: str = "<tasks>"
    op: ClassVar[str] = "run-tasks"

    def __post_init__(self):
        super().__post_init__()
        self.refused: Counter[str] = Counter()
        #: operation numbers that changed the record (last apply)
        self.changed_by: list[int] = []
        self._done: list[EditCommand] = []
        self._ctx: EditContext | None = None

    def tasks(self) -> TaskList:
        """The task list (``TaskFileError`` with file and line when the text is not one)."""
        return parse_tasks(self.text, self.path)

    def check(self, ctx: EditContext) -> Refusal | None:
        # each operation's commands are checked by the rules as they run; here only the list
        try:
            self.tasks()
        except TaskFileError as exc:
            return Refusal.of("EDIT-VALUE", "bad-tasks", problem=str(exc))
        return None

    def _apply(self, ctx: EditContext) -> bool:
        tasks = self.tasks()
        inner = EditContext(ctx.record, ctx.profile, ctx.sigel or tasks.sigel, ctx.source)
        outcomes = tasks.run(ctx.record, inner)
        self.refused = Counter()
        for o in outcomes:
            self.refused.update(o.refused)
        self.changed_by = [op.number for op, o in zip(tasks.operations, outcomes) if o.changed]
        self._done = [c for o in outcomes for c in o.commands]
        self._ctx = inner
        return bool(self._done)

    def _undo(self, ctx: EditContext) -> None:
        inner = self._ctx or ctx
        for cmd in reversed(self._done):
            cmd.undo(inner)
        self._done = []

    def describe(self) -> str:
        text = f"Task list {PurePath(self.path).name}"
        if self._applied:
            if self.changed_by:
                text += ": operation" + ("s " if len(self.changed_by) > 1 else " ")
                text += ", ".join(str(n) for n in self.changed_by) + " changed the record"
            else:
                text += ": nothing changed"
            if self.refused:
                text += "; refused " + ", ".join(f"{rule} {n}" for rule, n in sorted(self.refused.items()))
        return text


COMMANDS.setdefault(RunTasks.op, RunTasks)  # the journal replays it like the others


def plan_tasks(
    entries: Iterable[tuple[int, object]],
    make: Callable[[], RunTasks],
    context: Callable[[int, object], EditContext],
) -> FilePlan:
    """Dry-run ``make()`` on a copy of each record of ``entries`` (``(slot, entry)`` pairs).
    ``replaced`` counts the operations that would change a record, summed over the records."""
    from tui.core.editing.changes import record_changes
    from tui.core.model.record import LibrisRecord

    probe = make()
    try:
        probe.tasks()
    except TaskFileError as exc:
        return FilePlan([], [], 0, Counter(), Refusal.of("EDIT-VALUE", "bad-tasks", problem=str(exc)))
    slots: list[int] = []
    changes: list = []
    refused: Counter[str] = Counter()
    done = 0
    for slot, e in entries:
        if not isinstance(e, LibrisRecord):
            continue
        dry = copy.deepcopy(e)
        cmd = make()
        cmd.apply(context(slot, dry))
        refused.update(cmd.refused)
        if not cmd.changed:
            continue
        done += len(cmd.changed_by)
        ch = record_changes(e, dry, before_slot=slot, after_slot=slot, commands=[(0, cmd)])
        if ch is not None:
            slots.append(slot)
            changes.append(ch)
    return FilePlan(slots, changes, done, refused)


__all__ = ["RunTasks", "plan_tasks"]
