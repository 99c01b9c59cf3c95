"""Whole records and the whole file: a new record from a template (``new-record``), deleting a
record (``delete-record``), and find and replace over the file (``find-replace``).

All of it goes through the core's commands and the ``Session``: a holdings template is
``AddHolding`` with the template's lines (HOLD-ADD), a delete is ``DeleteRecord`` (refused under
EPL-NODELETE and CHN-READONLY, with the rule shown), and a find and replace is one
``FindReplace`` per record, each its own undo step, shown first as the changes screen with the
lines the rules keep unchanged counted by rule id.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text

from tui.core.editing.commands import AddHolding, DeleteRecord, EditContext
from tui.core.model.record import LibrisRecord
from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow


def skipped_text(skipped: Counter) -> str:
    return ", ".join(f"{rule} {n}" for rule, n in sorted(skipped.items()))


class RecordsFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        self._last_replace: dict | None = None

    # -- new record ---------------------------------------------------------------------------
    def new_record(self) -> None:
        from tui.core.editing.templates import load_templates, user_dir
        from tui.ui.dialogs.editing.template_dialog import TemplateDialog

        templates, problems = load_templates()
        by_name = {t.name: t for t in templates}
        slot = self.screen.slot

        def done(name: str | None) -> None:
            if name is None:
                return
            t = by_name[name]
            if t.kind == "holdings":
                self._new_holding(t, slot)
            else:
                self._new_bib(t)

        self.app.push_screen(TemplateDialog(templates, str(user_dir()), problems), done)

    def _new_bib(self, template) -> None:
        from tui.core.editing.commands import CreateRecord, Refused
        from tui.core.model.record import LibrisError

        refusal = self.session.profile.refusal("edit")  # limited participation does not catalogue
        if refusal is not None:
            self.refuse(refusal)
            return
        leader, lines = template.filled(self.session.sigel)
        cmd = CreateRecord(leader or "00000nam a2200000 i 4500", lines, template.name)
        try:
            slot, _ = self.session.new_record(cmd)
        except Refused as exc:
            self.refuse(exc.refusal)
            return
        except LibrisError as exc:
            self.say(str(exc), title="New record", severity="error")
            return
        self.say(
            f"{cmd.describe()} (record {slot + 1}); replace the placeholder texts; undo takes it away again.",
            title="New record",
        )

    def _new_holding(self, template, slot: int | None) -> None:
        rec = self.screen.editing.record()
        if rec is None or slot is None:
            self.say("Open the record the holding is for first.", title="New record")
            return
        sigel = self.session.sigel
        _, lines = template.filled(sigel)
        self.screen.editing.run_commands(
            [AddHolding(sigel, lines=lines)], slot=slot, what=f"New record: {template.title}"
        )

    # -- delete record ------------------------------------------------------------------------
    def delete_record(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        rec = self.screen.editing.record()
        slot = self.screen.slot
        if rec is None or slot is None:
            self.say("No record to delete.", title="Delete record")
            return
        refusal = self.session.check(slot, DeleteRecord())
        if refusal is not None:
            self.refuse(refusal)
            return
        body = Text("Mark this record deleted (leader/05 'd')?\n\n")
        body.append(visible(rec.title or rec.control_number or f"record {slot + 1}"), "bold")
        self.app.push_screen(
            ConfirmDialog(
                "Delete record",
                body,
                [("delete", "Delete", "error"), ("cancel", "Cancel", "default")],
                focus="cancel",
                subtitle="undo brings it back",
            ),
            lambda r: (
                r == "delete" and self.screen.editing.run_commands([DeleteRecord()], slot=slot, what="Delete record")
            ),
        )

    # -- find and replace over the file -----------------------------------------------------------
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
        self.say("Looking through the file ...", title="Find and replace")
        self.in_thread(self._plan_worker, params, group="find-replace")

    def _plan_worker(self, params: dict) -> None:
        plan = self.plan(params)
        self.app.call_from_thread(self._show_plan, params, plan)

    def _show_plan(self, params: dict, plan) -> None:
        from tui.ui.screens.changes_screen import ChangesScreen

        if plan.refusal is not None:
            self.refuse(plan.refusal)
            return
        note = f"Skipped by the rules: {skipped_text(plan.skipped)}" if plan.skipped else ""
        if not plan.slots:
            self.say("Nothing to replace." + (f" {note}." if note else ""), title="Find and replace")
            return
        head = f"Replace /{params['pattern']}/ with {params['replacement']!r}: {plan.replaced} values in {len(plan.slots)} records"
        self.app.push_screen(
            ChangesScreen(
                lambda: plan.changes,
                proceed="Replace",
                note=f"{head}. {note}" if note else head,
                title="Find and replace: what would change",
            ),
            lambda r: bool(r) and r[0] == "proceed" and self._apply(params, plan),
        )

    def _apply(self, params: dict, plan) -> None:
        from tui.core.editing.commands import Refused

        done = values = 0
        refused: Counter = Counter()
        for slot in plan.slots:
            cmd = self._make(params)
            try:
                self.session.do(slot, cmd)  # one undo step per record
            except Refused as exc:
                refused[exc.refusal.rule] += 1
                continue
            done += 1
            values += cmd.replaced
        skipped = plan.skipped + refused  # every record's lines the rules kept, by rule id
        msg = f"{values} values replaced in {done} records, one undo step each"
        if skipped:
            msg += f"; skipped by the rules: {skipped_text(skipped)}"
        self.say(msg, title="Find and replace")
