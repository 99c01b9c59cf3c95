"""Fields as lines of MARC text: the line editor (``edit-line``), pasting lines to add fields, and
the register (``yank-field``, ``put-field``, ``duplicate-field``).

Every change is a command of the core applied through the ``Session`` (``ReplaceField``,
``AddFields``, ``SetControlField`` for the leader), so undo, the journal, the changes screen and
the rules (SYS-READONLY, EPL-PROTECT, CHN-READONLY, another library's holding) are the same as
for every other edit. The line is checked on enter: the line form first (a problem at its
column), then the rules; the dialog stays open until the line is one the record takes.
"""

from __future__ import annotations

from tui.core.editing.commands import AddFields, EditCommand, ReplaceField, SetControlField
from tui.core.editing.lineform import LEADER, LineError, check_line, field_line, leader_line, parse_leader, parse_lines
from tui.core.rules import eplikt as rules
from tui.core.rules.eplikt import field_at
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, ngettext


def _first_problem(text: str) -> tuple[int, str] | None:
    problems = check_line(text)
    if not problems:
        return None
    p = problems[0]
    return p.column, f"{p.message} ({p.rule})"


def _is_leader_line(text: str) -> bool:
    return text.lstrip("=").startswith(LEADER)


class LineFlow(Flow):
    @property
    def editing(self):
        return self.screen.editing

    # -- the line editor ------------------------------------------------------------------------
    def edit_line(self) -> None:
        from tui.ui.dialogs.editing.line_dialog import LineDialog

        ed = self.editing
        t = ed.target()
        rec = ed.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to a field in the label or MARC view first."), title=_("Edit line"))
            return
        if ed.holding_target(t):
            return
        slot = t.slot
        if t.tag == "000":
            if not ed.precheck("000", 1):
                return
            line, title, what = leader_line(str(rec.marc.leader)), _("Edit the leader as a line"), _("Edit the leader")
        else:
            f = field_at(rec, t.tag, t.occurrence)
            if f is None:
                return
            refusal = self.session.precheck(slot, t.tag, t.occurrence)
            if refusal is not None and not self._has_free_part(rec, t.tag, t.occurrence):
                ed.refuse(refusal)
                return
            where = f"{t.tag}[{t.occurrence}]"
            line, title, what = (
                field_line(f),
                _("Edit {tag} as a line").format(tag=where),
                _("Edit {tag}").format(tag=where),
            )

        def make(text: str) -> EditCommand:
            if t.tag == "000":
                return SetControlField("000", parse_leader(text))
            return ReplaceField(t.tag, t.occurrence, text if text.startswith("=") else "=" + text)

        def check(text: str):
            found = _first_problem(text)
            if found is not None:
                return found
            if (t.tag == "000") != _is_leader_line(text):
                return 2, _("this line edits the leader (=LDR  ...)") if t.tag == "000" else _(
                    "this line edits a field, not the leader"
                )
            try:
                cmd = make(text)
            except LineError as exc:
                return exc.problem.column, f"{exc.problem.message} ({exc.problem.rule})"
            refusal = self.session.check(slot, cmd)
            return (None, str(refusal)) if refusal is not None else None

        def done(text: str | None) -> None:
            if text is None:
                return
            ed.run_commands([make(text)], slot=slot, what=what)

        self.app.push_screen(LineDialog(title, line, check), done)

    @staticmethod
    def _has_free_part(rec, tag: str, occurrence: int) -> bool:
        """A protected field with a part the rules free (URI-FIX's $u): the line may still fix it."""
        f = field_at(rec, tag, occurrence)
        if f is None or f.is_control_field():
            return False
        st = rules.record_state(rec)
        if st.channel:
            return False
        return any(rules.protection(rec, tag, occurrence, sf.code, state=st) is None for sf in f.subfields if sf.code)

    # -- pasting lines ----------------------------------------------------------------------------
    def paste(self, text: str) -> None:
        """Lines of MARC text pasted on the main screen (bracketed paste): added as fields."""
        if not text.strip():
            return
        rec = self.editing.record()
        if rec is None:
            self.say(_("No record to add the pasted fields to."), title=_("Paste"))
            return
        try:
            fields = parse_lines(text)
        except LineError as exc:
            self.say(_("Nothing added: {error}").format(error=exc), title=_("Paste"), severity="error", timeout=10)
            return
        lines = [field_line(f) for f in fields]
        self.editing.run_commands([AddFields(lines)], what=ngettext("Paste {n} line", "Paste {n} lines", len(lines)))

    # -- the register -----------------------------------------------------------------------------
    def _fields_under_cursor(self):
        ed = self.editing
        t = ed.target()
        rec = ed.record()
        if t is None or rec is None:
            return None, None
        if ed.holding_target(t):
            return t, []
        refs = [(r[0], r[1]) for r in t.line.refs] if t.via_label else [(t.tag, t.occurrence)]
        seen: list = []
        for tag, occ in refs:
            f = field_at(rec, tag, occ) if tag != "000" else None
            if f is not None and all(f is not g for g in seen):
                seen.append(f)
        return t, seen

    def _origin(self) -> str:
        from pathlib import Path

        slot = self.screen.slot
        return _("{file}, record {n}").format(
            file=Path(self.session.path).name, n=slot + 1 if slot is not None else "?"
        )

    def yank(self) -> None:
        t, fields = self._fields_under_cursor()
        if t is None:
            self.say(_("Move the cursor to a field first."), title=_("Yank"))
            return
        if not fields:
            if t.tag == "000":
                self.say(_("The leader is not a field to yank; new records get their own."), title=_("Yank"))
            return
        y = self.session.register.yank(fields, self._origin())
        shown = (
            y.lines[0]
            if len(y.lines) == 1
            else _("{n} fields: {tags}").format(n=len(y.lines), tags=", ".join(ln[1:4] for ln in y.lines))
        )
        self.say(
            _("Yanked {what}; put it with {key}.").format(what=shown, key=self.app.key_hint("put-field")),
            title=_("Yank"),
        )
        if self.session.register.problem:
            self.say(self.session.register.problem, title=_("Register"), severity="warning")

    def put(self) -> None:
        if self.editing.record() is None:
            self.say(_("No record to put the fields into."), title=_("Put"))
            return
        y = self.session.register.current()
        if not y.lines:
            self.say(
                _("The register is empty: yank a field with {key} first.").format(key=self.app.key_hint("yank-field")),
                title=_("Put"),
            )
            return
        tag = y.lines[0][1:4]
        if self.editing.run_commands([AddFields(list(y.lines))], what=_("Put from {origin}").format(origin=y.origin)):
            self.editing._focus_last_of(tag)

    def duplicate(self) -> None:
        t, fields = self._fields_under_cursor()
        rec = self.editing.record()
        if t is None or rec is None:
            self.say(_("Move the cursor to a field first."), title=_("Duplicate"))
            return
        if not fields:
            if t.tag == "000":
                self.say(_("A record has one leader."), title=_("Duplicate"))
            return
        f = fields[-1]
        at = next(i for i, g in enumerate(rec.marc.fields) if g is f) + 1
        lines = [field_line(g) for g in fields]
        if self.editing.run_commands([AddFields(lines, index=at)], what=_("Duplicate {tag}").format(tag=f.tag)):
            self.editing._focus_last_of(f.tag)
