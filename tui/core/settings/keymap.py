"""Keymaps: TOML files of ``binding-id = "keys"``, merged in order and validated.

Binding ids are the contract between the code, the keymap files and the help screen (Posting,
Harlequin). A keymap is built in layers, each overriding the one before:

1. the shipped ``keymaps/default.toml`` (every id, found via ``tui.resources.keymaps_dir()``);
2. the shipped keymap of the chosen name (e.g. ``vim.toml``), when it is not ``default``;
3. the user's ``<config dir>/keymaps/<name>.toml``, when there is one.

Keys use Textual's syntax (``ctrl+s``, ``f2``, ``question_mark`` or ``?``, ``pagedown``),
comma-separated alternatives. A bad file or entry never stops the app: it becomes a
``KeymapProblem`` naming the file and line, and the layers below keep their keys.

Keys must survive SSH and tmux: ``ctrl+b`` is tmux's prefix, ``ctrl+a`` screen's,
``ctrl+s``/``ctrl+q`` are XON/XOFF flow control on terminals that still have it on, and
``super+``/``hyper+``, ``ctrl+shift+`` or ``ctrl+<digit>``/``ctrl+enter`` need the kitty keyboard
protocol. Such keys are reported (``warning``); the shipped keymaps use none of them alone.

Textual-free: the UI turns the result into ``App.set_keymap``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui import resources
from tui.core.settings.config import config_dir

Severity = Literal["error", "warning"]

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")

_NAMED_KEYS = {
    "escape",
    "enter",
    "return",
    "tab",
    "space",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "pageup",
    "pagedown",
    "up",
    "down",
    "left",
    "right",
    *(f"f{n}" for n in range(1, 25)),
}
# Textual's names for the printable ASCII punctuation (unicodedata name, lower case, spaces and
# hyphens as underscores, with Textual's replacements).
_REPLACEMENTS = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def _char_name(c: str) -> str:
    name = unicodedata.name(c).lower().replace("-", "_").replace(" ", "_")
    return _REPLACEMENTS.get(name, name)


_CHAR_NAMES = {_char_name(c) for c in map(chr, range(0x21, 0x7F)) if not c.isalnum()}

#: keys that never arrive, or do something else, over SSH/tmux: always reported
RISKY_KEYS = {
    "ctrl+b": "ctrl+b is tmux's prefix key: tmux never passes it on",
    "ctrl+a": "ctrl+a is GNU screen's prefix key",
}
#: keys that work once the app has the terminal (raw mode) but not everywhere: reported only
#: when the binding has no other key
NEEDS_ALTERNATIVE = {
    "ctrl+s": "ctrl+s is XOFF (flow control) where the terminal still has it on",
    "ctrl+q": "ctrl+q is XON (flow control) where the terminal still has it on",
    "ctrl+z": "ctrl+z is job control (suspend) in some set-ups",
    "ctrl+c": "ctrl+c is the interrupt key in some set-ups",
    "ctrl+backslash": "ctrl+\\ is SIGQUIT in some set-ups",
}


@dataclass(frozen=True)
class KeymapProblem:
    path: str
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.message}"


@dataclass
class Keymap:
    name: str
    #: binding id -> comma-separated keys (the layers merged)
    bindings: dict[str, str] = field(default_factory=dict)
    problems: list[KeymapProblem] = field(default_factory=list)
    #: the files read, in order
    files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[KeymapProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def keys(self, binding_id: str) -> list[str]:
        return [k.strip() for k in self.bindings.get(binding_id, "").split(",") if k.strip()]


def user_keymaps_dir() -> Path:
    return config_dir() / "keymaps"


def available_keymaps() -> list[str]:
    names = {p.stem for p in resources.keymaps_dir().glob("*.toml")}
    try:
        names |= {p.stem for p in user_keymaps_dir().glob("*.toml")}
    except OSError:
        pass
    return sorted(names)


def key_problem(key: str) -> tuple[Severity, str] | None:
    """Why a single key (no commas) is not acceptable (error) or risky (warning); None if fine."""
    if not key:
        return "error", "an empty key"
    if key != key.strip() or " " in key:
        return "error", f"{key!r}: keys have no spaces (use 'space' for the space bar)"
    if len(key) == 1:
        return None if key.isprintable() else ("error", f"{key!r} is not a key")
    parts = key.split("+")
    *mods, base = parts
    if not base:  # "ctrl++"
        return "error", f"{key!r}: write 'plus' for the + key"
    for m in mods:
        if m not in MODIFIERS:
            return "error", f"{key!r}: unknown modifier {m!r} (known: {', '.join(MODIFIERS)})"
    if len(set(mods)) != len(mods):
        return "error", f"{key!r}: a modifier is repeated"
    if not (len(base) == 1 and base.isprintable()) and base not in _NAMED_KEYS and base not in _CHAR_NAMES:
        return "error", f"{key!r}: unknown key {base!r}"
    if key in RISKY_KEYS:
        return "warning", RISKY_KEYS[key]
    if "super" in mods or "hyper" in mods:
        return "warning", f"{key!r} needs the kitty keyboard protocol; it will not arrive over most SSH/tmux set-ups"
    if "ctrl" in mods and "shift" in mods:
        return "warning", f"{key!r}: ctrl+shift combinations need the kitty keyboard protocol"
    if "ctrl" in mods and (base.isdigit() or base in ("enter", "tab", "backspace", "escape", "space")):
        return "warning", f"{key!r} cannot be told apart from the plain key on most terminals"
    return None


def _line_of(text: str, key: str) -> int | None:
    pat = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for n, line in enumerate(text.splitlines(), 1):
        if pat.match(line):
            return n
    return None


_TOML_LINE = re.compile(r"at line (\d+)")


def parse_keymap_file(path: Path, known_ids: Iterable[str] | None = None) -> tuple[dict[str, str], list[KeymapProblem]]:
    """Read one keymap file. Returns the acceptable entries and the problems found."""
    known = set(known_ids) if known_ids is not None else None
    problems: list[KeymapProblem] = []
    p = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [KeymapProblem(p, None, f"cannot read: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        return {}, [
            KeymapProblem(p, int(m.group(1)) if m else None, f"not valid TOML ({exc}); the whole file is ignored")
        ]
    out: dict[str, str] = {}
    for binding_id, value in data.items():
        line = _line_of(text, binding_id)
        if isinstance(value, dict):
            problems.append(
                KeymapProblem(
                    p,
                    line,
                    f"[{binding_id}]: tables are not used; write 'binding-id = \"keys\"' lines at the top level",
                )
            )
            continue
        if known is not None and binding_id not in known:
            close = _closest(binding_id, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            problems.append(KeymapProblem(p, line, f"unknown binding id {binding_id!r}{hint}"))
            continue
        if not isinstance(value, str):
            problems.append(KeymapProblem(p, line, f'{binding_id}: the keys must be a string, like "ctrl+s,f2"'))
            continue
        keys = [k.strip() for k in value.split(",")]
        good: list[str] = []
        if all(k in NEEDS_ALTERNATIVE for k in keys):
            problems.append(
                KeymapProblem(
                    p, line, f"{binding_id}: {NEEDS_ALTERNATIVE[keys[0]]}: add a plain alternative key", "warning"
                )
            )
        for k in keys:
            prob = key_problem(k)
            if prob is None:
                good.append(k)
                continue
            severity, msg = prob
            problems.append(KeymapProblem(p, line, f"{binding_id}: {msg}", severity))
            if severity == "warning":
                good.append(k)
        if not good:
            problems.append(KeymapProblem(p, line, f"{binding_id}: no usable key; keeping the previous keys"))
            continue
        out[binding_id] = ",".join(good)
    return out, problems


def _closest(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return m[0] if m else None


def _normal(key: str) -> str:
    return _char_name(key) if len(key) == 1 and not key.isalnum() else key


def clashes(
    bindings: Mapping[str, str],
    groups: Mapping[str, str] | None = None,
    lines: Mapping[str, tuple[str, int | None]] | None = None,
) -> list[KeymapProblem]:
    """Two ids of the same group on the same key (the key would only do one of them)."""
    groups = groups or {}
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for binding_id, value in bindings.items():
        group = groups.get(binding_id, "global")
        for key in (k.strip() for k in value.split(",")):
            nk = (group, _normal(key))
            other = seen.get(nk)
            if other is not None and other != binding_id:
                path, line = (lines or {}).get(binding_id, ("keymap", None))
                problems.append(
                    KeymapProblem(
                        path, line, f"{binding_id}: {key!r} is also the key of {other!r}; only one of them can have it"
                    )
                )
            else:
                seen[nk] = binding_id
    return problems


def load_keymap(
    name: str = "default",
    known_ids: Iterable[str] | None = None,
    groups: Mapping[str, str] | None = None,
    user_dir: Path | None = None,
    shipped_dir: Path | None = None,
) -> Keymap:
    """Build the keymap ``name`` from its layers (module docstring). Never raises."""
    known = list(known_ids) if known_ids is not None else None
    shipped = shipped_dir or resources.keymaps_dir()
    user = user_dir if user_dir is not None else user_keymaps_dir()
    km = Keymap(name=name)
    layers: list[Path] = [shipped / "default.toml"]
    if name != "default" and (shipped / f"{name}.toml").is_file():
        layers.append(shipped / f"{name}.toml")
    user_file = user / f"{name}.toml"
    try:
        if user_file.is_file():
            layers.append(user_file)
    except OSError:
        pass
    if len(layers) == 1 and name != "default":
        km.problems.append(
            KeymapProblem(
                str(user_file),
                None,
                f"no keymap named {name!r} (looked in {shipped} and {user}); using the default keymap",
            )
        )
        km.name = "default"
    origin: dict[str, tuple[str, int | None]] = {}
    for path in layers:
        if not path.is_file():
            km.problems.append(KeymapProblem(str(path), None, "missing"))
            continue
        entries, problems = parse_keymap_file(path, known)
        km.problems.extend(problems)
        km.files.append(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        for binding_id, keys in entries.items():
            km.bindings[binding_id] = keys
            origin[binding_id] = (str(path), _line_of(text, binding_id))
    km.problems.extend(clashes(km.bindings, groups, origin))
    return km
