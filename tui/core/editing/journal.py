"""Nothing lost: a crash-safe journal of the edit commands applied to an open file.

Cataloguers work over SSH; a dropped connection (SIGHUP), a killed process (SIGKILL) or a crash
must not cost them their work. So every edit command the app applies, undoes or redoes is written
to a journal *at once*: one JSON line per event, appended, flushed and ``fsync``-ed before the
edit is shown as done. The next start finds the journals left behind (``pending_sessions()``) and
offers to restore them; replaying the events through the app's own history restores the session
exactly, undo stack included.

Where: ``$LIBRIS_TUI_STATE_DIR/journals`` or the platformdirs user state directory
(``~/.local/state/libris-tui/journals`` on Linux). Directory 0700, files 0600: journals hold
record text.

The format (``*.journal``, JSON lines)::

    {"journal": "libris-tui", "version": 1, "file": {<FileStamp>}, "pid": 4711, "host": "...",
     "started": 1732200000.0}
    {"seq": 1, "event": "apply", "record": 3, "command": {<EditCommand.to_json()>}, "time": ...}
    {"seq": 2, "event": "undo", "record": 3, "command": {...}, "time": ...}

``record`` is the record's number in the file, 1-based (``LibrisRecord.number``).

Liveness: a running session holds an exclusive ``flock`` on its journal. The kernel drops the
lock when the process dies, however it dies, so a journal nobody can lock belongs to a live
session (another terminal) and is not offered; one that can be locked was left by a crash.

A journal is written for the file as it was when opened (its ``FileStamp``). If the file changed
on disk since, the journal is reported as such and ``replay`` refuses (``FileChangedOnDisk``)
unless told ``force=True``: edits meant for one file are never blindly applied to another.

The app's part (``tui/ui``):

* on open: ``journal = Journal.open_for(path)``; after every applied/undone/redone command:
  ``journal.record("apply"|"undo"|"redo", record.number, command.to_json())``;
* after a save over the opened file: ``journal.saved()`` (the edits are in the file now);
  after a save-as: ``journal.saved(new_path)``;
* on a clean quit (saved, or the user chose to throw the edits away): ``journal.close()``;
  never on SIGHUP or on an error: there, leave it (or ``close(clean=False)``);
* on start: ``pending_sessions(path)``; offer each (``session.describe()``); on yes
  ``session.replay(source, apply_fn)`` with an ``apply_fn(event)`` that applies/undoes/redoes
  through the app's history (which journals it again in the new session's journal), then
  ``session.discard()``; on no, ``session.discard()`` (after asking).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.core.files.filestamp import FileChangedOnDisk, FileStamp
from tui.core.model.record import LibrisError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

APP = "libris-tui"
VERSION = 1
SUFFIX = ".journal"
EVENTS = ("apply", "undo", "redo")


class JournalError(LibrisError):
    """A journal that cannot be written, read or replayed."""


class JournalReplayError(JournalError):
    """Replaying stopped at an event the app could not apply; the journal is kept."""

    def __init__(self, message: str, applied: int, event: JournalEvent | None = None):
        super().__init__(message)
        self.applied = applied
        self.event = event


# -- where ----------------------------------------------------------------------------------------


def state_dir() -> Path:
    env = os.environ.get("LIBRIS_TUI_STATE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_state_path(APP))


def journal_dir(create: bool = False) -> Path:
    d = state_dir() / "journals"
    if create:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.chmod(d, 0o700)
        except OSError:  # pragma: no cover - not ours to fix
            pass
    return d


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """An exclusive, non-blocking flock; True if we got it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _dumps(obj: Any) -> bytes:
    # ensure_ascii: lone surrogates (undecodable bytes kept with surrogateescape) survive, and a
    # line is a line (no raw U+2028 either).
    return (json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False) + "\n").encode("ascii")


# -- writing ---------------------------------------------------------------------------------------


class Journal:
    """The journal of one editing session on one file. Create with ``Journal.open_for(path)``."""

    def __init__(self, journal_path: Path, fd: int, stamp: FileStamp, header: dict):
        self.path = journal_path
        self._fd: int | None = fd
        self.stamp = stamp
        self.header = header
        self.seq = 0

    @property
    def file(self) -> str:
        """The absolute path of the edited file."""
        return self.stamp.path

    @property
    def closed(self) -> bool:
        return self._fd is None

    @classmethod
    def open_for(cls, path: str | os.PathLike, stamp: FileStamp | None = None) -> Journal:
        """Start the journal of a session on ``path`` (stamped now unless ``stamp`` is given:
        pass the stamp taken when the file was read, so that changes in between are caught)."""
        try:
            stamp = stamp or FileStamp.take(path)
        except OSError as exc:
            raise JournalError(f"{path}: cannot start the crash journal: {exc.strerror or exc}") from None
        path, fd, header = cls._create(stamp)
        return cls(path, fd, stamp, header)

    @staticmethod
    def _create(stamp: FileStamp) -> tuple[Path, int, dict]:
        """Write the header to a hidden temporary name, lock it, then rename it into place: no other
        process ever sees a journal that is unlocked, or without its header."""
        try:
            d = journal_dir(create=True)
        except OSError as exc:
            raise JournalError(
                f"cannot create the crash journal directory {journal_dir()}: {exc.strerror or exc}"
            ) from None
        now = time.time()
        name = f"{datetime.fromtimestamp(now).strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(4)}"
        tmp = d / f".{name}.tmp"
        final = d / f"{name}{SUFFIX}"
        header = {
            "journal": APP,
            "version": VERSION,
            "file": stamp.to_json(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": now,
        }
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            raise JournalError(f"cannot create the crash journal in {d}: {exc.strerror or exc}") from None
        try:
            if not _try_lock(fd):  # pragma: no cover - a fresh private file
                raise JournalError(f"cannot lock the new crash journal {tmp}")
            _write_all(fd, _dumps(header))
            os.fsync(fd)
            os.replace(tmp, final)
            _fsync_dir(d)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return final, fd, header

    def record(self, event: str, record_number: int, command_json: dict) -> None:
        """Journal one event *now* (append, flush, fsync). Call it as the command is applied."""
        if event not in EVENTS:
            raise ValueError(f"journal event must be one of {EVENTS}, not {event!r}")
        if self._fd is None:
            raise JournalError(f"the crash journal {self.path} is closed")
        if not isinstance(record_number, int) or isinstance(record_number, bool) or record_number < 1:
            raise ValueError(f"record_number is the 1-based number of the record, not {record_number!r}")
        self.seq += 1
        line = _dumps(
            {"seq": self.seq, "event": event, "record": record_number, "command": command_json, "time": time.time()}
        )
        try:
            _write_all(self._fd, line)
            os.fsync(self._fd)
        except OSError as exc:
            self.seq -= 1
            raise JournalError(
                f"could not write the crash journal {self.path}: {exc.strerror or exc}; "
                f"the last edit is not protected against a crash"
            ) from None

    def saved(self, path: str | os.PathLike | None = None) -> None:
        """The edits are in a file now (saved over the opened file, or as ``path``): start afresh
        with the file's new stamp. The old journal goes only once the new one is in place."""
        if self._fd is None:
            raise JournalError(f"the crash journal {self.path} is closed")
        target = path if path is not None else self.stamp.path
        try:
            stamp = FileStamp.take(target)
        except OSError as exc:
            raise JournalError(f"{target}: cannot stamp the saved file: {exc.strerror or exc}") from None
        new_path, new_fd, header = self._create(stamp)
        old_path, old_fd = self.path, self._fd
        self.path, self._fd, self.stamp, self.header, self.seq = new_path, new_fd, stamp, header, 0
        _unlink_quietly(old_path)
        os.close(old_fd)

    def close(self, clean: bool = True) -> None:
        """End the session. ``clean``: nothing needs restoring (saved, or the edits were thrown
        away on purpose), so the journal is removed; otherwise it stays for the next start."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if clean:
            _unlink_quietly(self.path)  # while still locked: nobody sees it unlocked
        os.close(fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(clean=exc_type is None)

    def __repr__(self) -> str:
        return f"Journal({self.path.name!r} for {self.file!r}, {self.seq} events)"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _unlink_quietly(p: Path) -> None:
    try:
        os.unlink(p)
        _fsync_dir(p.parent)
    except FileNotFoundError:
        pass


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalEvent:
    seq: int
    kind: str  # apply / undo / redo
    record_number: int  # 1-based
    command: dict
    time: float


@dataclass
class PendingSession:
    """A journal left behind by a session that did not end cleanly."""

    journal_path: Path
    stamp: FileStamp | None
    started: float
    pid: int | None
    host: str
    events: list[JournalEvent] = field(default_factory=list)
    #: the last line was cut off (the crash came while it was being written): it is ignored
    torn: bool = False
    #: why the journal cannot be replayed at all (unreadable header, bad line), or None
    problem: str | None = None

    @property
    def file(self) -> str:
        return self.stamp.path if self.stamp else ""

    @property
    def last_time(self) -> float:
        return self.events[-1].time if self.events else self.started

    @property
    def edits(self) -> int:
        """How many edits are in effect at the end of the journal (applied or redone, not undone)."""
        return len(_effective(self.events, strict=False)[0])

    def effective_commands(self) -> list[tuple[int, dict]]:
        """``(record_number, command_json)`` of the edits in effect at the end, oldest first (what
        restoring would apply; ``changes.journal_changes`` shows them as MARC lines)."""
        return [(ev.record_number, ev.command) for ev in _effective(self.events, strict=False)[0]]

    def file_change(self) -> str | None:
        """Why the file on disk is not the one the journal was written for (None: it is)."""
        if self.stamp is None:
            return "the journal does not say which file it belongs to"
        return self.stamp.change()

    def describe(self) -> str:
        when = datetime.fromtimestamp(self.last_time).strftime("%Y-%m-%d %H:%M")
        n = self.edits
        text = f"{n} unsaved edit{'s' if n != 1 else ''} to {self.file or '?'} (last {when})"
        if self.problem:
            return f"{text}: cannot be restored: {self.problem}"
        change = self.file_change()
        if change:
            text += f"; the file changed on disk since: {change}"
        return text

    # -- acting ------------------------------------------------------------------------------------
    def replay(self, source, apply_fn: Callable[[JournalEvent], object], *, force: bool = False) -> int:
        """Replay every event, in order, through ``apply_fn(event)`` (which applies, undoes or
        redoes ``event.command`` on record ``event.record_number`` through the app's history).

        ``source`` is the ``RecordSource`` opened on the journal's file. Checks first, applies
        nothing if a check fails: the source is that file; the file is unchanged since the journal
        was started (else ``FileChangedOnDisk``, unless ``force``); every record number exists.
        An exception from ``apply_fn`` stops the replay with ``JournalReplayError`` (its
        ``applied`` says how far it got); the journal is kept. Returns the number of events.
        Call ``discard()`` once the restored edits are safe in the new session's journal.
        """
        if self.problem:
            raise JournalError(f"{self.journal_path}: cannot be restored: {self.problem}")
        assert self.stamp is not None
        src_path = os.path.abspath(getattr(source, "path", "") or "")
        if src_path != self.stamp.path and not _same_file(src_path, self.stamp.path):
            raise JournalError(f"the journal {self.journal_path.name} is for {self.stamp.path}, not {src_path}")
        if not force:
            self.stamp.check()
        n = len(source)
        for ev in self.events:
            if ev.record_number > n:
                raise JournalError(
                    f"{self.stamp.path}: the journal edits record {ev.record_number}, but the file has {n} records"
                )
        _effective(self.events)  # raises on an undo/redo the history could not have done
        done = 0
        for ev in self.events:
            try:
                apply_fn(ev)
            except Exception as exc:
                raise JournalReplayError(
                    f"restoring stopped at edit {ev.seq} ({ev.kind} on record {ev.record_number}): {exc}; "
                    f"{done} of {len(self.events)} restored, the journal is kept",
                    done,
                    ev,
                ) from exc
            done += 1
        return done

    def discard(self) -> None:
        """Throw the journal away (after a replay, or when the user declines to restore)."""
        _unlink_quietly(self.journal_path)

    def __str__(self) -> str:
        return self.describe()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _effective(events: Iterable[JournalEvent], strict: bool = True) -> tuple[list[JournalEvent], list[JournalEvent]]:
    """(done, undone) stacks after the events, as a do/undo/redo history would have them.
    ``strict``: an undo/redo the history could not have done is a ``JournalError``."""
    done: list[JournalEvent] = []
    undone: list[JournalEvent] = []
    for ev in events:
        if ev.kind == "apply":
            done.append(ev)
            undone.clear()
        elif ev.kind == "undo":
            if not done:
                if not strict:
                    continue
                raise JournalError(f"journal event {ev.seq}: an undo with nothing to undo")
            undone.append(done.pop())
        elif ev.kind == "redo":
            if not undone:
                if not strict:
                    continue
                raise JournalError(f"journal event {ev.seq}: a redo with nothing to redo")
            done.append(undone.pop())
    return done, undone


def read_journal(journal_path: str | os.PathLike) -> PendingSession:
    """Read a journal file. Never raises for bad content: ``problem``/``torn`` say what is wrong."""
    p = Path(journal_path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        return PendingSession(p, None, 0.0, None, "", problem=f"cannot be read: {exc.strerror or exc}")
    lines = data.split(b"\n")
    torn = lines[-1] != b""  # the last line has no newline: cut off mid-write
    complete = lines[:-1]
    if not complete:
        return PendingSession(
            p,
            None,
            0.0,
            None,
            "",
            torn=torn,
            problem="the journal is empty" if not data else "the journal header is incomplete",
        )
    try:
        header = json.loads(complete[0])
        if not isinstance(header, dict) or header.get("journal") != APP:
            raise ValueError("not a libris-tui journal")
        if header.get("version") != VERSION:
            raise ValueError(f"journal version {header.get('version')!r} is not {VERSION}")
        stamp = FileStamp.from_json(header["file"])
        started = float(header.get("started", 0.0))
        pid = header.get("pid") if isinstance(header.get("pid"), int) else None
        host = str(header.get("host", ""))
    except (ValueError, KeyError, TypeError) as exc:
        return PendingSession(p, None, 0.0, None, "", torn=torn, problem=f"bad journal header: {exc}")
    session = PendingSession(p, stamp, started, pid, host, torn=torn)
    for k, raw in enumerate(complete[1:], 2):
        try:
            d = json.loads(raw)
            ev = JournalEvent(int(d["seq"]), str(d["event"]), int(d["record"]), d["command"], float(d["time"]))
            if ev.kind not in EVENTS or ev.record_number < 1 or not isinstance(ev.command, dict):
                raise ValueError("not an apply/undo/redo event on a record")
        except (ValueError, KeyError, TypeError) as exc:
            session.problem = f"line {k} is damaged ({exc})"
            break
        session.events.append(ev)
    if session.problem is None:
        try:
            _effective(session.events)
        except JournalError as exc:
            session.problem = str(exc)
    return session


def _is_live(p: Path) -> bool:
    """Someone holds the journal's lock: a session running now (in another terminal)."""
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return True  # vanished or unreadable: not ours to offer
    try:
        if fcntl is None:  # pragma: no cover
            return False
        if _try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


def pending_sessions(path: str | os.PathLike | None = None) -> list[PendingSession]:
    """Journals left by sessions that did not end cleanly (crash, SIGKILL, SIGHUP), oldest first.

    With ``path``, only those for that file. Journals of sessions running now are left out;
    journals with no events (nothing to restore) are removed. Damaged journals are listed with
    ``problem`` set, so the user can be told and can discard them.
    """
    d = journal_dir()
    if not d.is_dir():
        return []
    want = os.path.abspath(os.fspath(path)) if path is not None else None
    out: list[PendingSession] = []
    for p in sorted(d.glob(f"*{SUFFIX}")):
        if _is_live(p):
            continue
        s = read_journal(p)
        if s.problem is None and not s.events:
            _unlink_quietly(p)  # a session that crashed before its first edit: nothing to lose
            continue
        if want is not None and s.file != want and not (s.file and _same_file(s.file, want)):
            continue
        out.append(s)
    out.sort(key=lambda s: (s.started, s.journal_path.name))
    return out


__all__ = [
    "Journal",
    "JournalError",
    "JournalReplayError",
    "JournalEvent",
    "PendingSession",
    "pending_sessions",
    "read_journal",
    "journal_dir",
    "state_dir",
    "FileChangedOnDisk",
]
