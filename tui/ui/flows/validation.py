"""Validation: the findings of every record (``tui.core.validation.validate``), the marks they
put in the record list (``!`` error, ``?`` warning), the findings list, and jumping from a
finding to its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.ui.flows.base import Flow
from tui.ui.i18n import _


class ValidationFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        #: slot -> the findings of the last validation about that record
        self.findings_by_slot: dict[int, list] = {}

    def severities(self, slot: int) -> set[str]:
        """The severities of the last validation's findings about record ``slot`` (list marks)."""
        return {f.severity for f in self.findings_by_slot.get(slot, ())}

    def forget(self, slot: int | None = None) -> None:
        """Record ``slot`` changed (or, with None, the whole file was read again): its findings
        no longer hold."""
        if slot is None:
            self.findings_by_slot = {}
        else:
            self.findings_by_slot.pop(slot, None)

    # -- validating -------------------------------------------------------------------------------
    def validate(self) -> None:
        """The ``validate`` action: validate, then show the findings."""
        self.say(_("Validating…"), title=_("Validate"), timeout=2)
        self.run(self.show_findings)

    def run(self, then: Callable[[list], None]) -> None:
        """Validate every record in a worker, then call ``then(findings)`` on the UI thread."""
        self.in_thread(self._validate_worker, then, group="validate")

    def _validate_worker(self, then: Callable[[list], None]) -> None:
        findings = self.session.validate()
        self.app.call_from_thread(self._validated, findings, then)

    def _validated(self, findings: list, then: Callable[[list], None]) -> None:
        by_slot: dict[int, list] = {}
        for f in findings:
            if f.record_number:
                by_slot.setdefault(f.record_number - 1, []).append(f)
        self.findings_by_slot = by_slot
        self.screen.records.reset()
        then(findings)

    # -- the findings list ------------------------------------------------------------------------
    def show_findings(self, findings: list) -> None:
        from tui.ui.dialogs.findings_dialog import FindingsDialog

        self.app.push_screen(FindingsDialog(findings, Path(self.session.path).name), self.jump_to_finding)

    def jump_to_finding(self, finding) -> None:
        screen = self.screen
        if finding is None or not finding.record_number:
            return
        slot = finding.record_number - 1
        if slot >= len(self.session):
            return
        screen.navigation.go_to_slot(slot)
        if finding.tag:
            marc = screen.marc
            occ = finding.occurrence or 1
            i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][:2] == (finding.tag, occ))
            if i is None:
                i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0][0] == finding.tag)
            if i is not None:
                screen.navigation.show_view("marc")
                marc.move_to(i)
                marc.focus()
