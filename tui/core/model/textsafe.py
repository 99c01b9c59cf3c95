"""Record text is data: make it safe to put on a terminal.

Control characters (C0, DEL, C1) and the MARC delimiters are shown as visible symbols, never
sent raw: an ESC in a record must not move the cursor or change colours. Square brackets need
no treatment here: the UI builds ``rich.text.Text`` objects (never markup strings) from record
text, and the command line prints plain text.

``visible(text)`` is what a terminal gets; ``visible_map`` also says where each character went
(a column in the record's text, shown); ``unshow(original, edited)`` is the way back from an
edit of the visible form: what the cataloguer did not touch keeps its own characters (an ESC
shown as ``␛`` stays an ESC), what they typed is taken as typed (``tui.ui.widgets.safe_input``
follows each edit with the same rule).
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


def visible_map(text: str) -> tuple[str, list[int]]:
    """``visible(text)`` and where each character of ``text`` begins in it: ``starts[i]`` is the
    index in the shown text of ``text[i]``'s stand-in (``starts[len(text)]`` is its length)."""
    starts = [0] * (len(text) + 1)
    parts: list[str] = []
    pos = 0
    last = 0
    for m in _UNSAFE.finditer(text):
        i = m.start()
        for k in range(last, i):
            starts[k] = pos + (k - last)
        pos += i - last
        parts.append(text[last:i])
        pic = _picture(m)
        starts[i] = pos
        pos += len(pic)
        parts.append(pic)
        last = i + 1
    for k in range(last, len(text) + 1):
        starts[k] = pos + (k - last)
    parts.append(text[last:])
    return "".join(parts), starts


def shown_index(text: str, index: int) -> int:
    """Where ``text[index]`` is in ``visible(text)`` (a cursor or a column in the raw text, shown)."""
    index = max(0, min(index, len(text)))
    return visible_map(text)[1][index]


#: how a shown text is cut into what the cataloguer sees as one character each: a stand-in
#: ``\\x9b`` / ``\\u202e`` is one, every other character is one
_TOKEN = re.compile(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|.", re.DOTALL)


def unshow(original: str, edited: str) -> str:
    """The text the cataloguer meant, from the ``original`` text and their edit of its visible
    form (``edited``, as typed in an input that showed ``visible(original)``).

    What they did not touch keeps its own characters: an input showing ``␛[2J`` gives back the
    ESC when that part is unchanged, whatever else in the text was edited. What they typed (or
    pasted) is taken as the characters it is: typing ``␛`` or ``\\x9b`` enters those characters,
    never a control character (a record gains none from the keyboard). Deleting a stand-in
    deletes the control character; editing inside one (``\\x9b`` -> ``\\x9c``) leaves the
    characters that are left, as text. Unchanged text comes back exactly (``unshow(t,
    visible(t)) == t``) even when ``t`` has ``␛`` or ``\\x9b`` as plain characters of its own.

    The two are compared as sequences of what is seen as one character (a stand-in is one), so
    an edit never splits a stand-in that it did not touch.
    """
    shown, starts = visible_map(original)
    if edited == shown:
        return original
    if shown == original:  # nothing was made visible: what is shown is what is there
        return edited
    # the shown text as (token, the original's characters it stands for)
    ends = {b: i for i, b in enumerate(starts)}  # shown offset -> index in original (a boundary)
    old: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(shown):
        a, b = m.span()
        old.append((m.group(0), original[ends[a] : ends[b]]))
    new = _TOKEN.findall(edited)
    a_tokens = [t for t, _ in old]
    # the common start and end first (one edit is the usual case), then the middle by matching
    n = min(len(a_tokens), len(new))
    p = 0
    while p < n and a_tokens[p] == new[p]:
        p += 1
    q = 0
    while q < n - p and a_tokens[-1 - q] == new[-1 - q]:
        q += 1
    out = [raw for _, raw in old[:p]]
    mid_a, mid_b = a_tokens[p : len(a_tokens) - q], new[p : len(new) - q]
    if mid_a and mid_b:
        from difflib import SequenceMatcher

        for op, i1, i2, j1, j2 in SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_opcodes():
            if op == "equal":
                out.extend(raw for _, raw in old[p + i1 : p + i2])
            elif op in ("replace", "insert"):
                out.extend(mid_b[j1:j2])
    else:
        out.extend(mid_b)
    out.extend(raw for _, raw in old[len(old) - q :])
    return "".join(out)
