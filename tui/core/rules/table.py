"""The rule table (``tui/data/rules.toml``): every rule's id, kind, severity, scope and sentence,
and every sentence the program says under a rule, in English and Swedish.

Everything that speaks of a rule goes through here, so a sentence is written once, in the table:

* ``rule(id)`` -> ``Rule`` (id, kind, severity, scope, ``en`` / ``sv`` sentences, Swedish label);
* ``say(id, key, **fields)`` -> one of the rule's sentences with its fields filled in, in the
  language chosen with ``set_language`` (English by default). ``key`` may name another rule's
  sentence as ``"OTHER-ID.key"`` (an edit refused for a reason the validator states too);
* ``severity(id, key)`` and ``reports(id, key)``: the severity of such a finding and whether it
  goes to Katalogsupport;
* ``Refusal.of(id, key, **fields)``: why an edit may not be done;
* ``phrase(name, **fields)``: a piece several sentences share (``record 3``, ``holding for Li:``);
* ``markdown_table(...)``: the rules as a Markdown table, for the README and ``docs/rules.md``.

The table is loaded once. ``use(path)`` swaps it for another file for a while (tests show with it
that the app, the command line and the docs follow a sentence changed in the table).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "sv")
SEVERITIES = ("error", "warning", "info")
SCOPES = ("record", "field", "file", "edit", "read")

#: a kind's severity and scope unless the rule says otherwise
_KIND_DEFAULTS = {
    "rule": ("error", "record"),
    "profile": ("error", "edit"),
    "edit": ("error", "edit"),
    "structure": ("error", "field"),
    "read": ("warning", "read"),
}

#: the order in which the docs list the kinds (others after these, by name)
KIND_ORDER = ("rule", "profile", "structure", "content", "libris", "read", "edit")


@dataclass(frozen=True)
class Sentence:
    """One sentence the program says under a rule: templates by language, and for findings
    the severity (None: the rule's) and whether it is reported to Katalogsupport."""

    text: Mapping[str, str]
    severity: str | None = None
    report: bool = False
    #: the template uses ``{n:one|many}``: formatted by ``_FORMATTER`` (else by ``str.format_map``)
    plural: bool = False

    def fields(self, lang: str = "en") -> set[str]:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(self.text[lang]) if name}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    en: str
    sv: str = ""
    label_sv: str = ""
    severity: str = "error"
    scope: str = "record"
    #: what the program does about it (the README's table), where that says more than ``en``
    does: str = ""
    says: Mapping[str, Sentence] = dc_field(default_factory=dict, hash=False, compare=False)

    def sentence(self, lang: str | None = None) -> str:
        """The rule itself, in ``lang`` (the chosen language by default; English where there is
        no Swedish)."""
        lang = lang or _LANG
        return (self.sv if lang == "sv" else "") or self.en

    def describe(self) -> str:
        return f"{self.id}: {self.sentence()}"


@dataclass(frozen=True)
class ProtectGroup:
    """One group of fields that stays unchanged in an e-plikt record (EPL-PROTECT)."""

    rule: str
    tags: frozenset[str]
    what: str
    label_sv: str
    labels: dict = dc_field(default_factory=dict, hash=False, compare=False)
    exceptions: tuple[str, ...] = ()
    what_sv: str = ""

    def label_for(self, tag: str, field: Any = None) -> str:
        if field is not None and not field.is_control_field():
            by_ind = self.labels.get(f"ind2={field.indicator2}")
            if by_ind:
                return by_ind
        return self.labels.get(tag, self.label_sv)

    def what_in(self, lang: str | None = None) -> str:
        return (self.what_sv if (lang or _LANG) == "sv" else "") or self.what


@dataclass(frozen=True)
class Table:
    path: str
    rules: Mapping[str, Rule]
    protect: tuple[ProtectGroup, ...]
    labels: Mapping[str, str]
    access: Mapping[str, Any]
    holdings: Mapping[str, Any]
    #: phrase name -> language -> template
    phrases: Mapping[str, Mapping[str, str]]
    #: language -> the phrases without fields, by their template names (``report_it``)
    shared: Mapping[str, Mapping[str, str]]


class _Formatter(string.Formatter):
    """``str.format`` with one addition: ``{n:one|many}`` gives ``one`` when n is 1, else ``many``."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if value == 1 else many
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


class _Fields(dict):
    """A template's fields, with the shared phrases of its language behind them."""

    __slots__ = ("shared",)

    def __init__(self, fields: Mapping[str, Any], shared: Mapping[str, str]):
        super().__init__(fields)
        self.shared = shared

    def __missing__(self, key: str) -> str:
        return self.shared[key]


def _expand(spec: str) -> list[str]:
    if "-" in spec:
        lo, hi = spec.split("-", 1)
        return [f"{n:03d}" for n in range(int(lo), int(hi) + 1)]
    return [spec]


def _sentence(where: str, key: str, d: Any) -> Sentence:
    if not isinstance(d, dict) or not isinstance(d.get("en"), str):
        raise ValueError(f"{where}: sentence {key!r} needs an English template (`{key}.en`)")
    text = {lang: d[lang] for lang in LANGUAGES if isinstance(d.get(lang), str)}
    sev = d.get("severity")
    if sev is not None and sev not in SEVERITIES:
        raise ValueError(f"{where}: sentence {key!r} has severity {sev!r}, not one of {', '.join(SEVERITIES)}")
    for lang, t in text.items():
        try:
            list(string.Formatter().parse(t))
        except ValueError as exc:
            raise ValueError(f"{where}: sentence {key!r} ({lang}) is not a valid template: {exc}") from None
    return Sentence(text, sev, bool(d.get("report", False)), any(_plural(t) for t in text.values()))


def _plural(template: str) -> bool:
    return any(spec and "|" in spec for _, _, spec, _ in string.Formatter().parse(template))


def load(path: str | Path | None = None) -> Table:
    """Read a rule table; a ValueError names the file and what is wrong in it."""
    from tui.resources import data_file

    p = str(path or data_file("rules.toml"))
    with open(p, "rb") as fh:
        data = tomllib.load(fh)
    rules: dict[str, Rule] = {}
    for rid, d in data.get("rule", {}).items():
        where = f"{p}: [rule.{rid}]"
        kind = d.get("kind")
        if not isinstance(kind, str) or not isinstance(d.get("en"), str):
            raise ValueError(f"{where} needs `kind` and `en`")
        sev_default, scope_default = _KIND_DEFAULTS.get(kind, ("error", "record"))
        sev = d.get("severity", sev_default)
        if sev not in SEVERITIES:
            raise ValueError(f"{where}: severity {sev!r} is not one of {', '.join(SEVERITIES)}")
        scope = d.get("scope", scope_default)
        if scope not in SCOPES:
            raise ValueError(f"{where}: scope {scope!r} is not one of {', '.join(SCOPES)}")
        says = {key: _sentence(where, key, s) for key, s in d.get("say", {}).items()}
        rules[rid] = Rule(
            rid, kind, d["en"], d.get("sv", ""), d.get("label_sv", ""), sev, scope, d.get("does", ""), says
        )
    groups = []
    for g in data.get("protect", []):
        if g["rule"] not in rules:
            raise ValueError(f"{p}: [[protect]] names unknown rule {g['rule']!r}")
        for ex in g.get("except", []):
            if ex not in rules:
                raise ValueError(f"{p}: [[protect]] except names unknown rule {ex!r}")
        tags = frozenset(t for spec in g["tags"] for t in _expand(spec))
        groups.append(
            ProtectGroup(
                g["rule"],
                tags,
                g["what"],
                g["label_sv"],
                dict(g.get("labels", {})),
                tuple(g.get("except", ())),
                g.get("what_sv", ""),
            )
        )
    phrases: dict[str, dict[str, str]] = {}
    for name, d in data.get("phrase", {}).items():
        phrases[name] = dict(_sentence(f"{p}: [phrase.{name}]", name, d).text)
    shared = {
        lang: {
            name.replace("-", "_"): (t.get(lang) or t["en"])
            for name, t in phrases.items()
            if not Sentence(t).fields("en")
        }
        for lang in LANGUAGES
    }
    return Table(
        p,
        rules,
        tuple(groups),
        dict(data.get("labels", {})),
        dict(data.get("access", {})),
        dict(data.get("holdings", {})),
        phrases,
        shared,
    )


_TABLE: Table = load()
_LANG = "en"


def current() -> Table:
    return _TABLE


@contextmanager
def use(path: str | Path) -> Iterator[Table]:
    """Speak from the table in ``path`` meanwhile (sentences and labels; the tag lists that the
    modules took at import stay)."""
    global _TABLE
    before = _TABLE
    _TABLE = load(path)
    try:
        yield _TABLE
    finally:
        _TABLE = before


def set_language(lang: str) -> None:
    """The language of what is said from now on: ``en`` (the default) or ``sv``."""
    global _LANG
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGUAGES)}")
    _LANG = lang


def language() -> str:
    return _LANG


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """``set_language(lang)`` for a while."""
    before = _LANG
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def rule(rule_id: str) -> Rule:
    return _TABLE.rules[rule_id]


def rules() -> Mapping[str, Rule]:
    return _TABLE.rules


def _resolve(rule_id: str, key: str) -> Sentence:
    if "." in key:
        rule_id, key = key.split(".", 1)
    try:
        return _TABLE.rules[rule_id].says[key]
    except KeyError:
        raise KeyError(f"the rule table has no sentence {key!r} under {rule_id}") from None


def sentence(rule_id: str, key: str) -> Sentence:
    return _resolve(rule_id, key)


def say(rule_id: str, key: str | None = None, /, *, lang: str | None = None, **fields: Any) -> str:
    """Sentence ``key`` of rule ``rule_id`` (the rule itself when ``key`` is None) in ``lang``
    (the chosen language by default), with ``fields`` filled in."""
    lang = lang or _LANG
    if key is None:
        return _TABLE.rules[rule_id].sentence(lang)
    s = _resolve(rule_id, key)
    template = s.text.get(lang) or s.text["en"]
    values = _Fields(fields, _TABLE.shared[lang])
    if s.plural:
        return _FORMATTER.vformat(template, (), values)
    return template.format_map(values)


def severity(rule_id: str, key: str | None = None) -> str:
    """The severity of a finding under ``rule_id`` saying sentence ``key``."""
    r = _TABLE.rules[rule_id]
    if key is None:
        return r.severity
    return _resolve(rule_id, key).severity or r.severity


def reports(rule_id: str, key: str) -> bool:
    """Does a finding saying this sentence go to Katalogsupport?"""
    return _resolve(rule_id, key).report


def phrase(name: str, /, *, lang: str | None = None, **fields: Any) -> str:
    t = _TABLE.phrases[name]
    template = t.get(lang or _LANG) or t["en"]
    values = _Fields(fields, _TABLE.shared[lang or _LANG])
    return _FORMATTER.vformat(template, (), values) if _plural(template) else template.format_map(values)


def phrases_in_all_languages(*names: str) -> list[str]:
    """The text of phrases ``names`` in every language (for recognising them in a message)."""
    out = []
    for name in names:
        for lang in LANGUAGES:
            t = _TABLE.phrases[name].get(lang)
            if t and t not in out:
                out.append(t)
    return out


# -- what is said under a rule -------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why an edit may not be done here: the rule id and a sentence for the cataloguer."""

    rule: str
    message: str

    @classmethod
    def of(cls, rule_id: str, key: str, /, **fields: Any) -> Refusal:
        return cls(rule_id, say(rule_id, key, **fields))

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})"


# -- docs ----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(kinds: tuple[str, ...] = ("rule", "profile"), *, lang: str = "en", full: bool = False) -> str:
    """The rules of ``kinds`` as a Markdown table: id and what the program does (the README), or
    with ``full`` id, kind, severity and the sentence in English and Swedish (``docs/rules.md``)."""
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    chosen = [r for r in _TABLE.rules.values() if not kinds or r.kind in kinds]
    chosen.sort(key=lambda r: (order.get(r.kind, len(order)), r.kind) if full else 0)
    if full:
        lines = ["| id | kind | severity | rule | in Swedish |", "|---|---|---|---|---|"]
        for r in chosen:
            lines.append(f"| {r.id} | {r.kind} | {r.severity} | {_cell(r.en)} | {_cell(r.sv)} |")
    else:
        lines = ["| id | what the program does |", "|---|---|"]
        for r in chosen:
            what = r.does if r.does and lang == "en" else r.sentence(lang)
            lines.append(f"| {r.id} | {_cell(what)} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "LANGUAGES",
    "SEVERITIES",
    "SCOPES",
    "Rule",
    "Sentence",
    "ProtectGroup",
    "Table",
    "Refusal",
    "load",
    "current",
    "use",
    "set_language",
    "language",
    "speaking",
    "rule",
    "rules",
    "sentence",
    "say",
    "severity",
    "reports",
    "phrase",
    "phrases_in_all_languages",
    "markdown_table",
]
