"""Read a file the way every part of the program would, and say whether it ended well.

Used by the property tests in this folder and by ``tools/fuzz_campaign.py``. "Ended well" means:
``open_source`` gave a source or raised one of the project's own errors (``LibrisError``), every
slot is a ``LibrisRecord`` or a ``BrokenRecord``, the label and MARC views of every record build,
and ``libris-tui dump`` ends with exit status 0/1/2 and writes no raw control character.
Anything else is a crash: ``exercise`` raises ``Crash`` carrying the original traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tui.core.formats import open_source, registry, sniff  # noqa: E402
from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord  # noqa: E402

HOSTILE = ROOT / "tests" / "data" / "hostile"
SAMPLES = ROOT / "sample_records"
CORPUS = ROOT.parent / "shared" / "corpus" / "pymarc"

#: what may reach the terminal from ``dump``: printable text and newlines only
#: (lone surrogates too: printing one raises UnicodeEncodeError, a crash)
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class Crash(AssertionError):
    """Reading ended in something other than records or the project's own clear error."""

    def __init__(self, stage: str, exc: BaseException | None, detail: str = ""):
        tb = "".join(traceback.format_exception(exc)) if exc is not None else ""
        super().__init__(f"{stage}: {type(exc).__name__ + ': ' if exc else ''}{exc or ''}{detail}\n{tb}")
        self.stage = stage
        self.exc = exc
        self.detail = detail

    @property
    def signature(self) -> str:
        """Where it crashed: stage, exception type and the innermost project frame."""
        if self.exc is None:
            first = self.detail.strip().splitlines()[0] if self.detail.strip() else ""
            return f"{self.stage}: {re.sub(r'[0-9]+', 'N', first.split(': ')[0])[:60]}"
        frames = traceback.extract_tb(self.exc.__traceback__)
        ours = [f for f in frames if "/tui/" in f.filename] or frames
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
        return f"{self.stage}: {type(self.exc).__name__} at {where}"


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ModuleNotFoundError, AttributeError):
        return None


def views():
    """The views that exist yet: (label_view, render_label_view, marc_view), each or None."""
    return (
        _optional("tui.core.views.labels", "label_view"),
        _optional("tui.core.views.labels", "render_label_view"),
        _optional("tui.core.views.marcview", "marc_view"),
    )


def dump_available() -> bool:
    try:
        importlib.import_module("tui.cli.dump")
        return True
    except ModuleNotFoundError:
        return False


def reader_available(fmt: str) -> bool:
    try:
        importlib.import_module(registry.get(fmt).module)
        return True
    except ModuleNotFoundError:
        return False


def format_of(data: bytes, name: str) -> str | None:
    return sniff(data[:65536], name)


class Missing(Exception):
    """A part of the program is not built yet (tests skip, the campaign counts it apart)."""


def _fail(stage: str, exc: BaseException) -> Exception:
    """The exception to raise for ``exc``: ``Missing`` for a module of ours not written yet."""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("tui."):
        return Missing(exc.name)
    return Crash(stage, exc)


def read_all(path: str | os.PathLike, with_views: bool = True) -> str:
    """Open and read every slot; return "error" (own error at open), or "records:<n>/<broken>"."""
    try:
        src = open_source(path)
    except LibrisError:
        return "error"
    except Exception as exc:
        raise _fail("open_source", exc) from exc
    try:
        src.build_index()
        n = len(src)
    except Exception as exc:
        raise _fail("build_index", exc) from exc
    label_view, render_label_view, marc_view = views() if with_views else (None, None, None)
    good = broken = 0
    for i in range(n):
        try:
            e = src.entry(i)
        except Exception as exc:
            raise _fail(f"entry({i})", exc) from exc
        try:
            src.raw(i)
        except Exception as exc:
            raise _fail(f"raw({i})", exc) from exc
        if isinstance(e, BrokenRecord):
            broken += 1
            try:
                e.describe()
            except Exception as exc:
                raise _fail(f"BrokenRecord({i}).describe", exc) from exc
            continue
        if not isinstance(e, LibrisRecord):
            raise Crash(f"entry({i})", None, f"returned {type(e).__name__}, not a record")
        good += 1
        try:
            e.describe(), e.title, e.kind, e.control_number, e.linked_bib, str(e.marc.leader)
            for issue in e.issues:
                issue.describe()
        except Exception as exc:
            raise _fail(f"record({i}) basics", exc) from exc
        if label_view is not None:
            try:
                lines = label_view(e)
                if render_label_view is not None:
                    render_label_view(lines)
            except Exception as exc:
                raise _fail(f"label_view({i})", exc) from exc
        if marc_view is not None:
            try:
                marc_view(e)
            except Exception as exc:
                raise _fail(f"marc_view({i})", exc) from exc
    try:
        for _ in src:
            pass
    except Exception as exc:
        raise _fail("iterate", exc) from exc
    return f"records:{good}/{broken}"


def run_dump(path: str | os.PathLike, *extra: str) -> tuple[int, str, str]:
    """``libris-tui dump PATH`` in this process; (exit status, stdout, stderr)."""
    from tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["dump", *extra, str(path)])
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
        except Exception as exc:
            raise _fail("dump", exc) from exc
    return rc, out.getvalue(), err.getvalue()


def check_dump(path: str | os.PathLike) -> int:
    rc, out, err = run_dump(path, "--show-channel")
    if rc not in (0, 1, 2):
        raise Crash("dump", None, f" exit status {rc}")
    if "Traceback" in err:
        raise Crash("dump", None, f" traceback on stderr:\n{err}")
    for stream, text in (("stdout", out), ("stderr", err)):
        m = RAW_CONTROL.search(text)
        if m:
            raise Crash(
                "dump",
                None,
                f" raw control character {m.group(0)!r} on {stream} "
                f"at {m.start()}: {text[max(0, m.start() - 40) : m.start() + 20]!r}",
            )
    return rc


def exercise(path: str | os.PathLike, dump: bool = True) -> str:
    """Everything a file goes through; raises ``Crash`` or ``Missing``; returns the outcome.
    What the libraries print while reading (warnings, logging) must be safe too: it is captured."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        outcome = read_all(path)
    text = err.getvalue()
    if "Traceback" in text:
        raise Crash("read (stderr)", None, f" a traceback was printed:\n{text[-2000:]}")
    m = RAW_CONTROL.search(text)
    if m:
        raise Crash(
            "read (stderr)",
            None,
            f" raw control character {m.group(0)!r} printed: {text[max(0, m.start() - 60) : m.start() + 20]!r}",
        )
    if dump and dump_available():
        check_dump(path)
    return outcome


#: the hand-made attacks in tests/data/hostile (read as they are; too big or too nasty to mutate)
ATTACKS = (
    "billion-laughs.xml",
    "quadratic-blowup.xml",
    "xxe-file.xml",
    "xxe-parameter.xml",
    "external-dtd.xml",
    "xinclude.xml",
    "deep.xml",
    "deep.json",
    "deep-record.json",
)


def hostile_files() -> list[Path]:
    return sorted(
        p for p in HOSTILE.iterdir() if p.is_file() and p.suffix not in (".md", ".py") and not p.name.startswith(".")
    )


def seed_files(include_corpus: bool = True) -> list[Path]:
    """Valid (and some deliberately broken) files of every format to mutate."""
    seeds = [p for p in hostile_files() if p.name not in ATTACKS]
    seeds += sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md") if SAMPLES.is_dir() else []
    if include_corpus and CORPUS.is_dir():
        have = {p.name for p in seeds}
        seeds += sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name not in have)
    return seeds
