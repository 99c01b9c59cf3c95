"""What changed, before it is written: the changes screen (``show-changes``), opened by its key
and before every save and export; going from a change to its record; undoing from a change.

The changes are the core's (``Session.changes`` -> ``tui.core.editing.changes``): per record the
MARC lines removed and added, each with the edit command and rule id that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, ngettext


class ChangesFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        self._open = None  # the changes screen on display, if any

    def show(self) -> None:
        """The ``show-changes`` action."""
        if not self.session.dirty and not self.session.changes():
            self.say(_("No changes: the records are as in the file."), title=_("Changes"))
            return
        self._push(None, ())

    def review(self, what: str, proceed: Callable[[], None]) -> None:
        """Before a save (``what`` = ``save``) or an export: show the changes with a button that
        goes on to ``proceed``; with no changes, go on at once."""
        if not self.session.changes():
            proceed()
            return
        label = _("Save") if what == "save" else _("Go on to export")
        self._push(label, tuple(self.app.keymap.keys(what)), proceed)

    def _push(self, label: str | None, keys: tuple[str, ...], proceed: Callable[[], None] | None = None) -> None:
        from tui.ui.screens.changes_screen import ChangesScreen

        screen = ChangesScreen(
            self.session.changes,
            undo=self.undo_to,
            proceed=label,
            proceed_keys=keys,
            file_name=Path(self.session.path).name,
        )
        self._open = screen

        def done(result) -> None:
            self._open = None
            if not result:
                return
            if result[0] == "proceed" and proceed is not None:
                proceed()
            elif result[0] == "go":
                self.go(result[1], result[2])

        self.app.push_screen(screen, done)

    # -- from a change -------------------------------------------------------------------------
    def go(self, slot: int, ref) -> None:
        """Show record ``slot``, the MARC view's cursor on the line of ``ref`` when it is there."""
        screen = self.screen
        if slot >= len(self.session):
            return
        screen.navigation.go_to_slot(slot)
        if ref is None or ref.holding is not None:
            return
        marc = screen.marc
        i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (ref.tag, ref.occurrence))
        if i is None:
            i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][0] == ref.tag)
        if i is not None:
            screen.navigation.show_view("marc")
            marc.move_to(i)
            marc.focus()

    def undo_to(self, cause) -> None:
        """Undo the edit ``cause`` stands for, and every edit made after it (one history: a
        dialog's edits go together); more than one edit is asked first."""
        from tui.ui.dialogs.confirm import ConfirmDialog

        step = cause.step
        plan = self.session.undo_plan(step)
        if not plan:
            return
        if len(plan) == 1:
            self._undo_back_to(step)
            return
        body = Text(
            ngettext(
                "This undoes {n} edit, the latest first:\n\n",
                "This undoes {n} edits, the latest first:\n\n",
                len(plan),
            )
        )
        for cmd in reversed(plan[-10:]):
            body.append("  " + visible(cmd.describe()) + "\n")
        if len(plan) > 10:
            body.append("  …\n")
        self.app.push_screen(
            ConfirmDialog(
                ngettext("Undo {n} edit", "Undo {n} edits", len(plan)),
                body,
                [("undo", _("Undo them"), "warning"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
                subtitle=_("redo brings them back"),
            ),
            lambda r: r == "undo" and self._undo_back_to(step),
        )

    def _undo_back_to(self, step: int) -> None:
        plan = self.session.undo_plan(step)
        if self.session.undo_to(step):
            self.say(
                "; ".join(c.describe() for c in reversed(plan)),
                title=ngettext("Undone: {n} edit", "Undone: {n} edits", len(plan)),
            )
        if self._open is not None:
            self._open.reload()
