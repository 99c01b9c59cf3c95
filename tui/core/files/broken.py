"""What a save or an export does with a record that cannot be read: keep it, drop it, or refuse.

Nothing is dropped silently, and every readable record is written whatever is chosen for the
unreadable ones. The choice is made once for all (``BrokenPolicy("keep")``) or per record
(``BrokenPolicy("refuse", {10: "drop", 17: "keep"})``, by record number, 1-based: what the app
asks the cataloguer one by one), and goes into the export report with the count.

* ``keep``: the record's bytes go out exactly as they came; only ISO 2709 to ISO 2709 can do that
  (in any other output its bytes would not be a record of that format), so asking to keep one in
  another format refuses the write with a message that says so.
* ``drop``: the record is left out; the report and the result name it.
* ``refuse``: nothing is written while such a record remains (the default: the user decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tui.core.model.record import BrokenRecord

Choice = Literal["keep", "drop", "refuse"]
CHOICES: tuple[Choice, ...] = ("keep", "drop", "refuse")


@dataclass
class BrokenPolicy:
    """``default`` for every unreadable record; ``per_record``: record number -> choice."""

    default: Choice = "refuse"
    per_record: Mapping[int, Choice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in (self.default, *self.per_record.values()):
            if c not in CHOICES:
                raise ValueError(f"broken records: {c!r}; choose keep, drop or refuse")

    @classmethod
    def of(cls, value: BrokenPolicy | str | Mapping[int, Choice] | None) -> BrokenPolicy:
        if isinstance(value, BrokenPolicy):
            return value
        if value is None:
            return cls()
        if isinstance(value, str):
            return cls(value)  # type: ignore[arg-type]
        return cls("refuse", dict(value))

    def choice(self, record: BrokenRecord) -> Choice:
        return self.per_record.get(record.number, self.default)


@dataclass(frozen=True)
class BrokenOutcome:
    """What was done with one unreadable record (for the report and the result)."""

    number: int
    offset: int | None
    reason: str
    choice: Choice
    path: str = ""

    def describe(self) -> str:
        where = f"record {self.number}" + (f" at byte {self.offset}" if self.offset is not None else "")
        done = "kept byte for byte" if self.choice == "keep" else "left out"
        return f"{where}: {done} ({self.reason})"


def can_keep(source_format: str, out_format: str) -> bool:
    """Whether an unreadable record can be written as it came: ISO 2709 to ISO 2709 only."""
    return source_format == "iso2709" and out_format == "iso2709"


__all__ = ["BrokenPolicy", "BrokenOutcome", "Choice", "CHOICES", "can_keep"]
