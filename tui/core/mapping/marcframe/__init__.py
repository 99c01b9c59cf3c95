"""Libris's MARC mapping, marcframe, run the way Libris runs it (its ``MarcFrameConverter``):
MARC21 in marcframe's JSON shape (``{"leader": ..., "fields": [{tag: value}, ...]}``) to Libris's
JSON-LD (the Record with its ``mainEntity`` embedded) and back, for bibliographic, holdings and
authority records, every rule taken from ``tui/data/marcframe.json`` (built from Libris's
marcframe files by ``tools/build_mapping.py``).

* ``ruleset``: the three rule sets and one record converted with them;
* ``field`` / ``subfield``: data fields, their subfields and indicators, their ``match`` rules;
* ``fixed``: control and fixed-length fields (the leader, ``006``-``008``);
* ``parts``: what they share (adding values, the entities a rule is about, Java's orders);
* ``uritemplate``, ``datetimes``, ``vocabulary``: URI templates, dates, the KBV class hierarchy.
"""

from __future__ import annotations

from functools import lru_cache

from tui.core.mapping.label_mapping import load_data_files
from tui.core.mapping.marcframe.ruleset import BROKEN, UNCOMPLETED, Conversion
from tui.core.mapping.marcframe.vocabulary import Vocabulary

#: the data the conversion reads from ``tui/data``
MARCFRAME_FILES = ("marcframe.json", "kbv-model.json")


@lru_cache(maxsize=1)
def _data() -> tuple:
    return load_data_files(MARCFRAME_FILES, "marcframe")


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The KBV class and property hierarchy (``kbv-model.json``), read once per process."""
    return Vocabulary(_data()[1])


@lru_cache(maxsize=1)
def load_conversion() -> Conversion:
    """Marcframe, built once per process (its data through the marshal cache)."""
    return Conversion(_data()[0], load_vocabulary())


__all__ = ["BROKEN", "UNCOMPLETED", "Conversion", "Vocabulary", "load_conversion", "load_vocabulary"]
