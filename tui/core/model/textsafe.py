"""Record text is data: make it safe to put on a terminal.

Control characters (C0, DEL, C1) and the MARC delimiters are shown as visible symbols, never
sent raw: an ESC in a record must not move the cursor or change colours. Square brackets need
no treatment here: the UI builds ``rich.text.Text`` objects (never markup strings) from record
text, and the command line prints plain text.
"""

from __future__ import annotations

import re

# C0 controls -> U+2400 Control Pictures; DEL -> U+2421; C1 controls -> a visible escape.
_C0 = {i: 0x2400 + i for i in range(0x20)}
_C0[0x7F] = 0x2421
# MARC structure characters get their conventional picture.
_C0[0x1D] = ord("␝")  # record terminator
_C0[0x1E] = ord("␞")  # field terminator
_C0[0x1F] = ord("␟")  # subfield delimiter

# also: lone surrogates (from "\\ud800" JSON escapes; unencodable) and every bidi control
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _picture(m: re.Match[str]) -> str:
    c = m.group(0)
    o = ord(c)
    if o in _C0:
        return chr(_C0[o])
    # C1 controls, line/paragraph separators and bidi overrides: show the code point
    return f"\\u{o:04x}" if o > 0xFF else f"\\x{o:02x}"


def visible(text: str) -> str:
    """``text`` with every control character replaced by a visible stand-in."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_picture, text)


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None
