"""What the conversion needs to know of the KBV vocabulary: which class is a kind of which
(``Person`` is an ``Agent``), the subproperties of a property, and the language-map twin of a
property (``prefLabel`` / ``prefLabelByLang``). Generated into ``tui/data/kbv-model.json`` by
``tools/build_mapping.py`` from the vocabulary's Turtle files and its JSON-LD context."""

from __future__ import annotations

from typing import Any

#: the languages a language map is read in, first found wins (as Libris reads them)
LOCALES = ("sv", "en")


class Vocabulary:
    def __init__(self, model: dict):
        self.superclasses: dict[str, frozenset[str]] = {
            c: frozenset(s) for c, s in (model.get("superClasses") or {}).items()
        }
        self.subproperties: dict[str, tuple[str, ...]] = {
            p: tuple(s) for p, s in (model.get("subProperties") or {}).items()
        }
        #: property -> its language map (``prefLabel`` -> ``prefLabelByLang``)
        self.lang_alias: dict[str, str] = dict(model.get("languageMaps") or {})

    def is_subclass(self, cls: Any, base: Any) -> bool:
        """Whether ``cls`` is ``base`` or a subclass of it."""
        if not cls or not isinstance(cls, str):
            return False
        return cls == base or base in self.superclasses.get(cls, ())

    def is_instance(self, entity: Any, base: Any) -> bool:
        if not isinstance(entity, dict):
            return False
        types = entity.get("@type")
        if isinstance(types, list):
            return any(self.is_subclass(t, base) for t in types)
        return self.is_subclass(types, base)

    def sub_properties(self, prop: Any) -> tuple[str, ...]:
        return self.subproperties.get(prop, ()) if isinstance(prop, str) else ()

    def property_value(self, entity: dict, prop: Any) -> Any:
        """``entity[prop]``, else its value in the first of ``LOCALES`` its language map has."""
        value = entity.get(prop) if prop else None
        if value is None and prop:
            alias = self.lang_alias.get(prop)
            value = entity.get(alias) if alias else None
            if isinstance(value, dict):
                value = next((value[lang] for lang in LOCALES if value.get(lang) is not None), None)
        return value
