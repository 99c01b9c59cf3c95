"""MARC-in-JSON: pymarc's shape and Libris's ``application/x-marc-json``.

Both use the same keys (Libris's own MARC <-> JSON-LD test pairs, ``marcframe-spec-cases.json``,
show it)::

    {"leader": "00000cam a2200000 a 4500",
     "fields": [{"001": "7149593"},
                {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Titel"}, {"h": "..."}]}}]}

A file holds one such object or a list of them. Libris's leaders often have spaces where the
record length and base address would be, and some objects have no leader at all (one is made and
said so). Tolerated too: a subfield object with several codes (read in order), missing or
empty indicators (blank), and the fragments of Libris's conversion tests, an object whose keys
are tags (``{"245": {...}}``: read as a record of those fields).

Parsed whole (these files are small), but record by record: each list element is decoded on its
own (``raw_decode``), so a record that is not valid JSON or not a record becomes a
``BrokenRecord`` with its record number and byte offset, and the reader carries on at the next
record it can find. What the decoded value no longer shows is reported with byte and line:
invalid UTF-8 (shown as U+FFFD, ``ENC-INVALID-UTF8``), repeated keys (``JSON-DUPLICATE-KEY``),
control characters written raw in strings (read as they are, as pymarc does:
``JSON-CONTROL-CHAR``). A value nested more than ``MAX_DEPTH`` (256) levels deep is a broken
record saying where (``JSON-DEPTH``), never a ``RecursionError``. JSON in which nothing is or
could be a record (an object of another shape, a list of numbers) is refused in one line saying
what it is (``FORMAT-NOT-MARC``); an empty list is no records.

Writing: pymarc's shape, a JSON list, one record a line. Orphan text is a subfield whose code is
the empty string (``{"": "text"}``), read back as orphan text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import BinaryIO

from tui.core.formats.common import record_issues
from tui.core.formats.registry import MARC_JSON
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
from tui.core.rules import table
from tui.core.sources.base import ListSource, read_file_bytes

FORMAT = MARC_JSON.id

_TAG_KEY = re.compile(r"^[0-9A-Za-z]{3}$")
_WS = re.compile(r"[ \t\r\n]*")
_NEXT_RECORD = re.compile(r'\{\s*"(?:leader|fields)"\s*:')
# undecodable bytes (surrogateescape) and lone "\ud800" escapes alike: no codec writes them
_SURROGATE = re.compile("[\ud800-\udfff]+")
# undecodable bytes as ``surrogateescape`` leaves them in the text: the runs the reader reports
_BAD_BYTES = re.compile("[\udc80-\udcff]+")
# the nearest three-character key before a position names the field it belongs to
_TAG_BEFORE = re.compile(r'"([0-9A-Za-z]{3})"\s*:\s*[{"]')
# a JSON token, enough to find where object keys are (the text has been decoded already)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s"{}\[\]:,]+', re.S)
# a JSON string as written, and the brackets outside strings
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
# a control character (JSON escapes them in strings; read here as they are, and reported)
_CONTROL = re.compile("[\x00-\x1f]")

#: How deep a MARC-in-JSON value may nest, objects and lists counted alike (as for JSON-LD). A
#: record nests seven levels (list, record, fields, field, data field, subfields, subfield); a
#: value deeper than this is refused with where it gets too deep (JSON-DEPTH), never a crash.
MAX_DEPTH = 256
#: raw control characters of one record reported one by one; the rest are counted in one issue
CONTROLS_SHOWN = 3
NOT_MARC = "FORMAT-NOT-MARC"


class _Num(str):
    """A JSON number kept as the text it was written as: never converted, so a number of
    thousands of digits is no error and ``1.50`` is not read as ``1.5``."""

    __slots__ = ()


class _Obj(dict):
    """A JSON object that repeated a key: the dict keeps the last value (as JSON readers do),
    ``pairs`` every key and value in order, so that repeated subfield codes and tags are kept."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        self.pairs = pairs


def _decoder(repeated: list[int]) -> json.JSONDecoder:
    """A decoder that keeps numbers as text and notes objects that repeat a key in ``repeated``.
    Control characters inside strings are data (pymarc reads them too)."""

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
        if len({k for k, _ in pairs}) == len(pairs):
            return dict(pairs)
        repeated.append(1)
        return _Obj(pairs)

    return json.JSONDecoder(
        strict=False, object_pairs_hook=pairs_hook, parse_int=_Num, parse_float=_Num, parse_constant=_Num
    )


def _repeated_keys(text: str, start: int, end: int) -> list[tuple[str, int, str | None]]:
    """Every key in ``text[start:end]`` (one valid JSON value) that its object already had:
    ``(key, index, the key the object's container is under)``."""
    out: list[tuple[str, int, str | None]] = []
    # per open container: [kind, keys seen, the key it stands under]
    stack: list[tuple[str, set[str], str | None]] = []
    expect_key = False
    key: str | None = None
    for m in _TOKEN.finditer(text, start, end):
        t = m.group(0)
        if t in ("{", "["):
            under = (key if stack[-1][0] == "{" else stack[-1][2]) if stack else None
            stack.append((t, set(), under))
            expect_key = t == "{"
            key = None
        elif t in ("}", "]"):
            if stack:
                stack.pop()
            expect_key = False
        elif t == ",":
            expect_key = bool(stack) and stack[-1][0] == "{"
        elif t == ":":
            expect_key = False
        elif expect_key and t.startswith('"'):
            try:
                key = json.loads(t, strict=False)
            except ValueError:
                key = t[1:-1]
            seen = stack[-1][1]
            if key in seen:
                out.append((key, m.start(), stack[-1][2]))
            seen.add(key)
            expect_key = False
    return out


def _skip_ws(text: str, i: int) -> int:
    """Where the JSON white space from ``i`` on ends."""
    m = _WS.match(text, i)
    return m.end() if m is not None else i


class _NotARecord(Exception):
    pass


class _Issues(list):
    """A record's issues; ``bytes_located``: its invalid UTF-8 bytes were reported with their
    positions already (the values need not say so again); ``control``: a value holds a control
    character (written raw or escaped: the text tells which)."""

    bytes_located = False
    control = False


def _text(v, what: str, issues: list[ReadIssue], tag: str | None = None) -> str:
    if isinstance(v, _Num):
        # the number's text exactly as written (no float rounding, no digit limit)
        issues.append(ReadIssue.of("JSON-TYPE", "number", tag, what=what))
        return str(v)
    if isinstance(v, str):
        if _CONTROL.search(v) is not None and isinstance(issues, _Issues):
            issues.control = True
        if _SURROGATE.search(v):
            if not getattr(issues, "bytes_located", False):
                issues.append(ReadIssue.of("ENC-INVALID-UTF8", "shown", tag))
            return _SURROGATE.sub(lambda m: "\ufffd" * len(m.group(0)), v)
        return v
    if v is None:
        issues.append(ReadIssue.of("JSON-NULL", "null", tag, what=what))
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        issues.append(ReadIssue.of("JSON-TYPE", "number", tag, what=what))
        return json.dumps(v)
    raise _NotARecord(f"{what} is {type(v).__name__}, not a string" + (f" (field {tag})" if tag else ""))


def dict_to_record(
    obj,
    path: str = "",
    number: int = 0,
    offset: int | None = None,
    found: list[ReadIssue] | None = None,
    controls: Callable[[], list[ReadIssue]] | None = None,
) -> Entry:
    """One MARC-in-JSON object -> ``LibrisRecord``, or ``BrokenRecord`` when it is not a record.
    ``found``: what the reader saw in the record's text (repeated keys, bytes that are not UTF-8,
    with their positions), put first among its issues; ``controls()``: the raw control
    characters in its strings, with their positions, asked for only when a value holds one."""
    try:
        return _to_record(obj, path, number, offset, found or [], controls)
    except _NotARecord as exc:
        if depth(obj) > MAX_DEPTH:  # said by the reader, which knows where; never dumped
            return BrokenRecord(path, number, offset, f"not a MARC-in-JSON record: {exc}")
        return BrokenRecord(
            path,
            number,
            offset,
            f"not a MARC-in-JSON record: {exc}",
            raw=_raw_bytes(json.dumps(obj, ensure_ascii=False)[:2000]),
        )


def depth(doc) -> int:
    """How deep ``doc`` nests (a scalar is 0, ``{}`` is 1), without recursion; stops counting at
    ``MAX_DEPTH + 1``."""
    deepest = 0
    stack = [(doc, 1)] if isinstance(doc, (dict, list)) else []
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
            if d > MAX_DEPTH:
                break
        for v in node.values() if isinstance(node, dict) else node:
            if isinstance(v, (dict, list)):
                stack.append((v, d + 1))
    return deepest


def _too_deep_at(text: str, start: int) -> int:
    """Where in ``text`` the value at ``start`` opens level ``MAX_DEPTH + 1`` (or ``start``)."""
    level = 0
    for m in _BRACKET.finditer(text, start):
        ch = m.group()
        if ch in "[{":
            level += 1
            if level > MAX_DEPTH:
                return m.start()
        elif ch in "]}":
            level -= 1
            if level <= 0:
                break
    return start


def _raw_bytes(text: str) -> bytes:
    """Bytes of decoded text: surrogateescape gives back undecodable bytes; a JSON "\ud800" escape
    gives a lone surrogate that no codec takes, shown as its escape (found by fuzzing)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def _pairs(obj: dict) -> list[tuple[str, object]]:
    return obj.pairs if isinstance(obj, _Obj) else list(obj.items())


def _to_record(obj, path: str, number: int, offset: int | None, found: list[ReadIssue], controls=None) -> LibrisRecord:
    if not isinstance(obj, dict):
        raise _NotARecord(f'a {type(obj).__name__}, not an object with "leader" and "fields"')
    fragment = False
    if "fields" not in obj:
        if obj and all(isinstance(k, str) and _TAG_KEY.match(k) for k in obj if k != "leader"):
            # a fragment as in Libris's conversion tests: {"245": {...}} - the fields of a record
            fragment = True
            obj = {
                **({"leader": obj["leader"]} if "leader" in obj else {}),
                "fields": [{k: v} for k, v in obj.items() if k != "leader"],
            }
        else:
            raise _NotARecord('the object has no "fields"')
    raw_fields = obj["fields"]
    if not isinstance(raw_fields, list):
        raise _NotARecord('"fields" is not a list')
    issues = _Issues(found)
    issues.bytes_located = any(i.code == "ENC-INVALID-UTF8" for i in found)
    if fragment:
        issues.append(ReadIssue.of("JSON-FRAGMENT", "fields-as-keys"))
    rec = Record()
    leader = obj.get("leader")
    if leader is None:
        rec.leader = new_leader()
        issues.append(ReadIssue.of("LDR-MADE", "json"))
    else:
        leader = _text(leader, "the leader", issues)
        if len(leader) != 24:
            issues.append(ReadIssue.of("LDR-LENGTH", "padded", length=len(leader)))
        rec.leader = Leader((leader + " " * 24)[:24])
    for k in obj:
        if k not in ("leader", "fields"):
            issues.append(ReadIssue.of("JSON-KEY", "ignored", key=k))
    fields: list[Field] = []
    for n, fobj in enumerate(raw_fields, 1):
        if not isinstance(fobj, dict) or len(fobj) != 1:
            raise _NotARecord(f"field {n} is not an object with exactly one tag")
        for tag, val in _pairs(fobj):  # a tag repeated in one object: each is a field (reported)
            fields.append(_field(tag, val, issues))
    rec.fields = fields
    if issues.control and controls is not None:
        issues[len(found) : len(found)] = controls()
    issues.extend(record_issues(rec))
    return LibrisRecord(marc=rec, path=path, number=number, offset=offset, source_format=FORMAT, issues=list(issues))


def _field(tag, val, issues: list[ReadIssue]) -> Field:
    tag = _text(tag, "the tag", issues)  # keys too may hold undecodable bytes (found by fuzzing)
    tag_text = tag
    if isinstance(val, dict):
        ind = []
        for key in ("ind1", "ind2"):
            v = val.get(key, " ")
            v = _text(v, key, issues, tag) if v is not None else " "
            if len(v) > 1:
                issues.append(ReadIssue.of("STRUCT-INDICATOR", "read-long", tag, name=key, value=v))
            ind.append(v[:1] or " ")
        subs_obj = val.get("subfields", [])
        if not isinstance(subs_obj, list):
            raise _NotARecord(f'field {tag}: "subfields" is not a list')
        subfields: list[Subfield] = []
        for s in subs_obj:
            if not isinstance(s, dict):
                raise _NotARecord(f"field {tag}: a subfield is not an object")
            for code, value in _pairs(s):
                code = _text(code, "a subfield code", issues, tag)
                subfields.append(Subfield(code, _text(value, f"subfield ${code}", issues, tag)))
        f = Field(tag=tag_text, indicators=Indicators(*ind), subfields=subfields)
        if f.is_control_field():
            issues.append(
                ReadIssue.of(
                    "STRUCT-JSON-CONTROL",
                    "control-with-subfields",
                    tag,
                    None,
                    tag=tag,
                )
            )
            f = Field(tag=tag_text, data="".join(s.value for s in subfields))
    else:
        data = _text(val, f"field {tag}", issues, tag)
        f = Field(tag=tag_text, data=data)
        if not f.is_control_field():
            issues.append(
                ReadIssue.of(
                    "STRUCT-JSON-CONTROL",
                    "data-as-string",
                    tag,
                    None,
                    tag=tag,
                )
            )
            f = Field(tag=tag_text, indicators=Indicators(" ", " "), subfields=[Subfield(ORPHAN, data)] if data else [])
    if len(tag) != 3:
        issues.append(ReadIssue.of("STRUCT-TAG", "read-length", tag, tag=tag))
    return f


class _ByteOffsets:
    """Character index in the decoded text -> byte offset in the file (surrogateescape keeps it
    exact even where the bytes are not UTF-8) and line number; counted on from the last answer,
    so asking in order through the file is linear."""

    def __init__(self, text: str, base: int):
        self.text = text
        self.base = base
        self.char = 0
        self.byte = base
        self.line_no = 1

    def __call__(self, i: int) -> int:
        if i < self.char:
            self.char, self.byte, self.line_no = 0, self.base, 1
        self.byte += len(self.text[self.char : i].encode("utf-8", "surrogateescape"))
        self.line_no += self.text.count("\n", self.char, i)
        self.char = i
        return self.byte

    def line(self, i: int) -> int:
        self(i)
        return self.line_no


def _found_in_text(text: str, start: int, end: int, at: _ByteOffsets, repeated: bool) -> list[ReadIssue]:
    """What the text of one record shows that its decoded value no longer does: keys repeated
    in one object (a JSON reader keeps only the last) and bytes that are not UTF-8, each with its
    byte offset and line."""
    # positions first, in file order: the offsets are counted on from one to the next
    marks: list[tuple[int, str, str | None, str, str]] = []
    if repeated:
        for key, i, under in _repeated_keys(text, start, end):
            # in "fields" and "subfields" each repetition is kept as a field or subfield of its own
            marks.append((i, "JSON-DUPLICATE-KEY", None, "kept" if under in ("fields", "subfields") else "last", key))
    bad = list(_BAD_BYTES.finditer(text, start, end))
    if bad:
        tags = [(m.start(), m.group(1)) for m in _TAG_BEFORE.finditer(text, start, end)]
        for m in bad:
            tag = next((t for pos, t in reversed(tags) if pos < m.start()), None)
            run = m.group(0)
            shown = " ".join(f"{ord(c) - 0xDC00:02X}" for c in run[:8]) + (" ..." if len(run) > 8 else "")
            marks.append((m.start(), "ENC-INVALID-UTF8", tag, "at", shown))
    found: list[ReadIssue] = []
    for i, code, tag, key, what in sorted(marks, key=lambda x: x[0]):
        offset = at(i)
        if code == "JSON-DUPLICATE-KEY":
            found.append(ReadIssue.of(code, key, None, None, key=what, offset=offset, line=at.line_no))
        else:
            found.append(ReadIssue.of(code, key, tag, None, bytes=what, offset=offset, line=at.line_no))
    return found


class _TooDeep(Exception):
    def __init__(self, pos: int):
        super().__init__(pos)
        self.pos = pos


def _describe(obj) -> str:
    """A JSON value that is not a record, in a few words (FORMAT-NOT-MARC)."""
    if isinstance(obj, dict):
        keys = [repr(k if len(k) <= 40 else k[:40] + "...") for k in list(obj)[:5]]
        return table.say(NOT_MARC, "json-object", keys=", ".join(keys) + (", ..." if len(obj) > 5 else ""))
    kind = {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(obj), "number")
    return table.say(NOT_MARC, "json-value", kind=kind)


def _marc_like(obj) -> bool:
    """Could a value that is not a record have been meant as one (a broken record, not a file of
    something else)?"""
    return isinstance(obj, dict) and ("leader" in obj or "fields" in obj)


def read_json(path: str, data: bytes | None = None) -> ListSource:
    """A JSON list of records, one record object, or one record object a line (NDJSON, JSON Lines:
    any white space between the objects)."""
    path = str(path)
    if data is None:
        data = read_file_bytes(path)
    base = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    text = data[base:].decode("utf-8", "surrogateescape")
    at = _ByteOffsets(text, base)
    i = _skip_ws(text, 0)
    if i >= len(text):
        raise UnreadableFile(path, "the file is empty")
    entries: list[Entry] = []
    raws: list[bytes] = []
    repeated: list[int] = []
    decoder = _decoder(repeated)
    #: per entry: could it be a MARC record; and what the first one is, when it is not
    marc_like: list[bool] = []
    first_not: list[str] = []

    def deep_reason(pos: int) -> str:
        k = _too_deep_at(text, pos)
        col = k - (text.rfind("\n", 0, k) + 1) + 1
        offset = at(k)
        return table.say("JSON-DEPTH", "deep", limit=MAX_DEPTH, offset=offset, line=at.line_no, column=col)

    def add(obj_start: int, obj_end: int, obj=None, error: str | None = None, like: bool = True) -> None:
        number = len(entries) + 1
        off = at(obj_start)
        line0 = at.line_no
        raw = text[obj_start:obj_end].encode("utf-8", "surrogateescape")
        if error is not None:
            entries.append(BrokenRecord(path, number, off, error, raw=raw[:4000], line=line0))
            marc_like.append(like)
            if not like and not first_not:
                first_not.append(error)
        else:
            found = _found_in_text(text, obj_start, obj_end, at, bool(repeated))
            e = dict_to_record(obj, path, number, off, found, lambda: _controls(text, obj_start, obj_end, off, line0))
            if isinstance(e, BrokenRecord):
                if depth(obj) > MAX_DEPTH:
                    e = BrokenRecord(path, number, off, f"{deep_reason(obj_start)} (JSON-DEPTH)", raw=raw[:4000])
                else:
                    e.raw = raw[:4000]
                e.line = line0
            entries.append(e)
            like = isinstance(e, LibrisRecord) or _marc_like(obj)
            marc_like.append(like)
            if not like and not first_not:
                first_not.append(_describe(obj))
        repeated.clear()
        raws.append(raw)

    def decode_at(j: int):
        repeated.clear()
        try:
            return decoder.raw_decode(text, j), None
        except json.JSONDecodeError as exc:
            return None, exc
        except RecursionError:
            return None, _TooDeep(j)

    def done(listed: bool) -> ListSource:
        if entries and not any(marc_like):
            what = first_not[0] if first_not else "?"
            if listed and len(entries) > 1:
                what = table.say(NOT_MARC, "json-list", n=len(entries), first=what)
            raise UnreadableFile(path, f"{table.say(NOT_MARC, 'json', what=what)} ({NOT_MARC})")
        return ListSource(path, entries, raws, FORMAT)

    if text[i] != "[":
        got, err = decode_at(i)
        if isinstance(err, _TooDeep):  # a broken record (an object), or not MARC (a list: done says so)
            _read_elements(text, i, add, decode_at, deep_reason, sep=None)
            return done(False)
        if err is not None:
            raise UnreadableFile(path, f"not valid JSON at byte {at(err.pos)} (line {err.lineno}): {err.msg}")
        obj, end = got
        k = _skip_ws(text, end)
        if k != len(text) and not (isinstance(obj, dict) and text[k] == "{"):
            raise UnreadableFile(path, f"unexpected text after the JSON value at byte {at(end)}")
        if isinstance(obj, dict) and "fields" not in obj and ("@graph" in obj or "@context" in obj):
            raise UnreadableFile(path, "this is JSON-LD, not MARC-in-JSON")
        if not isinstance(obj, dict):
            what = _describe(obj) if depth(obj) <= MAX_DEPTH else deep_reason(i)
            raise UnreadableFile(path, f"{table.say(NOT_MARC, 'json', what=what)} ({NOT_MARC})")
        add(i, end, obj)
        if k == len(text):
            return done(False)
        # one object after another (NDJSON): read on the same way, without commas
        _read_elements(text, k, add, decode_at, deep_reason, sep=None)
        return done(False)

    # a list: decode element by element, so that one bad record does not lose the rest
    j = _skip_ws(text, i + 1)
    if j < len(text) and text[j] == "]":
        return done(True)
    _read_elements(text, j, add, decode_at, deep_reason, sep=",")
    return done(True)


def _read_elements(text: str, j: int, add, decode_at, deep_reason, *, sep: str | None) -> None:
    """Records from ``j`` on, each on its own: the elements of a list (``sep`` ","), or values
    one after another (``sep`` None, NDJSON). A value that is not valid JSON is a broken record,
    and reading goes on at the next thing that looks like a record."""
    while j < len(text):
        got, err = decode_at(j)
        like = True
        if err is None:
            obj, end = got
            add(j, end, obj)
            k = _skip_ws(text, end)
            if k >= len(text):
                break  # the list was never closed (or the last line ended): what was there is read
            if sep is None:
                j = k
                continue
            if text[k] == ",":
                j = _skip_ws(text, k + 1)
                continue
            if text[k] == "]":
                k = _skip_ws(text, k + 1)
                if k != len(text):
                    add(k, len(text), error="unexpected text after the end of the list")
                break
            bad_start, bad_pos = k, k
            why = "unexpected text between records (expected ',' or ']')"
        elif isinstance(err, _TooDeep):
            bad_start, bad_pos = j, j + 1
            why = f"{deep_reason(j)} (JSON-DEPTH)"
            like = text[j] == "{"
        else:
            bad_start, bad_pos = j, err.pos
            why = f"not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}"
        # resynchronise at the next thing that looks like a record
        nxt = _NEXT_RECORD.search(text, max(bad_pos, bad_start + 1))
        stop = nxt.start() if nxt else len(text)
        add(bad_start, stop, error=why, like=like)
        if nxt is None:
            break
        j = stop


def _controls(text: str, start: int, end: int, offset: int, line: int) -> list[ReadIssue]:
    """The raw control characters in the strings of ``text[start:end]`` (one record, at byte
    ``offset``, line ``line``), each with its byte and line: the first few one by one, the rest
    counted."""
    out: list[ReadIssue] = []
    more = 0
    more_at: tuple[int, int] | None = None
    pos, byte, ln = start, offset, line
    for s in _STRING.finditer(text, start, end):
        for c in _CONTROL.finditer(s.group(0)):
            k = s.start() + c.start()
            byte += len(text[pos:k].encode("utf-8", "surrogateescape"))
            ln += text.count("\n", pos, k)
            pos = k
            if len(out) < CONTROLS_SHOWN:
                char = f"U+{ord(c.group(0)):04X}"
                out.append(ReadIssue.of("JSON-CONTROL-CHAR", "raw", None, None, char=char, offset=byte, line=ln))
            else:
                more += 1
                more_at = more_at or (byte, ln)
    if more and more_at is not None:
        out.append(ReadIssue.of("JSON-CONTROL-CHAR", "more", None, None, n=more, offset=more_at[0], line=more_at[1]))
    return out


def open_source(path: str) -> ListSource:
    return read_json(path)


# -- writing ----------------------------------------------------------------------------------


def record_dict(rec: Record) -> dict:
    fields: list[dict] = []
    for f in rec.fields:
        if f.is_control_field():
            fields.append({f.tag: f.data or ""})
        else:
            a, b = (tuple(f.indicators or ()) + (" ", " "))[:2]
            fields.append(
                {f.tag: {"ind1": a or " ", "ind2": b or " ", "subfields": [{sf.code: sf.value} for sf in f.subfields]}}
            )
    return {"leader": str(rec.leader) if rec.leader is not None else "", "fields": fields}


def write(records: Iterable[Record], out: BinaryIO, **options) -> None:
    """A JSON list of records in pymarc's MARC-in-JSON shape, one record a line."""
    out.write(b"[")
    first = True
    for rec in records:
        out.write(b"\n" if first else b",\n")
        first = False
        # lone surrogates (only ever inside JSON strings) become \\uXXXX escapes: valid UTF-8, and
        # read back as the same characters
        out.write(json.dumps(record_dict(rec), ensure_ascii=False).encode("utf-8", "backslashreplace"))
    out.write(b"\n]\n")
