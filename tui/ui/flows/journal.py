"""The crash journal: every edit, undo and redo is journalled before it shows as done
(``tui.core.editing.journal``); what a session that ended badly (a crash, ``kill -9``, a
dropped SSH connection) left behind is offered for restoring, exactly, undo history included:
at start-up, and at any time with ``recover``."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, ngettext


class JournalFlow(Flow):
    def start(self) -> None:
        """Journal every edit of this session; offer what a session that ended badly left behind."""
        from tui.core.editing import journal

        session = self.session
        try:
            session.journal = journal.Journal.open_for(session.path, session.stamp)
        except Exception as exc:
            self.say(
                _("{error}. Edits are not protected against a crash in this session.").format(error=exc),
                title=_("Crash journal"),
                severity="warning",
                timeout=12,
            )
        try:
            pending = journal.pending_sessions(session.path)
        except Exception as exc:
            self.say(str(exc), title=_("Crash journal"), severity="warning")
            return
        self._offer_restore(pending)

    def _offer_restore(self, pending: list) -> None:
        if not pending:
            return
        from tui.ui.dialogs.restore_dialog import RestoreDialog

        first, rest = pending[0], pending[1:]

        def done(choice: str | None) -> None:
            if choice == "restore":
                self._restore(first)
            elif choice == "discard":
                first.discard()
                self.say(_("The journalled edits were discarded."), title=_("Crash journal"))
            self._offer_restore(rest)

        can = first.problem is None and first.file_change() is None
        self.app.push_screen(RestoreDialog(first.describe(), can_restore=can), done)

    def _restore(self, pending) -> None:
        from tui.core.editing.journal import JournalError, JournalReplayError

        try:
            n = pending.replay(self.session.source, self.session.replay_event)
        except JournalReplayError as exc:
            self.say(str(exc), title=_("Restore stopped"), severity="error", timeout=15)
            return
        except (JournalError, Exception) as exc:
            self.say(str(exc), title=_("Cannot restore"), severity="error", timeout=15)
            return
        pending.discard()
        self.say(
            ngettext(
                "{n} journalled edit restored. They are not saved yet.",
                "{n} journalled edits restored. They are not saved yet.",
                n,
            ),
            title=_("Restored"),
            timeout=10,
        )
        screen = self.screen
        screen.records.reset()
        screen.navigation.render_record(keep_cursor=True)
        screen.navigation.update_status()

    # -- at any time -------------------------------------------------------------------------------
    def recover(self) -> None:
        """The ``recover`` action: this file's crash journals, to restore or discard one."""
        from tui.core.editing import journal
        from tui.ui.dialogs.recover_dialog import RecoverDialog

        try:
            pending = journal.pending_sessions(self.session.path)
        except Exception as exc:
            self.say(str(exc), title=_("Crash journal"), severity="warning")
            return

        def done(choice) -> None:
            if not choice:
                return
            what, i = choice
            if what == "restore":
                self._restore_on_top(pending[i])
            elif what == "discard":
                self._confirm_discard(pending[i])

        self.app.push_screen(RecoverDialog(pending, Path(self.session.path).name), done)

    def _restore_on_top(self, pending) -> None:
        """Restore; with unsaved edits of this session, ask first (the journal's come after them)."""
        from tui.ui.dialogs.confirm import ConfirmDialog

        if not self.session.dirty:
            self._restore(pending)
            return
        n = max(1, self.session.changed_count())
        body = Text(
            ngettext(
                "{n} record has unsaved edits of this session. ",
                "{n} records have unsaved edits of this session. ",
                n,
            )
            + ngettext(
                "The journal's {n} edit is applied after them; one that no longer fits stops the restore.",
                "The journal's {n} edits are applied after them; one that no longer fits stops the restore.",
                pending.edits,
            )
        )
        self.app.push_screen(
            ConfirmDialog(
                _("Restore on top of your edits?"),
                body,
                [("restore", _("Restore"), "primary"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
            ),
            lambda r: r == "restore" and self._restore(pending),
        )

    def _confirm_discard(self, pending) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        body = Text(_("Throw these journalled edits away for good?") + "\n\n")
        body.append(visible(pending.describe()), "bold")

        def done(r: str | None) -> None:
            if r == "discard":
                pending.discard()
                self.say(_("The journalled edits were discarded."), title=_("Crash journal"))

        self.app.push_screen(
            ConfirmDialog(
                _("Discard a crash journal"),
                body,
                [("discard", _("Discard"), "error"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
            ),
            done,
        )
