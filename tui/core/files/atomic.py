"""Atomic file writing: a file is either as it was or completely the new one, never half written.

The new content goes to a temporary file in the same folder (so the rename stays on one file
system), is flushed and fsync'ed, then renamed over the target, and the folder is fsync'ed so
the rename itself survives a crash. When a file is replaced, the old one is kept as a backup
(``NAME.bak``, or ``NAME.bak.2``, ``.3`` ... when that exists: a backup is never overwritten).

    with AtomicWriter(path) as w:
        w.file.write(data)
        check(w.temp_path)      # optional: look at the written file before it takes effect
    # committed here; on an exception nothing changed and the temporary file is gone

Failures are ``WriteFailed`` with one line naming the file and what happened (the disk is full,
permission denied, the output is a folder, a read-only file system), and whether the old file is
kept (it always is: nothing replaces it before the new content is complete).

A writer holds an exclusive ``flock`` on its temporary file (``.NAME.xxxxxxxx.tmp``) while it
works. One left behind by a crash (kill -9, power cut) can be locked by anyone, so the next write
of ``NAME`` finds it and removes it (``stale_temps`` / ``remove_stale_temps``; the writer's
``stale_removed`` lists them); one whose writer still runs is left alone.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tui.core.model.record import LibrisError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class WriteFailed(LibrisError):
    """The file could not be written; the target is unchanged. ``path``: the file meant;
    ``errno``: the system's error number when there was one."""

    def __init__(self, message: str, path: str | os.PathLike = "", err: int | None = None):
        super().__init__(message)
        self.path = str(path)
        self.errno = err


def os_reason(exc: OSError) -> str:
    """What an ``OSError`` means for someone writing a file, in a few words."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full" if code == errno.ENOSPC else "the disk quota is used up"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EISDIR:
        return "is a folder, not a file"
    if code == errno.EROFS:
        return "the file system is read-only"
    if code == errno.ENOENT:
        return "the folder does not exist"
    return exc.strerror or str(exc)


def write_failure(
    path: str | os.PathLike, exc: OSError, where: str = "", *, existed: bool | None = None
) -> WriteFailed:
    """The one-line ``WriteFailed`` for ``exc`` while writing ``path`` (``where``: e.g. ``while
    writing record 12``), saying that the old file is kept (or that none was made)."""
    if existed is None:
        existed = os.path.exists(path)
    kept = "the old file is kept unchanged" if existed else "no file was made"
    at = f" {where}" if where else ""
    return WriteFailed(f"{path}: cannot write{at}: {os_reason(exc)}; nothing was written, {kept}", path, exc.errno)


@dataclass(frozen=True)
class ExistingFile:
    """What an output would replace: for the question the app asks before it does."""

    path: Path
    size: int
    mtime: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.mtime))
        return f"{self.path} ({self.size:,} bytes, modified {when})"


def existing_file(path: str | os.PathLike) -> ExistingFile | None:
    """The file at ``path`` (size, modification time) when there is one, else None."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return ExistingFile(p, st.st_size, st.st_mtime)


def _lock(fd: int, blocking: bool) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def stale_temps(path: str | os.PathLike) -> list[Path]:
    """Temporary files of ``path`` (``.NAME.xxxx.tmp`` beside it) that no running writer holds:
    left by a crash. A writer holds a lock on its own, so those are never listed. (``?`` x 8 is
    what ``tempfile.mkstemp`` puts between the name and ``.tmp``.)"""
    p = _target(path)
    out = []
    try:
        cands = [
            c for c in p.parent.glob(f".{_glob_escape(p.name)}.{'?' * 8}.tmp") if c.is_file() and not c.is_symlink()
        ]
    except OSError:
        return []
    for c in sorted(cands):
        try:
            fd = os.open(c, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _lock(fd, blocking=False):
                out.append(c)
        finally:
            os.close(fd)  # closing drops the lock we may have taken
    return out


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove what ``stale_temps`` finds; return the files removed."""
    gone = []
    for c in stale_temps(path):
        try:
            os.unlink(c)
            gone.append(c)
        except OSError:
            pass
    return gone


def _glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


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
    """Write ``path`` atomically; see the module docstring. ``backup``: keep the replaced file.
    ``clean``: remove the temporary files a crash left beside ``path`` (``stale_removed``)."""

    def __init__(self, path: str | os.PathLike, backup: bool = True, clean: bool = True):
        self.path = _target(path)
        self.backup = backup
        self.clean = clean
        self.backup_path: Path | None = None
        self.temp_path: Path | None = None
        self.file: BinaryIO | None = None
        self.committed = False
        self.stale_removed: list[Path] = []
        #: the target existed when the writer was opened (what "the old file is kept" refers to)
        self.existed = False

    def open(self) -> BinaryIO:
        folder = self.path.parent
        if not folder.is_dir():
            raise WriteFailed(f"{self.path}: cannot write: the folder {folder} does not exist", self.path)
        if self.path.is_dir():
            raise WriteFailed(f"{self.path}: cannot write: is a folder, not a file", self.path, errno.EISDIR)
        self.existed = self.path.exists()
        if self.clean:
            self.stale_removed = remove_stale_temps(self.path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise write_failure(self.path, exc, f"in {folder}", existed=self.existed) from None
        _lock(fd, blocking=True)  # ours while we work; a crash drops it (stale_temps)
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
        """Make the temporary file complete on disk (before checking or committing it); it stays
        open (and locked) until ``commit``. ``WriteFailed`` (the temporary file removed) when the
        disk refuses."""
        if self.file is not None and not self.file.closed:
            try:
                self.file.flush()
                os.fsync(self.file.fileno())
            except OSError as exc:
                self.abort()
                raise write_failure(self.path, exc, existed=self.existed) from None

    def commit(self) -> Path:
        if self.temp_path is None:
            raise WriteFailed(f"{self.path}: nothing was written", self.path)
        self.flush()
        try:
            if self.backup and self.path.exists():
                self.backup_path = make_backup(self.path)
            os.replace(self.temp_path, self.path)
        except OSError as exc:
            self.abort()
            if self.backup_path is not None:
                try:
                    os.unlink(self.backup_path)  # the old file is still there: no backup of it
                except OSError:
                    pass
                self.backup_path = None
            raise write_failure(self.path, exc, "(replacing it)", existed=self.existed) from None
        self.temp_path = None
        try:
            self.file.close()  # type: ignore[union-attr]
        except (OSError, ValueError):
            pass  # flushed and synced already: the file is complete
        fsync_dir(self.path.parent)
        self.committed = True
        return self.path

    def abort(self) -> None:
        if self.file is not None and not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass
            except ValueError:  # a buffered write half done
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

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
            return
        self.commit()


def atomic_write(
    path: str | os.PathLike, content: bytes | Callable[[BinaryIO], None], backup: bool = True
) -> AtomicWriter:
    """Write ``content`` (bytes, or a function that writes to the file) to ``path`` atomically.
    Returns the finished writer (``.path``, ``.backup_path``)."""
    w = AtomicWriter(path, backup=backup)
    with w:
        try:
            if callable(content):
                content(w.file)  # type: ignore[arg-type]
            else:
                w.file.write(content)  # type: ignore[union-attr]
        except OSError as exc:
            raise write_failure(w.path, exc, existed=w.existed) from None
    return w


__all__ = [
    "AtomicWriter",
    "atomic_write",
    "WriteFailed",
    "write_failure",
    "os_reason",
    "ExistingFile",
    "existing_file",
    "stale_temps",
    "remove_stale_temps",
    "backup_name",
    "make_backup",
    "fsync_dir",
]
