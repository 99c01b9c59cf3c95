"""MARCXML (``http://www.loc.gov/MARC21/slim``): indexed by a raw scan, one record parsed at a time.

Reading
    A ``<collection>`` of ``<record>``s or a single ``<record>``, with the namespace as default,
    with any prefix (``marc:``, ``ns0:``) or with none. The file is not parsed whole: a byte scan
    finds each ``<record ...>`` start tag and its ``</record>`` (skipping comments, CDATA and
    processing instructions), and each record's bytes are parsed with lxml when it is needed,
    wrapped in an element that declares the namespaces the document declared outside its records.

    Inside other XML: an OAI-PMH response's records (``<metadata>``), an SRU response's
    (``<recordData>``). A ``record`` element is a MARC record when it starts with a MARC element
    (``leader``, ``controlfield``, ``datafield``), or holds one, or is in the MARC (or MarcXchange)
    namespace and holds no record of its own; an envelope is passed over and the scan goes on
    inside it. A document with no MARC record at all (OAI-PMH Dublin Core, MODS, a ``record`` of
    another vocabulary) is refused with one line saying what it is (FORMAT-NOT-MARC); a MARCXML
    ``<collection>`` with no records is read as no records.

    A document that ends without the end tag of its root element (``</collection>``: a file cut
    short) gets a last broken slot naming the line (XML-UNCLOSED); the records before it are read.

    Safety: the parser never loads a DTD, never expands entities, never touches the
    network and keeps lxml's size limits (``huge_tree=False``). A ``<!DOCTYPE`` or
    ``<!ENTITY`` before the first record refuses the whole document at once (an entity bomb ends
    before anything is expanded); one inside a record makes that record broken.

    A record that is not well-formed XML, or has no end tag, is a ``BrokenRecord`` with its record
    number, byte offset and line; the records around it stay readable. Oddities that can still be
    read (missing leader, a tag that is not three characters, a bad indicator) are ``ReadIssue``s.

Writing
    A ``<collection>`` in the MARC 21 slim namespace, UTF-8. Text is escaped, and ``\\r``, ``\\t``
    and ``\\n`` in attributes are written as character references so that they survive.
    Orphan text (``Subfield(ORPHAN, ...)``, text before the first subfield code) is written as
    ``<subfield code="">...</subfield>`` and read back as orphan text: round-trippable, and
    visible to any MARCXML tool rather than hidden in mixed content. Characters XML 1.0 cannot
    hold (most C0 controls) refuse the record with a clear error, or, with
    ``invalid_chars="replace"``, become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from tui.core.formats.common import WriteError, record_issues
from tui.core.formats.registry import MARCXML
from tui.core.model.record import (
    ORPHAN,
    BrokenRecord,
    Entry,
    Field,
    Indicators,
    Leader,
    LibrisRecord,
    ReadIssue,
    Record,
    Subfield,
    UnreadableFile,
    new_leader,
)
from tui.core.model.textsafe import visible
from tui.core.rules import table
from tui.core.sources.indexed import IndexedSource

FORMAT = MARCXML.id
MARC_NS = "http://www.loc.gov/MARC21/slim"
#: ISO 25577 MarcXchange: MARCXML's shape in a namespace of its own
MARCXCHANGE_NS = "info:lc/xmlns/marcxchange-v1"
#: the rules a document is refused under, or that say it ends too soon
NOT_MARC = "FORMAT-NOT-MARC"
UNCLOSED = "XML-UNCLOSED"

# tokens the index scan cares about; everything else is skipped at C speed
_LEADER_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?leader(?:\s[^>]*)?>([^<&]*)<")
_HOLDINGS_TYPES = frozenset(b"uvxy")
_XMLNS = re.compile(rb"""\sxmlns(:[A-Za-z_][\w.\-]*)?\s*=\s*("[^"]*"|'[^']*')""")
_DECL_ENC = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_DANGER = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_SKIP_TO = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
#: how far ahead of the next record tag ``_next_special`` searches at a time
_SPECIAL_STRIDE = 1 << 20
_SPECIAL = re.compile(rb"<[!?]")


class MarcXmlRefused(UnreadableFile):
    """A document refused for safety (DTD, entity declarations)."""


_local = threading.local()


def hardened_parser() -> etree.XMLParser:
    """The only XML parser this module uses: no DTD, no entities, no network, size limits on.
    One per thread (lxml parsers must not be shared between threads)."""
    p = getattr(_local, "parser", None)
    if p is None:
        p = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            recover=False,
            collect_ids=False,
        )
        _local.parser = p
    return p


def local_name(tag) -> str:
    """An element's name without its namespace (``{ns}record`` -> ``record``)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


# -- record element -> pymarc -----------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """How one XML form of MARC names its parts (MARCXML, TurboMARC): the record is read the same
    way from either, with the same issues."""

    #: an element's local name -> ``"leader"``, ``"controlfield"``, ``"datafield"`` or ``""`` (not
    #: a part of a record), and the tag when the name carries it (TurboMARC's ``c001``)
    part: Callable[[str], tuple[str, str | None]]
    #: a data field child's local name -> (is it a subfield, the code when the name carries it)
    subfield: Callable[[str], tuple[bool, str | None]]
    #: the attributes of the two indicators
    indicators: tuple[str, str] = ("ind1", "ind2")


_PARTS = {"leader": "leader", "controlfield": "controlfield", "datafield": "datafield"}
MARCXML_NAMES = Vocabulary(
    part=lambda name: (_PARTS.get(name, ""), None),
    subfield=lambda name: (name == "subfield", None),
)


def element_to_record(el, path: str = "", number: int = 0, offset: int | None = None) -> LibrisRecord:
    """A parsed MARCXML ``<record>`` element -> ``LibrisRecord`` (never fails; oddities become issues)."""
    return read_element(el, MARCXML_NAMES, FORMAT, path, number, offset)


def read_element(
    el, names: Vocabulary, fmt: str, path: str = "", number: int = 0, offset: int | None = None
) -> LibrisRecord:
    """A parsed record element of the XML form ``names`` -> ``LibrisRecord`` (never fails)."""
    issues: list[ReadIssue] = []
    rec = Record()
    leader_text: str | None = None
    fields: list[Field] = []
    ind_keys = names.indicators
    for child in el:
        if not isinstance(child.tag, str):
            continue  # comments, PIs (already removed), entity references
        name = local_name(child.tag)
        kind, named_tag = names.part(name)
        if kind == "leader":
            if leader_text is None:
                leader_text = "".join(child.itertext())
            else:
                issues.append(ReadIssue.of("LDR-REPEATED", "xml"))
        elif kind == "controlfield":
            tag = named_tag if named_tag is not None else child.get("tag")
            data = "".join(child.itertext())
            tag = _checked_tag(tag, issues)
            f = Field(tag=tag, data=data)
            if not f.is_control_field():
                issues.append(ReadIssue.of("STRUCT-XML-CONTROL", "controlfield", f.tag, None, tag=tag))
                f = Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield(ORPHAN, data)] if data else [])
            fields.append(f)
        elif kind == "datafield":
            tag = _checked_tag(named_tag if named_tag is not None else child.get("tag"), issues)
            inds = []
            for k in ind_keys:
                v = child.get(k)
                if v is None or v == "":
                    inds.append(" ")
                else:
                    if len(v) != 1:
                        issues.append(ReadIssue.of("STRUCT-INDICATOR", "read-long", tag, None, name=k, value=v))
                    inds.append(v[0])
            subfields = []
            for sf in child:
                if not isinstance(sf.tag, str):
                    continue
                sf_name = local_name(sf.tag)
                is_sub, named_code = names.subfield(sf_name)
                if not is_sub:
                    issues.append(ReadIssue.of("STRUCT-XML-ELEMENT", "in-datafield", tag, None, name=sf_name))
                    continue
                code = named_code if named_code is not None else sf.get("code")
                if code is None:
                    issues.append(ReadIssue.of("STRUCT-SUBFIELD-CODE", "read-no-code", tag))
                    code = ORPHAN
                subfields.append(Subfield(code, "".join(sf.itertext())))
            f = Field(tag=tag, indicators=Indicators(*inds), subfields=subfields)
            if f.is_control_field():
                data = "".join(s.value for s in subfields)
                issues.append(ReadIssue.of("STRUCT-XML-CONTROL", "datafield", f.tag, None, tag=tag))
                f = Field(tag=tag, data=data)
            fields.append(f)
        else:
            issues.append(ReadIssue.of("STRUCT-XML-ELEMENT", "in-record", name=name))
    if leader_text is None:
        rec.leader = new_leader()
        issues.append(ReadIssue.of("LDR-MADE", "xml"))
    else:
        if len(leader_text) != 24:
            issues.append(ReadIssue.of("LDR-LENGTH", "padded", length=len(leader_text)))
        rec.leader = Leader((leader_text + " " * 24)[:24])
    rec.fields = fields
    issues.extend(record_issues(rec))
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=fmt, issues=issues)


def _checked_tag(tag: str | None, issues: list[ReadIssue]) -> str:
    if tag is None:
        issues.append(ReadIssue.of("STRUCT-TAG", "read-none"))
        return ""
    if len(tag) != 3:
        issues.append(ReadIssue.of("STRUCT-TAG", "read-length", tag, tag=tag))
    return tag


# -- the indexed source -----------------------------------------------------------------------

#: namespaces whose ``record`` is a MARC record even when it holds none of the MARC elements
MARC_NAMESPACES = frozenset((MARC_NS, MARCXCHANGE_NS))
#: what a document's root namespace says it is, for the one line that refuses it (FORMAT-NOT-MARC)
KNOWN_XML = {
    "http://www.openarchives.org/OAI/2.0/": "OAI-PMH",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "Dublin Core (oai_dc)",
    "http://purl.org/dc/elements/1.1/": "Dublin Core",
    "http://purl.org/dc/terms/": "Dublin Core terms",
    "http://www.loc.gov/mods/v3": "MODS",
    "http://www.loc.gov/MARC21/slim": "MARCXML",
    "info:lc/xmlns/marcxchange-v1": "MarcXchange",
    "http://www.indexdata.com/turbomarc": "TurboMARC",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "RDF/XML",
    "http://www.w3.org/1999/xhtml": "XHTML",
    "http://www.w3.org/2005/Atom": "Atom",
    "http://www.loc.gov/zing/srw/": "an SRU response",
    "http://docs.oasis-open.org/ns/search-ws/sruResponse": "an SRU response",
    "http://www.loc.gov/standards/premis": "PREMIS",
    "http://www.loc.gov/METS/": "METS",
}
_NAME = rb"[A-Za-z_][\w.\-]*"
_QNAME = re.compile(rb"(?:(" + _NAME + rb"):)?(" + _NAME + rb")")


def _split(qname: bytes) -> tuple[bytes, bytes]:
    """``marc:record`` -> ``(b"marc", b"record")``; no prefix: ``b""``."""
    prefix, _, local = qname.rpartition(b":")
    return prefix, local


#: the first element inside a start tag's content (white space, comments and PIs skipped); no
#: match: the element is empty or holds text first
_FIRST_CHILD = re.compile(rb"(?:\s|<!--.*?-->|<\?.*?\?>)*<(?:" + _NAME + rb":)?(" + _NAME + rb")", re.S)
#: the document's root element: what comes first after the declaration, comments, PIs, DOCTYPE
_PROLOGUE = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_OAI_PREFIX = re.compile(rb"""<(?:""" + _NAME + rb""":)?request\b[^>]*\smetadataPrefix\s*=\s*["']([^"'<>]{1,80})""")
_OAI_ERROR = re.compile(rb"""<(?:""" + _NAME + rb""":)?error\b[^>]*\scode\s*=\s*["']([^"'<>]{1,80})""")
_OAI_METADATA = re.compile(
    rb"<(?:" + _NAME + rb":)?metadata(?:\s[^>]*)?>(?:\s|<!--.*?-->)*<((?:" + _NAME + rb":)?" + _NAME + rb")[^>]*>",
    re.S,
)


class XmlRecordSource(IndexedSource):
    """An XML document of MARC records indexed by a raw scan for one record element name (any
    prefix), each record parsed with the hardened parser when it is needed.

    A ``record`` element is a MARC record when its first element is a MARC one (``leader``,
    ``controlfield``, ``datafield``); otherwise (an OAI-PMH or SRU envelope, another vocabulary's
    ``record``) only when it holds no record of its own and is in the MARC namespace or holds a
    MARC element. The scan goes on inside what it passes over, so the MARC records in an OAI-PMH
    response's ``<metadata>`` are found. A document with no MARC record is refused, saying what it
    is (FORMAT-NOT-MARC); one that ends without closing its root element gets a last, broken
    slot saying so with the line (XML-UNCLOSED)."""

    format = ""
    #: the record element's local name
    NAME = b"record"
    #: namespaces whose record element is MARC even with no MARC element in it
    NAMESPACES: frozenset[str] = MARC_NAMESPACES
    #: the root namespaces of a document that is this format even with no record in it
    ROOTS: frozenset[str] = MARC_NAMESPACES

    _LEADER_TEXT = _LEADER_TEXT
    _REC_TAG = re.compile(rb"<(/?)(?:(" + _NAME + rb"):)?record(?=[\s/>])")
    _START_TAG = re.compile(rb"<(?:" + _NAME + rb":)?record(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
    _END_TAG = re.compile(rb"</(?:" + _NAME + rb":)?record\s*>")
    #: a MARC element anywhere in a span: the last test of a ``record`` that starts otherwise
    _MARC_ELEMENT = re.compile(rb"<(?:" + _NAME + rb":)?(?:leader|controlfield|datafield)[\s/>]")

    @staticmethod
    def marc_child(name: bytes) -> bool:
        """Is an element of this local name one a MARC record starts with?"""
        return name in (b"leader", b"controlfield", b"datafield")

    @staticmethod
    def record_of(el, path: str, number: int, offset: int | None) -> LibrisRecord:
        return element_to_record(el, path, number, offset)

    def __init__(self, path: str, data: bytes | None = None):
        super().__init__(path, data)
        self.transcoded = False
        head = bytes(self.buf[:4])
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head in (b"<\x00?\x00", b"\x00<\x00?"):
            # UTF-16: the byte scan works on UTF-8, so the document is converted in memory
            enc = (
                "utf-16"
                if head[:2] in (b"\xff\xfe", b"\xfe\xff")
                else ("utf-16-le" if head[0] == 0x3C else "utf-16-be")
            )
            try:
                text = bytes(self.buf).decode(enc)
            except UnicodeDecodeError as exc:
                raise UnreadableFile(path, f"the document looks like UTF-16 but is not: {exc.reason}") from None
            text = re.sub(r"^(\s*<\?xml[^>]*?)encoding\s*=\s*[\"'][^\"']*[\"']", r"\1", text)
            self._use_bytes(text.encode("utf-8"))
            self.transcoded = True
        m = _DECL_ENC.match(bytes(self.buf[:200]).lstrip(b"\xef\xbb\xbf"))
        enc = m.group(1).decode("ascii").lower() if m and not self.transcoded else "utf-8"
        try:
            codecs.lookup(enc)
        except LookupError:
            raise UnreadableFile(path, f"the XML declaration names an unknown encoding {enc!r}") from None
        self.encoding = enc
        self._open: int | None = None  # start of a record whose end tag has not been seen
        self._seen_record = False
        #: prefix -> namespace declared outside the records so far (b"" the default namespace)
        self._decls: dict[bytes, bytes] = {}
        #: those declarations as attributes, for the element each record is parsed in
        self._ns_decl = b""
        self._special_at = (0, 0, -1)  # (from, searched up to, next "<!"/"<?" or -1): _next_special
        self._line_memo = (0, 1)  # (offset, line number there): line_of
        #: the root element: (qualified name, start offset), None before it is looked for
        self._root: tuple[bytes, int] | None = None
        self._last_end = 0  # where the last record ended
        self._passed = 0  # record elements passed over as not MARC (OAI-PMH envelopes ...)
        self._truncated = False

    # -- namespaces ----------------------------------------------------------------------------
    def _declared(self, a: int, b: int) -> None:
        """Take note of the namespace declarations in ``buf[a:b]`` (outside any record)."""
        if b <= a or self.buf.find(b"xmlns", a, b) < 0:
            return
        changed = False
        for d in _XMLNS.finditer(self.buf, a, b):
            prefix = (d.group(1) or b"")[1:]
            uri = d.group(2)[1:-1]
            if self._decls.get(prefix) != uri:
                self._decls[prefix] = uri
                changed = True
        if changed:
            # one assignment: a record parsed meanwhile in another thread sees the old or the new
            self._ns_decl = b" ".join(
                (b"xmlns:" + p if p else b"xmlns") + b'="' + u + b'"' for p, u in self._decls.items()
            )

    def _namespace(self, prefix: bytes, tag_start: int, tag_end: int) -> str | None:
        """The namespace of an element with ``prefix`` whose start tag is ``buf[tag_start:tag_end]``:
        its own declaration, else the last one made outside the records before it."""
        for d in _XMLNS.finditer(self.buf, tag_start, tag_end):
            if (d.group(1) or b"")[1:] == prefix:
                return d.group(2)[1:-1].decode("utf-8", "replace")
        uri = self._decls.get(prefix)
        return uri.decode("utf-8", "replace") if uri else None

    # -- which record elements are MARC records --------------------------------------------------
    def _is_marc(self, start: int, st, prefix: bytes) -> bool:
        buf = self.buf
        first = None if st.group(1) else _FIRST_CHILD.match(buf, st.end())
        if first is not None and self.marc_child(first.group(1)):
            return True
        if first is not None:
            # what the element holds, up to its end tag or the next record tag in it
            nxt = self._REC_TAG.search(buf, st.end())
            if nxt is not None and not nxt.group(1):
                return False  # a record inside: an envelope (OAI-PMH, SRU)
            stop = nxt.start() if nxt is not None else self.size
            if self._MARC_ELEMENT.search(buf, st.end(), stop) is not None:
                return True
        # empty, text only or other elements: a MARC record where the namespace says so, or in
        # a <collection> of no namespace (kept, with its oddities as issues, not dropped)
        ns = self._namespace(prefix, start, st.end())
        return ns in self.NAMESPACES or (ns is None and self._root_local() == b"collection")

    def _root_local(self) -> bytes:
        return _split(self._root[0])[1] if self._root else b""

    # -- the scan ------------------------------------------------------------------------------
    def _add(self, start: int, end: int, reason: str | None = None) -> None:
        slot = len(self.ends)
        self.starts.append(start)
        if reason:
            self.bad[slot] = reason
        else:
            # may this be a holdings record? (leader/06 u v x y, or a leader we cannot read raw)
            m = self._LEADER_TEXT.search(self.buf, start, end)
            if m is None or len(m.group(1)) < 7 or m.group(1)[6] in _HOLDINGS_TYPES:
                self.holdings_slots.append(slot)
        self.ends.append(end)
        self._last_end = end

    def _next_special(self, pos: int, until: int) -> int:
        """The next ``<!`` or ``<?`` (comments, CDATA, DOCTYPE, PIs) at or after ``pos`` if one
        starts before ``until``; -1 if none does (one further on may be returned too).

        Searched a stretch at a time from ``pos`` (at least to ``until``, where the next record
        tag is), and what was searched is remembered: a document with none of them is not searched
        to its end before the first record is shown (200k MARCXML records, first record within a
        second)."""
        lo, hi, hit = self._special_at
        if lo <= pos:
            if hit >= pos:
                return hit
            if hit < 0 and until <= hi:
                return -1
        start = hi - 1 if hit < 0 and lo <= pos <= hi else pos
        start = max(start, pos)
        stop = min(self.size, max(until, start + _SPECIAL_STRIDE))
        m = _SPECIAL.search(self.buf, start, min(self.size, stop + 1))
        hit = m.start() if m is not None else -1
        self._special_at = (pos, self.size if hit >= 0 else stop, hit)
        return hit

    def _candidate(self, pos: int):
        """``(r, m)``: where the next possible record tag is at or after ``pos`` and its match
        (``m`` None: the name at ``r`` is in text or in another name); ``(-1, None)`` at the end.
        Finds the name with ``bytes.find`` and checks the tag around it: memory speed."""
        buf = self.buf
        r = buf.find(self.NAME, pos)
        if r < 0:
            return -1, None
        lt = buf.rfind(b"<", max(pos, r - 256), r)
        if lt >= 0:
            m = self._REC_TAG.match(buf, lt)
            if m is not None and m.end() == r + len(self.NAME):
                return r, m
        return r, None

    def _find_root(self) -> None:
        m = _PROLOGUE.match(self.buf, 0, min(self.size, 1 << 20))
        at = m.end() if m is not None else 0
        q = _QNAME.match(self.buf, at + 1) if self.buf[at : at + 1] == b"<" else None
        self._root = (q.group(0), at) if q is not None else (b"", -1)

    def _index(self, stop: int) -> None:
        """Index records until there are ``stop``."""
        buf, size = self.buf, self.size
        pos = self._pos
        if self._root is None:
            self._find_root()
        name, name_len = self.NAME, len(self.NAME)
        tag = name.decode("ascii")
        find, rfind, rec_tag = buf.find, buf.rfind, self._REC_TAG
        by_find = type(self)._candidate is XmlRecordSource._candidate
        ends = self.ends
        while len(ends) < stop:
            if by_find:  # _candidate, inlined: once per "record" in the file
                m = None
                r = find(name, pos)
                if r >= 0:
                    lt = rfind(b"<", max(pos, r - 256), r)
                    if lt >= 0:
                        m = rec_tag.match(buf, lt)
                        if m is not None and m.end() != r + name_len:
                            m = None
            else:
                r, m = self._candidate(pos)
            until = size if r < 0 else m.start() if m is not None else r
            sp = self._next_special(pos, until)
            if sp >= 0 and (r < 0 or sp < until):
                if self._open is None:
                    self._declared(pos, sp)
                pos = self._special(sp)
                continue
            if r < 0:
                if self._open is None:
                    self._declared(pos, size)
                pos = size
                break
            if m is None:  # the name in text or in another name
                pos = r + name_len
                continue
            if m.group(1):  # end tag
                e = self._END_TAG.match(buf, m.start())
                end = e.end() if e else m.end()
                if self._open is not None:
                    self._add(self._open, end)
                    self._open = None
                pos = end
                continue
            start = m.start()
            self._seen_record = True
            if self._open is not None:
                self._add(self._open, start, f"the record has no end tag </{tag}> before the next record starts")
                self._open = None
            else:
                self._declared(pos, start)
            st = self._START_TAG.match(buf, start)
            if st is None:
                gt = buf.find(b">", m.end())
                end = size if gt < 0 else gt + 1
                self._add(start, end, f"the <{tag}> start tag is not well-formed")
                pos = end
                continue
            if not self._is_marc(start, st, m.group(2) or b""):
                self._passed += 1
                self._declared(start, st.end())
                pos = st.end()
                continue
            if st.group(1):  # <record/>: an empty record
                self._add(start, st.end())
            else:
                self._open = start
            pos = st.end()
        self._pos = pos
        if pos >= size:
            if self._open is not None:
                self._add(self._open, size, f"truncated: the file ends before this record's end tag </{tag}>")
                self._open = None
                self._truncated = True
            if not len(self):
                self.complete = True
                if self._root_namespace() not in self.ROOTS:
                    raise UnreadableFile(self.path, f"{self.not_marc()} ({NOT_MARC})")
                return  # a collection of this format with no records in it
            self._check_root_closed()
            self.complete = True

    def _check_root_closed(self) -> None:
        """A last broken slot when the document ends without its root element's end tag."""
        root, at = self._root or (b"", -1)
        if not root or self._truncated or at < 0 or (len(self.starts) and self.starts[0] == at):
            return  # no root to speak of, cut inside a record (said there), or a record is the root
        end_tag = re.compile(rb"</" + re.escape(root) + rb"\s*>")
        if end_tag.search(self.buf, self._last_end) is not None:
            return
        n = len(self)
        opened = self.line_of(at)
        tail = bytes(self.buf[max(self._last_end, self.size - 4096) : self.size])
        line = self.line_of(self.size - (len(tail) - len(tail.rstrip())))  # the last line with text
        reason = table.say("XML-UNCLOSED", "root", line=line, name=root.decode("utf-8", "replace"), opened=opened, n=n)
        start = self._last_end
        self.starts.append(start)
        self.bad[n] = f"{reason} ({UNCLOSED})"
        self.ends.append(self.size)

    def _root_namespace(self) -> str | None:
        root, at = self._root or (b"", -1)
        if not root:
            return None
        gt = self.buf.find(b">", at)
        return self._namespace(_split(root)[0], at, gt if gt > 0 else at)

    def not_marc(self) -> str:
        """What a document with no MARC record in it is, in a few words (FORMAT-NOT-MARC)."""
        buf = self.buf
        root, at = self._root or (b"", -1)
        if not root:
            return table.say(NOT_MARC, "xml", root="?", ns="")
        local = _split(root)[1]
        ns = self._root_namespace()
        shown = root.decode("utf-8", "replace")
        head = bytes(buf[: 1 << 20])
        if local == b"OAI-PMH" or ns == "http://www.openarchives.org/OAI/2.0/":
            if not self._passed:
                err = _OAI_ERROR.search(head)
                code = table.say(NOT_MARC, "oai-error", code=err.group(1).decode("utf-8", "replace")) if err else ""
                return table.say(NOT_MARC, "oai-none", error=code)
            md = _OAI_METADATA.search(head)
            pre = _OAI_PREFIX.search(head)
            what = pre.group(1).decode("utf-8", "replace") if pre else ""
            if md is not None:
                mns = self._namespace(_split(md.group(1))[0], md.start(1) - 1, md.end())
                known = KNOWN_XML.get(mns or "")
                what = known if known and (not what or what in known) else (what or md.group(1).decode())
                if known and what != known:
                    what = f"{known}, {what}"
            return table.say(NOT_MARC, "oai", n=self._passed, metadata=what or "?")
        known = KNOWN_XML.get(ns or "")
        if known:
            return table.say(NOT_MARC, "xml-known", name=known, root=shown)
        return table.say(NOT_MARC, "xml", root=shown, ns=table.say(NOT_MARC, "xml-ns", ns=ns) if ns else "")

    def _special(self, sp: int) -> int:
        """Deal with the ``<!...`` or ``<?...`` at ``sp``; returns where scanning goes on."""
        buf, size = self.buf, self.size
        for opener, closer in _SKIP_TO.items():
            if buf[sp : sp + len(opener)] == opener:
                close = buf.find(closer, sp + len(opener))
                return size if close < 0 else close + len(closer)
        head = bytes(buf[sp : sp + 9]).upper()
        if head.startswith(b"<!DOCTYPE") or head.startswith(b"<!ENTITY"):
            if not self._seen_record:
                what = "DOCTYPE" if head.startswith(b"<!DOCTYPE") else "ENTITY"
                raise MarcXmlRefused(
                    self.path,
                    f"the XML document declares a {what} at byte {sp}; DTDs and "
                    "entity declarations are refused (no entity expansion, no external "
                    "entities, ever)",
                )
            # inside or after the records: the record that holds it refuses it when parsed
        return sp + 2

    def line_of(self, offset: int) -> int:
        # Counted on from the last answer (slots are asked for in order: linear, not quadratic over
        # a file of many broken records), in slices (an mmap has no count()). Issue 7 fuzzing.
        pos, n = self._line_memo
        if offset < pos:
            pos, n = 0, 1
        step = 1 << 22
        while pos < offset:
            end = min(offset, pos + step)
            n += self.buf[pos:end].count(b"\n")
            pos = end
        self._line_memo = (offset, n)
        return n

    def parse_element(self, i: int):
        """Slot ``i`` as an lxml element, or a reason string when it cannot be parsed."""
        reason = self.bad.get(i)
        if reason is not None:
            return reason
        raw = self.raw(i)
        if b"<!" in raw:
            danger = _DANGER.search(raw)
            if danger:
                return (
                    f"the record contains a {danger.group(0).decode()[2:].upper()} declaration, which is "
                    "refused (no DTDs, no entities)"
                )
        prefix = b""
        if self.encoding not in ("utf-8", "utf8", "ascii", "us-ascii"):
            prefix = b'<?xml version="1.0" encoding="' + self.encoding.encode("ascii") + b'"?>'
        doc = prefix + b"<libris-tui-wrapper " + self._ns_decl + b">" + raw + b"</libris-tui-wrapper>"
        try:
            root = etree.fromstring(doc, hardened_parser())
        except etree.XMLSyntaxError as exc:
            msg = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc).splitlines()[0]
            msg = re.sub(r",? line \d+, column \d+", "", msg)
            line = self.line_of(self.starts[i]) + max((exc.lineno or 1) - 1, 0)
            return f"not well-formed XML (line {line}): {msg}"
        except (ValueError, LookupError) as exc:
            return f"cannot be parsed: {exc}"
        for el in root:
            if isinstance(el.tag, str):
                return el
        return "the record has no element"

    def parse_slot(self, i: int) -> Entry:
        el = self.parse_element(i)
        if isinstance(el, str):
            return self.broken_slot(i, el)
        return self.record_of(el, self.path, i + 1, self.starts[i])

    def broken_slot(self, i: int, reason: str) -> BrokenRecord:
        line = None if "(line " in reason else self.line_of(self.starts[i])
        return BrokenRecord(self.path, i + 1, self.starts[i], reason, raw=self.raw(i), line=line)


class MarcXmlSource(XmlRecordSource):
    format = FORMAT


def open_source(path: str) -> MarcXmlSource:
    src = MarcXmlSource(path)
    src.index_step(MarcXmlSource.FIRST_STEP)
    return src


def read_bytes(data: bytes, path: str = "<bytes>") -> MarcXmlSource:
    src = MarcXmlSource(path, data=data)
    src.build_index()
    return src


# -- writing ----------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
_TEXT_RE = re.compile("[&<>\r]")
_ATTR_RE = re.compile('[&<>"\r\n\t]')


class _Invalid(Exception):
    pass


def _clean(s: str, where: str, mode: str) -> str:
    m = _XML_INVALID.search(s)
    if m is None:
        return s
    if mode == "replace":
        return _XML_INVALID.sub("\ufffd", s)
    raise _Invalid(f"{where} contains the character U+{ord(m.group(0)):04X}, which XML 1.0 cannot hold")


def _text(s: str, where: str, mode: str) -> str:
    return _TEXT_RE.sub(lambda m: _TEXT_ESC[m.group(0)], _clean(s, where, mode))


def _attr(s: str, where: str, mode: str) -> str:
    return _ATTR_RE.sub(lambda m: _ATTR_ESC[m.group(0)], _clean(s, where, mode))


def record_xml(rec: Record, indent: str = "  ", invalid_chars: str = "error") -> str:
    i1, i2, i3 = indent, indent * 2, indent * 3
    out = [f"{i1}<record>\n"]
    if rec.leader is not None:
        out.append(f"{i2}<leader>{_text(str(rec.leader), 'the leader', invalid_chars)}</leader>\n")
    for f in rec.fields:
        where = f"field {visible(f.tag)}"
        tag = _attr(f.tag, where, invalid_chars)
        if f.is_control_field():
            out.append(f'{i2}<controlfield tag="{tag}">{_text(f.data or "", where, invalid_chars)}</controlfield>\n')
            continue
        a, b = (tuple(f.indicators or ()) + (" ", " "))[:2]
        out.append(
            f'{i2}<datafield tag="{tag}" ind1="{_attr(a or " ", where, invalid_chars)}" '
            f'ind2="{_attr(b or " ", where, invalid_chars)}">\n'
        )
        for sf in f.subfields:
            out.append(
                f'{i3}<subfield code="{_attr(sf.code, where, invalid_chars)}">'
                f"{_text(sf.value, where, invalid_chars)}</subfield>\n"
            )
        out.append(f"{i2}</datafield>\n")
    out.append(f"{i1}</record>\n")
    return "".join(out)


def write(records: Iterable[Record], out: BinaryIO, invalid_chars: str = "error", **options) -> None:
    """Write a MARCXML collection (UTF-8). ``invalid_chars``: ``"error"`` (default) refuses a
    record with characters XML cannot hold; ``"replace"`` writes U+FFFD for them."""
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<collection xmlns="{MARC_NS}">\n'.encode())
    for n, rec in enumerate(records, 1):
        try:
            text = record_xml(rec, invalid_chars=invalid_chars)
        except _Invalid as exc:
            cn = rec.get("001")
            ident = f" [{visible(cn.data)}]" if cn is not None and cn.data else ""  # record text is data
            raise WriteError(f"record {n}{ident}: {exc}") from None
        out.write(text.encode("utf-8"))
    out.write(b"</collection>\n")
