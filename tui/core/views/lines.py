"""The lines of the label view and where each comes from (the MARC field, subfield, holding)."""

from __future__ import annotations

from dataclasses import dataclass

#: the label view's sections, in order (their headings and entities are in the label mapping)
SECTIONS = ("ADMINMETADATA", "INSTANS AV VERK", "INSTANS", "BESTÅND", "AUKTORITET")


# -- public types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """Where a line comes from. ``occurrence`` is 1-based among the fields of ``tag``; the
    leader is tag ``000``. ``holding`` is the index into ``record.holdings`` when the line comes
    from a linked holdings record (``None``: the record itself)."""

    tag: str
    occurrence: int
    subfield_index: int | None = None
    code: str | None = None
    holding: int | None = None

    @property
    def field_key(self) -> tuple[int | None, str, int]:
        return (self.holding, self.tag, self.occurrence)


@dataclass(frozen=True)
class LabelLine:
    """One line of the label view. ``section`` is the Swedish section id (``SECTIONS``)."""

    section: str
    label: str
    value: str
    refs: tuple[SourceRef, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.label}: {self.value}"
