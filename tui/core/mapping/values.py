"""Values between MARC and JSON-LD: ISBD punctuation, URI templates, marcframe's date-time
patterns, reverse token maps, and reading JSON-LD values (lists, types, literals, by language)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

JSON = dict[str, Any]


def is_blank(c: str) -> bool:
    return c in (" ", "_", "#", "")


def strip_punct(value: str, raw: JSON) -> str:
    v = value
    surround = raw.get("surroundingChars")
    chars = raw.get("punctuationChars") or ""
    lead = raw.get("leadingPunctuation")
    trail = raw.get("trailingPunctuation")
    if chars or surround:
        v = v.strip()
        changed = True
        while changed and len(v) > 1:
            changed = False
            if v[-1] in chars:
                v = v[:-1].rstrip()
                changed = True
        if surround and len(surround) == 2:
            if v.startswith(surround[0]):
                v = v[1:]
            if surround[1] in v:
                v = v[: v.rindex(surround[1])] + v[v.rindex(surround[1]) + 1 :]
            v = v.strip()
            changed = True
            while changed and len(v) > 1:
                changed = False
                if v[-1] in chars:
                    v = v[:-1].rstrip()
                    changed = True
    if (
        isinstance(trail, str)
        and trail.strip()
        and v.rstrip().endswith(trail.strip())
        and len(v.strip()) > len(trail.strip())
    ):
        v = v.rstrip()[: -len(trail.strip())].rstrip()
    if isinstance(lead, str) and lead.strip() and v.lstrip().startswith(lead.strip()):
        v = v.lstrip()[len(lead.strip()) :].lstrip()
    return v


def expand_uri(template: str, token: str) -> str:
    if "{+_}" in template:
        return template.replace("{+_}", token)
    return template.replace("{_}", quote(token, safe=""))


def extract_token(template: str, uri: str) -> str | None:
    key = "{+_}" if "{+_}" in template else "{_}"
    if key not in template:
        return None
    pre, post = template.split(key, 1)
    if uri.startswith(pre) and uri.endswith(post) and len(uri) >= len(pre) + len(post):
        tok = uri[len(pre) : len(uri) - len(post) if post else None]
        return tok if key == "{+_}" else unquote(tok)
    return None


_JAVA_DT = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


def parse_datetime(value: str, pattern: str, tz: str | None) -> str | None:
    """marcframe's ``parseDateTime``: ``yyMMdd``, ``yyyyMMddHHmmss.S`` -> ISO date-time (Java style,
    with ``.0`` fraction), in the given zone (``CET``)."""
    fmt = pattern
    frac = ""
    if fmt.endswith(".S"):
        fmt = fmt[:-2]
        if "." in value:
            value, frac = value.split(".", 1)
    for j, p in _JAVA_DT:
        fmt = fmt.replace(j, p)
    try:
        dt = datetime.strptime(value.strip(), fmt)
    except ValueError:
        return None
    if "%y" in fmt and dt.year > datetime.now().year + 1:
        dt = dt.replace(year=dt.year - 100)
    try:
        dt = dt.replace(tzinfo=ZoneInfo(tz or "CET"))
    except Exception:  # pragma: no cover - tz database missing
        pass
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    off = dt.strftime("%z")
    off = f"{off[:3]}:{off[3:]}" if off else ""
    return f"{base}.{frac or '0'}{off}"


def format_datetime(value: str, pattern: str, tz: str | None) -> str | None:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(.*)$", value or "")
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, rest = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    if rest and hh is not None:
        try:
            src = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if src.tzinfo is not None:
                dt = src.astimezone(ZoneInfo(tz or "CET")).replace(tzinfo=None)
                frac = frac or "0"
        except ValueError:
            pass
    fmt = pattern
    suffix = ""
    if fmt.endswith(".S"):
        fmt = fmt[:-2]
        suffix = "." + ((frac or "0")[:1])
    for j, p in _JAVA_DT:
        fmt = fmt.replace(j, p)
    return dt.strftime(fmt) + suffix


def reverse_tokenmap(tm: dict, token: Any, overrides: Any = None) -> str | None:
    if isinstance(overrides, dict) and token in overrides:
        code = overrides[token]
        return None if code in ("|", None) else code
    found = None
    for code, tok in tm.items():
        if tok == token and tok is not None:
            found = code  # the last code for a token wins, as when marcframe inverts the map
    return None if found is None else " " if found == "_" else found


def as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def types_of(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    return [t for t in as_list(node.get("@type")) if isinstance(t, str)]


def literal(v: Any) -> str | None:
    """A MARC value for a JSON-LD value: strings, numbers, booleans, ``{"@value": ...}``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and "@value" in v:
        return literal(v["@value"])
    return None


def by_lang(node: dict, prop: str, lang: str = "sv") -> str | None:
    d = node.get(f"{prop}ByLang")
    if isinstance(d, dict) and d:
        v = d.get(lang) or d.get("sv") or d.get("en") or next(iter(d.values()))
        v = v[0] if isinstance(v, list) and v else v
        return v if isinstance(v, str) else None
    return None
