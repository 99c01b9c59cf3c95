"""What the batch commands (validate, export, report, the edits) say, in one place: exit statuses,
the guard that turns our own errors into one line, finding lines, counted nouns, JSON that is safe
on a terminal. Everything that reaches a terminal passes through ``textsafe.visible`` (record text
and file names come from outside)."""

from __future__ import annotations

import functools
import json
import re
import sys
from typing import TextIO

from tui.core.model.record import LibrisError
from tui.core.model.textsafe import visible

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
#: an output that cannot be written (disk full, permission denied, a folder): the old file is kept
EXIT_WRITE = 3


def guarded(fn):
    """``fn(args, out, err)`` with ``out``/``err`` defaulting to stdout/stderr; our own errors
    (unreadable file, output that would replace the input ...) become one line on stderr with
    anything a terminal would act on made visible (file names come from outside too), and exit 2
    (3 when an output cannot be written)."""
    from tui.core.files.atomic import WriteFailed

    @functools.wraps(fn)
    def run(args, out: TextIO | None = None, err: TextIO | None = None):
        out = out or sys.stdout
        err = err or sys.stderr
        try:
            return fn(args, out, err)
        except WriteFailed as exc:
            say(err, f"libris-tui: {exc}")
            return EXIT_WRITE
        except LibrisError as exc:
            say(err, f"libris-tui: {exc}")
            return EXIT_USAGE

    return run


def say(stream: TextIO, text: str) -> None:
    """One line on ``stream``, made visible."""
    print(visible(text), file=stream)


def count(n: int, word: str) -> str:
    """``1 record``, ``2 records``."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def finding_line(path: str, f) -> str:
    """A finding as the commands print it: ``FILE: severity: where: message (RULE)``."""
    return visible(f"{path}: {f.describe()}")


def kept(backup_path) -> str:
    """The note on a replaced file's backup (empty when there is none)."""
    return f"; the replaced file is kept as {backup_path}" if backup_path else ""


#: characters JSON leaves as they are that must not reach a terminal raw (C1 controls, line and
#: paragraph separators, bidi controls); JSON's own escaping covers C0 controls
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_json(doc) -> str:
    """JSON with the characters a terminal would act on written as \\u escapes (the same data)."""
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = [
    "EXIT_OK",
    "EXIT_FINDINGS",
    "EXIT_USAGE",
    "EXIT_WRITE",
    "guarded",
    "say",
    "count",
    "finding_line",
    "kept",
    "safe_json",
]
