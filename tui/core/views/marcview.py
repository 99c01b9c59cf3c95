"""The MARC view: one line a field in the seed's notation, with source references.

``245 1/0 #a Könsnormer i bildspråket - Fördjupning #h [Elektronisk resurs]``: tag, indicator 1
``/`` indicator 2 (a blank as read, else ``-``), ``#code value`` per subfield; the leader
(``000 ...``) and the control fields first, as on KB's page. The text of a field line is
``tui.core.formats.notation.field_line``, so the view and the notation writer agree.

``ViewLinks`` maps a line of one view to the lines of the other, both ways (for the UI).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tui.core.formats.notation import field_line
from tui.core.model.record import LibrisRecord
from tui.core.views.lines import LabelLine, SourceRef

#: ReadIssue code a reader gives a record whose leader it made up (the notation has none).
LEADER_MADE = "LDR-MADE"


@dataclass(frozen=True)
class MarcLine:
    text: str
    ref: SourceRef


def leader_is_made_up(record: LibrisRecord) -> bool:
    return any(i.code == LEADER_MADE for i in record.issues)


def _record_lines(rec, holding: int | None, with_leader: bool) -> list[MarcLine]:
    out: list[MarcLine] = []
    if with_leader and rec.leader is not None:
        out.append(MarcLine(f"000 {rec.leader}", SourceRef("000", 1, None, None, holding)))
    occ: dict[str, int] = {}
    control: list[MarcLine] = []
    data: list[MarcLine] = []
    for f in rec.fields:
        occ[f.tag] = occ.get(f.tag, 0) + 1
        line = MarcLine(field_line(f), SourceRef(f.tag, occ[f.tag], None, None, holding))
        (control if f.is_control_field() else data).append(line)
    return out + control + data


def marc_view(record: LibrisRecord, holdings: bool = False, leader: bool | None = None) -> list[MarcLine]:
    """The MARC view of ``record``.

    ``leader``: show the ``000`` line; by default it is shown unless the reader made it up
    (the seed notation has no leader: the view then shows exactly the lines of the file).
    ``holdings``: append the linked holdings records (``ref.holding`` = their index), so
    that every label line of the BESTÅND section has a MARC line to point at.
    """
    show_leader = (not leader_is_made_up(record)) if leader is None else leader
    out = _record_lines(record.marc, None, show_leader)
    if holdings:
        for i, h in enumerate(record.holdings):
            hl = (not leader_is_made_up(h)) if leader is None else leader
            out += _record_lines(h.marc, i, hl)
    return out


def render_marc_view(lines: Iterable[MarcLine]) -> list[str]:
    return [ln.text for ln in lines]


class ViewLinks:
    """Which lines of the other view a line stands for.

    ``marc_for_label(i)``: indices of the MARC lines that label line ``i`` comes from;
    ``labels_for_marc(j)``: indices of the label lines that show (part of) MARC line ``j``.
    Matching is by field: (holding, tag, occurrence).
    """

    def __init__(self, label_lines: Sequence[LabelLine], marc_lines: Sequence[MarcLine]):
        self.label_lines = label_lines
        self.marc_lines = marc_lines
        self._marc_by_key: dict[tuple, list[int]] = {}
        for j, ml in enumerate(marc_lines):
            self._marc_by_key.setdefault(ml.ref.field_key, []).append(j)
        self._labels_by_key: dict[tuple, list[int]] = {}
        for i, ll in enumerate(label_lines):
            for key in dict.fromkeys(r.field_key for r in ll.refs):
                self._labels_by_key.setdefault(key, []).append(i)

    def marc_for_label(self, i: int) -> list[int]:
        keys = dict.fromkeys(r.field_key for r in self.label_lines[i].refs)
        out: list[int] = []
        for k in keys:
            for j in self._marc_by_key.get(k, ()):
                if j not in out:
                    out.append(j)
        return sorted(out)

    def labels_for_marc(self, j: int) -> list[int]:
        return list(self._labels_by_key.get(self.marc_lines[j].ref.field_key, ()))

    def subfields_for_label(self, i: int) -> list[SourceRef]:
        """The exact subfields (where known) that label line ``i`` shows."""
        return [r for r in self.label_lines[i].refs if r.subfield_index is not None]


def marc_lines_for_ref(marc_lines: Sequence[MarcLine], ref: SourceRef) -> list[int]:
    return [j for j, ml in enumerate(marc_lines) if ml.ref.field_key == ref.field_key]


def label_lines_for_ref(label_lines: Sequence[LabelLine], ref: SourceRef) -> list[int]:
    """Label lines showing ``ref``: the exact subfield when ``ref`` names one, else the field."""
    out = []
    for i, ll in enumerate(label_lines):
        for r in ll.refs:
            if r.field_key != ref.field_key:
                continue
            if ref.subfield_index is None or r.subfield_index in (None, ref.subfield_index):
                out.append(i)
                break
    return out


__all__ = [
    "MarcLine",
    "marc_view",
    "render_marc_view",
    "ViewLinks",
    "marc_lines_for_ref",
    "label_lines_for_ref",
    "leader_is_made_up",
]
