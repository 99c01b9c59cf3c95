"""TurboMARC (``http://www.indexdata.com/turbomarc``): Index Data's compact XML form of MARC.

The tag and the subfield code are in the element names, the indicators are ``i1``/``i2``::

    <collection xmlns="http://www.indexdata.com/turbomarc">
    <r>
      <l>00000cam a2200000 a 4500</l>
      <c001>7149593</c001>
      <d245 i1="1" i2="0">
        <sa>Titel</sa>
      </d245>
    </r>
    </collection>

A tag or code that cannot be part of an element name is an attribute instead (``<d tag="...">``,
``<s code="$">``), which is how yaz reads it too.

Reading
    As MARCXML (``marcxml.XmlRecordSource``: a raw scan for each ``<r>``, with any prefix, each
    record parsed with the hardened parser when it is needed; broken records, a document not
    closed, a document with no TurboMARC record) and read into a record the same way, with the
    same issues.

Writing
    Byte for byte what ``yaz-marcdump -i marc -o turbomarc`` writes for the same records: the
    collection, two-space indents, ``&lt; &gt; &amp; &quot; &apos;`` escaped, leader/09 ``a`` (the
    output is UTF-8). Where yaz would change a record silently this writer does not: a carriage
    return is written as ``&#13;`` (an XML reader would turn it into a line feed), and characters
    XML 1.0 cannot hold (yaz drops them) refuse the record with a clear error, or, with
    ``invalid_chars="replace"``, become U+FFFD. A collection with no records is written as an
    empty ``<collection>`` (yaz writes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

from tui.core.formats.common import WriteError
from tui.core.formats.marcxml import (
    _NAME,
    Vocabulary,
    XmlRecordSource,
    read_element,
)
from tui.core.formats.registry import TURBOMARC
from tui.core.model.record import ORPHAN, LibrisRecord, Record
from tui.core.model.textsafe import visible

FORMAT = TURBOMARC.id
TURBOMARC_NS = "http://www.indexdata.com/turbomarc"

#: a tag or subfield code that can stand in an element name (yaz's test: ASCII letters and digits)
_NAME_PART = re.compile(r"^[0-9A-Za-z]+$")


def _part(name: str) -> tuple[str, str | None]:
    if name == "l":
        return "leader", None
    if name[:1] == "c":
        return "controlfield", name[1:] or None
    if name[:1] == "d":
        return "datafield", name[1:] or None
    return "", None


def _subfield(name: str) -> tuple[bool, str | None]:
    if name[:1] != "s":
        return False, None
    return True, name[1:] or None


NAMES = Vocabulary(part=_part, subfield=_subfield, indicators=("i1", "i2"))


def element_to_record(el, path: str = "", number: int = 0, offset: int | None = None) -> LibrisRecord:
    """A parsed ``<r>`` element -> ``LibrisRecord`` (never fails; oddities become issues)."""
    return read_element(el, NAMES, FORMAT, path, number, offset)


class TurboMarcSource(XmlRecordSource):
    format = FORMAT
    NAME = b"r"
    NAMESPACES = frozenset((TURBOMARC_NS,))
    ROOTS = NAMESPACES

    _LEADER_TEXT = re.compile(rb"<(?:" + _NAME + rb":)?l(?:\s[^>]*)?>([^<&]*)<")
    _REC_TAG = re.compile(rb"<(/?)(?:(" + _NAME + rb"):)?r(?=[\s/>])")
    _START_TAG = re.compile(rb"<(?:" + _NAME + rb":)?r(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
    _END_TAG = re.compile(rb"</(?:" + _NAME + rb":)?r\s*>")
    _MARC_ELEMENT = re.compile(rb"<(?:" + _NAME + rb":)?(?:l|[cd][0-9A-Za-z]{0,3})[\s/>]")

    @staticmethod
    def marc_child(name: bytes) -> bool:
        return name == b"l" or (name[:1] in (b"c", b"d") and len(name) <= 4 and (len(name) == 1 or name[1:].isalnum()))

    @staticmethod
    def record_of(el, path: str, number: int, offset: int | None) -> LibrisRecord:
        return element_to_record(el, path, number, offset)

    def _candidate(self, pos: int):
        # "r" is everywhere in text: the tag is searched for as a whole
        m = self._REC_TAG.search(self.buf, pos)
        return (-1, None) if m is None else (m.start(), m)


def open_source(path: str) -> TurboMarcSource:
    src = TurboMarcSource(path)
    src.index_step(TurboMarcSource.FIRST_STEP)
    return src


def read_bytes(data: bytes, path: str = "<bytes>") -> TurboMarcSource:
    src = TurboMarcSource(path, data=data)
    src.build_index()
    return src


# -- writing ----------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# yaz's escapes (wrbuf_xmlputs_n), in text and attributes alike, and a CR that survives reading
_ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;"}
_ESC_RE = re.compile("[&<>\"'\r]")


class _Invalid(Exception):
    pass


def _x(s: str, where: str, mode: str) -> str:
    m = _XML_INVALID.search(s)
    if m is not None:
        if mode != "replace":
            raise _Invalid(f"{where} contains the character U+{ord(m.group(0)):04X}, which XML 1.0 cannot hold")
        s = _XML_INVALID.sub("\ufffd", s)
    return _ESC_RE.sub(lambda m: _ESC[m.group(0)], s)


def record_xml(rec: Record, invalid_chars: str = "error") -> str:
    """One ``<r>`` element as yaz writes it inside a collection."""
    out = ["<r>\n"]
    if rec.leader is not None:
        ld = str(rec.leader)
        if len(ld) > 9:
            ld = ld[:9] + "a" + ld[10:]  # the output is UTF-8, as yaz says it
        out.append(f"  <l>{_x(ld, 'the leader', invalid_chars)}</l>\n")
    for f in rec.fields:
        where = f"field {visible(f.tag)}"
        named = bool(_NAME_PART.match(f.tag))
        if f.is_control_field():
            name = f"c{f.tag}" if named else "c"
            attr = "" if named else f' tag="{_x(f.tag, where, invalid_chars)}"'
            out.append(f"  <{name}{attr}>{_x(f.data or '', where, invalid_chars)}</{name}>\n")
            continue
        name = f"d{f.tag}" if named else "d"
        attr = "" if named else f' tag="{_x(f.tag, where, invalid_chars)}"'
        a, b = (tuple(f.indicators or ()) + (" ", " "))[:2]
        out.append(
            f'  <{name}{attr} i1="{_x(a or " ", where, invalid_chars)}" i2="{_x(b or " ", where, invalid_chars)}">\n'
        )
        for sf in f.subfields:
            value = _x(sf.value, where, invalid_chars)
            if sf.code != ORPHAN and _NAME_PART.match(sf.code):
                out.append(f"    <s{sf.code}>{value}</s{sf.code}>\n")
            else:
                out.append(f'    <s code="{_x(sf.code, where, invalid_chars)}">{value}</s>\n')
        out.append(f"  </{name}>\n")
    out.append("</r>\n")
    return "".join(out)


def write(records: Iterable[Record], out: BinaryIO, invalid_chars: str = "error", **options) -> None:
    """Write a TurboMARC collection (UTF-8), as ``yaz-marcdump -o turbomarc`` does.
    ``invalid_chars``: ``"error"`` (default) refuses a record with characters XML cannot hold;
    ``"replace"`` writes U+FFFD for them."""
    out.write(f'<collection xmlns="{TURBOMARC_NS}">\n'.encode())
    for n, rec in enumerate(records, 1):
        try:
            text = record_xml(rec, invalid_chars=invalid_chars)
        except _Invalid as exc:
            cn = rec.get("001")
            ident = f" [{visible(cn.data)}]" if cn is not None and cn.data else ""  # record text is data
            raise WriteError(f"record {n}{ident}: {exc}") from None
        out.write(text.encode("utf-8"))
    out.write(b"</collection>\n")
