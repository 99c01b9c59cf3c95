"""MARC21 <-> Libris XL JSON-LD, both directions driven by ONE declarative mapping.

The mapping is ``tui/data/label-mapping.json`` (built by ``tools/build_mapping.py`` from Libris's
own MARC mapping, marcframe, and documented in ``tui/data/MAPPING.md``): for every tag, indicator,
subfield and fixed-field position, the KBV property path it becomes (``Instance.hasTitle[Title]
.mainTitle``), under which conditions (``i2=1``, ``$2=sao``), with marcframe's own directive for
the value (``raw``: punctuation, token maps, URI templates, one value or many). The label view
reads the same file, through the same loader, and chooses variants with the same condition
engine. There is no per-tag code:

* ``tui.core.mapping.compiled``: the mapping as both directions read it (tags, variants, targets);
* ``tui.core.mapping.conditions``: which variant applies to a field;
* ``tui.core.mapping.convert`` / ``revert``: the two directions;
* ``tui.core.mapping.values``, ``terms``, ``vocab``: values, subject and type shapes, vocabulary.

The JSON-LD spoken here is Libris's *embedded* form of one record: the Record with its
``mainEntity`` (Instance, or Item for holdings) embedded, and the Work embedded in ``instanceOf``;
``tui.core.formats.jsonld`` turns files (flat ``@graph``, framed, holdings records) into it and back.
What a field does not map is not lost: it is kept in ``_marcUncompleted`` (marcframe's own
convention, ignored as RDF by the context) and written back as it was.
"""

from __future__ import annotations

from tui.core.mapping.compiled import UNCOMPLETED, Mapping
from tui.core.mapping.convert import marc_to_jsonld
from tui.core.mapping.label_mapping import load_mapping as load_label_mapping
from tui.core.mapping.revert import jsonld_to_marc


def load_mapping() -> Mapping:
    """The shipped mapping, compiled once per process, from the one loader's document."""
    return load_label_mapping().compiled


__all__ = ["UNCOMPLETED", "Mapping", "jsonld_to_marc", "load_mapping", "marc_to_jsonld"]
