"""The text of a tag's definition for the field help, from the MARC 21 definitions
(``tui.core.model.marc21defs``): its name (Swedish where Libris has one and the labels are
Swedish, else English), repeatable or not, what it is (Libris's own, local, obsolete), the
indicators with their values and meanings, and the subfield codes with their names and whether
they repeat."""

from __future__ import annotations

from rich.text import Text

from tui.core.model.textsafe import visible
from tui.core.rules import table
from tui.ui.i18n import _


def tag_text(tag: str, kind: str = "bib", lang: str = "sv") -> Text | None:
    from tui.core.model import marc21defs

    return _render(marc21defs.definitions(), tag, kind, lang)


def _render(definitions, tag: str, kind: str, lang: str) -> Text | None:
    """None when the format neither defines ``tag`` nor leaves it to local use."""
    fmt = definitions.format(kind)
    status = fmt.status(tag)
    d = fmt.get(tag)
    t = Text()
    if d is None:
        if status != "local":
            return None
        t.append(f"{tag}  ", "bold")
        t.append(table.say("MARC-LOCAL", "local", lang=lang) + "\n")
        return t
    t.append(f"{tag}  ", "bold")
    t.append(visible(d.name(lang)) + "\n", "bold")
    line = _("Repeatable") if d.repeatable else _("Not repeatable")
    notes = {
        "libris": table.say("MARC-LOCAL", "libris", lang=lang),
        "local": table.say("MARC-LOCAL", "local", lang=lang),
        "obsolete": table.say("MARC-LOCAL", "obsolete", lang=lang),
    }
    if status in notes:
        line += " · " + notes[status]
    t.append(line + "\n")
    if d.indicators is not None:
        for pos, ind in enumerate(d.indicators, 1):
            t.append("\n" + _("Indicator {n}").format(n=pos) + "\n", "bold underline")
            if ind.values is None:
                t.append("  " + _("any value") + "\n", "italic")
                continue
            values = sorted(ind.values.items(), key=lambda kv: (kv[0] != " ", kv[0]))
            for codes, v in _runs(values, lambda v: (v.en, v.sv, v.obsolete)):
                t.append(f"  {codes:<5} ", "bold")
                t.append(visible(v.name(lang) or _("(no name)")))
                if v.obsolete:
                    t.append("  " + _("obsolete"), "italic")
                t.append("\n")
        t.append("\n" + _("Subfield codes") + "\n", "bold underline")
        if d.subfields is None:
            t.append("  " + _("any code") + "\n", "italic")
        else:
            subs = sorted(d.subfields.items(), key=lambda kv: (kv[0].isdigit(), kv[0]))
            same = lambda s: (s.en, s.sv, s.repeatable, s.obsolete, s.required, s.libris)  # noqa: E731
            for codes, s in _runs(subs, same):
                t.append(f"  ${codes:<4} ", "bold")
                t.append(("R " if s.repeatable else "NR") + "  ")
                t.append(visible(s.name(lang) or _("(no name)")))
                extra = []
                if s.required:
                    extra.append(_("required"))
                if s.obsolete:
                    extra.append(_("obsolete"))
                if s.libris:
                    extra.append("Libris")
                if extra:
                    t.append("  " + ", ".join(extra), "italic")
                t.append("\n")
    return t


def _runs(items: list, key) -> list[tuple[str, object]]:
    """(code, definition) pairs, consecutive codes of one meaning as one range (indicator
    ``0-9 Number of nonfiling characters``, 880's ``$a-z``); a blank indicator shown as ``#``."""
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(items):
        code, v = items[i]
        j = i
        while (
            code != " "
            and j + 1 < len(items)
            and ord(items[j + 1][0]) == ord(items[j][0]) + 1
            and key(items[j + 1][1]) == key(v)
        ):
            j += 1
        first = "#" if code == " " else code
        out.append((first if j == i else f"{first}-{items[j][0]}", v))
        i = j + 1
    return out
