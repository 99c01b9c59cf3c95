"""Work split between processes: ``run_parts(fn, parts)`` runs ``fn(*part)`` for every part, the
first in this process and the others in forked children, and returns the results in order.

Batch work over a large file (``stats``, ``validate``) splits the file into byte ranges at record
boundaries and hands one range to each core (issue 6: "uses both cores where that pays"). Forking
copies nothing up front: a child sees the parent's open file and index as they are, reads its own
range with ``pread``, and sends back a small pickled result through a pipe.

Fork is only used where it is safe and cheap: on Linux, from a process with a single thread (the
Textual app has several, so inside the app everything runs in one process), and not when
``LIBRIS_TUI_WORKERS=1``. Anywhere else the parts simply run one after the other, with the same
results. A child that fails makes its part run again here, so a result is never lost.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

#: environment variable: the number of processes to use (1: never fork)
WORKERS_ENV = "LIBRIS_TUI_WORKERS"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def workers(limit: int = 8) -> int:
    """How many processes batch work may use here (1 when forking is not an option)."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env.isdigit() and int(env) >= 1:
        n = int(env)
    else:
        n = cpu_count()
    n = max(1, min(n, limit))
    return n if n > 1 and can_fork() else 1


def run_parts(fn: Callable[..., Any], parts: Sequence[tuple], *, fork: bool | None = None) -> list[Any]:
    """``[fn(*p) for p in parts]``, the parts after the first in forked children when allowed.

    ``fn`` and its results must be picklable only when children are used (results travel back
    through a pipe). An exception in the first part propagates; a child that fails or dies has
    its part run again in this process (so its exception, if it has one, propagates too)."""
    if fork is None:
        fork = len(parts) > 1 and can_fork()
    if not fork or len(parts) < 2:
        return [fn(*p) for p in parts]
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    try:
        for p in parts[1:]:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: compute, send, leave without running the parent's exit code
                os.close(r)
                code = 0
                try:
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    payload = pickle.dumps(fn(*p), pickle.HIGHEST_PROTOCOL)
                except BaseException:  # noqa: BLE001 - reported by the parent re-running the part
                    payload = b""
                    code = 1
                try:
                    view = memoryview(payload)
                    while view:
                        view = view[os.write(w, view) :]
                finally:
                    os._exit(code)
            os.close(w)
            children.append((pid, r))
        results = [fn(*parts[0])]
        for k, (pid, r) in enumerate(children, 1):
            data = _read_all(r)
            os.close(r)
            _, status = os.waitpid(pid, 0)
            children[k - 1] = (0, -1)
            if data and status == 0:
                results.append(pickle.loads(data))
            else:  # the child failed: do its part here
                results.append(fn(*parts[k]))
        return results
    finally:
        for pid, r in children:
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            if r >= 0:
                try:
                    os.close(r)
                except OSError:
                    pass


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def split_points(size: int, n: int, boundary: Callable[[int], int]) -> list[int]:
    """``n + 1`` offsets ``0 = o_0 <= ... <= o_n = size`` cutting ``size`` bytes into ``n`` nearly
    equal ranges, each cut moved forward to ``boundary(offset)`` (e.g. just after the next record
    terminator). Empty ranges are dropped."""
    cuts = [0]
    for k in range(1, n):
        c = boundary(size * k // n)
        if cuts[-1] < c < size:
            cuts.append(c)
    cuts.append(size)
    return cuts


# -- a queue of jobs shared by forked processes ----------------------------------------------------

_TOKEN = struct.Struct("<I")
_AMOUNT = struct.Struct("=q")
#: a child's word: child index, job, offset and length of what it wrote, and what it says
_NOTE = struct.Struct("<IIQQI")
_DONE, _FAILED, _IDLE, _ANSWER, _NO_ANSWER = range(5)
#: a question to a child: job, length of the pickled request after it
_ASK = struct.Struct("<IQ")


class JobQueue:
    """``fn(*job)`` for every job, shared out as the processes get free: ``processes - 1`` forked
    children and this process take the next job from a queue (a pipe holding job numbers) until
    there is none left. A process on a busy core simply does fewer jobs, so the work stays even
    however the cores are shared (issue 6: "uses both cores where that pays", not "half the file
    each").

    A child writes each result (``encode(result)`` pickled) to a file in memory of its own
    (``memfd``) and says where on a pipe in a few bytes, so that it never waits for this process;
    this process reads a result only when it needs it (``decode`` of the unpickled data). Results
    are handed to ``on_ready(k, result)`` in job order as soon as all earlier ones are in, between
    this process's own jobs (work a child does meanwhile is not lost) and at the end;
    ``on_finished(k)`` is told as soon as job ``k`` is done anywhere (for progress), including from
    ``poll()``, which a long job of this process may call now and then. A job may say how far it
    got with ``report(amount)`` (in any process: a few shared bytes each); ``partial()`` is the sum
    over the jobs under way, for a progress line that moves with all the processes.

    With ``serve``, the children stay until ``run``'s ``after(queue)`` has returned, and
    ``ask({k: request})`` has ``serve(k, request)`` answered by the process that did job ``k``
    (what a job kept in its process's memory is asked for only where it is needed).

    Without fork (``processes`` 1, a thread running, not Linux) the jobs run here in order, with
    the same results. A job a child failed (or never finished: the child died) is done again here
    at the end, so its exception, if it has one, propagates; a question a child cannot answer has
    its job done again here, and is answered here."""

    def __init__(
        self,
        fn: Callable[..., Any],
        jobs: Sequence[tuple],
        processes: int,
        *,
        encode: Callable[[Any], Any] | None = None,
        decode: Callable[[Any], Any] | None = None,
        on_ready: Callable[[int, Any], None] | None = None,
        on_finished: Callable[[int], None] | None = None,
        serve: Callable[[int, Any], Any] | None = None,
    ):
        self.fn, self.jobs = fn, list(jobs)
        self.processes = max(1, processes)
        self.encode, self.decode = encode, decode
        self.on_ready, self.on_finished, self.serve = on_ready, on_finished, serve
        n = len(self.jobs)
        self.results: list[Any] = [None] * n
        self._have = bytearray(n)  # 1: in results
        self._finished = bytearray(n)  # 1: done somewhere (told on_finished)
        self._where: dict[int, tuple[int, int, int]] = {}  # job -> (child, offset, length) of its result
        self._owner: dict[int, int] = {}  # job -> the child that did it (absent: done here)
        self._answers: dict[int, tuple[int, int, int] | None] = {}  # job -> where the answer is (None: none)
        self._next = 0  # the next job to hand to on_ready
        self._notes = -1
        self._buf = b""
        self._stores: list[int] = []
        self._asks: list[int] = []  # per child: where its questions go
        self._pids: list[int] = []
        self._idle: set[int] = set()  # children waiting for questions
        self._gone: set[int] = set()  # children that have left (and been waited for)
        self._keep: list = []
        #: processes actually used (1 when the jobs ran here one after the other)
        self.used = 1
        #: how far each process is in its job (``report``): 8 bytes each, shared once forked
        self._progress: Any = bytearray(_AMOUNT.size)
        self._me = 0

    # -- this process ----------------------------------------------------------------------------
    def run(self, after: Callable[[JobQueue], None] | None = None) -> list[Any]:
        n = len(self.jobs)
        if self.processes < 2 or n < 2 or not can_fork():
            for k in range(n):
                self._done_here(k, self.fn(*self.jobs[k]))
            if after is not None:
                after(self)
            return self.results
        queue = self._queue(n)
        if queue < 0:  # the pipe would not hold every job number
            self.processes = 1
            return self.run(after)
        import gc
        import mmap

        nr, nw = os.pipe()
        asks: list[tuple[int, int]] = []
        ok = False
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the children share this heap as it is: no collection writes to it
        try:
            self._progress = mmap.mmap(-1, _AMOUNT.size * self.processes)  # shared with the children
            self._stores = [self._store() for _ in range(self.processes - 1)]
            if self.serve is not None:
                asks = [os.pipe() for _ in range(self.processes - 1)]
            for i in range(self.processes - 1):
                try:
                    pid = os.fork()
                except OSError:  # no more processes to be had: the ones there are do the work
                    break
                if pid == 0:
                    os.close(nr)
                    for j, (r, w) in enumerate(asks):  # only its own questions, and no way to ask
                        os.close(w)
                        if j != i:
                            os.close(r)
                    self._child(i, queue, nw, asks[i][0] if asks else -1)  # never returns
                self._pids.append(pid)
            os.close(nw)
            nw = -1
            for r, w in asks:
                os.close(r)
                self._asks.append(w)
            asks = []
            self.used = 1 + len(self._pids)
            self._notes = nr
            os.set_blocking(nr, False)
            while True:
                tok = os.read(queue, _TOKEN.size)
                if len(tok) < _TOKEN.size:
                    break
                k = _TOKEN.unpack(tok)[0]
                self._done_here(k, self.fn(*self.jobs[k]))
            os.close(queue)
            queue = -1
            self._wait(lambda: len(self._idle | self._gone) == len(self._pids))
            for k in range(n):  # anything a child failed or did not finish: here, in order
                if not self._have[k] and k not in self._where:
                    self._done_here(k, self.fn(*self.jobs[k]))
            self._deliver()
            if after is not None:
                after(self)
            ok = True
            return self.results
        finally:
            for fd in (queue, nw, *self._asks, *(fd for pair in asks for fd in pair)):
                _close(fd)  # with their questions closed, the children leave
            for i, pid in enumerate(self._pids):
                if i in self._gone:
                    continue
                try:
                    if not ok:
                        os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            for fd in (nr, *self._stores):
                _close(fd)
            self._stores, self._asks, self._pids, self._keep, self._notes = [], [], [], [], -1
            if not isinstance(self._progress, bytearray):
                self._progress.close()
                self._progress = bytearray(_AMOUNT.size)
            gc.unfreeze()

    def ask(self, requests: dict[int, Any]) -> dict[int, Any]:
        """``serve(k, request)`` for each job ``k``, answered where the job was done (the children
        work on their questions together); only from ``run``'s ``after``."""
        out: dict[int, Any] = {}
        pending: dict[int, int] = {}
        here = [k for k in requests if self._owner.get(k) is None]
        for k, request in requests.items():  # the children's questions first: they work meanwhile
            i = self._owner.get(k)
            if i is None:
                continue
            data = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
            try:
                if i in self._gone:
                    raise OSError("the child has left")
                _write_all(self._asks[i], _ASK.pack(k, len(data)) + data)
            except OSError:
                out[k] = self._answer_here(k, request)
                continue
            self._answers.pop(k, None)
            pending[k] = i
        for k in here:
            out[k] = self.serve(k, requests[k])
        while pending:
            self._wait(lambda: any(k in self._answers or i in self._gone for k, i in pending.items()))
            for k, i in list(pending.items()):
                if k in self._answers:
                    where = self._answers.pop(k)
                    del pending[k]
                    if where is None:
                        out[k] = self._answer_here(k, requests[k])
                    else:
                        _, off, length = where
                        out[k] = pickle.loads(_pread_all(self._stores[i], length, off))
                elif i in self._gone:
                    del pending[k]
                    out[k] = self._answer_here(k, requests[k])
        return out

    def _answer_here(self, k: int, request: Any) -> Any:
        """A question a child could not answer: its job done again here, and answered here."""
        self.fn(*self.jobs[k])
        self._owner.pop(k, None)
        return self.serve(k, request)

    def poll(self) -> None:
        """Take note of the jobs the children have finished since (cheap: one read that does not wait)."""
        if self._notes >= 0:
            self._read_notes()

    def report(self, amount: int) -> None:
        """How far the job under way in this process got (in the job's own unit, e.g. bytes)."""
        _AMOUNT.pack_into(self._progress, _AMOUNT.size * self._me, amount)

    def partial(self) -> int:
        """The sum of what the jobs under way have reported (finished jobs count 0 here)."""
        return sum(v for (v,) in _AMOUNT.iter_unpack(self._progress))

    def _done_here(self, k: int, result: Any) -> None:
        self.report(0)
        self.results[k] = result
        self._have[k] = 1
        self._mark(k)
        self.poll()
        self._deliver()

    def _mark(self, k: int) -> None:
        if not self._finished[k]:
            self._finished[k] = 1
            if self.on_finished is not None:
                self.on_finished(k)

    def _deliver(self) -> None:
        n = len(self.jobs)
        while self._next < n:
            k = self._next
            if not self._have[k]:
                where = self._where.get(k)
                if where is None:
                    return
                i, off, length = where
                result = pickle.loads(_pread_all(self._stores[i], length, off))
                self.results[k] = result if self.decode is None else self.decode(result)
                self._have[k] = 1
            if self.on_ready is not None:
                self.on_ready(k, self.results[k])
            self._next += 1

    def _wait(self, done: Callable[[], bool]) -> None:
        """Read what the children say (handing results on as they come) until ``done()``; a child
        that leaves without a word is noticed within a fraction of a second."""
        import select

        while not done():
            ready, _, _ = select.select([self._notes], [], [], 0.2)
            if not ready:  # has a child left without a word?
                for i in range(len(self._pids)):
                    self._reap(i, block=False)
            while True:  # all there is to read (what a child said before it left, too)
                got = self._read_notes()
                if got is None:
                    break
                if got is False:  # every child has left
                    for i in range(len(self._pids)):
                        self._reap(i, block=True)
                    break
            self._deliver()

    def _reap(self, i: int, block: bool) -> None:
        if i in self._gone:
            return
        try:
            pid, _ = os.waitpid(self._pids[i], 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid = self._pids[i]
        if pid:
            self._gone.add(i)

    def _read_notes(self) -> bool | None:
        """Read what the children have said (without waiting): True, None when there was nothing,
        False at the end (every child gone)."""
        try:
            data = os.read(self._notes, 1 << 16)
        except BlockingIOError:
            return None
        if not data:
            return False
        buf = self._buf + data
        size = _NOTE.size
        end = len(buf) - len(buf) % size
        for off in range(0, end, size):
            i, k, where, length, what = _NOTE.unpack_from(buf, off)
            if what == _DONE:
                self._where[k] = (i, where, length)
                self._owner[k] = i
                self._mark(k)
            elif what == _IDLE:
                self._idle.add(i)
            elif what == _ANSWER:
                self._answers[k] = (i, where, length)
            elif what == _NO_ANSWER:
                self._answers[k] = None
            # _FAILED: the job is done again here at the end
        self._buf = buf[end:]
        return True

    def _queue(self, n: int) -> int:
        """A pipe holding the job numbers (its writing end closed), or -1 if they do not fit."""
        r, w = os.pipe()
        data = b"".join(_TOKEN.pack(k) for k in range(n))
        os.set_blocking(w, False)
        try:
            written = os.write(w, data)
        except BlockingIOError:
            written = 0
        os.close(w)
        if written != len(data):
            os.close(r)
            return -1
        return r

    def _store(self) -> int:
        """A file in memory for one child's results (a temporary file where there is no memfd)."""
        if hasattr(os, "memfd_create"):
            try:
                return os.memfd_create("libris-tui-results", getattr(os, "MFD_CLOEXEC", 0))
            except OSError:
                pass
        import tempfile

        fh = tempfile.TemporaryFile()
        self._keep.append(fh)
        return os.dup(fh.fileno())

    # -- a child -----------------------------------------------------------------------------------
    def _child(self, i: int, queue: int, notes: int, asks: int) -> None:
        import gc

        code = 0
        try:
            gc.disable()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            self._me = i + 1
            store, off = self._stores[i], 0
            while True:
                tok = os.read(queue, _TOKEN.size)
                if len(tok) < _TOKEN.size:
                    break
                k = _TOKEN.unpack(tok)[0]
                try:
                    result = self.fn(*self.jobs[k])
                    if self.encode is not None:
                        result = self.encode(result)
                    payload = pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
                    _pwrite_all(store, payload, off)
                    self.report(0)
                except BaseException:  # noqa: BLE001 - the job is done again by the parent
                    os.write(notes, _NOTE.pack(i, k, 0, 0, _FAILED))
                    code = 1
                    break
                os.write(notes, _NOTE.pack(i, k, off, len(payload), _DONE))
                off += len(payload)
            os.close(queue)
            if asks >= 0:  # questions about the jobs done here, until the parent closes the pipe
                os.write(notes, _NOTE.pack(i, 0, 0, 0, _IDLE))
                while True:
                    head = _read_exactly(asks, _ASK.size)
                    if head is None:
                        break
                    k, length = _ASK.unpack(head)
                    data = _read_exactly(asks, length)
                    try:
                        answer = pickle.dumps(self.serve(k, pickle.loads(data)), pickle.HIGHEST_PROTOCOL)
                        _pwrite_all(store, answer, off)
                    except BaseException:  # noqa: BLE001 - answered by the parent instead
                        os.write(notes, _NOTE.pack(i, k, 0, 0, _NO_ANSWER))
                        continue
                    os.write(notes, _NOTE.pack(i, k, off, len(answer), _ANSWER))
                    off += len(answer)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)


def run_queue(fn: Callable[..., Any], jobs: Sequence[tuple], processes: int, **kwargs) -> list[Any]:
    """``[fn(*job) for job in jobs]`` shared out over ``processes`` processes (see ``JobQueue``)."""
    return JobQueue(fn, jobs, processes, **kwargs).run()


def _close(fd: int) -> None:
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, length: int) -> bytes | None:
    """``length`` bytes from a pipe, or None at its end."""
    chunks = []
    while length > 0:
        b = os.read(fd, min(length, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        length -= len(b)
    return b"".join(chunks)


def _pwrite_all(fd: int, data: bytes, off: int) -> None:
    view = memoryview(data)
    while view:
        k = os.pwrite(fd, view, off)
        view, off = view[k:], off + k


def _pread_all(fd: int, length: int, off: int) -> bytes:
    chunks = []
    while length > 0:
        b = os.pread(fd, length, off)
        if not b:
            raise OSError("a child's result is shorter than it said")
        chunks.append(b)
        length -= len(b)
        off += len(b)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def guided_cuts(total: int, processes: int, *, smallest: int) -> list[int]:
    """Offsets ``0 = c_0 < ... < c_n = total`` cutting ``total`` bytes into jobs for a ``JobQueue``
    of ``processes``: large first, smaller and smaller (a share of what is left each), none below
    ``smallest`` but the last, so that the processes finish nearly together."""
    cuts = [0]
    left = total
    while left > 0:
        size = max(smallest, left // (2 * processes))
        size = min(size, left)
        if left - size < smallest // 2:  # no crumb at the end
            size = left
        cuts.append(cuts[-1] + size)
        left -= size
    return cuts


__all__ = [
    "WORKERS_ENV",
    "cpu_count",
    "can_fork",
    "workers",
    "run_parts",
    "split_points",
    "JobQueue",
    "run_queue",
    "guided_cuts",
]
