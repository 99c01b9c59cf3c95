"""Every edit is a command object: check (may it be done here, and if not, why), apply, undo,
describe (one line) and to_json (for the crash-recovery journal).

The terminal app and the batch command line go through the same objects, so the e-plikt rules
(``rules.py``) and the participation profile (``profile.py``) are enforced in one place.

Addressing: fields by ``(tag, occurrence)`` with the occurrence 1-based among the fields with
that tag; subfields by 0-based index into ``field.subfields``; the leader is tag ``000``.

Order of the checks, most fundamental first: a channel record refuses everything
(CHN-READONLY); then the command's own rules (the target exists, EPL-NODELETE, EPL-PROTECT with
its URI-FIX / URI-ADD / URI-MOVE exceptions, EPL-DETECT markers, HOLD-ADD); then the profile
(PROFILE-LIMITED). Anything not protected may be completed (EPL-UPGRADE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from dataclasses import fields as dc_fields
from typing import Any, ClassVar

from pymarc import Field, Leader, Subfield

from tui.core.formats.notation import field_line
from tui.core.model.record import ORPHAN, LibrisError, LibrisRecord
from tui.core.rules import detect, table
from tui.core.rules.eplikt import (
    SYSTEM_TAGS,
    RecordState,
    Refusal,
    field_at,
    has_code,
    holding_field_sigel,
    looks_like_uri,
    protection,
    record_state,
    restricted_uri_occurrences,
)
from tui.core.rules.profile import FULL, Action, Profile

__all__ = [
    "Refusal",
    "Refused",
    "Advice",
    "EditContext",
    "EditCommand",
    "History",
    "command_from_json",
    "COMMANDS",
    "SetSubfield",
    "SetIndicator",
    "AddSubfield",
    "DeleteSubfield",
    "AddField",
    "DeleteField",
    "MoveField",
    "SetControlField",
    "AddHolding",
    "MoveRestrictedUris",
    "FixUri",
    "AddUri",
    "ClearSuppress",
    "DeleteRecord",
    "ReplaceField",
    "AddFields",
    "CreateRecord",
]

_CODE = re.compile(r"^[0-9a-z]$")
_IND = re.compile(r"^[0-9a-z ]$")
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_BLANK_GLYPHS = ("", "-", "_", "#", "\\")


class Refused(LibrisError):
    """Raised by ``History.do`` (and ``apply``) when a command may not be done here."""

    def __init__(self, refusal: Refusal):
        super().__init__(str(refusal))
        self.refusal = refusal


@dataclass(frozen=True)
class Advice:
    """Something the cataloguer should know after an edit (not a refusal), e.g. SUP-CLEAR."""

    rule: str
    message: str

    @classmethod
    def of(cls, rule_id: str, key: str, /, **fields: Any) -> Advice:
        return cls(rule_id, table.say(rule_id, key, **fields))

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})"


@dataclass
class EditContext:
    record: LibrisRecord
    profile: Profile = FULL
    sigel: str | None = None
    source: Any = None

    def state(self) -> RecordState:
        return record_state(self.record, self.source)


# -- helpers -----------------------------------------------------------------------------------


def _where(tag: str, occurrence: int | None, index: int | None = None, code: str | None = None) -> str:
    s = tag + (f"[{occurrence}]" if occurrence else "")
    if code is not None:
        s += f" ${code}" if code != ORPHAN else f" ({table.phrase('orphan')})"
    elif index is not None:
        s += " " + table.phrase("subfield-n", n=index + 1)
    return s


def _blank(v: str) -> str:
    return " " if v in _BLANK_GLYPHS else v


def _marker_refusal(tag: str, code: str, value: str) -> Refusal | None:
    """042 $9 EPLK / DIGI are written by the e-plikt flow and by machine matching (EPL-DETECT)."""
    if tag == "042" and code == "9" and value.strip() in (detect.EPLK, detect.DIGI):
        return Refusal.of("EPL-DETECT", "marker-by-hand", value=value.strip())
    return None


def _channel_refusal(tag: str, code: str, value: str) -> Refusal | None:
    if tag == "245" and code == "h" and detect.media_term(value).lower() == detect.CHANNEL_TERM:
        return Refusal.of("CHN-READONLY", "make")
    return None


def _value_refusal(tag: str, code: str, value: str) -> Refusal | None:
    if not _CODE.match(code or ""):
        return Refusal("EDIT-VALUE", f"{tag}: " + table.say("STRUCT-SUBFIELD-CODE", "bad", code=code))
    if not value.strip():
        return Refusal.of("EDIT-VALUE", "empty-subfield", tag=tag, code=code)
    return _marker_refusal(tag, code, value) or _channel_refusal(tag, code, value)


def _ownership(ctx: EditContext, sigel: str) -> Refusal | None:
    """An embedded holding (``$5 sigel``) belongs to the library with that sigel (HOLD-ADD)."""
    if sigel == detect.APIS:
        return Refusal.of("EPL-DETECT", "apis-holding")
    if ctx.sigel is None:
        return Refusal.of("HOLD-ADD", "others-no-sigel", sigel=sigel)
    if ctx.sigel != sigel:
        return Refusal.of("HOLD-ADD", "others", sigel=sigel, own=ctx.sigel)
    return None


def _protected(ctx: EditContext, st: RecordState, tag: str, occurrence: int | None, code: str | None) -> Refusal | None:
    p = protection(ctx.record, tag, occurrence, code, state=st)
    if p is None:
        return None
    return p.refusal(_where(tag, occurrence, code=code))


def _no_subfield(tag: str, occurrence: int, index: int, f: Field) -> Refusal:
    return Refusal.of("EDIT-TARGET", "no-subfield", tag=tag, occurrence=occurrence, n=index + 1, count=len(f.subfields))


def _field_index(record: LibrisRecord, f: Field) -> int:
    for i, g in enumerate(record.marc.fields):
        if g is f:
            return i
    raise ValueError("field not in record")


def _ordered_index(record: LibrisRecord, tag: str) -> int:
    """Where a new field with ``tag`` goes: after the last field whose tag sorts before or equal."""
    fields = record.marc.fields
    for i, g in enumerate(fields):
        if g.tag > tag:
            return i
    return len(fields)


def _field_text(f: Field) -> str:
    return field_line(f)


# -- the base ----------------------------------------------------------------------------------


@dataclass
class EditCommand:
    """One edit. Subclasses are dataclasses whose init fields are the parameters (``to_json``)."""

    op: ClassVar[str] = ""
    #: what the command is for the participation profile
    action: ClassVar[Action] = "edit"

    def __post_init__(self):
        self._applied = False
        self.changed = False

    # -- the protocol ----------------------------------------------------------------------------
    def check(self, ctx: EditContext) -> Refusal | None:
        st = ctx.state()
        if st.channel:
            return Refusal.of("CHN-READONLY", "record")
        action = self._action(ctx)
        if ctx.record.kind == "holdings":
            # a holdings record belongs to the library in its 852 $b; KB's APIS holding stays
            sigel = detect.holding_sigel(ctx.record)
            if sigel is not None and not isinstance(self, AddHolding):
                r = _ownership(ctx, sigel)
                if r is not None:
                    return r
            if action in ("edit", "delete"):
                action = "holding"  # holdings work, which limited participation may do
        r = self._check(ctx, st)
        if r is not None:
            return r
        return ctx.profile.refusal(action)

    def apply(self, ctx: EditContext) -> None:
        if self._applied:
            raise LibrisError(f"{self.describe()}: already applied")
        r = self.check(ctx)
        if r is not None:
            raise Refused(r)
        self.changed = bool(self._apply(ctx))
        self._applied = True

    def undo(self, ctx: EditContext) -> None:
        if not self._applied:
            raise LibrisError(f"{self.describe()}: not applied, nothing to undo")
        if self.changed:
            self._undo(ctx)
        self._applied = False
        self.changed = False

    def describe(self) -> str:
        raise NotImplementedError

    def advice(self, ctx: EditContext) -> list[Advice]:
        """What the cataloguer should know after this edit (SUP-CLEAR for completed records)."""
        st = ctx.state()
        if st.suppressed and not st.channel:
            return [Advice.of("SUP-CLEAR", "still")]
        return []

    def to_json(self) -> dict:
        d: dict = {"op": self.op}
        for f in dc_fields(self):
            if f.init:
                v = getattr(self, f.name)
                d[f.name] = [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, (list, tuple)) else v
        return d

    @classmethod
    def from_json(cls, d: dict) -> EditCommand:
        params = {f.name: d[f.name] for f in dc_fields(cls) if f.init and f.name in d}
        return cls(**params)

    # -- for subclasses ------------------------------------------------------------------------
    def _action(self, ctx: EditContext) -> Action:
        return self.action

    def _check(self, ctx: EditContext, st: RecordState) -> Refusal | None:
        return None

    def _apply(self, ctx: EditContext) -> bool:
        raise NotImplementedError

    def _undo(self, ctx: EditContext) -> None:
        raise NotImplementedError

    def _field(self, ctx: EditContext, tag: str, occurrence: int) -> tuple[Field | None, Refusal | None]:
        f = field_at(ctx.record, tag, occurrence)
        if f is None:
            n = len(ctx.record.marc.get_fields(tag))
            return None, Refusal.of("EDIT-TARGET", "no-field", tag=tag, occurrence=occurrence, n=n)
        return f, None


def _datafield(cmd: EditCommand, ctx: EditContext, tag: str, occurrence: int):
    f, r = cmd._field(ctx, tag, occurrence)
    if r is None and f.is_control_field():
        r = Refusal.of("EDIT-TARGET", "control-field", tag=tag)
    return f, r


def _holding_action(ctx: EditContext, f: Field | None) -> Action:
    return "holding" if f is not None and holding_field_sigel(f) is not None else "edit"


# -- subfields and indicators --------------------------------------------------------------------


@dataclass
class SetSubfield(EditCommand):
    """Set the value (and optionally the code) of one subfield."""

    tag: str
    occurrence: int
    index: int
    value: str
    code: str | None = None
    op: ClassVar[str] = "set-subfield"

    def _target(self, ctx):
        f, r = _datafield(self, ctx, self.tag, self.occurrence)
        if r is None and not (0 <= self.index < len(f.subfields)):
            r = _no_subfield(self.tag, self.occurrence, self.index, f)
        return f, r

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _check(self, ctx, st):
        f, r = self._target(ctx)
        if r:
            return r
        old = f.subfields[self.index]
        code = old.code if self.code is None else self.code
        if code == ORPHAN:
            return Refusal.of("EDIT-VALUE", "orphan-code", tag=self.tag, occurrence=self.occurrence)
        r = _value_refusal(self.tag, code, self.value)
        if r:
            return r
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        # a changed code is a change of the field; a changed value a change of that subfield
        asked = old.code if code == old.code else None
        if self.tag == "042" and old.code != "9":
            asked = old.code
        r = _protected(ctx, st, self.tag, self.occurrence, asked)
        if r:
            return r
        if st.eplikt and self.tag == "856" and code == "u" and not looks_like_uri(self.value):
            return Refusal(
                "URI-FIX", f"856[{self.occurrence}] $u: " + table.say("URI-FIX", "not-uri", value=self.value)
            )
        return None

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._old = f.subfields[self.index]
        new = Subfield(self._old.code if self.code is None else self.code, self.value)
        if new == self._old:
            return False
        f.subfields[self.index] = new
        self._f = f
        return True

    def _undo(self, ctx):
        self._f.subfields[self.index] = self._old

    def describe(self):
        code = f"${self.code}" if self.code is not None else f"subfield {self.index + 1}"
        return f"Set {self.tag}[{self.occurrence}] {code} to {self.value!r}"


@dataclass
class SetIndicator(EditCommand):
    """Set indicator 1 or 2 of a data field (blank may be given as ' ', '-', '_', '#' or '')."""

    tag: str
    occurrence: int
    position: int
    value: str
    op: ClassVar[str] = "set-indicator"

    def __post_init__(self):
        super().__post_init__()
        self.value = _blank(self.value)

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _check(self, ctx, st):
        if self.position not in (1, 2):
            return Refusal.of("EDIT-TARGET", "indicator-position", position=self.position)
        if not _IND.match(self.value):
            return Refusal.of("EDIT-VALUE", "indicator", value=self.value)
        f, r = _datafield(self, ctx, self.tag, self.occurrence)
        if r:
            return r
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        if (
            self.tag == "856"
            and self.position == 2
            and f.indicator2 == "0"
            and self.value == "2"
            and st.eplikt
            and st.restricted
        ):
            return None  # URI-MOVE: restricted URI from "Tillhörande media" to "Relaterad beskrivning"
        return _protected(ctx, st, self.tag, self.occurrence, None)

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._f = f
        self._old = f.indicator1 if self.position == 1 else f.indicator2
        if self._old == self.value:
            return False
        if self.position == 1:
            f.indicator1 = self.value
        else:
            f.indicator2 = self.value
        return True

    def _undo(self, ctx):
        if self.position == 1:
            self._f.indicator1 = self._old
        else:
            self._f.indicator2 = self._old

    def describe(self):
        shown = "blank" if self.value == " " else self.value
        return f"Set {self.tag}[{self.occurrence}] indicator {self.position} to {shown}"


@dataclass
class AddSubfield(EditCommand):
    """Add a subfield to a data field, at ``index`` (default: at the end)."""

    tag: str
    occurrence: int
    code: str
    value: str
    index: int | None = None
    op: ClassVar[str] = "add-subfield"

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _check(self, ctx, st):
        f, r = _datafield(self, ctx, self.tag, self.occurrence)
        if r:
            return r
        if self.index is not None and not (0 <= self.index <= len(f.subfields)):
            return Refusal.of(
                "EDIT-TARGET",
                "subfield-position",
                tag=self.tag,
                occurrence=self.occurrence,
                n=self.index + 1,
                count=len(f.subfields),
            )
        r = _value_refusal(self.tag, self.code, self.value)
        if r:
            return r
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        if self.code == "5" and self.tag in detect.EMBEDDED_HOLDING_TAGS:
            return _ownership(ctx, self.value.strip())
        # 042: only the $9 markers are protected (the marker values are refused above)
        return _protected(ctx, st, self.tag, self.occurrence, self.code if self.tag == "042" else None)

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._f = f
        self._at = len(f.subfields) if self.index is None else self.index
        f.subfields.insert(self._at, Subfield(self.code, self.value))
        return True

    def _undo(self, ctx):
        del self._f.subfields[self._at]

    def describe(self):
        return f"Add {self.tag}[{self.occurrence}] ${self.code} {self.value!r}"


@dataclass
class DeleteSubfield(EditCommand):
    tag: str
    occurrence: int
    index: int
    op: ClassVar[str] = "delete-subfield"

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _check(self, ctx, st):
        f, r = _datafield(self, ctx, self.tag, self.occurrence)
        if r:
            return r
        if not (0 <= self.index < len(f.subfields)):
            return _no_subfield(self.tag, self.occurrence, self.index, f)
        if len(f.subfields) == 1:
            return Refusal.of("EDIT-VALUE", "only-subfield", tag=self.tag, occurrence=self.occurrence)
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        code = f.subfields[self.index].code if self.tag == "042" else None
        return _protected(ctx, st, self.tag, self.occurrence, code)

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._f = f
        self._old = f.subfields.pop(self.index)
        return True

    def _undo(self, ctx):
        self._f.subfields.insert(self.index, self._old)

    def describe(self):
        return f"Delete {self.tag}[{self.occurrence}] subfield {self.index + 1}"


# -- fields ------------------------------------------------------------------------------------


def _make_field(tag: str, indicators, subfields, data) -> Field:
    if tag < "010" and tag.isdigit():
        return Field(tag=tag, data=data or "")
    i1, i2 = (list(indicators or ()) + [" ", " "])[:2]
    return Field(tag=tag, indicators=[_blank(i1), _blank(i2)], subfields=[Subfield(c, v) for c, v in (subfields or [])])


@dataclass
class AddField(EditCommand):
    """Add a field: ``subfields`` as ``[(code, value), ...]``; ``data`` for a control field.

    ``index`` is the position in the record's field list; by default the field goes in tag order.
    """

    tag: str
    indicators: list = dc_field(default_factory=lambda: [" ", " "])
    subfields: list = dc_field(default_factory=list)
    data: str | None = None
    index: int | None = None
    op: ClassVar[str] = "add-field"

    def __post_init__(self):
        super().__post_init__()
        self.indicators = [_blank(i) for i in (list(self.indicators or ()) + [" ", " "])[:2]]
        self.subfields = [(str(c), str(v)) for c, v in (self.subfields or [])]

    def _sigel(self) -> str | None:
        if self.tag in detect.EMBEDDED_HOLDING_TAGS:
            for c, v in self.subfields:
                if c == "5" and v.strip():
                    return v.strip()
        return None

    def _action(self, ctx):
        return "holding" if self._sigel() is not None else "edit"

    def _shape_refusal(self, ctx, replacing: str | None = None) -> Refusal | None:
        """``replacing``: the tag of the field this one takes the place of (ReplaceField): a
        record's one 001 or 245 may be replaced by another."""
        if not _TAG.match(self.tag or ""):
            return Refusal.of("EDIT-VALUE", "STRUCT-TAG.bad", tag=self.tag)
        if self.index is not None and not (0 <= self.index <= len(ctx.record.marc.fields)):
            return Refusal.of("EDIT-TARGET", "field-position", index=self.index)
        if self.tag < "010" and self.tag.isdigit():
            if self.data is None or self.subfields:
                return Refusal.of("EDIT-VALUE", "control-value", tag=self.tag)
            if self.tag == "001" and replacing != "001" and ctx.record.marc.get_fields("001"):
                return Refusal.of("EDIT-VALUE", "second-001")
            return None
        for i in self.indicators:
            if not _IND.match(i):
                return Refusal.of("EDIT-VALUE", "indicator", value=i)
        if not self.subfields:
            return Refusal.of("EDIT-VALUE", "no-subfields", tag=self.tag)
        for c, v in self.subfields:
            r = _value_refusal(self.tag, c, v)
            if r:
                return r
        if self.tag == "245" and replacing != "245" and ctx.record.kind == "bib" and ctx.record.marc.get_fields("245"):
            return Refusal.of("EDIT-VALUE", "second-245")
        return None

    def _check(self, ctx, st):
        if self.tag in SYSTEM_TAGS:  # SYS-READONLY before the shape: the system sets them
            return _protected(ctx, st, self.tag, None, None)
        r = self._shape_refusal(ctx)
        if r:
            return r
        sigel = self._sigel()
        if sigel is not None:
            return _ownership(ctx, sigel)
        if self.tag == "856" and st.eplikt:
            return self._uri_add_refusal()
        return _protected(ctx, st, self.tag, None, None)

    def _uri_add_refusal(self) -> Refusal | None:
        uris = [v for c, v in self.subfields if c == "u"]
        if not uris or not all(looks_like_uri(u) for u in uris):
            return Refusal.of("URI-ADD", "needs-u")
        return None  # URI-ADD: further 856 fields may be added

    def _apply(self, ctx):
        f = _make_field(self.tag, self.indicators, self.subfields, self.data)
        at = _ordered_index(ctx.record, self.tag) if self.index is None else self.index
        ctx.record.marc.fields.insert(at, f)
        self._f = f
        return True

    def _undo(self, ctx):
        fields = ctx.record.marc.fields
        fields.pop(_field_index(ctx.record, self._f))

    def describe(self):
        return f"Add {_field_text(_make_field(self.tag, self.indicators, self.subfields, self.data))}"


@dataclass
class DeleteField(EditCommand):
    tag: str
    occurrence: int
    op: ClassVar[str] = "delete-field"

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _check(self, ctx, st):
        f, r = self._field(ctx, self.tag, self.occurrence)
        if r:
            return r
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        return _protected(ctx, st, self.tag, self.occurrence, None)

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._at = _field_index(ctx.record, f)
        self._f = ctx.record.marc.fields.pop(self._at)
        return True

    def _undo(self, ctx):
        ctx.record.marc.fields.insert(self._at, self._f)

    def describe(self):
        return f"Delete {self.tag}[{self.occurrence}]"


@dataclass
class MoveField(EditCommand):
    """Move a field to position ``to_index`` in the record's field list (0-based)."""

    tag: str
    occurrence: int
    to_index: int
    op: ClassVar[str] = "move-field"

    @classmethod
    def by(cls, record: LibrisRecord, tag: str, occurrence: int, delta: int) -> MoveField:
        """Move up (``delta`` < 0) or down by ``delta`` places."""
        f = field_at(record, tag, occurrence)
        at = _field_index(record, f) if f is not None else 0
        return cls(tag, occurrence, max(0, min(len(record.marc.fields) - 1, at + delta)))

    def _check(self, ctx, st):
        f, r = self._field(ctx, self.tag, self.occurrence)
        if r:
            return r
        if not (0 <= self.to_index < len(ctx.record.marc.fields)):
            return Refusal.of("EDIT-TARGET", "move-position", index=self.to_index, count=len(ctx.record.marc.fields))
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        return _protected(ctx, st, self.tag, self.occurrence, None)

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _apply(self, ctx):
        f = field_at(ctx.record, self.tag, self.occurrence)
        fields = ctx.record.marc.fields
        self._from = _field_index(ctx.record, f)
        if self._from == self.to_index:
            return False
        fields.insert(self.to_index, fields.pop(self._from))
        return True

    def _undo(self, ctx):
        fields = ctx.record.marc.fields
        fields.insert(self._from, fields.pop(self.to_index))

    def describe(self):
        return f"Move {self.tag}[{self.occurrence}] to position {self.to_index + 1}"


@dataclass
class SetControlField(EditCommand):
    """Set the value of a control field (001-009), or the leader (tag ``000``)."""

    tag: str
    value: str
    occurrence: int = 1
    op: ClassVar[str] = "set-control-field"

    def _action(self, ctx):
        if self.tag == "000" and self.value[5:6] == "d" and ctx.record.leader[5:6] != "d":
            return "delete"
        return "edit"

    def _check(self, ctx, st):
        if self.tag == "000":
            if len(self.value) != 24 or not self.value.isascii():
                return Refusal.of("EDIT-VALUE", "leader-length", length=len(self.value))
            if self.value[5] == "d" and ctx.record.leader[5:6] != "d" and st.eplikt:
                return Refusal.of("EPL-NODELETE", "leader")
            return None
        if not (self.tag < "010" and self.tag.isdigit()):
            return Refusal.of("EDIT-TARGET", "not-control", tag=self.tag)
        f, r = self._field(ctx, self.tag, self.occurrence)
        if r:
            return r
        if self.tag == "008" and ctx.record.kind == "bib" and len(self.value) != 40:
            return Refusal.of("EDIT-VALUE", "bib-008", length=len(self.value))
        return _protected(ctx, st, self.tag, self.occurrence, None)

    def _apply(self, ctx):
        if self.tag == "000":
            self._old = str(ctx.record.marc.leader)
            if self._old == self.value:
                return False
            ctx.record.marc.leader = Leader(self.value)
            return True
        f = field_at(ctx.record, self.tag, self.occurrence)
        self._f, self._old = f, f.data
        if f.data == self.value:
            return False
        f.data = self.value
        return True

    def _undo(self, ctx):
        if self.tag == "000":
            ctx.record.marc.leader = Leader(self._old)
        else:
            self._f.data = self._old

    def describe(self):
        what = "the leader" if self.tag == "000" else f"{self.tag}"
        return f"Set {what} to {self.value!r}"


# -- holdings ----------------------------------------------------------------------------------


@dataclass
class AddHolding(EditCommand):
    """HOLD-ADD: a holding for the library's own sigel; one per sigel and title, so adding it
    again changes nothing. The holding is a MARC21 holdings record linked to the bib."""

    sigel: str | None = None
    #: more fields for the holdings record, as lines of MARC text (a template's): an 852 among
    #: them takes the place of the plain ``852 $b sigel``
    lines: list = dc_field(default_factory=list)
    op: ClassVar[str] = "add-holding"
    action: ClassVar[Action] = "holding"

    def _sigel(self, ctx) -> str | None:
        s = self.sigel if self.sigel is not None else ctx.sigel
        return s.strip() if s else None

    def _check(self, ctx, st):
        s = self._sigel(ctx)
        if not s:
            return Refusal.of("HOLD-ADD", "no-sigel")
        if not detect.is_sigel(s):
            return Refusal.of("HOLD-ADD", "not-sigel", sigel=s)
        if s == detect.APIS:
            return Refusal.of("HOLD-ADD", "apis")
        if ctx.sigel and s != ctx.sigel.strip():
            return Refusal.of("HOLD-ADD", "not-own", own=ctx.sigel, sigel=s)
        if ctx.record.kind != "bib":
            return Refusal.of("HOLD-ADD", "not-bib", kind=ctx.record.kind)
        if not self.held(ctx) and not (ctx.record.control_number or "").strip():
            return Refusal.of("HOLD-ADD", "no-001")
        for line in self.lines:
            f, r = _parse_field_line(line)
            if r:
                return r
            if f.tag in SYSTEM_TAGS or f.tag == "004":
                return Refusal.of("SYS-READONLY", "set-by-system", tag=f.tag)
            other = [sf.value.strip() for sf in ([] if f.is_control_field() else f.subfields) if sf.code == "b"]
            if f.tag == "852" and any(v != s for v in other):
                return Refusal.of("HOLD-ADD", "not-own", own=s, sigel=next(v for v in other if v != s))
        return None

    def to_json(self) -> dict:
        d = super().to_json()
        if not self.lines:
            d.pop("lines", None)  # a plain holding journals as it always did
        return d

    def held(self, ctx) -> bool:
        s = self._sigel(ctx)
        holders = detect.holding_sigels(ctx.record)
        if not ctx.record.holdings and ctx.source is not None:
            try:
                holders += [x for x in (detect.holding_sigel(h) for h in ctx.source.holdings_for(ctx.record)) if x]
            except Exception:
                pass
        return s in holders

    def _apply(self, ctx):
        self._used_sigel = self._sigel(ctx)
        if self.held(ctx):
            return False  # one holding per sigel and title
        from tui.core.model import holdings

        marc = holdings.make_holding(ctx.record, self._used_sigel)
        extra = [f for f in (_parse_field_line(line)[0] for line in self.lines) if f is not None]
        if any(f.tag == "852" for f in extra):
            marc.fields = [f for f in marc.fields if f.tag != "852"]
        for f in extra:
            marc.fields.insert(_ordered_index(LibrisRecord(marc=marc), f.tag), f)
        self._h = LibrisRecord(marc=marc, path=ctx.record.path, number=0, source_format=ctx.record.source_format)
        ctx.record.holdings.append(self._h)
        return True

    def _undo(self, ctx):
        ctx.record.holdings[:] = [h for h in ctx.record.holdings if h is not self._h]

    def advice(self, ctx):
        st = ctx.state()
        if st.suppressed:
            return [Advice.of("SUP-CLEAR", "held")]
        return []

    def describe(self):
        who = self.sigel or "your sigel"
        if self._applied and not self.changed:
            return f"Holding for {who} already there (unchanged)"
        return f"Add holding for {who}"


# -- the e-plikt commands ------------------------------------------------------------------------


@dataclass
class MoveRestrictedUris(EditCommand):
    """URI-MOVE: in an e-plikt record with 506 $a restricted, every 856 with second indicator 0
    gets second indicator 2; nothing else changes."""

    op: ClassVar[str] = "move-restricted-uris"

    def targets(self, ctx) -> list[int]:
        return restricted_uri_occurrences(ctx.record, ctx.state())

    def _check(self, ctx, st):
        if not st.eplikt:
            return Refusal.of("URI-MOVE", "not-eplikt")
        if not st.restricted:
            return Refusal.of("URI-MOVE", "not-restricted")
        if not restricted_uri_occurrences(ctx.record, st):
            return Refusal.of("URI-MOVE", "nothing")
        return None

    def _apply(self, ctx):
        occs = self.targets(ctx)
        all856 = ctx.record.marc.get_fields("856")
        self._moved = [all856[o - 1] for o in occs]
        self._occs = occs
        for f in self._moved:
            f.indicator2 = "2"
        return bool(self._moved)

    def _undo(self, ctx):
        for f in self._moved:
            f.indicator2 = "0"

    def describe(self):
        if self._applied:
            occs = ", ".join(f"856[{o}]" for o in self._occs)
            return f"Move restricted URIs {occs} to 856 second indicator 2 (URI-MOVE)"
        return "Move restricted URIs from 856 second indicator 0 to 2 (URI-MOVE)"


@dataclass
class FixUri(EditCommand):
    """URI-FIX: correct the URI ($u) of an 856 that has no public note ($z).

    ``index`` names the $u among the field's subfields (0-based); by default the first $u with a
    value, else the first $u.
    """

    occurrence: int
    uri: str
    index: int | None = None
    op: ClassVar[str] = "fix-uri"

    def _u_index(self, f: Field) -> int | None:
        if self.index is not None:
            return self.index
        us = [i for i, sf in enumerate(f.subfields) if sf.code == "u"]
        filled = [i for i in us if f.subfields[i].value.strip()]
        return (filled or us or [None])[0]

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, "856", self.occurrence))

    def _check(self, ctx, st):
        f, r = _datafield(self, ctx, "856", self.occurrence)
        if r:
            return r
        i = self._u_index(f)
        if i is None:
            return Refusal.of("EDIT-TARGET", "no-u", occurrence=self.occurrence)
        if not (0 <= i < len(f.subfields)) or f.subfields[i].code != "u":
            return Refusal.of("EDIT-TARGET", "not-u", occurrence=self.occurrence, n=i + 1)
        if not looks_like_uri(self.uri):
            return Refusal.of("URI-FIX", "not-uri", value=self.uri)
        sigel = holding_field_sigel(f)
        if sigel is not None:
            return _ownership(ctx, sigel)
        if st.eplikt and has_code(f, "z"):
            return Refusal.of("EPL-PROTECT", "fix-with-note", occurrence=self.occurrence)
        return None

    def _apply(self, ctx):
        f = field_at(ctx.record, "856", self.occurrence)
        self._f = f
        self._i = self._u_index(f)
        self._old = f.subfields[self._i]
        if self._old.value == self.uri:
            return False
        f.subfields[self._i] = Subfield("u", self.uri)
        return True

    def _undo(self, ctx):
        self._f.subfields[self._i] = self._old

    def describe(self):
        return f"Correct the URI of 856[{self.occurrence}] to {self.uri} (URI-FIX)"


@dataclass
class AddUri(EditCommand):
    """URI-ADD: add an 856 with the URI in $u (second indicator 0 "Tillhörande media" by default;
    ``note`` goes in $z)."""

    uri: str
    ind1: str = "4"
    ind2: str = "0"
    note: str | None = None
    op: ClassVar[str] = "add-uri"

    def _add(self) -> AddField:
        subs = [("u", self.uri)] + ([("z", self.note)] if self.note else [])
        return AddField("856", [self.ind1, self.ind2], subs)

    def _check(self, ctx, st):
        if not looks_like_uri(self.uri):
            return Refusal.of("URI-ADD", "not-uri", value=self.uri)
        return self._add()._check(ctx, st)

    def _apply(self, ctx):
        self._inner = self._add()
        return self._inner._apply(ctx)

    def _undo(self, ctx):
        self._inner._undo(ctx)

    def describe(self):
        return (
            f"Add 856 {_blank(self.ind1).replace(' ', '-')}/{_blank(self.ind2).replace(' ', '-')} {self.uri} (URI-ADD)"
        )


@dataclass
class ClearSuppress(EditCommand):
    """SUP-CLEAR: remove 599 $a SUPPRESSRECORD (and a 599 left with nothing in it)."""

    op: ClassVar[str] = "clear-suppress"
    action: ClassVar[Action] = "suppress"

    def _check(self, ctx, st):
        if not st.suppressed:
            return Refusal.of("SUP-CLEAR", "none")
        return None

    def _apply(self, ctx):
        fields = ctx.record.marc.fields
        self._saved = []  # (index, field, old subfields, removed?)
        for i, f in enumerate(fields):
            if f.tag != "599" or f.is_control_field():
                continue
            keep = [sf for sf in f.subfields if not (sf.code == "a" and sf.value.strip().upper() == detect.SUPPRESS)]
            if len(keep) != len(f.subfields):
                self._saved.append((i, f, list(f.subfields)))
                f.subfields = keep
        removed = {id(f) for _, f, _ in self._saved if not f.subfields}
        ctx.record.marc.fields = [f for f in fields if id(f) not in removed]
        return bool(self._saved)

    def _undo(self, ctx):
        fields = ctx.record.marc.fields
        present = {id(f) for f in fields}
        for i, f, subs in self._saved:  # ascending: re-inserting in order restores positions
            f.subfields = subs
            if id(f) not in present:
                fields.insert(i, f)

    def advice(self, ctx):
        return []

    def describe(self):
        return "Remove 599 $a SUPPRESSRECORD (SUP-CLEAR)"


@dataclass
class DeleteRecord(EditCommand):
    """Mark the record deleted (leader/05 'd', MARC's record status for a deletion).

    Always refused for an e-plikt record (EPL-NODELETE) and for a channel record."""

    op: ClassVar[str] = "delete-record"
    action: ClassVar[Action] = "delete"

    def _check(self, ctx, st):
        if st.eplikt:
            return Refusal.of("EPL-NODELETE", "refused")
        return None

    def _apply(self, ctx):
        self._old = str(ctx.record.marc.leader)
        if self._old[5:6] == "d":
            return False
        ctx.record.marc.leader = Leader(self._old[:5] + "d" + self._old[6:])
        return True

    def _undo(self, ctx):
        ctx.record.marc.leader = Leader(self._old)

    def advice(self, ctx):
        return []

    def describe(self):
        return "Delete the record (leader/05 'd')"


# -- whole fields as lines of MARC text (MarcEdit's editor) ------------------------------------


def _line_refusal(line: str, exc: Exception) -> Refusal:
    from tui.core.editing.lineform import LineError

    if isinstance(exc, LineError):
        return Refusal(exc.problem.rule, str(exc))
    return Refusal("EDIT-VALUE", str(exc))


def _parse_field_line(line: str) -> tuple[Field | None, Refusal | None]:
    from tui.core.editing.lineform import LineError, parse_line

    try:
        return parse_line(line), None
    except (LineError, LibrisError) as exc:
        return None, _line_refusal(line, exc)


def _as_add(f: Field, index: int | None = None) -> AddField:
    if f.is_control_field():
        return AddField(f.tag, data=f.data or "", index=index)
    return AddField(f.tag, [f.indicator1, f.indicator2], [(sf.code, sf.value) for sf in f.subfields], index=index)


@dataclass
class ReplaceField(EditCommand):
    """Replace field ``tag[occurrence]`` by the field a line of MARC text stands for
    (``=245  10$aTitle$bSub``, MARCMaker's line form: ``tui.core.editing.lineform``).

    The rules decide as for the edits the line amounts to: when only indicators and subfield
    values changed (same tag, same subfield codes in the same order), each change is checked as
    ``SetIndicator`` / ``SetSubfield`` checks it (so URI-FIX's $u of an e-plikt 856 may still be
    corrected); otherwise as deleting the old field and adding the new one (EPL-PROTECT of both
    tags, SYS-READONLY, another library's holding). The field keeps its place in the record."""

    tag: str
    occurrence: int
    line: str
    op: ClassVar[str] = "replace-field"

    def _action(self, ctx):
        return _holding_action(ctx, field_at(ctx.record, self.tag, self.occurrence))

    def _parts(self, old: Field, new: Field) -> list[EditCommand] | None:
        """The small edits the line amounts to, when its shape is the old field's."""
        if new.tag != old.tag:
            return None
        if old.is_control_field() or new.is_control_field():
            if old.is_control_field() and new.is_control_field():
                return [SetControlField(self.tag, new.data or "", self.occurrence)] if new.data != old.data else []
            return None
        if [sf.code for sf in old.subfields] != [sf.code for sf in new.subfields]:
            return None
        out: list[EditCommand] = []
        for pos, (a, b) in enumerate(((old.indicator1, new.indicator1), (old.indicator2, new.indicator2)), 1):
            if _blank(a) != _blank(b):
                out.append(SetIndicator(self.tag, self.occurrence, pos, b))
        for i, (a, b) in enumerate(zip(old.subfields, new.subfields)):
            if a.value != b.value:
                out.append(SetSubfield(self.tag, self.occurrence, i, b.value))
        return out

    def _check(self, ctx, st):
        old, r = self._field(ctx, self.tag, self.occurrence)
        if r:
            return r
        new, r = _parse_field_line(self.line)
        if r:
            return r
        parts = self._parts(old, new)
        if parts is not None:
            for cmd in parts:
                r = cmd._check(ctx, st)
                if r:
                    return r
            return None
        r = DeleteField(self.tag, self.occurrence)._check(ctx, st)
        if r:
            return r
        add = _as_add(new)
        r = add._shape_refusal(ctx, replacing=old.tag)
        if r:
            return r
        sigel = add._sigel()
        if sigel is not None:
            return _ownership(ctx, sigel)
        if new.tag == "856" and st.eplikt:
            return add._uri_add_refusal()  # URI-ADD: another 856 may come in
        return _protected(ctx, st, new.tag, None, None)

    def _apply(self, ctx):
        old = field_at(ctx.record, self.tag, self.occurrence)
        new, _ = _parse_field_line(self.line)
        if new is None or _field_text(new) == _field_text(old):
            return False
        self._at = _field_index(ctx.record, old)
        self._old = old
        ctx.record.marc.fields[self._at] = new
        return True

    def _undo(self, ctx):
        ctx.record.marc.fields[self._at] = self._old

    def describe(self):
        return f"Replace {self.tag}[{self.occurrence}] with {self.line}"


@dataclass
class AddFields(EditCommand):
    """Add the fields of one or more lines of MARC text (a paste, a put of yanked fields, a
    duplicate): each checked as ``AddField`` checks it, all or none. ``index``: where the first
    goes in the record's field list (the others follow it); by default each goes in tag order."""

    lines: list = dc_field(default_factory=list)
    index: int | None = None
    op: ClassVar[str] = "add-fields"

    def __post_init__(self):
        super().__post_init__()
        self.lines = [str(x) for x in (self.lines or [])]
        self._inner: list[AddField] = []

    def _adds(self) -> tuple[list[AddField], Refusal | None]:
        adds = []
        for k, line in enumerate(self.lines):
            f, r = _parse_field_line(line)
            if r:
                return [], r
            adds.append(_as_add(f, None if self.index is None else self.index + k))
        if not adds:
            return [], Refusal.of("EDIT-VALUE", "no-lines")
        return adds, None

    def _action(self, ctx):
        adds, _ = self._adds()
        return "holding" if adds and all(a._sigel() is not None for a in adds) else "edit"

    def _check(self, ctx, st):
        adds, r = self._adds()
        if r:
            return r
        for a in adds:
            r = a._check(ctx, st)
            if r:
                return r
        tags = [a.tag for a in adds]
        if ctx.record.kind == "bib" and tags.count("245") + len(ctx.record.marc.get_fields("245")) > 1:
            return Refusal.of("EDIT-VALUE", "second-245")
        return None

    def _apply(self, ctx):
        adds, _ = self._adds()
        done: list[AddField] = []
        for a in adds:
            a._apply(ctx)
            done.append(a)
        self._inner = done
        return bool(done)

    def _undo(self, ctx):
        for a in reversed(self._inner):
            a._undo(ctx)
        self._inner = []

    def describe(self):
        if len(self.lines) == 1:
            return f"Add {self.lines[0]}"
        return f"Add {len(self.lines)} fields: " + "; ".join(self.lines[:3]) + ("; ..." if len(self.lines) > 3 else "")


@dataclass
class CreateRecord(EditCommand):
    """Fill a new, empty record (a new slot after the file's records) from a template: its leader
    and its field lines. Each line is checked as ``AddField`` checks it (a line making a channel
    record is refused, CHN-READONLY; 001/003/005 are the system's, SYS-READONLY). Undo empties
    the record again (the session then takes the slot back)."""

    leader: str
    lines: list = dc_field(default_factory=list)
    template: str = ""
    op: ClassVar[str] = "create-record"

    def _check(self, ctx, st):
        if ctx.record.marc.fields:
            return Refusal.of("EDIT-TARGET", "not-new")
        if len(self.leader) != 24 or not self.leader.isascii():
            return Refusal.of("EDIT-VALUE", "leader-length", length=len(self.leader))
        return AddFields(list(self.lines))._check(ctx, st)

    def _apply(self, ctx):
        self._old_leader = str(ctx.record.marc.leader)
        ctx.record.marc.leader = Leader(self.leader)
        inner = AddFields(list(self.lines))
        inner._apply(ctx)
        return True

    def _undo(self, ctx):
        ctx.record.marc.fields = []
        ctx.record.marc.leader = Leader(self._old_leader)

    def advice(self, ctx):
        return []

    def describe(self):
        return f"New record from the template {self.template or '(none)'}: {len(self.lines)} fields"


COMMANDS: dict[str, type[EditCommand]] = {
    c.op: c
    for c in (
        SetSubfield,
        SetIndicator,
        AddSubfield,
        DeleteSubfield,
        AddField,
        DeleteField,
        MoveField,
        SetControlField,
        AddHolding,
        MoveRestrictedUris,
        FixUri,
        AddUri,
        ClearSuppress,
        DeleteRecord,
        ReplaceField,
        AddFields,
        CreateRecord,
    )
}


def command_from_json(d: dict) -> EditCommand:
    """The command that ``to_json`` described (for the crash-recovery journal)."""
    try:
        cls = COMMANDS[d["op"]]
    except KeyError:
        raise LibrisError(f"unknown edit command {d.get('op')!r} in the journal") from None
    try:
        return cls.from_json(d)
    except TypeError as exc:
        raise LibrisError(f"edit command {d.get('op')!r} in the journal: {exc}") from None


# -- history -----------------------------------------------------------------------------------


class History:
    """Undo/redo over applied commands, with dirty tracking (changed since the last save)."""

    def __init__(self, limit: int = 10000):
        self.limit = limit
        self._done: list[tuple[int, EditCommand, EditContext]] = []
        self._undone: list[tuple[int, EditCommand, EditContext]] = []
        self._serial = 0
        self._saved_at: int | None = None  # serial of the top command at the last save
        self._dropped = False  # commands dropped past the limit: saved state unreachable by undo

    def do(self, cmd: EditCommand, ctx: EditContext) -> bool:
        """Check and apply; raise ``Refused`` with the refusal. Returns whether anything changed
        (adding a holding that is already there changes nothing and is not recorded)."""
        r = cmd.check(ctx)
        if r is not None:
            raise Refused(r)
        cmd.apply(ctx)
        if not cmd.changed:
            return False
        self._serial += 1
        self._done.append((self._serial, cmd, ctx))
        self._undone.clear()
        if len(self._done) > self.limit:
            dropped = self._done.pop(0)
            if self._saved_at is not None and dropped[0] >= self._saved_at:
                self._dropped = True
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> EditCommand | None:
        if not self._done:
            return None
        item = self._done.pop()
        item[1].undo(item[2])
        self._undone.append(item)
        return item[1]

    def redo(self) -> EditCommand | None:
        if not self._undone:
            return None
        serial, cmd, ctx = self._undone[-1]
        r = cmd.check(ctx)
        if r is not None:
            raise Refused(r)
        cmd.apply(ctx)
        self._undone.pop()
        self._done.append((serial, cmd, ctx))
        return cmd

    def _top(self) -> int | None:
        return self._done[-1][0] if self._done else None

    @property
    def dirty(self) -> bool:
        return self._dropped or self._top() != self._saved_at

    def mark_saved(self) -> None:
        self._saved_at = self._top()
        self._dropped = False

    def commands(self) -> list[EditCommand]:
        """The applied commands, oldest first."""
        return [c for _, c, _ in self._done]

    def __len__(self) -> int:
        return len(self._done)
