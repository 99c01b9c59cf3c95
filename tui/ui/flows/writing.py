"""Writing records out: export (validated first, refused while errors remain), save over the
opened file, and quitting with unsaved changes (save, discard or stay).

Both go through ``Session`` to ``tui.core.files.export``: atomic, with a backup of what they
replace; a refusal shows its findings, any other failure is told in one message, never a crash.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow


class WritingFlow(Flow):
    # -- export -----------------------------------------------------------------------------------
    def export(self) -> None:
        self.say("Validating before export…", title="Export", timeout=2)
        self.screen.validation.run(self._choose_export)

    def _choose_export(self, findings: list) -> None:
        from tui.ui.dialogs.export_dialog import ExportDialog

        self.app.push_screen(
            ExportDialog(self.session.path, self.session.source.format, findings, self.session.holdings_mode()),
            self._export_chosen,
        )

    def _export_chosen(self, choice) -> None:
        if choice is None:
            return
        fmt, out, holdings = choice
        self.in_thread(self._export_worker, fmt, out, holdings, group="export")

    def _export_worker(self, fmt: str, out: str, holdings: str) -> None:
        try:
            result = self.session.export(out, fmt, holdings)
        except Exception as exc:  # ExportRefused, FileExists, OSError...: told, never a crash
            self.app.call_from_thread(self._failed, exc, "Export")
            return
        self.app.call_from_thread(self._exported, result, out)

    def _failed(self, exc: Exception, what: str) -> None:
        findings = getattr(exc, "findings", None)
        if findings:
            errors = [f for f in findings if f.severity == "error"]
            self.say(
                f"{what} refused: {len(errors)} error{'s' if len(errors) != 1 else ''} remain. Fix them first.",
                title=f"{what} refused",
                severity="error",
                timeout=10,
            )
            self.screen.validation.show_findings(findings)
        else:
            self.say(str(exc), title=f"{what} failed", severity="error", timeout=12)

    def _exported(self, result, out: str) -> None:
        n = result.records
        msg = f"{n} record{'s' if n != 1 else ''}"
        if result.holdings:
            msg += f" and {result.holdings} holding{'s' if result.holdings != 1 else ''}"
        msg += f" written to {result.path} ({result.format})."
        if result.report_path:
            msg += f" Report: {result.report_path}."
        if result.backup_path:
            msg += f" The file it replaced is kept as {result.backup_path}."
        self.say(msg, title="Exported", timeout=12)

    # -- save -------------------------------------------------------------------------------------
    def save(self, then_quit: bool = False) -> None:
        if not self.session.dirty and not then_quit:
            self.say("No unsaved changes.", title="Save")
            return
        self.in_thread(self._save_worker, then_quit, group="save")

    def _save_worker(self, then_quit: bool) -> None:
        try:
            result = self.session.save()
        except Exception as exc:
            self.app.call_from_thread(self._failed, exc, "Save")
            return
        self.app.call_from_thread(self._saved, result, then_quit)

    def _saved(self, result, then_quit: bool) -> None:
        self.screen.index.reset()
        msg = f"{Path(self.session.path).name} saved ({result.records} records)."
        if result.backup_path:
            msg += f" The previous version is kept as {result.backup_path.name}."
        self.say(msg, title="Saved")
        if then_quit:
            self.app.quit_clean()

    # -- quit -------------------------------------------------------------------------------------
    def quit(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        if not self.session.dirty:
            self.app.quit_clean()
            return
        n = max(1, self.session.changed_count())
        body = Text(f"{n} record{'s' if n != 1 else ''} changed in ")
        body.append(visible(Path(self.session.path).name), "bold")
        body.append(" and not saved.\nSave before quitting?")

        def done(choice: str | None) -> None:
            if choice == "save":
                self.save(then_quit=True)
            elif choice == "discard":
                self.app.quit_clean()

        self.app.push_screen(
            ConfirmDialog(
                "Unsaved changes",
                body,
                [
                    ("save", "Save and quit", "primary"),
                    ("discard", "Quit without saving", "error"),
                    ("cancel", "Cancel", "default"),
                ],
                focus="cancel",
            ),
            done,
        )
