"""Libris XL JSON-LD: read (rdflib + the records' JSON), and write in Libris's shape.

Reading. What Libris serves comes in several shapes, all read here:

* the flat ``@graph`` of one record: ``[Record, Instance, (Work)]``, the Work embedded in
  ``instanceOf`` or a node of its own;
* the embellished/framed form (lxlviewer): the Record with its ``mainEntity`` embedded, linked
  entities embellished with their own ``meta`` records, and holdings under ``@reverse.itemOf``;
* holding records: a Record whose ``mainEntity`` is an ``Item`` (``heldBy``, ``itemOf``);
* several records in one ``@graph``, a JSON array of such documents, or JSON Lines.

Both the older type model and the 2026 one (``PhysicalResource``/``DigitalResource`` with
``category``) are read. Every record must be valid RDF: it is parsed with rdflib, offline, with
the context shipped in ``tui/data/context.jsonld`` standing in for ``/context.jsonld`` and
``https://id.kb.se/context.jsonld`` (nothing is ever fetched). Each record becomes a
``LibrisRecord`` whose ``.marc`` is the record converted through the mapping
(``tui.core.mapping.linked``) and whose ``.origin`` is a ``LinkedOrigin`` (the JSON data and the graph).
Holdings become records of their own (MARC21 holdings, ``004`` = the bib's ``001``).

Writing: MARC21 records (bib and holdings) as one JSON-LD document, Libris's shape:
``@graph`` ``[Record, Instance (instanceOf Work embedded), ...]``, each holding a Record + Item
with ``heldBy`` ``https://libris.kb.se/library/<sigel>`` and ``itemOf`` the bib's Instance. The
context is written inline by default so that any JSON-LD processor reads the file offline
(``context="link"`` writes Libris's ``https://id.kb.se/context.jsonld`` reference instead).
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pymarc import Field, Leader, Record

from tui.core.formats.registry import JSONLD
from tui.core.mapping import linked
from tui.core.mapping.values import as_list, types_of
from tui.core.model.record import BrokenRecord, Entry, LibrisRecord, ReadIssue, UnreadableFile
from tui.core.sources.base import ListSource
from tui.resources import data_dir

if TYPE_CHECKING:
    from rdflib import Graph

FORMAT = JSONLD.id

# Issue 7: rdflib logs warnings that quote record text raw ("<uri> does not look like a valid URI",
# a traceback for a bad xsd:dateTime) through logging's last-resort handler straight to stderr:
# escape sequences from a record would reach the terminal. Its messages are not for cataloguers.
logging.getLogger("rdflib").addHandler(logging.NullHandler())
logging.getLogger("rdflib").propagate = False

CONTEXT_FILE = data_dir() / "context.jsonld"
LIBRIS_CONTEXT = "https://id.kb.se/context.jsonld"
#: context references Libris uses; all stand for the shipped context (never fetched)
KNOWN_CONTEXTS = {
    "/context.jsonld",
    "context.jsonld",
    "https://id.kb.se/context.jsonld",
    "http://id.kb.se/context.jsonld",
    "https://libris.kb.se/context.jsonld",
    "http://libris.kb.se/context.jsonld",
    "https://id.kb.se/vocab/context",
    "https://id.kb.se/context",
}
BASE = "https://libris.kb.se/"
LIBRARY = "https://libris.kb.se/library/"

JSON = dict[str, Any]


class JsonLdError(ValueError):
    pass


@lru_cache(maxsize=1)
def local_context() -> JSON:
    with open(CONTEXT_FILE, encoding="utf-8") as fh:
        return json.load(fh)["@context"]


def _resolve_contexts(obj: Any, issues: list[str]) -> Any:
    """A copy of ``obj`` with every context reference replaced by the shipped context."""
    if isinstance(obj, list):
        return [_resolve_contexts(x, issues) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        if k == "@context":
            out[k] = _context_value(v, issues)
        else:
            out[k] = _resolve_contexts(v, issues)
    return out


def _context_value(v: Any, issues: list[str]) -> Any:
    if isinstance(v, str):
        if v not in KNOWN_CONTEXTS:
            issues.append(f"context {v!r} is not Libris's; read with Libris's context instead (nothing is fetched)")
        return local_context()
    if isinstance(v, list):
        return [_context_value(x, issues) if isinstance(x, str) else x for x in v]
    return v


def parse_graph(data: Any, base: str = BASE) -> Graph:
    """An rdflib graph of JSON-LD ``data`` (offline: contexts resolved to the shipped one).

    The data is read into an rdflib ``Dataset`` (its default graph is returned): given a plain
    ``Graph``, rdflib's JSON-LD parser makes a deprecated ``ConjunctiveGraph`` of it."""
    from rdflib import Dataset
    from rdflib.parser import Parser, create_input_source
    from rdflib.plugin import get as plugin

    issues: list[str] = []
    doc = _resolve_contexts(data, issues)
    if isinstance(doc, dict) and "@context" not in doc:
        doc = dict(doc)
        doc["@context"] = local_context()
    elif isinstance(doc, list):
        doc = {"@context": local_context(), "@graph": doc}
    ds = Dataset()
    ds.bind("kbv", "https://id.kb.se/vocab/")
    ds.bind("marc", "https://id.kb.se/marc/")
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser itself still asks a Dataset for its deprecated default_context
        warnings.filterwarnings("ignore", "Dataset.default_context is deprecated", DeprecationWarning)
        plugin("json-ld", Parser)().parse(create_input_source(data=doc, format="json-ld"), ds, base=base)
    return ds.default_graph


# ---------------------------------------------------------------------------------------------
# Reading: documents -> records (embedded form)
# ---------------------------------------------------------------------------------------------


@dataclass
class LinkedOrigin:
    """Where a record converted from JSON-LD came from: its data and its graph."""

    data: JSON  # the record, embedded form: Record + mainEntity (+ instanceOf Work)
    kind: str  # "bib" or "hold"
    path: str = ""
    issues: list[str] = dc_field(default_factory=list)
    #: (node path, property) -> [(tag, occurrence, subfield index, code)] in the converted MARC
    provenance: dict = dc_field(default_factory=dict)
    _graph: Any = None

    @property
    def record_id(self) -> str | None:
        return self.data.get("@id")

    @property
    def thing(self) -> JSON:
        me = self.data.get("mainEntity")
        return me if isinstance(me, dict) else {}

    @property
    def graph(self):
        """The rdflib graph of this record (parsed on first use)."""
        if self._graph is None:
            self._graph = parse_graph({"@graph": flat_form(self.data)})
        return self._graph

    def flat(self) -> list[JSON]:
        return flat_form(self.data)


def _is_record(node: Any) -> bool:
    return isinstance(node, dict) and ("Record" in types_of(node) or ("mainEntity" in node and not types_of(node)))


def _top_nodes(doc: Any) -> list[JSON]:
    """The node objects of a document: ``@graph`` members (named graphs flattened), arrays."""
    out: list[JSON] = []
    if isinstance(doc, list):
        for x in doc:
            out.extend(_top_nodes(x))
    elif isinstance(doc, dict):
        if "@graph" in doc:
            for x in as_list(doc["@graph"]):
                out.extend(_top_nodes(x))
            if any(k not in ("@context", "@graph", "@id") for k in doc):
                rest = {k: v for k, v in doc.items() if k not in ("@graph",)}
                out.append(rest)
        else:
            out.append(doc)
    return out


def _strip_framing(node: Any, keep_reverse: bool = False) -> Any:
    """Drop the lxlviewer framing (``meta`` records of embellished entities, ``@reverse``)."""
    if isinstance(node, list):
        return [_strip_framing(x) for x in node]
    if not isinstance(node, dict):
        return node
    return {
        k: _strip_framing(v)
        for k, v in node.items()
        if k not in ("meta", "@context") and (k != "@reverse" or keep_reverse)
    }


def split_document(doc: Any) -> list[JSON]:
    """Every record in a JSON-LD document, in embedded form (Record + mainEntity), in document
    order; holdings embedded as ``@reverse.itemOf`` become holding records after their bib."""
    nodes = _top_nodes(doc)
    index: dict[str, JSON] = {}
    for n in nodes:
        if isinstance(n.get("@id"), str):
            if n["@id"] in index:
                merged = dict(index[n["@id"]])
                merged.update(n)
                index[n["@id"]] = merged
            else:
                index[n["@id"]] = n
    main_ids = set()
    for n in nodes:
        if _is_record(n):
            me = n.get("mainEntity")
            if isinstance(me, dict) and isinstance(me.get("@id"), str):
                main_ids.add(me["@id"])
    records: list[JSON] = []
    seen_things: set[str] = set()
    for n in nodes:
        if not _is_record(n):
            continue
        rec = {k: v for k, v in n.items() if k not in ("mainEntity", "@context")}
        rec.setdefault("@type", "Record")
        me = n.get("mainEntity")
        thing: JSON = {}
        if isinstance(me, dict):
            thing = dict(me)
            if set(me) <= {"@id"} and isinstance(me.get("@id"), str) and me["@id"] in index:
                thing = dict(index[me["@id"]])
        if isinstance(thing.get("@id"), str):
            seen_things.add(thing["@id"])
        reverse = thing.pop("@reverse", None)
        work = thing.get("instanceOf")
        if (
            isinstance(work, dict)
            and set(work) <= {"@id"}
            and isinstance(work.get("@id"), str)
            and work["@id"] in index
            and work["@id"] not in main_ids
        ):
            thing["instanceOf"] = dict(index[work["@id"]])
        rec["mainEntity"] = thing
        records.append(_strip_framing(rec))
        for item in as_list((reverse or {}).get("itemOf")):
            if isinstance(item, dict):
                records.append(_holding_record(item, thing))
    # items that are no record's main entity: a holding each
    for n in nodes:
        if _is_record(n) or not isinstance(n, dict):
            continue
        if "Item" in types_of(n) and n.get("@id") not in seen_things and ("heldBy" in n or "itemOf" in n):
            records.append(_holding_record(n, None))
    return records


def _holding_record(item: JSON, bib_thing: JSON | None) -> JSON:
    item = dict(item)
    meta = item.pop("meta", None)
    item.pop("@reverse", None)
    rec = dict(meta) if isinstance(meta, dict) else {"@type": "Record"}
    rec.pop("mainEntity", None)
    if "@id" not in rec and isinstance(item.get("@id"), str) and item["@id"].endswith("#it"):
        rec["@id"] = item["@id"][:-3]
    if bib_thing is not None and "itemOf" not in item and bib_thing.get("@id"):
        item["itemOf"] = {"@id": bib_thing["@id"]}
    held = item.get("heldBy")
    if isinstance(held, dict) and held.get("@id"):
        item["heldBy"] = {"@id": held["@id"]}
    rec["mainEntity"] = item
    return _strip_framing(rec)


def flat_form(data: JSON) -> list[JSON]:
    """A record (embedded form) as Libris's flat ``@graph``: ``[Record, mainEntity]``, the Work
    staying embedded in ``instanceOf`` as Libris serves it."""
    rec = {k: v for k, v in data.items() if k != "mainEntity"}
    thing = data.get("mainEntity")
    if not isinstance(thing, dict):
        return [rec]
    if thing.get("@id"):
        rec["mainEntity"] = {"@id": thing["@id"]}
        return [rec, thing]
    rec["mainEntity"] = thing
    return [rec]


def _kind(data: JSON) -> str:
    thing = data.get("mainEntity") if isinstance(data.get("mainEntity"), dict) else {}
    return "hold" if "Item" in types_of(thing) or "heldBy" in thing else "bib"


#: How deep a JSON-LD document may nest, objects and lists counted alike. Libris's records nest
#: about ten levels; the limit keeps every later step (framing, conversion to MARC, rdflib) well
#: inside Python's recursion limit. A deeper document is refused, with where it gets too deep.
MAX_DEPTH = 256

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth(doc: Any) -> int:
    """How deep ``doc`` nests (a scalar is 0, ``{}`` is 1), without recursion."""
    deepest = 0
    stack = [(doc, 1)] if isinstance(doc, (dict, list)) else []
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        for v in node.values() if isinstance(node, dict) else node:
            if isinstance(v, (dict, list)):
                stack.append((v, d + 1))
    return deepest


def _too_deep_at(text: str, limit: int) -> tuple[int, int]:
    """Line and column (1-based) of the first bracket that opens level ``limit + 1``."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, m.start()) + 1
                return line, m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        elif ch in "]}":
            depth -= 1
    return 1, 1


def _nested_too_deep(path: str, text: str) -> UnreadableFile:
    line, col = _too_deep_at(text, MAX_DEPTH)
    return UnreadableFile(
        path, f"not valid JSON-LD: nested more than {MAX_DEPTH} levels deep at line {line} column {col}"
    )


def _load_json(raw: bytes, path: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # a clear error, not a crash
        raise UnreadableFile(path, f"not valid UTF-8 (byte {exc.start}): JSON-LD must be UTF-8") from None
    try:
        doc = json.loads(text)
    except RecursionError:
        raise _nested_too_deep(path, text) from None
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            try:
                doc = [json.loads(ln) for ln in lines]
            except RecursionError:
                raise _nested_too_deep(path, text) from None
            except json.JSONDecodeError:
                pass
            else:
                if max((_depth(d) for d in doc), default=0) > MAX_DEPTH:
                    raise _nested_too_deep(path, text) from None
                return _no_lone_surrogates(doc, text)
        raise UnreadableFile(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if _depth(doc) > MAX_DEPTH:
        raise _nested_too_deep(path, text)
    return _no_lone_surrogates(doc, text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(doc: Any, text: str) -> Any:
    """A "\\ud800" escape without its pair decodes to a lone surrogate, which no codec writes (a crash
    when printed, saved or shown): make it U+FFFD, as for invalid UTF-8 (found by fuzzing)."""
    if "\\u" not in text:
        return doc
    fix = lambda v: _LONE_SURROGATE.sub("\ufffd", v)  # noqa: E731
    if isinstance(doc, str):
        return fix(doc)
    if not isinstance(doc, (dict, list)):
        return doc
    stack = [doc]
    while stack:  # iterative: the document may be nested as deep as json.loads allows
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for k, v in items:
            if isinstance(v, str):
                v = fix(v)
            elif isinstance(v, (dict, list)):
                stack.append(v)
            if isinstance(k, str) and _LONE_SURROGATE.search(k):
                del node[k]
                k = fix(k)
            node[k] = v
    return doc


def _token_from_thing_id(uri: str) -> str | None:
    """``https://libris.kb.se/m4xtxx0z02xdx6w#it`` -> ``m4xtxx0z02xdx6w``;
    ``http://libris.kb.se/resource/bib/123`` -> ``123``."""
    u = uri[:-3] if uri.endswith("#it") else uri
    tail = u.rstrip("/").rsplit("/", 1)[-1]
    return tail or None


def records_to_marc(records: list[JSON], path: str = "") -> list[Entry]:
    """Convert split records to ``LibrisRecord``s (holdings linked by 004 = the bib's 001)."""
    entries: list[Entry] = []
    bib_001: dict[str, str] = {}
    converted: list[tuple[JSON, Record | None, str | None, dict]] = []
    for data in records:
        prov: dict = {}
        try:
            marc = linked.jsonld_to_marc(data, provenance=prov)
            err = None
        except Exception as exc:  # a record we cannot convert: a broken slot, the rest stays usable
            marc, err = None, f"cannot convert JSON-LD to MARC: {exc.__class__.__name__}: {exc}"
        if marc is not None and _kind(data) == "bib":
            cn = _first_001(marc) or _ensure_001(marc, data)
            thing = data.get("mainEntity") or {}
            for ident in [thing.get("@id")] + [
                s.get("@id") for s in as_list(thing.get("sameAs")) if isinstance(s, dict)
            ]:
                if isinstance(ident, str) and cn:
                    bib_001[ident] = cn
        converted.append((data, marc, err, prov))
    for n, (data, marc, err, prov) in enumerate(converted, start=1):
        # backslashreplace: a "\ud800" escape in the file gives a lone surrogate (found by fuzzing)
        raw = json.dumps(flat_form(data), ensure_ascii=False).encode("utf-8", "backslashreplace")
        if marc is None:
            entries.append(BrokenRecord(path, n, None, err or "cannot convert", raw=raw))
            continue
        kind = _kind(data)
        issues: list[ReadIssue] = []
        if kind == "hold":
            _ensure_001(marc, data)
            if marc.get("004") is None:
                item = data.get("mainEntity") or {}
                of = item.get("itemOf")
                of_id = of.get("@id") if isinstance(of, dict) else None
                target = bib_001.get(of_id) if of_id else None
                if target is None and of_id:
                    target = _token_from_thing_id(of_id)
                if target:
                    _insert_control(marc, "004", target)
        _complete_leader(marc)
        origin = LinkedOrigin(data=data, kind=kind, path=path, provenance=prov)
        try:
            origin._graph = parse_graph({"@graph": flat_form(data)})
        except Exception as exc:
            entries.append(BrokenRecord(path, n, None, f"not valid JSON-LD (RDF): {exc}", raw=raw))
            continue
        for msg in unmapped_report(data):
            issues.append(ReadIssue("JSONLD-NOT-IN-MARC", msg, "info"))
        entries.append(
            LibrisRecord(
                marc=marc, path=path, number=n, offset=None, source_format=FORMAT, issues=issues, origin=origin
            )
        )
    return entries


def _first_001(marc: Record) -> str | None:
    f = marc.get("001")
    return f.data.strip() if f is not None and f.data else None


def _ensure_001(marc: Record, data: JSON) -> str | None:
    cn = _first_001(marc)
    if cn:
        return cn
    rid = data.get("@id")
    if isinstance(rid, str) and rid:
        tok = _token_from_thing_id(rid)
        if tok:
            _insert_control(marc, "001", tok)
            return tok
    return None


def _insert_control(marc: Record, tag: str, value: str) -> None:
    f = Field(tag=tag, data=value)
    pos = 0
    for i, x in enumerate(marc.fields):
        if x.tag < tag:
            pos = i + 1
    marc.fields.insert(pos, f)


def _complete_leader(marc: Record) -> None:
    """What a MARC21 leader needs beyond the mapped positions (lengths are the writers')."""
    ld = list(str(marc.leader).ljust(24)[:24])
    for i, ch in ((10, "2"), (11, "2"), (20, "4"), (21, "5"), (22, "0"), (23, "0")):
        if ld[i] == " ":
            ld[i] = ch
    for i in list(range(0, 5)) + list(range(12, 17)):
        if ld[i] == " ":
            ld[i] = "0"
    if ld[5] == " ":
        ld[5] = "n"
    marc.leader = Leader("".join(ld))


def unmapped_report(data: JSON) -> list[str]:
    """What in a record has no way into MARC: links to entities described only elsewhere
    (authority records: an agent, a subject), which the MARC export cannot spell out offline."""
    out: list[str] = []
    thing = data.get("mainEntity") if isinstance(data.get("mainEntity"), dict) else {}
    work = thing.get("instanceOf") if isinstance(thing.get("instanceOf"), dict) else {}
    for where, node in (("Work", work),):
        for prop in ("subject", "genreForm"):
            for v in as_list(node.get(prop)):
                if isinstance(v, dict) and set(v) == {"@id"} and "libris.kb.se/" in v["@id"]:
                    out.append(
                        f"{where} {prop} links to {v['@id']}, described in another record; "
                        "its heading is not in this file, so MARC has no field for it"
                    )
        for c in as_list(node.get("contribution")):
            ag = c.get("agent") if isinstance(c, dict) else None
            if isinstance(ag, dict) and set(ag) == {"@id"}:
                out.append(
                    f"{where} contribution agent links to {ag['@id']}, described in another record; "
                    "its name is not in this file, so MARC has no 1XX/7XX for it"
                )
    return out


def read_document(doc: Any, path: str = "") -> list[Entry]:
    issues: list[str] = []
    _resolve_contexts(doc, issues)
    return records_to_marc(split_document(doc), path)


def open_source(path: str) -> ListSource:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc)) from None
    doc = _load_json(raw, path)
    recs = split_document(doc)
    if not recs:
        raise UnreadableFile(path, "JSON-LD with no Libris record in it (no node of @type Record)")
    entries = records_to_marc(recs, path)
    raws = [json.dumps(flat_form(r), ensure_ascii=False).encode("utf-8", "backslashreplace") for r in recs]
    return ListSource(path, entries, raws, fmt=FORMAT)


# ---------------------------------------------------------------------------------------------
# Writing: MARC21 -> one JSON-LD document in Libris's shape
# ---------------------------------------------------------------------------------------------


def _marc(r: Any) -> Record:
    return r.marc if isinstance(r, LibrisRecord) else r


def to_graph_nodes(records: Iterable[Any]) -> list[JSON]:
    """MARC records (bibs and holdings records, in any order) as the nodes of one flat ``@graph``."""
    datas: list[tuple[Record, JSON]] = []
    for r in records:
        m = _marc(r)
        datas.append((m, linked.marc_to_jsonld(m)))
    # ids for records without 001, and the bib each holding belongs to (004 = 001)
    thing_by_001: dict[str, str] = {}
    for n, (m, data) in enumerate(datas, start=1):
        thing = data["mainEntity"]
        if "@id" not in data:
            data["@id"] = f"_:record{n}"
        if "@id" not in thing:
            thing["@id"] = f"_:thing{n}"
        cn = _first_001(m)
        if cn and "Item" not in types_of(thing):
            thing_by_001[cn] = thing["@id"]
    nodes: list[JSON] = []
    for m, data in datas:
        thing = data["mainEntity"]
        if "Item" in types_of(thing):
            f004 = m.get("004")
            bib = thing_by_001.get(f004.data.strip()) if f004 is not None and f004.data else None
            if bib:
                thing["itemOf"] = {"@id": bib}
            held = thing.get("heldBy")
            if isinstance(held, dict) and held.get("@id", "").startswith(LIBRARY):
                thing["heldBy"] = {"@id": held["@id"]}
        nodes.extend(flat_form(data))
    return nodes


def to_document(records: Iterable[Any], context: str = "inline") -> JSON:
    ctx: Any = local_context() if context == "inline" else LIBRIS_CONTEXT
    return {"@context": ctx, "@graph": to_graph_nodes(records)}


def write(records: Iterable[Any], out: BinaryIO, **options) -> None:
    doc = to_document(records, context=options.get("context", "inline"))
    out.write(json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    out.write(b"\n")
