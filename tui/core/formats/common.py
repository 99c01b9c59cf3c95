"""What every MARC reader shares: the structural checks of a record it could read.

Each reader (ISO 2709, MARCXML, MARC-in-JSON, MARCMaker, the notation) adds its own
format-specific issues and then ``record_issues(rec)``, so that the same oddity has the same id
and message whatever the file format.
"""

from __future__ import annotations

import re

from tui.core.model.record import ORPHAN, LibrisError, ReadIssue, Record


class WriteError(LibrisError):
    """A record that cannot be written in this format (names the record and the reason)."""


_OK_IND = re.compile(r"^[0-9a-z|]$")
_OK_TAG = re.compile(r"^[0-9A-Za-z]{3}$")


def record_issues(rec: Record) -> list[ReadIssue]:
    """Structural oddities every MARC reader flags: orphan text, empty subfields, subfield
    delimiters without a code, bad indicators and tags."""
    issues: list[ReadIssue] = []
    seen: dict[str, int] = {}
    for f in rec.fields:
        seen[f.tag] = seen.get(f.tag, 0) + 1
        occ = seen[f.tag]
        if not _OK_TAG.match(f.tag):
            issues.append(ReadIssue.of("STRUCT-TAG", "read-bad", f.tag, occ, tag=f.tag))
        if f.is_control_field():
            continue
        for sf in f.subfields:
            if sf.code == ORPHAN and sf.value == "":
                issues.append(ReadIssue.of("STRUCT-EMPTY-DELIMITER", "no-code", f.tag, occ))
            elif sf.code == ORPHAN:
                issues.append(ReadIssue.of("STRUCT-ORPHAN-TEXT", "read", f.tag, occ, value=sf.value))
            elif sf.value == "":
                issues.append(ReadIssue.of("STRUCT-EMPTY-SUBFIELD", "read", f.tag, occ, code=sf.code))
            elif len(sf.code) != 1 or not sf.code.isprintable() or sf.code.isspace():
                issues.append(ReadIssue.of("STRUCT-SUBFIELD-CODE", "read-bad", f.tag, occ, code=sf.code))
        for pos, ind in enumerate(f.indicators or (), 1):
            if ind != " " and not _OK_IND.match(ind):
                issues.append(ReadIssue.of("STRUCT-INDICATOR", "read-bad", f.tag, occ, position=pos, value=ind))
    return issues
