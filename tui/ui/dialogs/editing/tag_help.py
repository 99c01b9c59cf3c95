"""The text of a tag's definition for the field help, from the MARC 21 definitions
(``tui.core.marc21``): name (Swedish where Libris has it), repeatable or not, the indicators with
their values and the subfield codes with their names and repeatability."""

from __future__ import annotations

from rich.text import Text


def tag_text(tag: str, kind: str = "bib", lang: str = "sv") -> Text | None:
    try:
        from tui.core.marc21 import definitions  # type: ignore[import-not-found]
    except ImportError:  # the definitions are not in this build: the fixed fields still have theirs
        return None
    return _render(definitions, tag, kind, lang)


def _render(definitions, tag: str, kind: str, lang: str) -> Text | None:  # filled in with the definitions' API
    return None
