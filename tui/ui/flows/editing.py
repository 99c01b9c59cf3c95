"""Editing: where an edit goes (``Target``), the edit dialogs, undo and redo.

Every edit is a command of the core (``tui.core.editing.commands``) applied through the
``Session``; before a dialog asks for a new value, the rules say whether that part may change at
all (``precheck``: CHN-READONLY, EPL-PROTECT, the participation profile), so no dialog opens on
protected data. ``run_commands`` applies a dialog's edits as one undo step and tells what was
done, with the rules' advice (SUP-CLEAR).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from tui.core.editing.commands import (
    AddField,
    AddSubfield,
    DeleteField,
    DeleteSubfield,
    EditCommand,
    Refusal,
    Refused,
    SetControlField,
    SetIndicator,
    SetSubfield,
)
from tui.core.model.record import LibrisError, LibrisRecord
from tui.core.model.textsafe import visible
from tui.core.rules.eplikt import field_at
from tui.ui.flows.base import Flow
from tui.ui.i18n import _
from tui.ui.view_lines import holding_of
from tui.ui.widgets.line_view import LineView, ViewLine


@dataclass
class Target:
    """What an edit command acts on: record slot, field (tag, occurrence) and part."""

    slot: int
    tag: str
    occurrence: int
    part: int | None  # None: the whole field; 0: indicators / control data; k: subfield k-1
    line: ViewLine
    #: from the label view: a line stands for its field, so the field's protection decides
    via_label: bool = False


class EditingFlow(Flow):
    # -- where an edit goes -----------------------------------------------------------------------
    def target(self) -> Target | None:
        screen = self.screen
        if screen.slot is None:
            return None
        view = screen.focused if isinstance(screen.focused, LineView) else (screen.navigation.active or screen.marc)
        line = view.current
        if line is None or not line.selectable or not line.refs:
            return None
        if view is screen.labels:
            subs = [r for r in line.refs if r[2] is not None]
            tag, occ, sub = subs[0] if subs else line.refs[0]
            return Target(screen.slot, tag, occ, None if sub is None else sub + 1, line, via_label=True)
        tag, occ, _sub = line.refs[0]
        return Target(screen.slot, tag, occ, view.part, line)

    def record(self) -> LibrisRecord | None:
        """The record shown, when it could be read."""
        slot = self.screen.slot
        e = self.session.entry(slot) if slot is not None else None
        return e if isinstance(e, LibrisRecord) else None

    def precheck(
        self, tag: str | None = None, occ: int | None = None, code: str | None = None, action: str = "edit"
    ) -> bool:
        refusal = self.session.precheck(self.screen.slot, tag, occ, code, action)
        if refusal is not None:
            self.refuse(refusal)
            return False
        return True

    def run_commands(self, commands: list[EditCommand], *, slot: int | None = None, what: str = "") -> bool:
        """Apply ``commands`` to one record as one step: all, or (on a refusal) none."""
        slot = self.screen.slot if slot is None else slot
        before = len(self.session.history)
        try:
            advice = self.session.do_all(slot, commands)
        except Refused as exc:
            self.refuse(exc.refusal)
            return False
        except LibrisError as exc:  # the core could not do it (e.g. a holding for a bib with no 001)
            self.say(str(exc), title=_("Not done"), severity="error", timeout=10)
            return False
        done = len(self.session.history) - before
        if not done:
            self.say(_("Nothing changed."), title=what or _("Edit"))
            return False
        described = "; ".join(c.describe() for c in commands if getattr(c, "changed", True))
        self.say(described or what, title=what or _("Done"))
        for a in {str(a): a for a in advice}.values():
            self.say(str(a), title=_("Advice ({rule})").format(rule=a.rule), severity="warning", timeout=12)
        if self.session.journal_problem:
            self.say(self.session.journal_problem, title=_("Crash journal"), severity="error", timeout=12)
        return True

    def holding_target(self, t: Target) -> bool:
        """Is ``t`` a field of a linked holdings record? (said so: those are added, not edited)"""
        h, bare = holding_of(t.tag)
        if h is not None:
            self.say(
                _("{tag} belongs to holdings record {n}; holdings are added with add-holding ({key}).").format(
                    tag=bare, n=h + 1, key=self.app.key_hint("add-holding")
                ),
                title=_("Holdings"),
                severity="warning",
            )
            return True
        return False

    # -- editing ----------------------------------------------------------------------------------
    def edit_field(self) -> None:
        from tui.ui.dialogs.editing.control_field_dialog import ControlFieldDialog
        from tui.ui.dialogs.editing.field_dialog import FieldDialog
        from tui.ui.dialogs.editing.indicator_dialog import IndicatorDialog
        from tui.ui.dialogs.editing.subfield_dialog import SubfieldDialog

        t = self.target()
        rec = self.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to a field in the label or MARC view first."), title=_("Edit"))
            return
        if self.holding_target(t):
            return
        slot = t.slot
        if t.tag == "000":
            if not self.precheck("000", 1):
                return
            self.app.push_screen(
                ControlFieldDialog(_("Edit the leader"), "000", str(rec.marc.leader), _("24 characters.")),
                lambda v: v is not None and self.run_commands([SetControlField("000", v)], slot=slot, what=_("Leader")),
            )
            return
        f = field_at(rec, t.tag, t.occurrence)
        if f is None:
            return
        context = visible(t.line.text)
        if f.is_control_field():
            if not self.precheck(t.tag, t.occurrence):
                return
            self.app.push_screen(
                ControlFieldDialog(_("Edit {tag}").format(tag=t.tag), t.tag, f.data or ""),
                lambda v: (
                    v is not None
                    and self.run_commands(
                        [SetControlField(t.tag, v, t.occurrence)], slot=slot, what=_("Edit {tag}").format(tag=t.tag)
                    )
                ),
            )
            return
        where = f"{t.tag}[{t.occurrence}]"
        if t.part is None:
            if not self.precheck(t.tag, t.occurrence):
                self._hint_free_parts(t, rec)
                return
            subs = [(sf.code, sf.value) for sf in f.subfields]
            self.app.push_screen(
                FieldDialog(_("Edit {tag}").format(tag=where), context, f.indicator1, f.indicator2, subs),
                lambda r: r is not None and self._apply_field_form(slot, t, f, r),
            )
            return
        if t.part == 0:
            if not self.precheck(t.tag, t.occurrence):
                return
            self.app.push_screen(
                IndicatorDialog(_("Indicators of {tag}").format(tag=where), context, f.indicator1, f.indicator2),
                lambda r: r is not None and self._apply_indicators(slot, t, f, r),
            )
            return
        index = t.part - 1
        if index >= len(f.subfields):
            return
        sf = f.subfields[index]
        if t.via_label and not self.precheck(t.tag, t.occurrence):
            self._hint_free_parts(t, rec)
            return
        if not self.precheck(t.tag, t.occurrence, sf.code or None):
            return
        label = f"${sf.code}" if sf.code else _("text before the first subfield code")
        hint = _("Give this text a subfield code.") if not sf.code else ""
        self.app.push_screen(
            SubfieldDialog(_("Edit {tag}").format(tag=f"{where} {label}"), context, sf.code, sf.value, hint),
            lambda r: (
                r is not None
                and self.run_commands(
                    [SetSubfield(t.tag, t.occurrence, index, r[1], None if r[0] == sf.code else r[0])],
                    slot=slot,
                    what=_("Edit {tag}").format(tag=where),
                )
            ),
        )

    def _hint_free_parts(self, t: Target, rec: LibrisRecord) -> None:
        """A protected field with a part the rules free (URI-FIX's $u): say how to reach it."""
        marc = self.screen.marc
        line = t.line
        if t.via_label:  # the MARC line of the field says which parts are free
            i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (t.tag, t.occurrence))
            line = marc.lines[i] if i is not None else line
        free = [k for k, p in enumerate(line.part_protection) if p is None and k > 0]
        if free:
            self.say(
                _(
                    "Parts of {tag} may still be corrected: select them with {key} in the MARC view and edit them."
                ).format(tag=f"{t.tag}[{t.occurrence}]", key=self.app.key_hint("next-part")),
                title=_("Hint"),
            )

    def _apply_field_form(self, slot: int, t: Target, f, result) -> None:
        ind1, ind2, subs = result
        cmds: list[EditCommand] = []
        from tui.ui.dialogs.editing.indicator_dialog import shown

        for pos, (old, new) in enumerate(((f.indicator1, ind1), (f.indicator2, ind2)), 1):
            if shown(old) != shown(new if new != " " else " "):
                cmds.append(SetIndicator(t.tag, t.occurrence, pos, new))
        for k, (code, value) in enumerate(subs):
            old = f.subfields[k]
            if code != old.code or value != old.value:
                cmds.append(SetSubfield(t.tag, t.occurrence, k, value, None if code == old.code else code))
        if not cmds:
            self.say(_("Nothing changed."), title=_("Edit {tag}").format(tag=t.tag))
            return
        self.run_commands(cmds, slot=slot, what=_("Edit {tag}").format(tag=f"{t.tag}[{t.occurrence}]"))

    def _apply_indicators(self, slot: int, t: Target, f, result) -> None:
        from tui.ui.dialogs.editing.indicator_dialog import shown

        cmds = [
            SetIndicator(t.tag, t.occurrence, pos, new)
            for pos, (old, new) in enumerate(((f.indicator1, result[0]), (f.indicator2, result[1])), 1)
            if shown(old) != shown(new)
        ]
        if cmds:
            self.run_commands(cmds, slot=slot, what=_("Indicators of {tag}").format(tag=f"{t.tag}[{t.occurrence}]"))
        else:
            self.say(_("Nothing changed."), title=_("Indicators"))

    def add_field(self) -> None:
        from tui.ui.dialogs.editing.add_field_dialog import AddFieldDialog

        if self.record() is None:
            self.say(_("No record to add a field to."), title=_("Add field"))
            return
        if not self.precheck():
            return
        slot = self.screen.slot

        def done(d: dict | None) -> None:
            if d is None:
                return
            if "data" in d:
                cmd = AddField(d["tag"], data=d["data"])
            else:
                cmd = AddField(d["tag"], d["indicators"], d["subfields"])
            if self.run_commands([cmd], slot=slot, what=_("Add {tag}").format(tag=d["tag"])):
                self._focus_last_of(d["tag"])

        self.app.push_screen(AddFieldDialog(), done)

    def _focus_last_of(self, tag: str) -> None:
        screen = self.screen
        rec = self.record()
        if rec is None:
            return
        n = len(rec.marc.get_fields(tag))
        i = screen.marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (tag, n))
        if i is not None:
            screen.marc.move_to(i)
            if screen.navigation.shown_view == "marc" or not screen.has_class("-narrow"):
                screen.marc.focus()

    def delete_field(self) -> None:
        from tui.core.formats.notation import field_line
        from tui.ui.dialogs.confirm import ConfirmDialog

        t = self.target()
        if t is None or self.record() is None:
            self.say(_("Move the cursor to a field first."), title=_("Delete field"))
            return
        if self.holding_target(t):
            return
        if t.tag == "000":
            self.refuse(Refusal.of("EDIT-TARGET", "leader-delete"))
            return
        if not self.precheck(t.tag, t.occurrence):
            return
        rec = self.record()
        f = field_at(rec, t.tag, t.occurrence)

        body = Text(_("Delete this field?") + "\n\n")
        body.append(visible(field_line(f)), "bold")
        slot = t.slot
        self.app.push_screen(
            ConfirmDialog(
                _("Delete {tag}").format(tag=f"{t.tag}[{t.occurrence}]"),
                body,
                [("delete", _("Delete"), "error"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
                subtitle=_("undo brings it back"),
            ),
            lambda r: (
                r == "delete"
                and self.run_commands(
                    [DeleteField(t.tag, t.occurrence)], slot=slot, what=_("Delete {tag}").format(tag=t.tag)
                )
            ),
        )

    def add_subfield(self) -> None:
        from tui.ui.dialogs.editing.subfield_dialog import SubfieldDialog

        t = self.target()
        rec = self.record()
        if t is None or rec is None or t.tag == "000":
            self.say(_("Move the cursor to a data field first."), title=_("Add subfield"))
            return
        if self.holding_target(t):
            return
        f = field_at(rec, t.tag, t.occurrence)
        if f is None or f.is_control_field():
            self.refuse(Refusal.of("EDIT-TARGET", "control-no-subfields", tag=t.tag))
            return
        if not self.precheck(t.tag, t.occurrence):
            return
        index = t.part if t.part is not None and t.part >= 1 else None  # after the selected subfield
        slot = t.slot
        self.app.push_screen(
            SubfieldDialog(_("Add a subfield to {tag}").format(tag=f"{t.tag}[{t.occurrence}]"), visible(t.line.text)),
            lambda r: (
                r is not None
                and self.run_commands(
                    [AddSubfield(t.tag, t.occurrence, r[0], r[1], index)],
                    slot=slot,
                    what=_("Add subfield to {tag}").format(tag=t.tag),
                )
            ),
        )

    def delete_subfield(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        t = self.target()
        rec = self.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to a subfield first."), title=_("Delete subfield"))
            return
        if self.holding_target(t):
            return
        if t.part is None or t.part == 0:
            self.say(
                _("Select the subfield with {key} in the MARC view first.").format(key=self.app.key_hint("next-part")),
                title=_("Delete subfield"),
            )
            return
        f = field_at(rec, t.tag, t.occurrence)
        index = t.part - 1
        if f is None or f.is_control_field() or index >= len(f.subfields):
            return
        sf = f.subfields[index]
        if not self.precheck(t.tag, t.occurrence, sf.code or None):
            return
        body = Text(_("Delete subfield {n} of {tag}?").format(n=index + 1, tag=f"{t.tag}[{t.occurrence}]") + "\n\n")
        body.append(visible(f"#{sf.code} {sf.value}" if sf.code else sf.value), "bold")
        slot = t.slot
        self.app.push_screen(
            ConfirmDialog(
                _("Delete subfield"),
                body,
                [("delete", _("Delete"), "error"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
                subtitle=_("undo brings it back"),
            ),
            lambda r: (
                r == "delete"
                and self.run_commands(
                    [DeleteSubfield(t.tag, t.occurrence, index)],
                    slot=slot,
                    what=_("Delete subfield of {tag}").format(tag=t.tag),
                )
            ),
        )

    # -- undo, redo -------------------------------------------------------------------------------
    def undo(self) -> None:
        change = self.session.undo()
        if change is None:
            self.say(_("Nothing to undo."), title=_("Undo"))
            return
        self._jump_to_change(change)
        self.say(change.command.describe(), title=_("Undone"))

    def redo(self) -> None:
        try:
            change = self.session.redo()
        except Refused as exc:
            self.refuse(exc.refusal)
            return
        if change is None:
            self.say(_("Nothing to redo."), title=_("Redo"))
            return
        self._jump_to_change(change)
        self.say(change.command.describe(), title=_("Redone"))

    def _jump_to_change(self, change) -> None:
        if change.slot >= 0 and change.slot != self.screen.slot:
            self.screen.navigation.go_to_slot(change.slot)
