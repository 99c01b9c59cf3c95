"""Record -> ``ViewLine``s for the two views, from the core's own views and rules.

The MARC view's text is the core's (``tui.core.views.marcview`` / the seed notation's ``field_line``);
the label view's is ``tui.core.views.labels.label_view``. Protection comes from
``tui.core.rules.eplikt.protection``. This module only adds what a pane needs on top: style spans, the
parts of a MARC line (indicators, then one per subfield) and the links between the two views.
Record text goes through ``textsafe.visible`` so no control character reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui.core.formats.notation import field_line
from tui.core.model.record import ORPHAN, LibrisRecord, blank_glyphs
from tui.core.model.textsafe import visible
from tui.core.rules import eplikt as rules
from tui.core.views import marcview as _marcview
from tui.ui.widgets.line_view import Ref, ViewLine

try:  # the label view (tui.core.labels) is the core's; without it the pane says so
    from tui.core.views import labels as _labels
except ImportError:  # pragma: no cover - only while the core is being built
    _labels = None


def _safe_protection(record, tag, occ, code=None, state=None):
    try:
        return rules.protection(record, tag, occ, code, state=state)
    except Exception:  # pragma: no cover - a rules bug must not blank the view
        return None


def marc_lines(record: LibrisRecord, changed_ids: set[int] | frozenset[int] = frozenset()) -> list[ViewLine]:
    """The core's MARC view (``tui.core.views.marcview``), with parts, protection and change marks;
    linked holdings records follow, under a heading of their own."""
    state = rules.record_state(record)
    lines: list[ViewLine] = []
    current: int | None = None
    for ml in _marcview.marc_view(record, holdings=True):
        h = ml.ref.holding
        rec = record if h is None else record.holdings[h]
        if h != current:
            current = h
            sigel = next((sf.value for f in rec.marc.get_fields("852") for sf in f.subfields if sf.code == "b"), "")
            lines.append(ViewLine(text="", selectable=False))
            lines.append(
                ViewLine(
                    text=visible(f"Holdings record {h + 1}" + (f" ({sigel})" if sigel else "")),
                    heading=True,
                    selectable=False,
                )
            )
        st = state if h is None else rules.record_state(rec)
        tag, occ = ml.ref.tag, ml.ref.occurrence
        if tag == "000":
            leader = visible(str(rec.marc.leader))
            prot = _safe_protection(rec, "000", 1, None, st)
            line = ViewLine(
                text=f"000 {leader}",
                spans=[(0, 3, "tag")],
                refs=(("000", 1, None),),
                parts=[(4, 4 + len(leader))],
                protection=prot,
                part_protection=[prot],
                indent=4,
            )
        else:
            f = rules.field_at(rec, tag, occ)
            if f is None:  # cannot happen with the core's own view; show its text regardless
                line = ViewLine(text=visible(ml.text), refs=((tag, occ, None),), indent=4)
            else:
                line = _field_line(rec, f, occ, st, id(f) in changed_ids)
        if h is not None:
            line.refs = tuple((_ref_tag(t, h), o, k) for t, o, k in line.refs)
            line.changed = id(rec) in changed_ids
        lines.append(line)
    return lines


def _field_line(record, f, occ: int, state, changed: bool) -> ViewLine:
    tag = visible(f.tag)
    field_prot = _safe_protection(record, f.tag, occ, None, state)
    if f.is_control_field():
        data = visible(f.data or "")
        return ViewLine(
            text=f"{tag} {data}",
            spans=[(0, len(tag), "tag")],
            refs=((f.tag, occ, None),),
            parts=[(len(tag) + 1, len(tag) + 1 + len(data))],
            protection=field_prot,
            part_protection=[field_prot],
            changed=changed,
            indent=len(tag) + 1,
        )
    # Build the line piece by piece, the way field_line writes it, to know where each part is.
    g1, g2 = blank_glyphs(f)
    i1, i2 = (tuple(f.indicators or ()) + (" ", " "))[:2]
    ind = f"{g1 if i1 == ' ' else visible(i1)}/{g2 if i2 == ' ' else visible(i2)}"
    text = f"{tag} {ind}"
    indent = len(text) + 1  # continuation rows go under the first subfield
    spans = [(0, len(tag), "tag"), (len(tag) + 1, len(text), "indicator")]
    parts = [(len(tag) + 1, len(text))]
    part_prot = [field_prot]
    refs: list[Ref] = [(f.tag, occ, None)]
    for k, sf in enumerate(f.subfields):
        start = len(text) + 1
        if sf.code == ORPHAN:
            text += " " + visible(sf.value)
            spans.append((start, len(text), "orphan"))
        else:
            code = f"#{visible(sf.code)}"
            text += " " + code + (f" {visible(sf.value)}" if sf.value else "")
            spans.append((start, start + len(code), "code"))
        parts.append((start, len(text)))
        part_prot.append(
            _safe_protection(record, f.tag, occ, sf.code or None, state)
            if field_prot is None
            else _part_under_field(record, f.tag, occ, sf.code, state)
        )
        refs.append((f.tag, occ, k))
    expected = visible(field_line(f))
    if text != expected:  # the core's notation is the truth; lose the parts, keep the text
        return ViewLine(
            text=expected,
            spans=[(0, len(tag), "tag")],
            refs=tuple(refs[:1]),
            protection=field_prot,
            changed=changed,
            indent=len(tag) + 1,
        )
    return ViewLine(
        text=text,
        spans=spans,
        refs=tuple(refs),
        parts=parts,
        protection=field_prot,
        part_protection=part_prot,
        changed=changed,
        indent=indent,
    )


def _part_under_field(record, tag, occ, code, state):
    """A subfield of a protected field: protected too, unless the rules free it (URI-FIX)."""
    if code in (None, ORPHAN):
        return _safe_protection(record, tag, occ, None, state)
    return _safe_protection(record, tag, occ, code, state)


def _ref_tag(tag: str, holding: int | None) -> str:
    """Fields of linked holdings records are told apart from the bib's: ``h1:852``."""
    return tag if holding is None else f"h{holding + 1}:{tag}"


def holding_of(tag: str) -> tuple[int | None, str]:
    """``h1:852`` -> (0, "852"); ``245`` -> (None, "245")."""
    if tag.startswith("h") and ":" in tag:
        n, t = tag[1:].split(":", 1)
        return int(n) - 1, t
    return None, tag


# -- the label view --------------------------------------------------------------------------------


def labels_available() -> bool:
    return _labels is not None


def label_lines(
    record: LibrisRecord, lang: str = "sv", changed_refs: set[tuple[str, int]] | frozenset = frozenset()
) -> list[ViewLine]:
    """The Libris label view: sections and ``label: value`` lines, each with its MARC refs."""
    if _labels is None:
        return [ViewLine(text="(the label view is not available in this build)", selectable=False)]
    state = rules.record_state(record)
    out: list[ViewLine] = []
    section = None
    for ll in _labels.label_view(record, lang):
        if ll.section != section:
            if out:
                out.append(ViewLine(text="", selectable=False))
            section = ll.section
            heading = _labels.section_heading(section, lang) if hasattr(_labels, "section_heading") else section
            out.append(ViewLine(text=visible(str(heading)), heading=True, selectable=False))
        label, value = visible(str(ll.label)), visible(str(ll.value))
        text = f"{label}: {value}"
        refs: list[Ref] = []
        for r in ll.refs or ():
            refs.append((_ref_tag(r.tag, getattr(r, "holding", None)), r.occurrence, r.subfield_index))
        # A label line stands for its field: it is greyed when the field is protected (the MARC
        # view's parts show what the rules still free inside it, e.g. URI-FIX's 856 $u).
        prot = None
        for r in ll.refs or ():
            if getattr(r, "holding", None) is not None:
                continue
            prot = _safe_protection(record, r.tag, r.occurrence, None, state)
            if prot is not None:
                break
        changed = any((t, o) in changed_refs for t, o, _ in refs)
        out.append(
            ViewLine(
                text=text,
                spans=[(0, len(label) + 1, "label")],
                refs=tuple(refs),
                protection=prot,
                changed=changed,
                indent=len(label) + 2,
            )
        )
    return out


# -- linking the two views ----------------------------------------------------------------------


def field_keys(refs: Iterable[Ref]) -> set[tuple[str, int]]:
    return {(t, o) for t, o, _ in refs}


def linked_lines(source: ViewLine, part: int | None, target: list[ViewLine]) -> tuple[set[int], dict[int, int]]:
    """Which lines of ``target`` show the data under the cursor in ``source`` (and which part).

    Subfield-level when both sides know the subfield; field-level otherwise.
    """
    if source is None or not source.refs:
        return set(), {}
    if part is not None and source.parts and 0 <= part < len(source.refs):
        wanted = [source.refs[part]] if source.refs[part][2] is not None else list(source.refs)
    else:
        wanted = list(source.refs)
    sub_wanted = {r for r in wanted if r[2] is not None}
    fields_wanted = field_keys(wanted)
    exact: set[int] = set()
    loose: set[int] = set()
    parts: dict[int, int] = {}
    for i, line in enumerate(target):
        if not line.selectable or not line.refs:
            continue
        if sub_wanted and any(r in sub_wanted for r in line.refs):
            exact.add(i)
            if line.parts and len(sub_wanted) == 1:
                (want,) = sub_wanted
                for k, r in enumerate(line.refs):
                    if r == want:
                        parts[i] = k
        elif field_keys(line.refs) & fields_wanted:
            loose.add(i)
    return (exact or loose), (parts if exact else {})
