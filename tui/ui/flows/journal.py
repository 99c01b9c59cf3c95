"""The crash journal: every edit, undo and redo is journalled before it shows as done
(``tui.core.editing.journal``); what a session that ended badly (a crash, ``kill -9``, a
dropped SSH connection) left behind is offered for restoring, exactly, undo history included."""

from __future__ import annotations

from tui.ui.flows.base import Flow


class JournalFlow(Flow):
    def start(self) -> None:
        """Journal every edit of this session; offer what a session that ended badly left behind."""
        from tui.core.editing import journal

        session = self.session
        try:
            session.journal = journal.Journal.open_for(session.path, session.stamp)
        except Exception as exc:
            self.say(
                f"{exc}. Edits are not protected against a crash in this session.",
                title="Crash journal",
                severity="warning",
                timeout=12,
            )
        try:
            pending = journal.pending_sessions(session.path)
        except Exception as exc:
            self.say(str(exc), title="Crash journal", severity="warning")
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
                self.say("The journalled edits were discarded.", title="Crash journal")
            self._offer_restore(rest)

        can = first.problem is None and first.file_change() is None
        self.app.push_screen(RestoreDialog(first.describe(), can_restore=can), done)

    def _restore(self, pending) -> None:
        from tui.core.editing.journal import JournalError, JournalReplayError

        try:
            n = pending.replay(self.session.source, self.session.replay_event)
        except JournalReplayError as exc:
            self.say(str(exc), title="Restore stopped", severity="error", timeout=15)
            return
        except (JournalError, Exception) as exc:
            self.say(str(exc), title="Cannot restore", severity="error", timeout=15)
            return
        pending.discard()
        self.say(
            f"{n} journalled edit{'s' if n != 1 else ''} restored. They are not saved yet.",
            title="Restored",
            timeout=10,
        )
        screen = self.screen
        screen.records.reset()
        screen.navigation.render_record(keep_cursor=True)
        screen.navigation.update_status()
