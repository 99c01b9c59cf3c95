"""Registry adapter for the seed notation (see ``notation.py``)."""

from __future__ import annotations

import io
from typing import BinaryIO, Iterable

from tui.core.model.record import Record
from tui.core.sources.base import ListSource
from tui.core.formats.notation import read_notation, write_notation


def open_source(path: str) -> ListSource:
    return read_notation(path)


def write(records: Iterable[Record], out: BinaryIO, **options) -> None:
    buf = io.StringIO()
    write_notation(records, buf)
    out.write(buf.getvalue().encode("utf-8"))
