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
import sys
import threading
from typing import Any, Callable, Sequence

#: environment variable: the number of processes to use (1: never fork)
WORKERS_ENV = "LIBRIS_TUI_WORKERS"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.active_count() == 1)


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
                        view = view[os.write(w, view):]
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


__all__ = ["WORKERS_ENV", "cpu_count", "can_fork", "workers", "run_parts", "split_points"]
