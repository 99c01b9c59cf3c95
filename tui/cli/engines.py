"""``--engine local|dask`` and ``--scheduler ADDRESS`` for the subcommands that work on whole files
(stats, validate, batch, match), and the engine they ask for (``tui.core.batch.engine``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from tui.core.batch.engine import ENGINES, Engine, make_engine


def add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where whole-file work runs: local processes on every core (local, the default) or a dask "
        "cluster (dask; the extra libris-tui[dask])",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="the dask scheduler, e.g. tcp://10.0.0.5:8786 (its workers must see the files at the same "
        "paths); without it --engine dask starts a cluster of local processes",
    )


@contextmanager
def engine_for(args: argparse.Namespace) -> Iterator[Engine | None]:
    """The engine ``args`` ask for, closed afterwards; None for the default (each command then
    decides whether a file is large enough to share out)."""
    name = getattr(args, "engine", None) or "local"
    scheduler = getattr(args, "scheduler", None)
    if name == "local" and not scheduler:
        yield None
        return
    engine = make_engine(name, scheduler=scheduler)
    try:
        yield engine
    finally:
        engine.close()


__all__ = ["add_engine_options", "engine_for"]
