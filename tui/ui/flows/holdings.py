"""The e-plikt actions on a whole record: a holding for the library's sigel (HOLD-ADD, offering
SUP-CLEAR), removing SUPPRESSRECORD (SUP-CLEAR), and moving restricted URIs (URI-MOVE, shown
first)."""

from __future__ import annotations

from tui.core.editing.commands import AddHolding, ClearSuppress, EditCommand, MoveRestrictedUris, Refusal
from tui.core.model.textsafe import visible
from tui.core.rules import eplikt as rules
from tui.ui.flows.base import Flow
from tui.ui.i18n import _


class HoldingsFlow(Flow):
    def add_holding(self) -> None:
        from tui.ui.dialogs.add_holding_dialog import AddHoldingDialog

        screen = self.screen
        rec = screen.editing.record()
        if rec is None:
            self.say(_("No record to add a holding to."), title=_("Add holding"))
            return
        st = rules.record_state(rec, self.session.source)
        if st.channel:
            self.refuse(Refusal.of("CHN-READONLY", "add-to"))
            return
        slot = screen.slot

        def done(r) -> None:
            if r is None:
                return
            sigel, remember, clear = r
            if not self.session.sigel:
                self.session.sigel = sigel
                screen.navigation.update_status()
            if remember:
                self.app.remember_sigel(sigel)
            cmds: list[EditCommand] = [AddHolding(sigel)]
            if clear and st.suppressed:
                cmds.append(ClearSuppress())
            screen.editing.run_commands(cmds, slot=slot, what=_("Add holding"))

        self.app.push_screen(
            AddHoldingDialog(self.session.sigel or "", st.suppressed, title=visible(rec.title or _("this record"))),
            done,
        )

    def clear_suppress(self) -> None:
        if self.screen.editing.record() is None:
            return
        self.screen.editing.run_commands([ClearSuppress()], what="SUPPRESSRECORD")

    def move_restricted_uris(self) -> None:
        from tui.ui.dialogs.move_uris_dialog import MoveUrisDialog

        screen = self.screen
        rec = screen.editing.record()
        if rec is None:
            return
        preview = self.session.preview(screen.slot, MoveRestrictedUris())
        if isinstance(preview, Refusal):
            self.refuse(preview)
            return
        slot = screen.slot
        self.app.push_screen(
            MoveUrisDialog(preview),
            lambda ok: ok and screen.editing.run_commands([MoveRestrictedUris()], slot=slot, what="URI-MOVE"),
        )
