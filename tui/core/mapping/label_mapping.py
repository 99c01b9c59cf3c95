"""The one loader of the mapping data in ``tui/data`` (built by ``tools/build_mapping.py``),
through a marshal cache: the label mapping (``label-mapping.json`` with the KBV and linked-term
labels, read by the label view) and marcframe itself with the vocabulary model (read by the
conversion, ``tui.core.mapping.marcframe``)."""

from __future__ import annotations

import gc
import json
import marshal
import os
import re
import sys
import tempfile
import zlib
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from tui.core.mapping import compiled

UNMAPPED_SECTION_ENTITY = "Instance"
_BIG = 10_000


# -- the mapping data ---------------------------------------------------------------------------

#: the data files ``load_mapping`` reads, in the order ``Mapping`` takes them
MAPPING_FILES = ("label-mapping.json", "kbv-labels.json", "term-labels.json")
#: first bytes of the cache file; a new layout gets a new number (an old cache is then rebuilt)
_CACHE_MAGIC = b"libris-tui label-mapping cache 1"


def cache_dir() -> Path:
    """Where derived data that can always be rebuilt lives (``LIBRIS_TUI_CACHE_DIR`` overrides
    the platformdirs user cache directory; tests set it so that they never touch the user's)."""
    env = os.environ.get("LIBRIS_TUI_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_path

    from tui.core.settings.config import APP_NAME

    return user_cache_path(APP_NAME, appauthor=False)


def mapping_cache_path(name: str = "label-mapping") -> Path:
    # marshal's format belongs to the Python version: one file per interpreter
    return cache_dir() / f"{name}.{sys.implementation.cache_tag}.marshal"


def _cache_key(paths: list[Path]) -> bytes | None:
    """What the cache must have been built from: the package version, the interpreter, and each
    data file's size and modification time; ``None`` when the data are not plain files."""
    from tui import __version__

    parts = [__version__, sys.implementation.cache_tag, str(marshal.version)]
    try:
        for p in paths:
            st = p.stat()
            parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return None
    return " ".join(parts).encode("utf-8", "replace")


def _read_cache(path: Path, key: bytes, count: int = len(MAPPING_FILES)) -> tuple | None:
    """The cached data, or ``None`` if there is none or it is not for ``key`` (stale), unreadable,
    or damaged (the payload's CRC-32 is checked before it is unmarshalled)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    nl = blob.find(b"\n")
    head = blob[:nl].split(b" | ")
    if nl < 0 or len(head) != 3 or head[0] != _CACHE_MAGIC or head[1] != key:
        return None
    payload = memoryview(blob)[nl + 1 :]
    try:
        if int(head[2], 16) != zlib.crc32(payload):
            return None
        data = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == count and all(isinstance(d, dict) for d in data)):
        return None
    return data


def _write_cache(path: Path, key: bytes, data: tuple) -> None:
    """Write the cache atomically (a temporary file renamed over it); any failure is ignored: the
    cache only ever saves time."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            payload = marshal.dumps(data)
            fh.write(b" | ".join((_CACHE_MAGIC, key, b"%08x" % zlib.crc32(payload))) + b"\n")
            fh.write(payload)
        os.replace(tmp, path)
        tmp = None
    except (OSError, ValueError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _load_data() -> tuple:
    """The three JSON documents of ``MAPPING_FILES``."""
    return load_data_files(MAPPING_FILES, "label-mapping")


def load_data_files(names: tuple[str, ...], cache_name: str) -> tuple:
    """The JSON documents ``names`` of ``tui/data``: from the marshal cache ``cache_name`` when
    it was built from these very files (by size and modification time, for this package version
    and this Python), else decoded from JSON and the cache written again. Most of decoding
    megabytes of JSON is the cyclic garbage collector looking at the new containers, so it is
    paused meanwhile."""
    base = resources.files("tui.data")
    paths = [base.joinpath(name) for name in names]
    files = [p for p in paths if isinstance(p, Path)]
    key = _cache_key(files) if len(files) == len(paths) else None  # a zip: no cache
    cache: Path | None
    try:
        cache = mapping_cache_path(cache_name) if key is not None else None
    except Exception:  # no usable cache directory: the cache is never required
        cache = None
    paused = gc.isenabled()
    gc.disable()
    try:
        data = _read_cache(cache, key, len(names)) if cache is not None and key is not None else None
        if data is None:
            data = tuple(json.loads(p.read_text(encoding="utf-8")) for p in paths)
            if cache is not None and key is not None:
                _write_cache(cache, key, data)
        if gc.get_freeze_count() == 0:
            # the new objects (some 35 000 containers, 300 000 references) live as long as the
            # process: move them to the oldest generation at once rather than have the young
            # collections walk them twice on the way there (freeze + unfreeze does that, without
            # a walk; skipped once someone has frozen objects, which this must not unfreeze)
            gc.freeze()
            gc.unfreeze()
    finally:
        if paused:
            gc.enable()
    return data


class Mapping:
    """``label-mapping.json`` with its label tables, and the lookups the views need."""

    def __init__(self, mapping: dict, kbv: dict, terms: dict):
        self.data = mapping
        self.kbv = kbv
        self.terms = terms
        self.formats: dict[str, dict] = mapping["formats"]
        self.token_maps: dict[str, dict] = mapping["tokenMaps"]
        self.sections = {s["entity"]: s for s in mapping["sections"]}
        self.section_ids = {s["entity"]: s["heading"]["sv"] for s in mapping["sections"]}
        self.headings = {s["heading"]["sv"]: s["heading"] for s in mapping["sections"]}
        self.entity_order = [s["entity"] for s in mapping["sections"]]
        self.lens_index = {
            s["entity"]: {p: i for i, p in enumerate(s["order"])} if isinstance(s["order"], list) else None
            for s in mapping["sections"]
        }

    @cached_property
    def compiled(self) -> compiled.Mapping:
        """The same document compiled into tag rules, for the conversion and for choosing
        variants (``tui.core.mapping.conditions``)."""
        return compiled.Mapping(self.data)

    def tag(self, fmt: str, tag: str) -> dict | None:
        return self.formats.get(fmt, {}).get(tag)

    def term_label(self, term: str, lang: str) -> str:
        lab = self.kbv.get(term)
        if lab:
            return lab.get(lang) or lab.get("sv") or term
        if term.startswith("marc:"):
            t = self.terms.get("https://id.kb.se/marc/" + term[5:])
            if t:
                return t.get(lang) or t.get("sv") or t.get("en") or term
        return _humanise(term) if term.startswith("marc:") else term

    def linked_label(self, uri: str, lang: str) -> str | None:
        t = self.terms.get(uri)
        if not t:
            return None
        return t.get(lang) or t.get("sv") or t.get("en") or None

    def token_value(self, token: Any, lang: str) -> str | None:
        if token is None:
            return None
        if isinstance(token, bool):
            return self.data["booleanLabels"]["true" if token else "false"][lang]
        if isinstance(token, dict):
            return token.get(lang) or token.get("sv")
        return self.term_label(str(token), lang)

    def token_map(self, spec: Any) -> dict | None:
        if isinstance(spec, dict):
            return spec
        if isinstance(spec, str):
            return self.token_maps.get(spec)
        return None


@lru_cache(maxsize=1)
def load_mapping() -> Mapping:
    return Mapping(*_load_data())


def _humanise(term: str) -> str:
    """``marc:FullLevelInputByOclcParticipantsLocal`` -> ``Full level input by oclc participants local``."""
    local = term.split(":", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).split()
    if not words:
        return term
    text = " ".join([words[0]] + [w if w.isupper() else w.lower() for w in words[1:]])
    return text[:1].upper() + text[1:]
