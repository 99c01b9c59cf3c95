"""Registry adapter for the seed notation (see ``notation.py``)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import BinaryIO

from tui.core.formats.notation import read_notation, write_notation
from tui.core.model.record import Record
from tui.core.sources.base import ListSource


def open_source(path: str) -> ListSource:
    return read_notation(path)


def write(records: Iterable[Record], out: BinaryIO, **options) -> None:
    buf = io.StringIO()
    write_notation(records, buf)
    out.write(buf.getvalue().encode("utf-8"))
