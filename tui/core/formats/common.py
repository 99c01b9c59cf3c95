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
            issues.append(
                ReadIssue("STRUCT-TAG", f"tag {f.tag!r} is not three letters or digits", "warning", f.tag, occ)
            )
        if f.is_control_field():
            continue
        for sf in f.subfields:
            if sf.code == ORPHAN and sf.value == "":
                issues.append(
                    ReadIssue("STRUCT-EMPTY-DELIMITER", "a subfield delimiter with no code", "warning", f.tag, occ)
                )
            elif sf.code == ORPHAN:
                issues.append(
                    ReadIssue(
                        "STRUCT-ORPHAN-TEXT",
                        f"text before the first subfield code: {sf.value!r}",
                        "warning",
                        f.tag,
                        occ,
                    )
                )
            elif sf.value == "":
                issues.append(ReadIssue("STRUCT-EMPTY-SUBFIELD", f"empty subfield ${sf.code}", "warning", f.tag, occ))
            elif len(sf.code) != 1 or not sf.code.isprintable() or sf.code.isspace():
                issues.append(
                    ReadIssue(
                        "STRUCT-SUBFIELD-CODE",
                        f"subfield code {sf.code!r} is not a letter or digit",
                        "warning",
                        f.tag,
                        occ,
                    )
                )
        for pos, ind in enumerate(f.indicators or (), 1):
            if ind != " " and not _OK_IND.match(ind):
                issues.append(
                    ReadIssue("STRUCT-INDICATOR", f"indicator {pos} {ind!r} is not valid", "warning", f.tag, occ)
                )
    return issues
