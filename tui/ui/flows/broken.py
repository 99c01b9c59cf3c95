"""Records that cannot be read: told (file, record number, byte offset, reason) when the file has
been indexed, in a message that leaves the cataloguer working, and asked about before a
save or an export (keep each byte for byte, or leave it out; once for all or one by one).

The readable records stay fully usable meanwhile. The choice becomes the core's
``BrokenPolicy`` (``tui.core.files.broken``); the export report names each unreadable record
and what was done with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from time import sleep

from tui.core.files.broken import BrokenPolicy, can_keep
from tui.core.model.record import BrokenRecord
from tui.ui.dialogs.broken_dialog import broken_text
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, ngettext

#: files up to this many records are read through at start-up to list every unreadable one; in
#: a larger file, those indexing found are told, and the rest before a save or an export
FULL_CHECK = 20_000


class BrokenFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        self.told = False

    # -- when the file is indexed ---------------------------------------------------------------
    def indexed(self) -> None:
        """The whole file is indexed: list its unreadable records, once."""
        if self.told:
            return
        self.told = True
        self.in_thread(self._find_worker, group="broken")

    def _find_worker(self) -> None:
        """Polite, as the indexing worker: record by record, waiting while the cataloguer is busy."""
        from textual.worker import get_current_worker

        session, app = self.session, self.app
        worker = get_current_worker()
        if len(session) <= FULL_CHECK:
            broken = []
            for i in range(len(session)):
                while app.busy and not worker.is_cancelled:
                    sleep(0.05)
                if worker.is_cancelled:
                    return
                e = session.entry(i)
                if isinstance(e, BrokenRecord):
                    broken.append(e)
        else:  # a large file: what indexing found broken (a parse of every record would take long)
            src = session.source
            bad = getattr(src, "bad", {})
            broken = [src.broken_slot(i, reason) for i, reason in sorted(bad.items())]
        if broken:
            self.app.call_from_thread(self._tell, broken)

    #: unreadable records named in the message at start-up (all of them are listed before a write)
    TELL = 5

    def _tell(self, broken: list) -> None:
        """A message, not a dialog: the cataloguer goes on working with the readable records."""
        named = "; ".join(broken_text(b) for b in broken[: self.TELL])
        if len(broken) > self.TELL:
            named += "; " + ngettext("and {n} more", "and {n} more", len(broken) - self.TELL)
        self.say(
            ngettext("{n} record cannot be read", "{n} records cannot be read", len(broken))
            + f" ({Path(self.session.path).name}): {named}. "
            + _("The other records can be read and edited; saving and exporting ask what to do with these."),
            title=_("Unreadable records"),
            severity="warning",
            timeout=15,
        )

    # -- before a save or an export ----------------------------------------------------------
    def choose(self, what: str, out_format: str, proceed: Callable[[BrokenPolicy | None], None]) -> None:
        """Before ``what`` (``save`` / ``export``) to ``out_format``: find the unreadable records
        (a worker: a large file is read through), ask, then ``proceed(policy)``; with none,
        ``proceed(None)`` at once. Cancelled: nothing."""
        self.in_thread(self._choose_worker, what, out_format, proceed, group="broken")

    def _choose_worker(self, what: str, out_format: str, proceed) -> None:
        broken = self.session.broken_records()
        self.app.call_from_thread(self._ask, broken, what, out_format, proceed)

    def _ask(self, broken: list, what: str, out_format: str, proceed) -> None:
        from tui.ui.dialogs.broken_dialog import BrokenRecordsDialog

        if not broken:
            proceed(None)
            return
        keepable = can_keep(self.session.source.format, out_format)

        def done(choice: str | None) -> None:
            if choice in ("keep", "drop"):
                proceed(BrokenPolicy(choice))  # type: ignore[arg-type]
            elif choice == "each":
                self._one_by_one(broken, keepable, {}, proceed)
            else:
                self.say(_("Nothing was written."), title=_("Cancelled"))

        self.app.push_screen(
            BrokenRecordsDialog(broken, Path(self.session.path).name, ask=what, can_keep=keepable), done
        )

    def _one_by_one(self, broken: list, keepable: bool, chosen: dict[int, str], proceed) -> None:
        from tui.ui.dialogs.broken_dialog import BrokenRecordDialog

        k = len(chosen)
        if k == len(broken):
            proceed(BrokenPolicy("refuse", dict(chosen)))  # type: ignore[arg-type]
            return
        b = broken[k]

        def done(choice: str | None) -> None:
            if choice not in ("keep", "drop"):
                self.say(_("Nothing was written."), title=_("Cancelled"))
                return
            chosen[b.number] = choice
            self._one_by_one(broken, keepable, chosen, proceed)

        self.app.push_screen(BrokenRecordDialog(b, k + 1, len(broken), can_keep=keepable), done)
