"""What a field is and its fixed positions: the fixed-field editor (``fixed-field-editor``: the
leader, 006, 007, 008 position by position) and the field help (``field-help``).

The fixed-field editor's layouts come from ``tui.core.editing.fixedfields``; its edit is
``SetControlField`` through the ``Session`` like every other (the rules decide: CHN-READONLY,
EPL-NODELETE for leader/05 'd'). A change of the leader's type of record or bibliographic level
that changes the 008's material lays the 008 out again, in the same undo step.
"""

from __future__ import annotations

from tui.core.editing import fixedfields as ff
from tui.core.editing.commands import EditCommand, SetControlField
from tui.core.rules.eplikt import field_at
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, language


class FieldsFlow(Flow):
    @property
    def editing(self):
        return self.screen.editing

    @property
    def lang(self) -> str:
        return getattr(self.screen, "language", "sv")

    def _fixed_target(self):
        ed = self.editing
        t = ed.target()
        rec = ed.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to the leader, 006, 007 or 008 first."), title=_("Fixed fields"))
            return None, None
        if ed.holding_target(t):
            return None, None
        if t.tag not in ff.TAGS:
            self.say(
                _(
                    "{tag} is no fixed field: the fixed-field editor is for the leader, 006, 007 and 008; "
                    "edit {tag} with {key} or {line_key}."
                ).format(tag=t.tag, key=self.app.key_hint("edit-field"), line_key=self.app.key_hint("edit-line")),
                title=_("Fixed fields"),
            )
            return None, None
        return t, rec

    def fixed_field_editor(self) -> None:
        from tui.ui.dialogs.editing.fixed_field_dialog import FixedFieldDialog

        t, rec = self._fixed_target()
        if t is None:
            return
        if not self.editing.precheck(t.tag, t.occurrence):
            return
        leader = str(rec.marc.leader)
        if t.tag == "000":
            value = leader
        else:
            f = field_at(rec, t.tag, t.occurrence)
            if f is None:
                return
            value = f.data or ""
        layout = ff.layout_for(t.tag, rec.kind, leader, value)
        if layout is None:
            self.say(
                _("No position definitions for {tag} starting {start} in this {kind} record.").format(
                    tag=t.tag, start=repr(value[:1]), kind=rec.kind
                ),
                title=_("Fixed fields"),
                severity="warning",
            )
            return
        slot = t.slot
        where = _("the leader") if t.tag == "000" else f"{t.tag}[{t.occurrence}]"
        note = (
            _("A change of type of record (06) or bibliographic level (07) lays 008 out again.")
            if t.tag == "000"
            else ""
        )

        def done(new: str | None) -> None:
            if new is None or new == value:
                return
            cmds: list[EditCommand] = [SetControlField(t.tag, new, t.occurrence)]
            what = _("Fixed fields of {where}").format(where=where)
            if t.tag == "000":
                cmds += self._relay(rec, leader, new)
            self.editing.run_commands(cmds, slot=slot, what=what)

        self.app.push_screen(
            FixedFieldDialog(_("Fixed fields: {where}").format(where=where), layout, value, self.lang, note), done
        )

    def _relay(self, rec, old_leader: str, new_leader: str) -> list[EditCommand]:
        """The 008 laid out for the new record type, when its material changes."""
        f008 = rec.marc.get_fields("008")
        if rec.kind != "bib" or not f008:
            return []
        old = ff.layout_for("008", rec.kind, old_leader)
        new = ff.layout_for("008", rec.kind, new_leader)
        if old is None or new is None or old.name == new.name:
            return []
        self.say(
            _("008 laid out again: {old} -> {new}").format(old=old.title(language()), new=new.title(language())),
            title=_("Fixed fields"),
        )
        return [SetControlField("008", ff.relay_008(f008[0].data or "", new), 1)]

    # -- field help ----------------------------------------------------------------------------
    def field_help(self) -> None:
        from tui.ui.dialogs.editing.field_help_dialog import FieldHelpDialog, help_for

        ed = self.editing
        t = ed.target()
        rec = ed.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to a field first."), title=_("Field help"))
            return
        from tui.ui.view_lines import holding_of

        h, tag = holding_of(t.tag)
        kind = "holdings" if h is not None else rec.kind
        text = help_for(tag, kind, self.lang)
        if text is None:
            self.say(
                _("{tag}: no definition of this tag in the MARC 21 definitions.").format(tag=tag), title=_("Field help")
            )
            return
        self.app.push_screen(FieldHelpDialog(tag, text))
