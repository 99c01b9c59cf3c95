"""The Katalogsupport report: what the e-plikt rules say is reported, not fixed.

Errors in protected fields of e-plikt records (EPL-PROTECT) and anything wrong in a channel
record (CHN-READONLY) are not corrected locally; duplicates are not merged locally (DUP-REPORT).
This module turns the validator's findings that carry ``katalogsupport=True`` into a plain-text
message ready to send: which records (control number, identifiers, title), which fields (tag,
occurrence, the Swedish Libris label, the field as it stands) and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field

from tui import __version__
from tui.core.formats.notation import field_line
from tui.core.model.record import LibrisRecord
from tui.core.rules import table
from tui.core.rules.eplikt import PROTECTED_TAGS, record_state
from tui.core.validation.validate import Finding, validate

ADDRESS = "Katalogsupport, Kungliga biblioteket (KB)"

#: the phrases that end a finding meant for Katalogsupport: said once in the report's heading
_TAILS = ("report-it", "report-errors", "report-the-error", "dups-reported")


@dataclass
class RecordItems:
    number: int | None
    record: LibrisRecord | None
    control_number: str | None
    findings: list[Finding] = dc_field(default_factory=list)


@dataclass
class Report:
    records: list[RecordItems]
    duplicates: list[Finding]
    source_name: str = ""
    total_records: int = 0

    @property
    def empty(self) -> bool:
        return not self.records and not self.duplicates

    def __len__(self) -> int:
        return sum(len(r.findings) for r in self.records) + len(self.duplicates)


def _tail() -> re.Pattern:
    said = "|".join(re.escape(t) for t in table.phrases_in_all_languages(*_TAILS))
    return re.compile(rf"[;:,]?\s*({said})\.?$")


def _clean(message: str) -> str:
    return _tail().sub("", message.strip()).rstrip(" ;,")


def collect(records: Iterable, findings: list[Finding] | None = None, source_name: str = "") -> Report:
    """Group the Katalogsupport findings by record (computing them when not given)."""
    entries = list(records)
    if findings is None:
        findings = validate(entries)
    by_number: dict[int, LibrisRecord] = {}
    for pos, e in enumerate(entries):
        if isinstance(e, LibrisRecord):
            by_number.setdefault(e.number or pos + 1, e)
    groups: dict[tuple, RecordItems] = {}
    dups: list[Finding] = []
    for f in findings:
        if not f.katalogsupport:
            continue
        if f.rule == "DUP-REPORT":
            dups.append(f)
            continue
        key = (f.record_number, f.control_number)
        if key not in groups:
            groups[key] = RecordItems(
                f.record_number, by_number.get(f.record_number) if f.record_number else None, f.control_number
            )
        groups[key].findings.append(f)
    n = sum(1 for e in entries if isinstance(e, LibrisRecord))
    return Report(list(groups.values()), dups, source_name, n)


def _identifiers(rec: LibrisRecord) -> list[str]:
    out = []
    for f in rec.marc.get_fields("020", "022", "024"):
        if f.is_control_field():
            continue
        for sf in f.subfields:
            if sf.code == "a" and sf.value.strip():
                out.append(f"{f.tag} {sf.value.strip()}")
    return out[:4]


def _record_heading(item: RecordItems) -> list[str]:
    rec = item.record
    where = f"Record {item.number}" if item.number else "Record"
    if rec is None:
        return [f"{where}" + (f" (001 {item.control_number})" if item.control_number else "")]
    st = record_state(rec)
    title = rec.title or "(no title)"
    lines = [f'{where}: "{title}" [{st.describe()}]']
    ids = [f"001 {item.control_number}" if item.control_number else "no 001 in this file"] + _identifiers(rec)
    lines.append("   Identified by: " + "; ".join(ids))
    return lines


def _field_of(rec: LibrisRecord | None, tag: str | None, occ: int | None):
    if rec is None or not tag or not occ:
        return None
    fs = rec.marc.get_fields(tag)
    return fs[occ - 1] if 0 < occ <= len(fs) else None


def _finding_lines(item: RecordItems, f: Finding) -> list[str]:
    where = (f.tag + (f"[{f.occurrence}]" if f.occurrence else "")) if f.tag else "record"
    fld = _field_of(item.record, f.tag, f.occurrence)
    label = ""
    if f.tag in PROTECTED_TAGS:
        label = f" ({PROTECTED_TAGS[f.tag].label_for(f.tag, fld)})"
    lines = [f"   - {where}{label}: {_clean(f.message)} [{f.rule}]"]
    if fld is not None:
        lines.append(f"       as it stands: {field_line(fld)}")
    return lines


def render(report: Report, sigel: str | None = None) -> str:
    """The report as a plain-text message (empty string when there is nothing to report)."""
    if report.empty:
        return ""
    n_rec = len(report.records)
    parts = []
    if n_rec:
        parts.append(f"{n_rec} record{'s' if n_rec != 1 else ''} with errors in protected fields")
    if report.duplicates:
        nd = len(report.duplicates)
        parts.append(f"{nd} likely duplicate{'s' if nd != 1 else ''}")
    out = [
        f"To: {ADDRESS}",
        "Subject: Libris: " + " and ".join(parts),
        "",
        "Hej Katalogsupport,",
        "",
        "The records below have errors in fields that stay unchanged in e-plikt records (EPL-PROTECT)",
        "or in channel records (CHN-READONLY), or look like duplicates (DUP-REPORT). Following KB's",
        "rules for e-plikt records we have not changed them; please look into them.",
        "",
    ]
    if report.source_name:
        out.append(f"File: {report.source_name} ({report.total_records} records)")
        out.append("")
    if report.records:
        out.append("ERRORS IN PROTECTED FIELDS")
        out.append("")
        for k, item in enumerate(report.records, 1):
            head = _record_heading(item)
            out.append(f"{k}. {head[0]}")
            out.extend(head[1:])
            for f in item.findings:
                out.extend(_finding_lines(item, f))
            out.append("")
    if report.duplicates:
        out.append("LIKELY DUPLICATES")
        out.append("")
        for k, f in enumerate(report.duplicates, 1):
            who = f"record {f.record_number}" + (f" [001 {f.control_number}]" if f.control_number else "")
            out.append(f"{k}. {who}: {_clean(f.message)}")
        out.append("")
    sign = f"libris-tui {__version__}" + (f", sigel {sigel}" if sigel else "")
    out.append(f"(Prepared with {sign}.)")
    return "\n".join(out) + "\n"


def katalogsupport_report(
    records: Iterable, findings: list[Finding] | None = None, *, source_name: str = "", sigel: str | None = None
) -> str:
    """Validate (unless ``findings`` are given) and render the Katalogsupport report."""
    return render(collect(records, findings, source_name), sigel)


__all__ = ["Report", "RecordItems", "collect", "render", "katalogsupport_report", "ADDRESS"]
