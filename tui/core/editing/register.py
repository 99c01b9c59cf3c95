"""The register: fields yanked to be put into another record, of this file or of another one.

A cataloguer copies an 856 from one record and puts it into the next, or into a record of a file
opened in another libris-tui: so the register is kept in memory for this session and written to
``register.json`` in the state directory (atomically), and a put reads that file when another
session wrote it later. The fields are held as lines of MARC text (MARCMaker's line form,
``tui.core.editing.lineform``), which is also how a put reaches the record: ``AddFields``, an
undoable edit command like every other, so the rules decide at the put (SYS-READONLY,
EPL-PROTECT, CHN-READONLY, another library's holding).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from time import time

from pymarc import Field

from tui.core.editing.lineform import field_line

REGISTER_FILE = "register.json"


@dataclass
class Yanked:
    """What is in the register: the field lines, where they came from and when."""

    lines: list[str] = field(default_factory=list)
    #: "file.mrc, record 3" (what the put says it brings)
    origin: str = ""
    at: float = 0.0

    def to_json(self) -> dict:
        return {"lines": self.lines, "origin": self.origin, "at": self.at}

    @classmethod
    def from_json(cls, d: dict) -> Yanked:
        lines = [str(x) for x in d.get("lines", []) if isinstance(x, str)]
        return cls(lines, str(d.get("origin", "")), float(d.get("at", 0.0) or 0.0))


class Register:
    """One register for every open file: ``yank`` fills it, ``current`` is what a put brings."""

    def __init__(self, path: Path | None = None) -> None:
        #: the shared file (None: this session only)
        self.path = path
        self._held = Yanked()
        #: why the shared file could not be written or read (said once, the register still works)
        self.problem: str | None = None

    @classmethod
    def shared(cls) -> Register:
        from tui.core.settings.config import state_dir

        return cls(state_dir() / REGISTER_FILE)

    def yank(self, fields: list[Field], origin: str) -> Yanked:
        self._held = Yanked([field_line(f) for f in fields], origin, time())
        self._write()
        return self._held

    def yank_lines(self, lines: list[str], origin: str) -> Yanked:
        self._held = Yanked(list(lines), origin, time())
        self._write()
        return self._held

    def current(self) -> Yanked:
        """The latest yank: this session's, or another session's written later."""
        other = self._read()
        if other is not None and other.at > self._held.at:
            self._held = other
        return self._held

    def __bool__(self) -> bool:
        return bool(self.current().lines)

    # -- the shared file -------------------------------------------------------------------------
    def _write(self) -> None:
        if self.path is None:
            return
        from tui.core.files.atomic import atomic_write

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = json.dumps(self._held.to_json(), ensure_ascii=False).encode("utf-8")
            atomic_write(self.path, data, backup=False)
            self.problem = None
        except Exception as exc:  # the register still works within this session
            self.problem = str(exc)

    def _read(self) -> Yanked | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            return Yanked.from_json(json.loads(self.path.read_text("utf-8")))
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            self.problem = f"{self.path}: {exc}"
            return None
