"""Writing records out: export (validated first, refused while errors remain), save over the
opened file, and quitting with unsaved changes (save, discard or stay).

Nothing is written by surprise. Before a save or an export: what changed (the changes screen),
what happens to the records that cannot be read (kept byte for byte or left out), and, for an
export to a file that exists, a question naming that file (size, time); the file opened is never
an export's output. Both go through ``Session`` to ``tui.core.files``: atomic, with a backup of
what they replace; a refusal shows its findings, any other failure is told in one message,
never a crash.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tui.core.model.textsafe import visible
from tui.ui.flows.base import Flow
from tui.ui.i18n import _, ngettext, styled


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


class WritingFlow(Flow):
    # -- export -----------------------------------------------------------------------------------
    def export(self) -> None:
        self.say(_("Validating before export…"), title=_("Export"), timeout=2)
        self.screen.validation.run(self._review_export)

    def _review_export(self, findings: list) -> None:
        """What changed, then the export dialog (with no changes, or with errors that refuse the
        export anyway: the dialog at once)."""
        if any(f.severity == "error" and f.rule != "STRUCT-UNREADABLE" for f in findings):
            self._choose_export(findings)
            return
        self.screen.changes.review("export", lambda: self._choose_export(findings))

    def _choose_export(self, findings: list) -> None:
        from tui.ui.dialogs.export_dialog import ExportDialog

        self.app.push_screen(
            ExportDialog(self.session.path, self.session.source.format, findings, "keep"),
            self._export_chosen,
        )

    def _export_chosen(self, choice) -> None:
        if choice is None:
            return
        fmt, out, holdings = choice
        if _same_file(out, self.session.path):
            self.say(
                _(
                    "{file} is the file you opened: an export never replaces it. Save it ({key}), or export to another file."
                ).format(file=visible(out), key=self.app.key_hint("save")),
                title=_("Export"),
                severity="warning",
                timeout=12,
            )
            return
        existing = self.session.output_exists(out)
        if existing is None:
            self._export_broken(fmt, out, holdings, overwrite=False)
            return
        self._confirm_replace(existing, lambda: self._export_broken(fmt, out, holdings, overwrite=True))

    def _confirm_replace(self, existing, then) -> None:
        """An existing output is replaced only after this question, which names it."""
        from datetime import datetime

        from tui.ui.dialogs.confirm import ConfirmDialog

        when = datetime.fromtimestamp(existing.mtime).strftime("%Y-%m-%d %H:%M")
        body = Text(_("This file exists:") + "\n\n")
        body.append(visible(str(existing.path)), "bold")
        body.append(
            "\n"
            + ngettext("{size} byte", "{size} bytes", existing.size).format(size=f"{existing.size:,}")
            + ", "
            + _("modified {when}").format(when=when)
            + "\n\n"
        )
        body.append(_("Replace it? The file it replaces is kept as a backup (.bak)."))
        self.app.push_screen(
            ConfirmDialog(
                _("Replace {name}?").format(name=visible(existing.path.name)),
                body,
                [("replace", _("Replace"), "warning"), ("cancel", _("Cancel"), "default")],
                focus="cancel",
                subtitle=_("esc cancels: nothing is written"),
            ),
            lambda r: r == "replace" and then(),
        )

    def _export_broken(self, fmt: str, out: str, holdings: str, *, overwrite: bool) -> None:
        self.screen.broken.choose(
            "export",
            fmt,
            lambda policy: self.in_thread(self._export_worker, fmt, out, holdings, overwrite, policy, group="export"),
        )

    def _export_worker(self, fmt: str, out: str, holdings: str, overwrite: bool, policy) -> None:
        try:
            result = self.session.export(out, fmt, holdings, overwrite=overwrite, broken=policy)
        except Exception as exc:  # ExportRefused, OutputExists, OSError...: told, never a crash
            self.app.call_from_thread(self._failed, exc, "export")
            return
        self.app.call_from_thread(self._exported, result)

    def _failed(self, exc: Exception, what: str) -> None:
        title = _("Export") if what == "export" else _("Save")
        findings = getattr(exc, "findings", None)
        if findings:
            errors = getattr(exc, "error_count", None)
            if errors is None:
                errors = sum(1 for f in findings if f.severity == "error")
            self.say(
                (
                    ngettext(
                        "Export refused: {n} error remains. Fix it first.",
                        "Export refused: {n} errors remain. Fix them first.",
                        errors,
                    )
                    if what == "export"
                    else ngettext(
                        "Save refused: {n} error remains. Fix it first.",
                        "Save refused: {n} errors remain. Fix them first.",
                        errors,
                    )
                ),
                title=_("{what} refused").format(what=title),
                severity="error",
                timeout=10,
            )
            self.screen.validation.show_findings(findings)
        else:
            self.say(str(exc), title=_("{what} failed").format(what=title), severity="error", timeout=12)

    def _exported(self, result) -> None:
        msg = ngettext("{n} record", "{n} records", result.records)
        if result.holdings:
            msg += " " + ngettext("and {n} holding", "and {n} holdings", result.holdings)
        msg += " " + _("written to {path} ({format}).").format(path=visible(str(result.path)), format=result.format)
        msg += _broken_told(result)
        if result.report_path:
            msg += " " + _("Report: {path}.").format(path=visible(str(result.report_path)))
        if result.backup_path:
            msg += " " + _("The file it replaced is kept as {path}.").format(path=visible(str(result.backup_path)))
        self.say(msg, title=_("Exported"), timeout=12)

    # -- save -------------------------------------------------------------------------------------
    def save(self, then_quit: bool = False) -> None:
        if not self.session.dirty and not then_quit:
            self.say(_("No unsaved changes."), title=_("Save"))
            return
        # what is written differently from the file, shown first: the save key again saves; then
        # what happens to the records that cannot be read
        self.screen.changes.review(
            "save",
            lambda: self.screen.broken.choose(
                "save",
                self.session.source.format,
                lambda policy: self.in_thread(self._save_worker, then_quit, policy, group="save"),
            ),
        )

    def _save_worker(self, then_quit: bool, policy) -> None:
        try:
            result = self.session.save(broken=policy)
        except Exception as exc:
            self.app.call_from_thread(self._failed, exc, "save")
            return
        self.app.call_from_thread(self._saved, result, then_quit)

    def _saved(self, result, then_quit: bool) -> None:
        self.screen.index.reset()
        msg = _("{file} saved ({records}).").format(
            file=visible(Path(self.session.path).name), records=ngettext("{n} record", "{n} records", result.records)
        )
        msg += _broken_told(result)
        if result.backup_path:
            msg += " " + _("The previous version is kept as {name}.").format(name=visible(result.backup_path.name))
        self.say(msg, title=_("Saved"))
        if then_quit:
            self.app.quit_clean()

    # -- quit -------------------------------------------------------------------------------------
    def quit(self) -> None:
        from tui.ui.dialogs.confirm import ConfirmDialog

        if not self.session.dirty:
            self.app.quit_clean()
            return
        n = max(1, self.session.changed_count())
        body = styled(
            ngettext("{n} record changed in {file} and not saved.", "{n} records changed in {file} and not saved.", n),
            file=(visible(Path(self.session.path).name), "bold"),
        )
        body.append("\n" + _("Save before quitting?"))

        def done(choice: str | None) -> None:
            if choice == "save":
                self.save(then_quit=True)
            elif choice == "discard":
                self.app.quit_clean()

        self.app.push_screen(
            ConfirmDialog(
                _("Unsaved changes"),
                body,
                [
                    ("save", _("Save and quit"), "primary"),
                    ("discard", _("Quit without saving"), "error"),
                    ("cancel", _("Cancel"), "default"),
                ],
                focus="cancel",
            ),
            done,
        )


def _broken_told(result) -> str:
    """What was done with the records that cannot be read (the same counts as the report)."""
    broken = getattr(result, "broken", None)
    if not broken:
        return ""
    parts = []
    if result.kept_broken:
        parts.append(
            ngettext(
                "{n} unreadable record kept byte for byte",
                "{n} unreadable records kept byte for byte",
                result.kept_broken,
            )
        )
    if result.dropped_broken:
        parts.append(
            ngettext("{n} unreadable record left out", "{n} unreadable records left out", result.dropped_broken)
        )
    return " " + "; ".join(parts) + "."
