"""The Swedish catalogue of the user interface: extract, update, compile, check (Babel).

    python tools/i18n.py            extract the strings of tui/ui (``_()``, ``ngettext()``,
                                    ``N_()``), merge them into the .po, compile the .mo
    python tools/i18n.py --check    change nothing; exit 1 when a string has no Swedish entry
                                    (missing, empty or fuzzy), a translation's ``{fields}`` differ
                                    from the English ones, the .po keeps strings the code no
                                    longer has, or the .mo is not the compiled .po

The app itself reads the compiled .mo with the standard library's ``gettext``
(``tui/ui/i18n.py``): Babel is needed only here and in the test that runs this check
(``tests/unit/test_i18n.py``), so it is in the ``dev`` and ``test`` extras, not a dependency.

After an update, the new strings are in the .po with an empty ``msgstr`` (or a fuzzy guess when
an English string was only reworded): translate them, then run this again to compile.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tui" / "ui"
DOMAIN = "libris-tui"
LOCALES = ("sv",)
#: the marking functions of tui/ui/i18n.py: _(msg), N_(msg), ngettext(singular, plural, n)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHOD_MAP = [("**.py", "python")]


def po_path(locale: str) -> Path:
    return SOURCE / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(source: Path = SOURCE) -> Catalog:
    """Every marked string of ``source`` (a package folder), with the files it comes from."""
    template = Catalog(project=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source), METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        where = (SOURCE.relative_to(ROOT) / filename).as_posix()
        template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _strs(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(s) if isinstance(s, (list, tuple)) else (s,)


def _fields(text: str) -> set[str]:
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    except ValueError:  # an unbalanced brace: shown as it is, never formatted
        return {"<unbalanced braces>"}


def _key(message: Message) -> object:
    return (message.id if isinstance(message.id, str) else tuple(message.id), message.context)


def problems(template: Catalog, catalog: Catalog, mo_bytes: bytes | None) -> list[str]:
    """What is wrong with ``catalog`` (the .po as read) for the strings of ``template``."""
    out: list[str] = []
    present = {_key(m) for m in catalog if m.id}
    wanted = {_key(m) for m in template if m.id}
    for m in template:
        if not m.id:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in m.locations) or "?"
        first = _ids(m)[0]
        got = catalog.get(m.id, m.context)
        if got is None:
            out.append(f"{where}: no Swedish entry for {first!r}")
            continue
        strs = _strs(got)
        if not all(strs):
            out.append(f"{where}: the Swedish entry for {first!r} is empty")
        elif got.fuzzy:
            out.append(f"{where}: the Swedish entry for {first!r} is fuzzy (a guess: check it, remove the flag)")
        else:
            english = set().union(*(_fields(i) for i in _ids(m)))
            for s in strs:
                if _fields(s) - english or (len(_ids(m)) == 1 and _fields(s) != english):
                    out.append(
                        f"{where}: {first!r}: the Swedish entry's {{fields}} {sorted(_fields(s))} "
                        f"differ from the English {sorted(english)}"
                    )
                    break
    for key in sorted(present - wanted, key=str):
        out.append(f"{po_path('sv').relative_to(ROOT)}: {key!r} is no longer in the code (run tools/i18n.py)")
    if mo_bytes is None:
        out.append("the compiled .mo is missing (run tools/i18n.py)")
    elif mo_bytes != compile_mo(catalog):
        out.append("the compiled .mo is not the .po's (run tools/i18n.py)")
    return out


def compile_mo(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out: the English shows until they are checked
    return buf.getvalue()


def po_text(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    # file names without line numbers: the .po changes when strings do, not when code moves
    write_po(buf, catalog, width=100, sort_by_file=True, include_lineno=False, ignore_obsolete=True)
    return buf.getvalue()


def read_catalog(path: Path, locale: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, project=DOMAIN, fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def update(locales: Iterable[str] = LOCALES) -> list[str]:
    """Extract, merge into each .po and compile each .mo. Returns what is still untranslated."""
    template = extract()
    left: list[str] = []
    for locale in locales:
        po = po_path(locale)
        catalog = read_catalog(po, locale)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        catalog.obsolete.clear()
        text = po_text(catalog)
        po.parent.mkdir(parents=True, exist_ok=True)
        if not po.exists() or po.read_bytes() != text:
            po.write_bytes(text)
        catalog = read_catalog(po, locale)  # compiled from what is on disk
        mo = po.with_suffix(".mo")
        data = compile_mo(catalog)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
        left += problems(template, catalog, data)
    return left


def check(locales: Iterable[str] = LOCALES) -> list[str]:
    template = extract()
    out: list[str] = []
    for locale in locales:
        po = po_path(locale)
        if not po.exists():
            out.append(f"{po.relative_to(ROOT)}: missing (run tools/i18n.py)")
            continue
        try:
            catalog = read_catalog(po, locale)
        except Exception as exc:  # a broken .po: say where, not a traceback
            out.append(f"{po.relative_to(ROOT)}: cannot be read: {exc}")
            continue
        mo = po.with_suffix(".mo")
        out += problems(template, catalog, mo.read_bytes() if mo.exists() else None)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when the catalogue is not complete")
    args = p.parse_args(argv)
    found = check() if args.check else update()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the Swedish catalogue", file=sys.stderr)
        return 1
    print("the Swedish catalogue is complete and compiled", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
