"""MARCXML (``http://www.loc.gov/MARC21/slim``): indexed by a raw scan, one record parsed at a time.

Reading
    A ``<collection>`` of ``<record>``s or a single ``<record>``, with the namespace as default,
    with any prefix (``marc:``, ``ns0:``) or with none. The file is not parsed whole: a byte scan
    finds each ``<record ...>`` start tag and its ``</record>`` (skipping comments, CDATA and
    processing instructions), and each record's bytes are parsed with lxml when it is needed,
    wrapped in an element that declares the namespaces the document declared before it.

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
from collections.abc import Iterable
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
from tui.core.sources.indexed import IndexedSource

FORMAT = MARCXML.id
MARC_NS = "http://www.loc.gov/MARC21/slim"

# tokens the index scan cares about; everything else is skipped at C speed
_LEADER_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?leader(?:\s[^>]*)?>([^<&]*)<")
_HOLDINGS_TYPES = frozenset(b"uvxy")
_REC_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?record(?=[\s/>])")
_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?record(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
_END_TAG = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?record\s*>")
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


def element_to_record(el, path: str = "", number: int = 0, offset: int | None = None) -> LibrisRecord:
    """A parsed ``<record>`` element -> ``LibrisRecord`` (never fails; oddities become issues)."""
    issues: list[ReadIssue] = []
    rec = Record()
    leader_text: str | None = None
    fields: list[Field] = []
    for child in el:
        if not isinstance(child.tag, str):
            continue  # comments, PIs (already removed), entity references
        name = local_name(child.tag)
        if name == "leader":
            if leader_text is None:
                leader_text = "".join(child.itertext())
            else:
                issues.append(ReadIssue.of("LDR-REPEATED", "xml"))
        elif name == "controlfield":
            tag = child.get("tag")
            data = "".join(child.itertext())
            tag = _checked_tag(tag, issues)
            f = Field(tag=tag, data=data)
            if not f.is_control_field():
                issues.append(ReadIssue.of("STRUCT-XML-CONTROL", "controlfield", f.tag, None, tag=tag))
                f = Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield(ORPHAN, data)] if data else [])
            fields.append(f)
        elif name == "datafield":
            tag = _checked_tag(child.get("tag"), issues)
            inds = []
            for k in ("ind1", "ind2"):
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
                if local_name(sf.tag) != "subfield":
                    issues.append(
                        ReadIssue.of("STRUCT-XML-ELEMENT", "in-datafield", tag, None, name=local_name(sf.tag))
                    )
                    continue
                code = sf.get("code")
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
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=FORMAT, issues=issues)


def _checked_tag(tag: str | None, issues: list[ReadIssue]) -> str:
    if tag is None:
        issues.append(ReadIssue.of("STRUCT-TAG", "read-none"))
        return ""
    if len(tag) != 3:
        issues.append(ReadIssue.of("STRUCT-TAG", "read-length", tag, tag=tag))
    return tag


# -- the indexed source -----------------------------------------------------------------------


class MarcXmlSource(IndexedSource):
    format = FORMAT

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
        self._ns_decl = b""
        self._special_at = (0, 0, -1)  # (from, searched up to, next "<!"/"<?" or -1): _next_special
        self._line_memo = (0, 1)  # (offset, line number there): line_of

    def _add(self, start: int, end: int, reason: str | None = None) -> None:
        slot = len(self.ends)
        self.starts.append(start)
        if reason:
            self.bad[slot] = reason
        else:
            # may this be a holdings record? (leader/06 u v x y, or a leader we cannot read raw)
            m = _LEADER_TEXT.search(self.buf, start, end)
            if m is None or len(m.group(1)) < 7 or m.group(1)[6] in _HOLDINGS_TYPES:
                self.holdings_slots.append(slot)
        self.ends.append(end)

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

    def _index(self, stop: int) -> None:
        """Index records until there are ``stop``. Finds ``record`` with ``bytes.find`` and checks
        the tag around it, so the scan runs at memory speed."""
        buf, size = self.buf, self.size
        pos = self._pos
        find, rfind = buf.find, buf.rfind
        while len(self) < stop:
            r = find(b"record", pos)
            m = None
            if r >= 0:
                lt = rfind(b"<", max(pos, r - 256), r)
                if lt >= 0:
                    m = _REC_TAG.match(buf, lt)
                    if m is not None and m.end() != r + 6:
                        m = None
            sp = self._next_special(pos, size if r < 0 else m.start() if m is not None else r)
            if sp >= 0 and (r < 0 or sp < (m.start() if m is not None else r)):
                pos = self._special(sp)
                continue
            if r < 0:
                pos = size
                break
            if m is None:  # "record" in text or in another name
                pos = r + 6
                continue
            if m.group(1):  # end tag
                e = _END_TAG.match(buf, m.start())
                end = e.end() if e else m.end()
                if self._open is not None:
                    self._add(self._open, end)
                    self._open = None
                pos = end
                continue
            start = m.start()
            if not self._seen_record:
                self._seen_record = True
                decls: dict[bytes, bytes] = {}
                for d in _XMLNS.finditer(bytes(buf[:start])):
                    decls[d.group(1) or b""] = d.group(0).strip()
                self._ns_decl = b" ".join(decls.values())
            if self._open is not None:
                self._add(self._open, start, "the record has no end tag </record> before the next record starts")
                self._open = None
            st = _START_TAG.match(buf, start)
            if st is None:
                gt = find(b">", m.end())
                end = size if gt < 0 else gt + 1
                self._add(start, end, "the <record> start tag is not well-formed")
                pos = end
                continue
            if st.group(1):  # <record/>: an empty record
                self._add(start, st.end())
            else:
                self._open = start
            pos = st.end()
        self._pos = pos
        if pos >= size:
            if self._open is not None:
                self._add(self._open, size, "truncated: the file ends before this record's end tag </record>")
                self._open = None
            self.complete = True
            if not len(self):
                raise UnreadableFile(self.path, "no MARCXML <record> element found")

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
        return element_to_record(el, self.path, i + 1, self.starts[i])

    def broken_slot(self, i: int, reason: str) -> BrokenRecord:
        line = None if "(line " in reason else self.line_of(self.starts[i])
        return BrokenRecord(self.path, i + 1, self.starts[i], reason, raw=self.raw(i), line=line)


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
