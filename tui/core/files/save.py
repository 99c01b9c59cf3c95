"""Save: the edits written over the opened file, and nothing else changed.

``save_source(source, ...)`` is an export of the source over its own file, in its own format,
with the holdings as the file has them (``holdings="keep"``): the records stay in their order,
holdings records stay holdings records with their 001s, embedded holdings stay embedded, and a
record that was not edited is written as its bytes in the file (ISO 2709; the other formats
encode it again, which gives the same record). Validated (refused on errors), checked against
the file on disk first (a file changed since it was opened is never written over), atomic, with
a backup of the old file; no report file. Unreadable records: as ``broken`` says (keep them byte
for byte, drop them, or refuse), never silently.

``find_broken(source)`` lists the unreadable records (file, number, byte offset, reason) for the
question the app asks about them before a save or an export.
"""

from __future__ import annotations

from collections.abc import Callable, Container

from tui.core.files.broken import BrokenPolicy
from tui.core.files.export import ExportResult, export
from tui.core.files.stream import source_items
from tui.core.formats import registry
from tui.core.model.record import BrokenRecord, Entry, LibrisError
from tui.core.sources.base import RecordSource


def save_source(
    source: RecordSource,
    *,
    edited: Container[int] | None = None,
    originals: Callable[[int], Entry | None] | None = None,
    unchanged_since=None,
    broken: BrokenPolicy | str | None = None,
    sigel: str | None = None,
    embed_new: bool = False,
    progress=None,
) -> ExportResult:
    """Write ``source`` (with its edited records: ``RecordSource.replace``) over its file.

    ``edited``: the slots whose records differ from the file (default: every replaced slot);
    ``originals(slot)``: such a record as read (validation compares with it); ``embed_new``: a
    holding added in this session is embedded in its bib even where the bib has no embedded
    holdings yet (the file is a Libris export that embeds). Raises what ``export`` raises."""
    fmt = source.format
    if fmt not in registry.exportable_ids():
        raise LibrisError(f"{source.path}: {fmt} files are not written back; export to a MARC format instead")
    if unchanged_since is not None:
        unchanged_since.check()
    return export(
        source,
        source.path,
        fmt,
        holdings="keep",
        overwrite=True,
        inputs=[source.path],
        report=False,
        sigel=sigel,
        unchanged_since=unchanged_since,
        broken=broken,
        edited=edited,
        originals=originals,
        embed_new=embed_new,
        progress=progress,
    )


def find_broken(source: RecordSource, progress=None) -> list[BrokenRecord]:
    """The records of ``source`` that cannot be read, in order (one pass, nothing kept but them)."""
    out = []
    total = len(source)
    for k, it in enumerate(source_items(source, owners={})):
        if isinstance(it.entry, BrokenRecord):
            out.append(it.entry)
        if progress is not None and not k % 5000:
            progress(k, total)
    return out


__all__ = ["save_source", "find_broken"]
