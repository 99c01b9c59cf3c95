"""Readers and writers, chosen by content (the file extension is only a hint).

``open_source(path) -> RecordSource``; ``write_records(records, out, fmt)``. Which formats there
are, what they are called and what they can carry is ``registry.FORMATS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from tui.core.formats import registry
from tui.core.formats.registry import Format
from tui.core.model.record import LibrisRecord, Record, UnreadableFile
from tui.core.sources.base import RecordSource


def sniff(head: bytes, path: str = "") -> str | None:
    """The format id of a file from its first bytes; ``None`` if it is no format we know."""
    f = registry.sniff(head, path)
    return f.id if f is not None else None


def detect(path: str | Path) -> str:
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536)
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(str(path), "is a directory, not a record file") from None
    except PermissionError:
        raise UnreadableFile(str(path), "permission denied") from None
    except OSError as exc:
        raise UnreadableFile(str(path), exc.strerror or str(exc)) from None
    if not head.strip():
        raise UnreadableFile(str(path), "the file is empty")
    fmt = sniff(head, str(path))
    if fmt is None:
        raise UnreadableFile(str(path), f"not a record file this program reads ({registry.names()})")
    return fmt


def module(fmt: str | Format) -> ModuleType:
    """The module that reads and writes ``fmt``."""
    try:
        f = fmt if isinstance(fmt, Format) else registry.get(fmt)
    except registry.UnknownFormat as exc:
        raise UnreadableFile("", str(exc)) from None
    try:
        return importlib.import_module(f.module)
    except ModuleNotFoundError as exc:
        if exc.name == f.module:
            raise UnreadableFile("", f"the {f.name} format is not available in this build") from None
        raise


def open_source(path: str | Path, fmt: str | None = None) -> RecordSource:
    """Open a record file of any supported format. Raises ``UnreadableFile`` only when nothing
    in it can be read; a broken record is a ``BrokenRecord`` slot in the source."""
    fmt = fmt or detect(path)
    return module(fmt).open_source(str(path))


def write_records(records: Iterable[Record | LibrisRecord], out: BinaryIO, fmt: str, **options) -> None:
    recs = (r.marc if isinstance(r, LibrisRecord) else r for r in records)
    module(fmt).write(recs, out, **options)


def format_for_output(path: str | Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    f = registry.for_extension(path)
    if f is None:
        ext = Path(path).suffix.lower()
        raise UnreadableFile(
            str(path),
            f"cannot tell the output format from {ext or 'no extension'!r}; use --to ({', '.join(registry.ids())})",
        )
    return f.id
