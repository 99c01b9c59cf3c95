"""Find and replace over the file (``find-replace``): one ``FindReplace`` per record, each its
own undo step, shown first as the changes screen with the lines the rules keep unchanged counted
by rule id."""

from __future__ import annotations

from tui.core.editing.commands import EditContext
from tui.core.model.record import LibrisRecord
from tui.ui.flows.base import Flow
from tui.ui.flows.bulk import apply_per_record, skipped_text
from tui.ui.i18n import _


class FindReplaceFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        self._last_replace: dict | None = None

    def find_replace(self) -> None:
        from tui.ui.dialogs.editing.find_replace_dialog import FindReplaceDialog

        def done(params: dict | None) -> None:
            if params is not None:
                self._last_replace = params
                self._preview(params)

        self.app.push_screen(FindReplaceDialog(self._last_replace), done)

    def _make(self, params: dict):
        from tui.core.editing.replace import FindReplace

        code = None if params.get("code") in (None, "", "*") else params["code"]
        return FindReplace(
            params["pattern"], params["replacement"], params.get("tag") or "*", code, params.get("flags", "")
        )

    def plan(self, params: dict):
        """What the replace would do over the whole file (records as edited so far, none touched)."""
        from tui.core.editing.replace import plan_over

        session = self.session

        def entries():
            for slot in range(len(session)):
                yield slot, session.entry(slot)

        def context(slot: int, rec: LibrisRecord) -> EditContext:
            return EditContext(rec, session.profile, session.sigel, session.source)

        with session.lock:
            if not session.source.complete:
                session.source.build_index()
        return plan_over(entries(), lambda: self._make(params), context)

    def _preview(self, params: dict) -> None:
        """The whole file is looked through in a worker (a big file takes a while); the changes
        screen opens when it is done."""
        self.say(_("Looking through the file ..."), title=_("Find and replace"))
        self.in_thread(self._plan_worker, params, group="find-replace")

    def _plan_worker(self, params: dict) -> None:
        plan = self.plan(params)
        self.app.call_from_thread(self._show_plan, params, plan)

    def _show_plan(self, params: dict, plan) -> None:
        from tui.ui.screens.changes_screen import ChangesScreen

        if plan.refusal is not None:
            self.refuse(plan.refusal)
            return
        note = _("Skipped by the rules: {counts}").format(counts=skipped_text(plan.skipped)) if plan.skipped else ""
        if not plan.slots:
            self.say(_("Nothing to replace.") + (f" {note}." if note else ""), title=_("Find and replace"))
            return
        head = _("Replace /{pattern}/ with {replacement}: {values} values in {records} records").format(
            pattern=params["pattern"],
            replacement=repr(params["replacement"]),
            values=plan.replaced,
            records=len(plan.slots),
        )
        self.app.push_screen(
            ChangesScreen(
                lambda: plan.changes,
                proceed=_("Replace"),
                note=f"{head}. {note}" if note else head,
                title=_("Find and replace: what would change"),
            ),
            lambda r: bool(r) and r[0] == "proceed" and self._apply(params, plan),
        )

    def _apply(self, params: dict, plan) -> None:
        cmds, refused = apply_per_record(self.session, plan.slots, lambda: self._make(params))
        done, values = len(cmds), sum(cmd.replaced for cmd in cmds)
        skipped = plan.skipped + refused  # every record's lines the rules kept, by rule id
        msg = _("{values} values replaced in {records} records, one undo step each").format(values=values, records=done)
        if skipped:
            msg += "; " + _("skipped by the rules: {counts}").format(counts=skipped_text(skipped))
        self.say(msg, title=_("Find and replace"))
