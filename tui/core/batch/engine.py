"""One interface for parallel work over a record file, on engines that already exist.

Whole-file work (``stats``, ``validate``, ``batch``, ``match``) is cut into *shards*: record-offset
ranges of the file (``Shard``: byte range, first slot), each handled by a plain module-level
function of picklable arguments, ``fn(common, *item)``. An ``Engine`` runs such a function over
a list of items and gives the results back in the order of the items, whatever order they were
done in, so a command's output is the same byte for byte on every engine:

* ``InlineEngine``: here, one item after the other (one core; and where processes cannot be had:
  inside the app, whose threads make forking unsafe).
* ``LocalEngine``: local processes from the standard library (``concurrent.futures``), forked
  (so a worker sees the modules and the file the parent opened at no cost), the default.
* ``DaskEngine``: a ``dask.distributed`` cluster, a scheduler at an address or a ``LocalCluster``
  started for the run (the optional extra ``libris-tui[dask]``). Its workers open the file by its
  path, so it must be at the same path for them (a shared file system).

``common`` travels once per worker (fork; dask's broadcast), not once per item. Items are handed
to whichever worker is free, so with many shards, large ones first (``guided_cuts``), a worker
on a busy core simply does fewer and all finish nearly together.

A worker opens the file itself (``shard_source``) and checks that it is the file the parent saw
(size and modification time: ``FileKey``); a file the parent registered (``shared_source``) is
used as it is by workers in this process and by forked ones.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tui.core.model.record import LibrisError

#: environment variable: the number of processes to use (1: everything in this process)
WORKERS_ENV = "LIBRIS_TUI_WORKERS"
#: the engines by name (``--engine``)
ENGINES = ("local", "dask")


class EngineError(LibrisError):
    """The engine asked for cannot be had (dask not installed, a scheduler that does not answer)."""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forked workers are safe and cheap on Linux from a process with one thread."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def workers(limit: int = 8) -> int:
    """How many local processes whole-file work may use here (1 when forking is not an option)."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    n = int(env) if env.isdigit() and int(env) >= 1 else cpu_count()
    n = max(1, min(n, limit))
    return n if n > 1 and can_fork() else 1


# -- the file a shard reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileKey:
    """A file as the parent saw it: a worker refuses a file that changed since."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> FileKey:
        st = os.stat(path)
        return cls(os.path.realpath(path), st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Shard:
    """Records ``first`` .. of a file, the bytes ``lo:hi`` (cut at record boundaries)."""

    file: FileKey
    lo: int
    hi: int
    first: int = 0
    #: slots in the shard when the parent knows it (it has the index), else -1
    count: int = -1


_SHARED: dict[FileKey, Any] = {}
_OPENED: OrderedDict[FileKey, Any] = OrderedDict()
_OPENED_MAX = 4


@contextmanager
def shared_source(src) -> Iterator[FileKey]:
    """Register an open ISO 2709 source for the shards of this process and of workers forked
    meanwhile; yields its ``FileKey``."""
    key = FileKey.of(src.path)
    _SHARED[key] = src
    try:
        yield key
    finally:
        _SHARED.pop(key, None)


def shard_source(key: FileKey):
    """The ISO 2709 source for ``key`` in this process: the parent's (registered), or opened here
    (a few are kept open). Raises ``LibrisError`` when the file is not the one the parent saw."""
    src = _SHARED.get(key)
    if src is not None:
        return src
    src = _OPENED.get(key)
    if src is not None:
        _OPENED.move_to_end(key)
        return src
    from tui.core.formats.iso2709 import Iso2709Source

    try:
        now = FileKey.of(key.path)
    except OSError as exc:
        raise LibrisError(f"{key.path}: cannot be read by a worker: {exc.strerror or exc}") from None
    if now != key:
        raise LibrisError(f"{key.path}: the file changed while it was being worked on")
    src = Iso2709Source(key.path)
    _OPENED[key] = src
    while len(_OPENED) > _OPENED_MAX:
        _OPENED.popitem(last=False)[1].close()
    return src


def guided_cuts(total: int, processes: int, *, smallest: int, largest: int | None = None) -> list[int]:
    """Offsets ``0 = c_0 < ... < c_n = total`` cutting ``total`` bytes into shards for
    ``processes`` workers: large first, smaller and smaller (a share of what is left each), none
    below ``smallest`` but the last, none above ``largest``, so that the workers finish nearly
    together however the cores are shared."""
    cuts = [0]
    left = total
    while left > 0:
        size = max(smallest, left // (2 * processes))
        if largest:
            size = min(size, max(smallest, largest))
        size = min(size, left)
        if left - size < smallest // 2:  # no crumb at the end
            size = left
        cuts.append(cuts[-1] + size)
        left -= size
    return cuts


def slot_shards(src, key: FileKey, processes: int, *, smallest: int, largest: int | None = None) -> list[Shard]:
    """Shards of an indexed ISO 2709 source (``guided_cuts`` moved to the slots they fall in)."""
    from bisect import bisect_left

    size, total = src.size, len(src)
    starts, ends = src.starts, src.ends
    slots: list[int] = [0]
    for c in guided_cuts(size, processes, smallest=smallest, largest=largest)[1:]:
        slot = bisect_left(starts, c, 0, total) if c < size else total
        if slot > slots[-1]:
            slots.append(slot)
    if slots[-1] != total:
        slots.append(total)
    return [Shard(key, starts[lo], ends[hi - 1], lo, hi - lo) for lo, hi in zip(slots, slots[1:]) if hi > lo]


def byte_shards(src, key: FileKey, processes: int, *, smallest: int, largest: int | None = None) -> list[Shard]:
    """Shards of an ISO 2709 file that has not been indexed: ``guided_cuts`` moved forward to just
    after the next record terminator (every terminator ends a slot, so the slots a shard finds
    are those a scan of the whole file finds there). Their first slots are not known (-1)."""
    from tui.core.formats.iso2709 import RT_B

    size = src.size

    def boundary(off: int) -> int:
        step = 1 << 16
        while off < size:
            chunk = src.read_span(off, min(size, off + step))
            t = chunk.find(RT_B)
            if t >= 0:
                return off + t + 1
            off += len(chunk)
            step *= 2
        return size

    cuts = [0]
    for c in guided_cuts(size, processes, smallest=smallest, largest=largest)[1:]:
        b = boundary(c) if c < size else size
        if cuts[-1] < b:
            cuts.append(b)
    if cuts[-1] != size:
        cuts.append(size)
    return [Shard(key, lo, hi, -1) for lo, hi in zip(cuts, cuts[1:])]


# -- engines -------------------------------------------------------------------------------------

Done = Callable[[int], None]


class Engine:
    """Runs ``fn(common, *item)`` for every item; ``map`` yields the results in item order."""

    name = ""
    #: how many items may be under way at once
    workers = 1

    def map(
        self, fn: Callable[..., Any], items: Sequence[tuple], common: Any = None, *, done: Done | None = None
    ) -> Iterator[Any]:
        raise NotImplementedError

    def run(self, fn: Callable[..., Any], items: Sequence[tuple], common: Any = None, **kw) -> list[Any]:
        return list(self.map(fn, items, common, **kw))

    def close(self) -> None:
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class InlineEngine(Engine):
    """In this process, one item after the other."""

    name = "inline"

    def map(self, fn, items, common=None, *, done=None):
        for k, item in enumerate(items):
            result = fn(common, *item)
            if done is not None:
                done(k)
            yield result


_COMMON: dict[int, Any] = {}


def _init_worker(token: int, common: Any) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and ends its workers
    _die_with_parent()
    _COMMON[token] = common


def _die_with_parent() -> None:
    """A worker whose parent is gone (killed) ends too, instead of waiting for work for ever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent left before that was set
        os._exit(1)


def _call(token: int, fn: Callable[..., Any], item: tuple) -> Any:
    return fn(_COMMON.get(token), *item)


class LocalEngine(Engine):
    """Local processes through ``concurrent.futures`` (forked: they share what the parent has
    opened). Falls back to this process, with the same results, where forking is not safe."""

    name = "local"

    def __init__(self, processes: int | None = None):
        self.workers = max(1, processes if processes is not None else workers())

    def map(self, fn, items, common=None, *, done=None):
        items = list(items)
        if self.workers < 2 or len(items) < 2 or not can_fork():
            yield from InlineEngine().map(fn, items, common, done=done)
            return
        import gc
        import multiprocessing
        import pickle
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        pickle.dumps((fn, items[0]))  # what cannot travel fails here, before any process is made
        token = id(items)
        _COMMON[token] = common
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the workers share this heap as it is: no collection there writes to it
        pool = ProcessPoolExecutor(
            min(self.workers, len(items)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(token, common),
        )
        futures = []
        try:
            futures = [pool.submit(_call, token, fn, item) for item in items]
            pending = set(futures)
            order = {f: k for k, f in enumerate(futures)}
            for k, f in enumerate(futures):
                while not f.done():
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    if done is not None:
                        for g in sorted(finished, key=order.__getitem__):
                            done(order[g])
                pending.discard(f)
                try:
                    result = f.result()
                except BrokenProcessPool:  # a worker died (killed, out of memory): do it here
                    result = fn(common, *items[k])
                yield result
                futures[k] = None  # type: ignore[call-overload]  # its result is no longer held
        finally:
            for f in futures:
                if f is not None:
                    f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            _COMMON.pop(token, None)
            gc.unfreeze()


class DaskEngine(Engine):
    """A ``dask.distributed`` cluster: the scheduler at ``scheduler``, else a ``LocalCluster`` of
    ``processes`` single-threaded worker processes on this machine (loopback only), started for
    the engine's life. Items are submitted at once; the scheduler hands them to free workers."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, processes: int | None = None, *, client=None):
        try:
            import distributed
        except ModuleNotFoundError:
            raise EngineError(
                "the dask engine needs dask.distributed: install the extra (pip install 'libris-tui[dask]')"
            ) from None
        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif scheduler:
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except OSError as exc:
                raise EngineError(f"no dask scheduler answers at {scheduler}: {exc}") from None
        else:
            n = max(1, processes or cpu_count())
            self._cluster = distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = distributed.Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or (processes or 1))

    def map(self, fn, items, common=None, *, done=None):
        from distributed import as_completed

        items = list(items)
        if not items:
            return
        shared = self.client.scatter(common, broadcast=True) if common is not None else None
        futures = [self.client.submit(fn, shared, *item, pure=False) for item in items]
        order = {f.key: k for k, f in enumerate(futures)}
        ready: set[int] = set()
        stream = as_completed(futures)
        try:
            for k, f in enumerate(futures):
                while k not in ready:
                    g = next(stream)
                    ready.add(order[g.key])
                    if done is not None:
                        done(order[g.key])
                yield f.result()
                futures[k] = None
        finally:
            for f in futures:
                if f is not None:
                    f.cancel()
            if shared is not None:
                self.client.cancel(shared)

    def close(self) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_engine(name: str | None = None, *, scheduler: str | None = None, processes: int | None = None) -> Engine:
    """The engine a command asked for: ``local`` (the default) or ``dask``."""
    if name in (None, "", "local"):
        if scheduler:
            raise EngineError("--scheduler is for the dask engine (--engine dask)")
        return LocalEngine(processes)
    if name == "dask":
        return DaskEngine(scheduler, processes)
    raise EngineError(f"unknown engine {name!r}; engines: {', '.join(ENGINES)}")


__all__ = [
    "WORKERS_ENV",
    "ENGINES",
    "EngineError",
    "cpu_count",
    "can_fork",
    "workers",
    "FileKey",
    "Shard",
    "shared_source",
    "shard_source",
    "guided_cuts",
    "slot_shards",
    "byte_shards",
    "Engine",
    "InlineEngine",
    "LocalEngine",
    "DaskEngine",
    "make_engine",
]
