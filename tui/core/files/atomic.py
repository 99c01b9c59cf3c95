"""Atomic file writing: a file is either as it was or completely the new one, never half written.

The new content goes to a temporary file in the same folder (so the rename stays on one file
system), is flushed and fsync'ed, then renamed over the target, and the folder is fsync'ed so
the rename itself survives a crash. When a file is replaced, the old one is kept as a backup
(``NAME.bak``, or ``NAME.bak.2``, ``.3`` ... when that exists: a backup is never overwritten).

    with AtomicWriter(path) as w:
        w.file.write(data)
        check(w.temp_path)      # optional: look at the written file before it takes effect
    # committed here; on an exception nothing changed and the temporary file is gone
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from tui.core.model.record import LibrisError


class WriteFailed(LibrisError):
    """The file could not be written; the target is unchanged."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_name(path: Path) -> Path:
    """The first free backup name for ``path``: ``NAME.bak``, then ``NAME.bak.2``, ..."""
    cand = path.with_name(path.name + ".bak")
    n = 2
    while cand.exists() or cand.is_symlink():
        cand = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    return cand


def make_backup(path: Path) -> Path:
    """Keep the current ``path`` as a backup (a hard link where possible, else a copy)."""
    dest = backup_name(path)
    try:
        os.link(path, dest)
    except OSError:
        shutil.copy2(path, dest)
    return dest


def _target(path: str | os.PathLike) -> Path:
    p = Path(path)
    # Writing "to" a symlink replaces the file it points to, not the link.
    if p.is_symlink():
        p = Path(os.path.realpath(p))
    return p


class AtomicWriter:
    """Write ``path`` atomically; see the module docstring. ``backup``: keep the replaced file."""

    def __init__(self, path: str | os.PathLike, backup: bool = True):
        self.path = _target(path)
        self.backup = backup
        self.backup_path: Path | None = None
        self.temp_path: Path | None = None
        self.file: BinaryIO | None = None
        self.committed = False

    def open(self) -> BinaryIO:
        folder = self.path.parent
        if not folder.is_dir():
            raise WriteFailed(f"{self.path}: the folder {folder} does not exist")
        if self.path.is_dir():
            raise WriteFailed(f"{self.path}: is a folder, not a file")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise WriteFailed(f"{self.path}: cannot write in {folder}: {exc.strerror or exc}") from None
        self.temp_path = Path(tmp)
        try:
            if self.path.exists():
                os.chmod(tmp, self.path.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o666 & ~_umask())
        except OSError:
            pass
        self.file = os.fdopen(fd, "wb")
        return self.file

    def flush(self) -> None:
        """Make the temporary file complete on disk (before checking or committing it)."""
        if self.file is not None and not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()

    def commit(self) -> Path:
        if self.temp_path is None:
            raise WriteFailed(f"{self.path}: nothing was written")
        try:
            self.flush()
            if self.backup and self.path.exists():
                self.backup_path = make_backup(self.path)
            os.replace(self.temp_path, self.path)
        except OSError as exc:
            self.abort()
            raise WriteFailed(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        self.temp_path = None
        fsync_dir(self.path.parent)
        self.committed = True
        return self.path

    def abort(self) -> None:
        if self.file is not None and not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass
        if self.temp_path is not None:
            try:
                os.unlink(self.temp_path)
            except FileNotFoundError:
                pass
            self.temp_path = None

    def __enter__(self) -> AtomicWriter:
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.abort()
            return False
        self.commit()
        return False


def atomic_write(
    path: str | os.PathLike, content: bytes | Callable[[BinaryIO], None], backup: bool = True
) -> AtomicWriter:
    """Write ``content`` (bytes, or a function that writes to the file) to ``path`` atomically.
    Returns the finished writer (``.path``, ``.backup_path``)."""
    w = AtomicWriter(path, backup=backup)
    with w:
        if callable(content):
            content(w.file)
        else:
            w.file.write(content)
    return w


__all__ = ["AtomicWriter", "atomic_write", "WriteFailed", "backup_name", "make_backup", "fsync_dir"]
