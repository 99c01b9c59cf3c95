"""The language of the user interface (English or Swedish): gettext catalogues in the package.

Every string the app shows (footer, dialogs, messages, help, palette) is written in English in
the code inside ``_()`` (or ``ngettext()`` when it counts something, or ``N_()`` where it is
defined before the language is known and translated where it is shown). The Swedish catalogue is
``tui/ui/locale/sv/LC_MESSAGES/libris-tui.po``, compiled to the ``.mo`` beside it that the app
reads; ``python tools/i18n.py`` extracts the strings (Babel), updates the ``.po`` and compiles it
(a test checks that the ``.mo`` is current and that no string lacks its Swedish entry).

What is not translated here: record data, the label view's labels (their own toggle, from the
KBV vocabulary) and the sentences of the e-plikt rules (from the rule table, which has Swedish
ones of its own). Rule ids, MARC tags and key names stay as they are in both languages.
"""

from __future__ import annotations

import gettext
import string
from pathlib import Path

from rich.text import Text

DOMAIN = "libris-tui"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "sv")

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(lang: str | None) -> str:
    """Use ``lang`` (``en`` or ``sv``) from now on; anything else is English. Returns the language."""
    global _current, _language
    lang = lang if lang in LANGUAGES else "en"
    if lang == "en":
        _current = gettext.NullTranslations()
    else:
        _current = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])
    _language = lang
    return lang


def language() -> str:
    return _language


def _(message: str) -> str:
    """``message`` in the interface's language."""
    return _current.gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the interface's language (``{n}`` is filled in)."""
    return _current.ngettext(singular, plural, n).replace("{n}", str(n))


def N_(message: str) -> str:
    """Marks ``message`` for translation where it is shown (a constant made before the language
    is known: an action's title, a dialog's button)."""
    return message


def styled(template: str, **fields: tuple[str, str]) -> Text:
    """``template`` (already translated) as ``rich.text.Text``, each ``{name}`` filled in with
    ``fields[name] = (value, style)``: the words around a file name or a tag are the catalogue's,
    the value keeps its own style. Values are data: they are never read as markup or as format
    fields."""
    out = Text()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            out.append(literal)
        if name is not None:
            value, style = fields[name]
            out.append(value, style)
    return out
