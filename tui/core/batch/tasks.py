"""Task lists: saved, rerunnable batch edits, read from a TOML file (``docs/tasks.md``).

A task list is an ordered list of operations (``[[operation]]`` tables), each an ``action`` with
the fields it works on and conditions on the record. Every operation makes the same edit
commands as the app (``tui.core.editing.commands``, ``FindReplace``), checked against the same
rules: what the rules refuse is not done, and counted under its rule id.

Actions: ``add-field``, ``delete-field``, ``replace-field``, ``add-subfield``,
``delete-subfield``, ``replace-subfield``, ``set-indicator``, and the e-plikt actions
``uri-move`` (URI-MOVE), ``hold-add`` (HOLD-ADD) and ``sup-clear`` (SUP-CLEAR).

Field selection (keys of the operation): ``tag`` (``245``, ``100,700``, ``6XX``), ``ind1``,
``ind2``, ``code``, and a subfield ``value`` or ``pattern`` that the field must have. Record
conditions (``[operation.when]``): ``state`` (``eplikt``, ``channel``, ``suppressed``,
``restricted``, ``digi``, ``holdings``, each also as ``not-...``), ``has`` / ``lacks`` (tags),
``subfield`` / ``no-subfield`` (``{tag, code, value | pattern, ind1, ind2}``), ``kind`` (``bib``,
the default, ``holdings``, ``authority`` or ``any``).

Operations are idempotent where that means something (a task list is run again on the next
export): ``add-field`` and ``add-subfield`` leave a record that already has that field or
subfield as it is, ``hold-add`` adds one holding per sigel and title.

``needles()``: what must stand in a record's bytes for an operation to act on it at all (its
tags, the literal text of its patterns, ...), so that a batch over a large file parses only the
records some operation may touch and copies the others as bytes (``taskrun``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from tui.core.editing.commands import (
    AddField,
    AddHolding,
    AddSubfield,
    ClearSuppress,
    DeleteField,
    DeleteSubfield,
    EditCommand,
    EditContext,
    MoveRestrictedUris,
    SetIndicator,
)
from tui.core.editing.replace import FindReplace, TagSpec, compile_pattern, replacement_problem
from tui.core.model.record import LibrisError, LibrisRecord
from tui.core.rules.eplikt import Refusal

ACTIONS = (
    "add-field",
    "delete-field",
    "replace-field",
    "add-subfield",
    "delete-subfield",
    "replace-subfield",
    "set-indicator",
    "uri-move",
    "hold-add",
    "sup-clear",
)
STATES = ("eplikt", "channel", "suppressed", "restricted", "digi", "holdings")
KINDS = ("bib", "holdings", "authority", "any")
_SELECT_KEYS = ("tag", "ind1", "ind2", "code", "value", "pattern", "flags")
#: keys each action takes besides ``action``, ``when`` and ``name``
_KEYS = {
    "add-field": ("tag", "ind1", "ind2", "subfields", "data"),
    "delete-field": _SELECT_KEYS,
    "replace-field": (*_SELECT_KEYS, "new-tag", "new-ind1", "new-ind2", "subfields", "data"),
    "add-subfield": (*_SELECT_KEYS, "new-code", "new-value", "position"),
    "delete-subfield": _SELECT_KEYS,
    "replace-subfield": ("tag", "ind1", "ind2", "code", "pattern", "replacement", "flags", "count"),
    "set-indicator": (*_SELECT_KEYS, "position", "new-value"),
    "uri-move": (),
    "hold-add": ("sigel",),
    "sup-clear": (),
}
_REQUIRED = {
    "add-field": ("tag",),
    "delete-field": ("tag",),
    "replace-field": ("tag",),
    "add-subfield": ("tag", "new-code", "new-value"),
    "delete-subfield": ("tag", "code"),
    "replace-subfield": ("tag", "pattern", "replacement"),
    "set-indicator": ("tag", "position", "new-value"),
}
_WHEN_KEYS = ("state", "has", "lacks", "subfield", "no-subfield", "kind")
_SUBFIELD_KEYS = ("tag", "code", "value", "pattern", "flags", "ind1", "ind2")
_BLANKS = ("", " ", "-", "_", "#", "\\")
#: ASCII letters that a non-ASCII letter matches when case is ignored (``re``: i, s, k)
_CASE_TWINS = frozenset("iskISK")


class TaskFileError(LibrisError):
    """A task file that cannot be used: the file, the line and what is wrong, in one line."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


# -- what an operation looks at --------------------------------------------------------------------


def _indicator(v: Any) -> str | None:
    if v is None or v == "*":
        return None
    return " " if v in _BLANKS else str(v)


@dataclass
class Select:
    """Fields with a tag in ``tag``, these indicators, and (when given) a subfield ``code`` whose
    value is ``value`` (stripped) or matches ``pattern``."""

    tag: TagSpec
    ind1: str | None = None
    ind2: str | None = None
    code: str | None = None
    value: str | None = None
    pattern: re.Pattern[str] | None = None

    def field_matches(self, f) -> bool:
        if not self.tag(f.tag):
            return False
        if f.is_control_field():
            if self.ind1 is not None or self.ind2 is not None or self.code is not None:
                return False
            data = f.data or ""
            if self.value is not None and data.strip() != self.value:
                return False
            return self.pattern is None or self.pattern.search(data) is not None
        if self.ind1 is not None and f.indicator1 != self.ind1:
            return False
        if self.ind2 is not None and f.indicator2 != self.ind2:
            return False
        if self.code is None and self.value is None and self.pattern is None:
            return True
        return any(self.subfield_matches(sf) for sf in f.subfields)

    def subfield_matches(self, sf) -> bool:
        if self.code is not None and sf.code != self.code:
            return False
        if self.value is not None and sf.value.strip() != self.value:
            return False
        return self.pattern is None or self.pattern.search(sf.value) is not None

    def fields(self, rec: LibrisRecord) -> list[tuple[int, int, Any]]:
        """``(index in the record, occurrence, field)`` of the matching fields, in record order."""
        out = []
        seen: dict[str, int] = {}
        for i, f in enumerate(rec.marc.fields):
            occ = seen[f.tag] = seen.get(f.tag, 0) + 1
            if self.field_matches(f):
                out.append((i, occ, f))
        return out

    def needles(self) -> list[tuple[bytes, bool]]:
        out = []
        tag = _tag_needle(self.tag)
        if tag:
            out.append((tag, False))
        if self.value is not None:
            lit = _ascii_run(self.value, False)
            if lit:
                out.append((re.escape(lit), False))
        if self.pattern is not None:
            n = literal_needle(self.pattern)
            if n:
                out.append(n)
        return out


@dataclass
class When:
    """Conditions on the record (all must hold)."""

    states: tuple[tuple[str, bool], ...] = ()
    has: TagSpec | None = None
    lacks: TagSpec | None = None
    subfield: Select | None = None
    no_subfield: Select | None = None
    kind: str = "bib"

    def holds(self, rec: LibrisRecord, ctx: EditContext) -> bool:
        if self.kind != "any" and rec.kind != self.kind:
            return False
        if self.states:
            st = ctx.state()
            for name, want in self.states:
                have = rec.kind == "holdings" if name == "holdings" else bool(getattr(st, name))
                if have != want:
                    return False
        tags = [f.tag for f in rec.marc.fields]
        if self.has is not None and not any(self.has(t) for t in tags):
            return False
        if self.lacks is not None and any(self.lacks(t) for t in tags):
            return False
        if self.subfield is not None and not self.subfield.fields(rec):
            return False
        return self.no_subfield is None or not self.no_subfield.fields(rec)

    def needles(self) -> list[tuple[bytes, bool]]:
        out: list[tuple[bytes, bool]] = []
        for name, want in self.states:
            if not want:
                continue
            if name == "suppressed":  # 599 $a SUPPRESSRECORD
                out += [(b"599", False), (b"record", True)]
            elif name == "restricted":  # 506 $a restricted
                out += [(b"506", False), (b"cted", True)]
            elif name == "channel":  # 245 $h [channel record]
                out += [(b"245", False), (b"channel record", True)]
        if self.has is not None:
            n = _tag_needle(self.has)
            if n:
                out.append((n, False))
        if self.subfield is not None:
            out += self.subfield.needles()
        return out


def _tag_needle(tags: TagSpec) -> bytes | None:
    """A bytes pattern that every record with such a tag has (its directory holds the tag)."""
    if tags.every:
        return None
    parts = []
    for p in tags.text.split(","):
        p = p.strip()
        parts.append(re.escape(p.encode("ascii")).replace(b"X", b"[0-9]").replace(b"x", b"[0-9]"))
    return b"|".join(parts)


def _ascii_run(text: str, ignore_case: bool) -> bytes | None:
    """The longest piece of ``text`` that stands as these very bytes in any record holding
    ``text`` (ASCII; with case ignored also no letter that a non-ASCII one matches), if it has
    at least three characters; lowered when case is ignored."""
    best = ""
    run = ""
    for ch in text:
        ok = ch.isascii() and ch not in "\x1b\x1d\x1e\x1f" and not (ignore_case and ch in _CASE_TWINS)
        if ok:
            run += ch
            if len(run) > len(best):
                best = run
        else:
            run = ""
    if len(best) < 3:
        return None
    return (best.lower() if ignore_case else best).encode("ascii")


def literal_needle(rx: re.Pattern[str]) -> tuple[bytes, bool] | None:
    """Text that every string ``rx`` finds something in contains: the longest run of plain
    characters the pattern requires, as a bytes pattern, with whether to look in lowered bytes.
    None when there is no such run (then the pattern does not narrow the records)."""
    try:
        from re import _constants as C  # type: ignore[attr-defined]
        from re import _parser as P  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older layouts
        return None
    try:
        parsed = P.parse(rx.pattern, rx.flags & ~re.UNICODE)
    except Exception:
        return None
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    runs: list[str] = []

    def walk(items) -> None:
        run = ""
        for op, arg in items:
            if op is C.LITERAL:
                run += chr(arg)
                continue
            if op is C.SUBPATTERN and not arg[1] and not arg[2]:  # a plain group: its sequence goes on
                runs.append(run)
                walk(arg[3])
                run = ""
                continue
            runs.append(run)
            run = ""
        runs.append(run)

    if any(op is C.BRANCH for op, _ in parsed):
        return None
    walk(parsed)
    best: bytes | None = None
    for r in runs:
        b = _ascii_run(r, ignore_case)
        if b and (best is None or len(b) > len(best)):
            best = b
    return (re.escape(best), ignore_case) if best else None


# -- operations ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one operation did to one record."""

    changed: bool = False
    refused: Counter[str] = field(default_factory=Counter)
    #: the commands applied (oldest first), for the diff's causes
    commands: list[EditCommand] = field(default_factory=list)
    #: a refusal to show (the first)
    refusal: Refusal | None = None


def _run_group(cmds: list[EditCommand], ctx: EditContext, out: Outcome) -> bool:
    """Check and apply ``cmds`` as one change: all or, at the first refusal, none (counted)."""
    done: list[EditCommand] = []
    for cmd in cmds:
        r = cmd.check(ctx)
        if r is not None:
            for c in reversed(done):
                c.undo(ctx)
            out.refused[r.rule] += 1
            out.refusal = out.refusal or r
            return False
        cmd.apply(ctx)
        done.append(cmd)
    changed = any(c.changed for c in done)
    if changed:
        out.changed = True
        out.commands.extend(c for c in done if c.changed)
    return changed


@dataclass
class Operation:
    """One ``[[operation]]`` of a task list (see the module's text)."""

    action: str
    number: int
    line: int | None
    params: dict
    select: Select | None
    when: When
    name: str = ""

    @property
    def sel(self) -> Select:
        """The field selection (every action that works on fields has one)."""
        assert self.select is not None, self.action
        return self.select

    def label(self) -> str:
        return f"operation {self.number} ({self.name or self.action})"

    # -- on a parsed record ------------------------------------------------------------------
    def run(self, rec: LibrisRecord, ctx: EditContext) -> Outcome:
        out = Outcome()
        if not self.when.holds(rec, ctx):
            return out
        getattr(self, "_" + self.action.replace("-", "_"))(rec, ctx, out)
        return out

    def _add_field(self, rec, ctx, out):
        p = self.params
        tag = p["tag"]
        cmd = AddField(tag, [p.get("ind1", " "), p.get("ind2", " ")], p.get("subfields", []), p.get("data"))
        new = (tag, cmd.indicators, [tuple(s) for s in cmd.subfields], cmd.data)
        for f in rec.marc.get_fields(tag):  # already there: nothing to add
            if f.is_control_field():
                if (f.tag, cmd.indicators, [], f.data) == new:
                    return
            elif (f.tag, [f.indicator1, f.indicator2], [(s.code, s.value) for s in f.subfields], None) == new:
                return
        _run_group([cmd], ctx, out)

    def _delete_field(self, rec, ctx, out):
        for _, occ, f in reversed(self.sel.fields(rec)):
            _run_group([DeleteField(f.tag, occ)], ctx, out)

    def _replace_field(self, rec, ctx, out):
        p = self.params
        for i, occ, f in reversed(self.sel.fields(rec)):
            tag = p.get("new-tag", f.tag)
            if tag < "010" and tag.isdigit():
                add = AddField(tag, data=p.get("data", f.data if f.is_control_field() else None), index=i)
            else:
                subs = p.get("subfields") or [(s.code, s.value) for s in getattr(f, "subfields", [])]
                inds = [
                    p.get("new-ind1", getattr(f, "indicator1", " ")),
                    p.get("new-ind2", getattr(f, "indicator2", " ")),
                ]
                add = AddField(tag, inds, subs, index=i)
            _run_group([DeleteField(f.tag, occ), add], ctx, out)

    def _add_subfield(self, rec, ctx, out):
        p = self.params
        code, value = p["new-code"], p["new-value"]
        for _, occ, f in self.sel.fields(rec):
            if f.is_control_field() or any(s.code == code and s.value == value for s in f.subfields):
                continue
            at = 0 if p.get("position") == "start" else None
            _run_group([AddSubfield(f.tag, occ, code, value, at)], ctx, out)

    def _delete_subfield(self, rec, ctx, out):
        sel = self.sel
        for _, occ, f in reversed(sel.fields(rec)):
            if f.is_control_field():
                continue
            for j in reversed(range(len(f.subfields))):
                if sel.subfield_matches(f.subfields[j]):
                    _run_group([DeleteSubfield(f.tag, occ, j)], ctx, out)

    def _replace_subfield(self, rec, ctx, out):
        p = self.params
        sel = self.sel
        if sel.ind1 is not None or sel.ind2 is not None:  # only fields with those indicators
            for _, occ, f in sel.fields(rec):
                self._find_replace(ctx, out, f.tag, occ)
        else:
            self._find_replace(ctx, out, p["tag"], None)

    def _find_replace(self, ctx, out, tag, occurrence):
        p = self.params
        cmd = FindReplace(
            p["pattern"],
            p["replacement"],
            tag=tag,
            code=p.get("code"),
            flags=p.get("flags", ""),
            count=p.get("count", 0),
            occurrence=occurrence,
        )
        r = cmd.check(ctx)
        out.refused.update(cmd.skipped)
        if r is not None:
            if not cmd.skipped:
                out.refused[r.rule] += 1
            out.refusal = out.refusal or r
            return
        cmd.apply(ctx)
        if cmd.changed:
            out.changed = True
            out.commands.append(cmd)

    def _set_indicator(self, rec, ctx, out):
        p = self.params
        for _, occ, f in self.sel.fields(rec):
            if not f.is_control_field():
                _run_group([SetIndicator(f.tag, occ, int(p["position"]), p["new-value"])], ctx, out)

    def _uri_move(self, rec, ctx, out):
        cmd = MoveRestrictedUris()
        if cmd.targets(ctx):
            _run_group([cmd], ctx, out)

    def _hold_add(self, rec, ctx, out):
        _run_group([AddHolding(self.params.get("sigel") or ctx.sigel)], ctx, out)

    def _sup_clear(self, rec, ctx, out):
        if ctx.state().suppressed:
            _run_group([ClearSuppress()], ctx, out)

    # -- on raw bytes ------------------------------------------------------------------------
    def needles(self) -> list[tuple[bytes, bool]] | None:
        """Bytes patterns (with: look in lowered bytes) that all stand in any record this
        operation may act on; an empty list when it may act on any record."""
        out = list(self.when.needles())
        a = self.action
        if a == "uri-move":
            out += [(b"856", False), (b"506", False), (b"cted", True)]  # 506 $a restricted, 856
        elif a == "sup-clear":
            out += [(b"599", False), (b"record", True)]
        elif a == "replace-subfield":
            out += self.select.needles() if self.select else []
            n = literal_needle(compile_pattern(self.params["pattern"], self.params.get("flags", "")))
            if n:
                out.append(n)
        elif a not in ("add-field", "hold-add") and self.select is not None:
            out += self.select.needles()
        return out


@dataclass
class TaskList:
    path: str
    operations: list[Operation]
    sigel: str | None = None

    def run(self, rec: LibrisRecord, ctx: EditContext) -> list[Outcome]:
        """Every operation on ``rec``, in order (each sees what the ones before it did)."""
        return [op.run(rec, ctx) for op in self.operations]

    def needles(self) -> list[list[tuple[bytes, bool]]]:
        return [op.needles() or [] for op in self.operations]


# -- reading a task file ---------------------------------------------------------------------------


def _lines_of_operations(text: str) -> list[int]:
    return [i for i, ln in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*operation\s*\]\]", ln)]


def _key_line(text: str, start: int | None, end: int | None, key: str) -> int | None:
    if start is None:
        return None
    lines = text.splitlines()
    stop = end - 1 if end else len(lines)
    for i in range(start, stop):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", lines[i]):
            return i + 1
    return start


def load_tasks(path: str | Path) -> TaskList:
    """Read a task file; ``TaskFileError`` (file, line, what is wrong) when it cannot be used."""
    p = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TaskFileError(p, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TaskFileError(p, line, "is not UTF-8 text") from None
    return parse_tasks(text, p)


def parse_tasks(text: str, path: str = "<tasks>") -> TaskList:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg) if m else msg
        where = f" (column {m.group(2)})" if m else ""
        raise TaskFileError(path, line, f"not valid TOML: {msg}{where}") from None
    heads = _lines_of_operations(text)
    extra = set(doc) - {"operation", "sigel", "description"}
    if extra:
        key = sorted(extra)[0]
        raise TaskFileError(
            path,
            _key_line(text, 0, heads[0] if heads else None, key),
            _unknown(key, ["operation", "sigel", "description"], "top-level key"),
        )
    ops_doc = doc.get("operation")
    if not ops_doc:
        raise TaskFileError(path, None, "no operations: add [[operation]] tables (see docs/tasks.md)")
    if not isinstance(ops_doc, list):
        raise TaskFileError(path, _key_line(text, 0, None, "operation"), "'operation' must be [[operation]] tables")
    sigel = doc.get("sigel")
    if sigel is not None and (not isinstance(sigel, str) or not sigel.strip()):
        raise TaskFileError(
            path,
            _key_line(text, 0, heads[0] if heads else None, "sigel"),
            "'sigel' must be a library code such as \"Li\"",
        )
    ops = []
    for k, d in enumerate(ops_doc):
        start = heads[k] if k < len(heads) else None
        end = heads[k + 1] if k + 1 < len(heads) else None
        ops.append(_operation(d, k + 1, path, text, start, end))
    return TaskList(path, ops, sigel.strip() if isinstance(sigel, str) else None)


def _unknown(key: str, known, what: str = "key") -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"unknown {what} {key!r}" + (f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}")


def _operation(d: dict, number: int, path: str, text: str, start, end) -> Operation:
    def fail(msg: str, key: str | None = None) -> NoReturn:
        line = _key_line(text, start, end, key) if key else start
        raise TaskFileError(path, line, f"operation {number}: {msg}")

    if not isinstance(d, dict):
        fail("must be a table")
    action = d.get("action")
    if action is None or not isinstance(action, str):
        fail("'action' is missing (one of " + ", ".join(ACTIONS) + ")")
    if action not in ACTIONS:
        fail(_unknown(str(action), ACTIONS, "action"), "action")
    allowed = set(_KEYS[action]) | {"action", "when", "name"}
    for key in d:
        if key not in allowed:
            fail(f"{action}: " + _unknown(key, sorted(allowed)), key)
    for key in _REQUIRED.get(action, ()):
        if key not in d:
            fail(f"{action} needs '{key}'")
    for key, v in d.items():
        if key in ("when", "subfields", "count", "position") or v is None:
            continue
        if not isinstance(v, str):
            fail(f"'{key}' must be a string (in quotes)", key)
    try:
        select = _select(d, action) if action not in ("uri-move", "hold-add", "sup-clear", "add-field") else None
    except ValueError as exc:
        fail(str(exc.args[0]), str(exc.args[1]) if len(exc.args) > 1 else None)
    if action in ("add-field", "replace-field"):
        _check_new_field(d, action, fail)
    if action == "replace-subfield":
        try:
            rx = compile_pattern(d["pattern"], d.get("flags", ""))
        except re.error as exc:
            fail(f"'pattern' is not a valid regular expression: {exc}", "pattern")
        problem = replacement_problem(rx, d["replacement"])
        if problem:
            fail(f"'replacement': {problem}", "replacement")
        count = d.get("count", 0)
        if not isinstance(count, int) or count < 0:
            fail("'count' must be a whole number (0: every match)", "count")
    if action == "add-subfield":
        if not re.fullmatch(r"[0-9a-z]", d["new-code"]):
            fail("'new-code' must be one digit or lowercase letter", "new-code")
        if d.get("position", "end") not in ("start", "end"):
            fail('\'position\' must be "start" or "end"', "position")
    if action == "set-indicator":
        if str(d["position"]) not in ("1", "2"):
            fail("'position' must be 1 or 2", "position")
        d["new-value"] = " " if d["new-value"] in _BLANKS else d["new-value"]
    if action in ("delete-subfield",) and select is not None and select.code is None:
        fail("delete-subfield needs 'code'", "code")
    if action == "hold-add" and "sigel" in d and not str(d["sigel"]).strip():
        fail("'sigel' is empty", "sigel")
    when = _when(d.get("when"), number, fail)
    return Operation(action, number, start, dict(d), select, when, str(d.get("name", "")))


def _check_new_field(d: dict, action: str, fail: Callable[..., NoReturn]) -> None:
    tag = str(d.get("new-tag", d.get("tag")) if action == "replace-field" else d.get("tag") or "")
    if action == "add-field" and not re.fullmatch(r"[0-9A-Za-z]{3}", tag or ""):
        fail("'tag' of add-field must be one tag (three digits or letters)", "tag")
    if "new-tag" in d and not re.fullmatch(r"[0-9A-Za-z]{3}", d["new-tag"]):
        fail("'new-tag' must be one tag", "new-tag")
    control = bool(tag) and tag < "010" and tag.isdigit()
    subs = d.get("subfields")
    if control:
        if action == "add-field" and "data" not in d:
            fail(f"{tag} is a control field: give its 'data', not subfields", "tag")
        if subs:
            fail(f"{tag} is a control field: it has no subfields", "subfields")
        return
    if "data" in d:
        fail(f"'data' is for control fields (001-009); {tag} takes 'subfields'", "data")
    if action == "add-field" and not subs:
        fail('add-field needs \'subfields\', e.g. subfields = [["a", "text"]]', "tag")
    if subs is not None:
        if isinstance(subs, str):
            subs = _subfield_string(subs)
            if subs is None:
                fail("'subfields' as text must read like \"$a text $b more\"", "subfields")
            d["subfields"] = subs
        if (
            subs is None
            or not isinstance(subs, list)
            or not all(isinstance(s, list) and len(s) == 2 and all(isinstance(x, str) for x in s) for s in subs)
        ):
            fail('\'subfields\' must be a list of [code, value] pairs, e.g. [["a", "text"]]', "subfields")
        for c, v in subs:
            if not re.fullmatch(r"[0-9a-z]", c):
                fail(f"subfield code {c!r} is not one digit or lowercase letter", "subfields")
            if not v.strip():
                fail(f"subfield ${c} has no value", "subfields")
    for key in ("ind1", "ind2", "new-ind1", "new-ind2"):
        if key in d and _indicator(d[key]) is not None and not re.fullmatch(r"[0-9a-z ]", _indicator(d[key]) or ""):
            fail(f"'{key}' must be blank, a digit or a lowercase letter", key)


def _subfield_string(text: str) -> list[list[str]] | None:
    parts = re.split(r"\$([0-9a-z])", text)
    if parts[0].strip() or len(parts) < 3:
        return None
    return [[parts[i], parts[i + 1].strip()] for i in range(1, len(parts), 2)]


def _select(d: dict, action: str) -> Select:
    tag = d.get("tag")
    problem = TagSpec.problem(tag)
    if problem:
        raise ValueError(f"'tag': {problem}", "tag")
    code = d.get("code")
    if code in ("", "*"):
        code = None
    if code is not None and not re.fullmatch(r"[0-9a-z]", code):
        raise ValueError(f"'code' {code!r} is not one digit or lowercase letter", "code")
    for key in ("ind1", "ind2"):
        v = _indicator(d.get(key))
        if v is not None and not re.fullmatch(r"[0-9a-z ]", v):
            raise ValueError(f"'{key}' must be blank, a digit, a lowercase letter or *", key)
    pattern = None
    if action != "replace-subfield" and d.get("pattern") is not None:
        try:
            pattern = compile_pattern(d["pattern"], d.get("flags", ""))
        except re.error as exc:
            raise ValueError(f"'pattern' is not a valid regular expression: {exc}", "pattern") from None
    if d.get("value") is not None and pattern is not None:
        raise ValueError("give 'value' or 'pattern', not both", "value")
    value = d.get("value")
    return Select(
        TagSpec(tag),
        _indicator(d.get("ind1")),
        _indicator(d.get("ind2")),
        code,
        value.strip() if isinstance(value, str) else None,
        pattern,
    )


def _when(w, number: int, fail: Callable[..., NoReturn]) -> When:
    if w is None:
        return When()
    if not isinstance(w, dict):
        fail("'when' must be a table ([operation.when] or when = { ... })", "when")
    for key in w:
        if key not in _WHEN_KEYS:
            fail("when: " + _unknown(key, _WHEN_KEYS), key)
    states = w.get("state", [])
    if isinstance(states, str):
        states = [states]
    parsed = []
    for s in states:
        if not isinstance(s, str):
            fail("when.state must be a name or a list of names", "state")
        want = not s.startswith("not-")
        name = s[4:] if not want else s
        if name not in STATES:
            fail("when.state: " + _unknown(s, [*STATES, *(f"not-{x}" for x in STATES)], "state"), "state")
        parsed.append((name, want))
    kind = w.get("kind", "bib")
    if kind not in KINDS:
        fail("when.kind: " + _unknown(str(kind), KINDS, "kind"), "kind")
    out = When(tuple(parsed), kind=kind)
    for key in ("has", "lacks"):
        if key in w:
            problem = TagSpec.problem(w[key]) if isinstance(w[key], str) else "a tag in quotes"
            if problem:
                fail(f"when.{key}: {problem}", key)
            setattr(out, key, TagSpec(w[key]))
    for key, attr in (("subfield", "subfield"), ("no-subfield", "no_subfield")):
        if key in w:
            sd = w[key]
            if not isinstance(sd, dict) or "tag" not in sd:
                fail(
                    f'when.{key} must be a table with at least \'tag\', e.g. {{ tag = "042", code = "9", value = "EPLK" }}',
                    key,
                )
            for k in sd:
                if k not in _SUBFIELD_KEYS:
                    fail(f"when.{key}: " + _unknown(k, _SUBFIELD_KEYS), key)
            try:
                setattr(out, attr, _select(sd, "when"))
            except ValueError as exc:
                fail(f"when.{key}: {exc.args[0]}", key)
    return out


__all__ = [
    "ACTIONS",
    "STATES",
    "TaskFileError",
    "TaskList",
    "Operation",
    "Outcome",
    "Select",
    "When",
    "load_tasks",
    "parse_tasks",
    "literal_needle",
]
