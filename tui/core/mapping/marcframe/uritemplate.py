"""The URI templates marcframe uses (RFC 6570, the part of it marcframe needs).

``{var}`` (simple: everything but unreserved characters percent-encoded, UTF-8), ``{+var}``
(reserved: reserved characters kept), ``{/a,b}`` (path segments), names with dots taken as they are
(``{inScheme.code}``), and ``{_}``/``{+_}`` for the value of the MARC element itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote_plus

SLOT = "{_}"
UNESCAPED_SLOT = "{+_}"

_EXPRESSION = re.compile(r"\{([+#./;?&]?)([^{}]*)\}")
_UNRESERVED = "-._~"
_RESERVED = _UNRESERVED + ":/?#[]@!$&'()*+,;="


@lru_cache(maxsize=512)
def _parsed(template: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The template as (literal text before, operator, variable names) parts; the last part has
    no variables and holds the text after the last expression."""
    parts: list[tuple[str, str, tuple[str, ...]]] = []
    pos = 0
    for m in _EXPRESSION.finditer(template):
        names = tuple(n.strip().rstrip("*").split(":", 1)[0] for n in m.group(2).split(",") if n.strip())
        parts.append((template[pos : m.start()], m.group(1), names))
        pos = m.end()
    parts.append((template[pos:], "", ()))
    return tuple(parts)


def variables(template: str) -> list[str]:
    return [n for _, _, names in _parsed(template) for n in names]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, list):  # a list expands to its values joined with commas
        got = [t for t in (_text(v) for v in value) if t is not None]
        return ",".join(got) if got else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expand(template: str, params: dict, partial: bool = False) -> str | None:
    """The template with ``params`` filled in. A variable without a value expands to nothing
    (RFC 6570); with ``partial`` a missing variable makes the result ``None`` instead (marcframe
    drops a URI it cannot fill)."""
    out: list[str] = []
    for literal, op, names in _parsed(template):
        out.append(literal)
        if not names:
            continue
        values = [_text(params.get(n)) for n in names]
        if partial and any(v is None for v in values):
            return None
        safe = _RESERVED if op in ("+", "#") else _UNRESERVED
        got = [quote(v, safe=safe + ",") if "," in v else quote(v, safe=safe) for v in values if v is not None]
        if not got:
            continue
        if op == "/":
            out.append("".join("/" + v for v in got))
        elif op == "#":
            out.append("#" + ",".join(got))
        elif op == ".":
            out.append("".join("." + v for v in got))
        else:
            out.append(",".join(got))
    return "".join(out)


def extract_token(template: str, slot: str, uri: str) -> str | None:
    """The text ``slot`` (``{_}`` or ``{+_}``) stands for in ``uri``, if the uri fits the
    template around it (the rest of the template taken literally)."""
    if not uri:
        return None
    i = template.find(slot)
    if i == -1:
        return None
    # the text after the slot is taken from the length of ``{_}`` for both slots, as marcframe
    # does: a ``{+_}`` template thus never gives its token back (the link is kept as it is)
    before, after = template[:i], template[i + len(SLOT) :]
    if uri.startswith(before) and uri.endswith(after) and len(uri) >= len(before) + len(after):
        return uri[len(before) : len(uri) - len(after)]
    return None


def token_from_id(node: Any, template: str, match: re.Pattern[str] | None) -> str | None:
    """The MARC value a linked node's ``@id`` was made from with ``template`` (``{_}`` decoded,
    ``{+_}`` as it is), if it fits and matches ``match``."""
    uri = node.get("@id") if isinstance(node, dict) else node
    if not isinstance(uri, str):
        return None
    token = extract_token(template, SLOT, uri)
    if token is not None:
        token = unquote_plus(token)
    else:
        token = extract_token(template, UNESCAPED_SLOT, uri)
    if token is None:
        return None
    if match is not None and not match.fullmatch(token):
        return None
    return token
