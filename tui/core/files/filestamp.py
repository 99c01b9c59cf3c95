"""Notice a file that changed on disk while it was open, before anything is written over it.

A cataloguer opens ``batch.mrc``, works for an hour; meanwhile a colleague (or a script) replaces
the file. Saving would silently throw the colleague's work away. So a ``FileStamp`` is taken when
the file is opened, and ``stamp.check(path)`` is called right before the file is overwritten (and
before a crash journal is replayed onto it): it raises ``FileChangedOnDisk`` if the file is not
the one that was read.

The identity: absolute path, size, modification time (ns), inode, and a SHA-256 of the first and
of the last MiB. Files of up to 2 MiB are thus hashed whole, and for them only the content counts
(``touch`` or a byte-identical rewrite is not a change). For bigger files a change in the middle
can only be seen through size or mtime, so there a changed mtime counts as a change.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import asdict, dataclass

from tui.core.model.record import LibrisError

MIB = 1 << 20


class FileChangedOnDisk(LibrisError):
    """The file on disk is no longer the one that was read; nothing was written over it."""

    def __init__(self, path: str, reason: str):
        super().__init__(
            f"{path} changed on disk since it was opened ({reason}); nothing was written "
            f"over it. Reopen the file, or save to another file."
        )
        self.path = path
        self.reason = reason


def _hash_range(fh, start: int, length: int) -> str:
    fh.seek(start)
    h = hashlib.sha256()
    left = length
    while left > 0:
        chunk = fh.read(min(left, 1 << 16))
        if not chunk:
            break
        h.update(chunk)
        left -= len(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class FileStamp:
    path: str  # absolute
    size: int
    mtime_ns: int
    inode: int
    head_sha256: str  # first MiB
    tail_sha256: str  # last MiB (overlaps the head for files under 2 MiB)

    @property
    def hashed_whole(self) -> bool:
        return self.size <= 2 * MIB

    # -- taking ----------------------------------------------------------------------------------
    @classmethod
    def take(cls, path: str | os.PathLike) -> FileStamp:
        """Stamp ``path`` as it is now. Raises ``FileNotFoundError``/``OSError`` like ``open``."""
        p = os.path.abspath(os.fspath(path))
        # O_NONBLOCK: a FIFO put where the file was must not hang the save that checks it
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory", p)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", p)
            size = st.st_size
            head = _hash_range(fh, 0, min(size, MIB))
            tail = _hash_range(fh, max(0, size - MIB), min(size, MIB))
        return cls(p, size, st.st_mtime_ns, st.st_ino, head, tail)

    # -- comparing ------------------------------------------------------------------------------
    def change(self, path: str | os.PathLike | None = None) -> str | None:
        """Why the file at ``path`` (default: the stamped one) is not the stamped file, or None."""
        p = os.path.abspath(os.fspath(path)) if path is not None else self.path
        try:
            now = FileStamp.take(p)
        except FileNotFoundError:
            return "it was deleted or moved away"
        except IsADirectoryError:
            return "it is now a directory"
        except OSError as exc:
            return f"it cannot be read any more: {exc.strerror or exc}"
        if now.size != self.size:
            return f"its size went from {self.size} to {now.size} bytes"
        if now.head_sha256 != self.head_sha256 or now.tail_sha256 != self.tail_sha256:
            return "its content is different"
        if not self.hashed_whole and now.mtime_ns != self.mtime_ns:
            return "its modification time changed"
        return None

    def unchanged(self, path: str | os.PathLike | None = None) -> bool:
        return self.change(path) is None

    def check(self, path: str | os.PathLike | None = None) -> None:
        """Raise ``FileChangedOnDisk`` unless the file at ``path`` is still the stamped one.

        Call it immediately before writing over the file (the atomic replace of a save or an
        export to the opened file), and before replaying a crash journal onto it.
        """
        reason = self.change(path)
        if reason is not None:
            raise FileChangedOnDisk(os.fspath(path) if path is not None else self.path, reason)

    # -- serialising (the crash journal keeps the stamp of the file it belongs to) -------------
    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> FileStamp:
        try:
            return cls(
                str(d["path"]),
                int(d["size"]),
                int(d["mtime_ns"]),
                int(d.get("inode", 0)),
                str(d["head_sha256"]),
                str(d["tail_sha256"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a file stamp: {exc}") from None

    def __str__(self) -> str:
        return f"{self.path} ({self.size} bytes)"


def take(path: str | os.PathLike) -> FileStamp:
    return FileStamp.take(path)


__all__ = ["FileStamp", "FileChangedOnDisk", "MIB", "take"]
