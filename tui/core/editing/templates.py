"""Templates for new records: lines of MARC text (MARCMaker's line form) with a few placeholders.

Shipped in ``tui/data/templates/`` (e-bok, tryckt bok, a holdings record for the library's own
sigel); a user's own ``NAME.mrk`` in ``<config dir>/templates/`` is offered beside them, and
one with the name of a shipped template replaces it. A template file is

    # title: E-bok (electronic book)
    # kind: bib            (or holdings: a holdings record on the record shown, HOLD-ADD)
    # any other comment
    =LDR  00000nam a2200000 i 4500
    =245  10$aHuvudtitel

``@SIGEL@`` becomes the library's sigel (a line that needs it is left out when no sigel is set),
``@YYMMDD@`` and ``@YYYY@`` today's date. The system sets 001, 003 and 005 (SYS-READONLY): a
template's lines for them are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tui.core.editing.lineform import LEADER, LineError, parse_leader, parse_lines
from tui.core.rules.eplikt import SYSTEM_TAGS

TEMPLATE_DIR = "templates"
KINDS = ("bib", "holdings")


class TemplateError(ValueError):
    """A template that cannot be used (file, line and what is wrong)."""


@dataclass
class Template:
    name: str
    title: str
    kind: str
    #: the field lines (and the ``=LDR`` line) as written, placeholders unfilled
    lines: list[str] = field(default_factory=list)
    path: Path | None = None
    #: shipped with the program (False: the user's own)
    shipped: bool = True

    def filled(self, sigel: str | None = None, today: date | None = None) -> tuple[str | None, list[str]]:
        """(the leader or None, the field lines) with the placeholders filled in."""
        today = today or date.today()
        leader: str | None = None
        out: list[str] = []
        for line in self.lines:
            if "@SIGEL@" in line and not sigel:
                continue
            text = (
                line.replace("@SIGEL@", sigel or "")
                .replace("@YYMMDD@", today.strftime("%y%m%d"))
                .replace("@YYYY@", f"{today.year:04d}")
            )
            tag = text.lstrip("=")[:3]
            if tag == LEADER:
                leader = parse_leader(text)
            elif tag not in SYSTEM_TAGS:
                out.append(text)
        return leader, out

    def check(self) -> None:
        """``TemplateError`` naming the file and line when a line is not a field."""
        _, lines = self.filled("S", date(2000, 1, 1))
        try:
            parse_lines("\n".join(lines))
        except LineError as exc:
            raise TemplateError(f"{self.path or self.name}: {exc}") from None


def parse_template(text: str, name: str, path: Path | None = None, shipped: bool = True) -> Template:
    meta: dict[str, str] = {}
    lines: list[str] = []
    for raw in text.splitlines():
        s = raw.rstrip("\r\n")
        if s.startswith("#"):
            key, sep, value = s[1:].partition(":")
            if sep and key.strip() in ("title", "kind"):
                meta[key.strip()] = value.strip()
            continue
        if s.strip():
            lines.append(s)
    kind = meta.get("kind", "bib")
    if kind not in KINDS:
        raise TemplateError(f"{path or name}: kind {kind!r} is not one of {', '.join(KINDS)}")
    t = Template(name, meta.get("title", name), kind, lines, path, shipped)
    t.check()
    return t


def shipped_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / TEMPLATE_DIR


def user_dir() -> Path:
    from tui.core.settings.config import config_dir

    return config_dir() / TEMPLATE_DIR


def load_templates(user: Path | None = None, shipped: Path | None = None) -> tuple[list[Template], list[str]]:
    """The templates on offer, by name (a user's replaces a shipped one of the same name), and
    the problems of the files that could not be used (file, line and what is wrong)."""
    found: dict[str, Template] = {}
    problems: list[str] = []
    for folder, is_shipped in ((shipped or shipped_dir(), True), (user or user_dir(), False)):
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob("*.mrk")):
            try:
                found[p.stem] = parse_template(p.read_text("utf-8"), p.stem, p, is_shipped)
            except (OSError, UnicodeDecodeError, TemplateError) as exc:
                problems.append(str(exc) if isinstance(exc, TemplateError) else f"{p}: {exc}")
    return sorted(found.values(), key=lambda t: (t.kind, t.name)), problems


__all__ = ["Template", "TemplateError", "load_templates", "parse_template", "shipped_dir", "user_dir"]
