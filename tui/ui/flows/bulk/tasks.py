"""Running a task list (``run-tasks``) on this record or on every record of the file: the same
TOML task lists and operations as ``libris-tui batch``, as one ``RunTasks`` per record, each its
own undo step, shown first as the changes screen with what the rules refused counted by rule id.

The task list's text is read once, in the dialog; every record gets the same text (a file
changed on disk meanwhile does not change a run half-way), and the crash journal keeps it.
"""

from __future__ import annotations

from pathlib import Path

from tui.core.editing.commands import EditContext
from tui.core.model.record import LibrisRecord
from tui.ui.flows.base import Flow
from tui.ui.flows.bulk import apply_per_record, skipped_text
from tui.ui.i18n import N_, _, ngettext

TITLE = N_("Task list")


class TasksFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        self._last: dict | None = None

    def run_tasks(self) -> None:
        from tui.ui.dialogs.editing.task_dialog import TaskDialog

        def done(params: dict | None) -> None:
            if params is None:
                return
            self._last = {"path": params["path"], "scope": params["scope"]}
            if params["scope"] == "record" and self.screen.slot is None:
                self.say(_("Open the record to run the task list on first."), title=_(TITLE))
                return
            slot = self.screen.slot
            if params["scope"] == "file":
                self.say(_("Trying the task list on every record ..."), title=_(TITLE))
            self.in_thread(self._plan_worker, params, slot, group="run-tasks")

        path = self.session.path
        self.app.push_screen(TaskDialog(self._last, str(Path(path).parent) if path else None), done)

    @staticmethod
    def _make(params: dict):
        from tui.core.batch.taskcmd import RunTasks

        return RunTasks(params["text"], params["path"])

    def plan(self, params: dict, slot: int | None):
        """What the task list would do (records as edited so far, none touched): on ``slot``, or
        on every record when the scope is the file."""
        from tui.core.batch.taskcmd import plan_tasks

        session = self.session

        def entries():
            if params["scope"] == "record":
                if slot is not None:
                    yield slot, session.entry(slot)
                return
            for s in range(len(session)):
                yield s, session.entry(s)

        def context(s: int, rec: LibrisRecord) -> EditContext:
            return EditContext(rec, session.profile, session.sigel, session.source)

        if params["scope"] == "file":
            with session.lock:
                if not session.source.complete:
                    session.source.build_index()
        return plan_tasks(entries(), lambda: self._make(params), context)

    def _plan_worker(self, params: dict, slot: int | None) -> None:
        plan = self.plan(params, slot)
        self.app.call_from_thread(self._show_plan, params, plan)

    def _show_plan(self, params: dict, plan) -> None:
        from tui.ui.screens.changes_screen import ChangesScreen

        if plan.refusal is not None:
            self.refuse(plan.refusal)
            return
        note = _("Refused by the rules: {counts}").format(counts=skipped_text(plan.skipped)) if plan.skipped else ""
        if not plan.slots:
            nothing = (
                _("The task list changes nothing in this record.")
                if params["scope"] == "record"
                else _("The task list changes nothing in the file.")
            )
            self.say(nothing + (f" {note}." if note else ""), title=_(TITLE))
            return
        runs, recs = plan.replaced, len(plan.slots)
        head = (
            Path(params["path"]).name
            + ": "
            + ngettext("{n} operation run changes", "{n} operation runs change", runs)
            + " "
            + ngettext("{n} record", "{n} records", recs)
        )
        self.app.push_screen(
            ChangesScreen(
                lambda: plan.changes,
                proceed=_("Run"),
                note=f"{head}. {note}" if note else head,
                title=_("Task list: what would change"),
            ),
            lambda r: bool(r) and r[0] == "proceed" and self._apply(params, plan),
        )

    def _apply(self, params: dict, plan) -> None:
        cmds, refused = apply_per_record(self.session, plan.slots, lambda: self._make(params))
        done = sum(1 for cmd in cmds if cmd.changed)
        refused = plan.skipped + refused  # the same count the preview showed, and any refused since
        msg = ngettext(
            "Task list run: {n} record changed, one undo step each",
            "Task list run: {n} records changed, one undo step each",
            done,
        )
        if refused:
            msg += "; " + _("refused by the rules: {counts}").format(counts=skipped_text(refused))
        self.say(msg, title=_(TITLE))
