"""Whole records: a new record from a template (``new-record``) and deleting a record
(``delete-record``); edits over many records are in ``bulk``.

Both go through the core's commands and the ``Session``: a holdings template is ``AddHolding``
with the template's lines (HOLD-ADD), a delete is ``DeleteRecord`` (refused under EPL-NODELETE and
CHN-READONLY, with the rule shown).
"""

from __future__ import annotations

from rich.text import Text

from tui.core.editing.commands import AddHolding, DeleteRecord
from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow
from tui.ui.i18n import _


class RecordsFlow(Flow):
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
            slot, _created = self.session.new_record(cmd)
        except Refused as exc:
            self.refuse(exc.refusal)
            return
        except LibrisError as exc:
            self.say(str(exc), title=_("New record"), severity="error")
            return
        self.say(
            _("{what} (record {n}); replace the placeholder texts; undo takes it away again.").format(
                what=cmd.describe(), n=slot + 1
            ),
            title=_("New record"),
        )

    def _new_holding(self, template, slot: int | None) -> None:
        rec = self.screen.editing.record()
        if rec is None or slot is None:
            self.say(_("Open the record the holding is for first."), title=_("New record"))
            return
        sigel = self.session.sigel
        _leader, lines = template.filled(sigel)
        self.screen.editing.run_commands(
            [AddHolding(sigel, lines=lines)],
            slot=slot,
            what=_("New record: {template}").format(template=template.title),
        )

    # -- delete record ------------------------------------------------------------------------
    def delete_record(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        rec = self.screen.editing.record()
        slot = self.screen.slot
        if rec is None or slot is None:
            self.say(_("No record to delete."), title=_("Delete record"))
            return
        refusal = self.session.check(slot, DeleteRecord())
        if refusal is not None:
            self.refuse(refusal)
            return
        body = Text(_("Mark this record deleted (leader/05 'd')?") + "\n\n")
        body.append(visible(rec.title or rec.control_number or _("record {n}").format(n=slot + 1)), "bold")
        self.app.push_screen(
            ConfirmDialog(
                _("Delete record"),
                body,
                [("delete", _("Delete"), "error"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
                subtitle=_("undo brings it back"),
            ),
            lambda r: (
                r == "delete" and self.screen.editing.run_commands([DeleteRecord()], slot=slot, what=_("Delete record"))
            ),
        )
