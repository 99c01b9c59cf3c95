"""Holdings, both ways Libris writes them in MARC (embedded 852/856 with $5 sigel, or separate MARC 21 holdings records linked by 004).

* **Separate MARC 21 holdings records** (leader/06 ``u`` ``v`` ``x`` ``y``) linked to their bib
  by ``004`` = the bib's ``001``, with the library in ``852 $b <sigel>``. Record sources link
  them (``RecordSource.holdings_for``); indexed sources find the holdings slots and their
  ``004`` from the raw bytes (``iso2709.raw_linked_bib``) instead of parsing every record.
* **Embedded holdings** in Libris exports: fields of the bib (``841``, ``852``, ``856``,
  ``866``-``868``, ``876``-``878``) that carry ``$5 <sigel>``.

``split_embedded`` turns the second form into the first, ``embed`` the first into the second,
and ``make_holding`` makes a new holding for a sigel (HOLD-ADD). All three return new pymarc
records and never change the records they are given.

Round trips: ``embed(*split_embedded(r))`` gives ``r`` back when ``r``'s embedded fields stand
together, holding after holding, after the last field that sorts before them (as Libris exports
them): fields keep their ``$5``, and the ``852 $b <sigel>`` that ``split_embedded`` adds when the
embedded fields had no ``852 $b`` is recognised and left out again.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Iterable

from pymarc import Leader
from pymarc.field import Indicators

from tui.core.model.record import Field, LibrisError, LibrisRecord, Record, Subfield
from tui.core.rules.detect import EMBEDDED_HOLDING_TAGS, embedded_sigel, holding_sigel

#: fields that hold an embedded holding when they carry ``$5 <sigel>`` (the rule table's list)
EMBEDDED_TAGS = EMBEDDED_HOLDING_TAGS
HOLDINGS_LEADER_TYPES = frozenset("uvxy")


class HoldingError(LibrisError):
    """A holding that cannot be made, split or embedded (the message says why)."""


def _marc(r: Record | LibrisRecord) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


def _control(rec: Record, tag: str) -> str | None:
    f = rec.get(tag)
    return f.data.strip() if f is not None and f.data and f.data.strip() else None


def holdings_leader(bib: Record | LibrisRecord) -> Leader:
    """A MARC 21 holdings leader for ``bib``: type ``y`` (serial item holdings) when the bib is
    a serial or integrating resource (leader/07 ``s`` or ``i``), else ``x`` (single-part item)."""
    ld = str(_marc(bib).leader or "")
    kind = "y" if ld[7:8] in ("s", "i") else "x"
    return Leader(f"00000n{kind}  a2200000un 4500")


def _insert_in_tag_order(fields: list[Field], new: Field) -> None:
    """Insert ``new`` after the last field whose tag sorts before or with it."""
    at = 0
    for k, f in enumerate(fields):
        if f.tag <= new.tag:
            at = k + 1
    fields.insert(at, new)


def _bare_sigel_852(f: Field, sigel: str) -> bool:
    """``852 $b <sigel>`` and nothing else: what a holding says when it says only who holds."""
    return (
        f.tag == "852"
        and not f.is_control_field()
        and len(f.subfields) == 1
        and f.subfields[0].code == "b"
        and f.subfields[0].value.strip() == sigel
    )


def make_holding(bib: Record | LibrisRecord, sigel: str) -> Record:
    """A new MARC 21 holdings record for ``sigel`` on ``bib`` (HOLD-ADD): holdings leader,
    ``004`` = the bib's ``001``, ``852 ## $b <sigel>``."""
    sigel = (sigel or "").strip()
    if not sigel:
        raise HoldingError("a holding needs a sigel (the library's code, e.g. 'S' or 'Li')")
    marc = _marc(bib)
    cn = _control(marc, "001")
    if cn is None:
        raise HoldingError("the record has no 001 control number, so a holding cannot be linked to it (004)")
    rec = Record()
    rec.leader = holdings_leader(marc)
    rec.fields = [
        Field(tag="004", data=cn),
        Field(tag="852", indicators=Indicators(" ", " "), subfields=[Subfield("b", sigel)]),
    ]
    return rec


def split_embedded(record: Record | LibrisRecord) -> tuple[Record, list[Record]]:
    """A bib with embedded holdings -> (the bib without them, one holdings record per sigel).

    Each holdings record has the holdings leader, ``004`` = the bib's ``001`` (when it has one),
    and the sigel's embedded fields in their order, still with ``$5``; when none of them is an
    ``852`` with ``$b``, an ``852 ## $b <sigel>`` is added so that the holding names its library.
    """
    marc = _marc(record)
    groups: OrderedDict[str, list[Field]] = OrderedDict()
    kept: list[Field] = []
    for f in marc.fields:
        s = embedded_sigel(f)
        if s is None:
            kept.append(copy.deepcopy(f))
        else:
            groups.setdefault(s, []).append(copy.deepcopy(f))
    bib = Record()
    bib.leader = Leader(str(marc.leader)) if marc.leader is not None else marc.leader
    bib.fields = kept
    cn = _control(marc, "001")
    out: list[Record] = []
    for sigel, fields in groups.items():
        h = Record()
        h.leader = holdings_leader(marc)
        body: list[Field] = [Field(tag="004", data=cn)] if cn else []
        body.extend(fields)
        if not any(f.tag == "852" and any(sf.code == "b" and sf.value.strip() for sf in f.subfields) for f in fields):
            _insert_in_tag_order(
                body, Field(tag="852", indicators=Indicators(" ", " "), subfields=[Subfield("b", sigel)])
            )
        h.fields = body
        out.append(h)
    return bib, out


def holding_sigel_of(h: Record | LibrisRecord) -> str | None:
    """The sigel of a holdings record: ``852 $b``, else the ``$5`` of its embedded-kind fields."""
    s = holding_sigel(_marc(h))
    if s:
        return s
    for f in _marc(h).fields:
        s = embedded_sigel(f)
        if s:
            return s
    return None


def embed(bib: Record | LibrisRecord, holdings_records: Iterable[Record | LibrisRecord]) -> Record:
    """``bib`` with the holdings embedded as ``$5 <sigel>`` fields (Libris export form).

    Each holding's ``841``/``852``/``856``/``866``-``868``/``876``-``878`` fields go into the bib
    in tag order, with ``$5 <sigel>`` added where they lack it; a bare ``852 $b <sigel>`` is left
    out when the holding has other fields (their ``$5`` already says who holds). A holding for a
    sigel the bib already embeds replaces that sigel's fields (one holding per sigel per title).
    A holding whose ``004`` names another record is refused.
    """
    marc = _marc(bib)
    cn = _control(marc, "001")
    plan: OrderedDict[str, list[Field]] = OrderedDict()
    for h in holdings_records:
        hm = _marc(h)
        sigel = holding_sigel_of(hm)
        if not sigel:
            raise HoldingError("a holdings record has no sigel (852 $b), so it cannot be embedded")
        link = _control(hm, "004")
        if link and cn and link != cn:
            raise HoldingError(f"the holding for {sigel} belongs to record {link}, not to {cn}")
        fields = [f for f in hm.fields if not f.is_control_field() and f.tag in EMBEDDED_TAGS]
        if len(fields) > 1 or (fields and not _bare_sigel_852(fields[0], sigel)):
            fields = [f for f in fields if not _bare_sigel_852(f, sigel)] or fields
        new_fields = []
        for f in fields:
            g = copy.deepcopy(f)
            if not any(sf.code == "5" and sf.value.strip() for sf in g.subfields):
                g.subfields = list(g.subfields) + [Subfield("5", sigel)]
            new_fields.append(g)
        plan.setdefault(sigel, []).extend(new_fields)
    out = Record()
    out.leader = Leader(str(marc.leader)) if marc.leader is not None else marc.leader
    out.fields = [copy.deepcopy(f) for f in marc.fields if embedded_sigel(f) not in plan]
    new = [f for fields in plan.values() for f in fields]
    if new:
        # one block, holding after holding, after the last field that sorts before it
        first = min(f.tag for f in new)
        at = 0
        for k, f in enumerate(out.fields):
            if f.tag <= first:
                at = k + 1
        out.fields[at:at] = new
    return out
