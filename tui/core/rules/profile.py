"""Participation profile (KB's "Att ansluta sig till Libris", seed 000_...).

A library takes part in Libris either *fully* (a "Librisregistrerande bibliotek": catalogues in
Libris, with trained staff) or with *limited participation* ("begränsat deltagande": school
libraries and the like, using the acquisition routine without cataloguing competence).

``full`` may do everything the e-plikt rules allow. ``limited`` may browse, add holdings (and the
SUP-CLEAR removal of SUPPRESSRECORD that belongs with adding one: 599 is administrative
metadata, not bibliographic description) and export, but not edit bibliographic data; its
refusals carry the id PROFILE-LIMITED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.core.rules.table import Refusal

ProfileName = Literal["full", "limited"]

#: what an action is, for the profile: edits of the bibliographic description, holdings work,
#: SUP-CLEAR, export, browsing
Action = Literal["edit", "holding", "suppress", "export", "browse", "delete"]

_LIMITED_MAY = frozenset(("holding", "suppress", "export", "browse"))


@dataclass(frozen=True)
class Profile:
    name: ProfileName = "full"

    def __post_init__(self):
        if self.name not in ("full", "limited"):
            raise ValueError(f"unknown participation profile {self.name!r}: use 'full' or 'limited'")

    @classmethod
    def from_name(cls, name: str | None) -> Profile:
        n = (name or "full").strip().lower()
        aliases = {
            "full": "full",
            "fullt": "full",
            "registrerande": "full",
            "limited": "limited",
            "begränsat": "limited",
            "begransat": "limited",
        }
        if n not in aliases:
            raise ValueError(f"unknown participation profile {name!r}: use 'full' or 'limited'")
        return cls(aliases[n])  # type: ignore[arg-type]

    @property
    def limited(self) -> bool:
        return self.name == "limited"

    @property
    def label_sv(self) -> str:
        return "Begränsat deltagande" if self.limited else "Librisregistrerande bibliotek"

    @property
    def may_edit_bibliographic(self) -> bool:
        return not self.limited

    @property
    def may_add_holdings(self) -> bool:
        return True

    @property
    def may_export(self) -> bool:
        return True

    def allows(self, action: Action) -> bool:
        return not self.limited or action in _LIMITED_MAY

    def refusal(self, action: Action) -> Refusal | None:
        """None when the profile allows ``action``, else a PROFILE-LIMITED refusal."""
        if self.allows(action):
            return None
        return Refusal.of("PROFILE-LIMITED", "delete" if action == "delete" else "edit")

    def describe(self) -> str:
        if self.limited:
            return "limited participation: browse, add holdings, export"
        return "full participation: catalogue within the e-plikt rules"


FULL = Profile("full")
LIMITED = Profile("limited")

__all__ = ["Profile", "FULL", "LIMITED", "Action"]
