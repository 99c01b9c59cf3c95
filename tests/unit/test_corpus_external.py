"""Every real file of ../shared/corpus/external (other projects' test data, many broken on
purpose) and ../shared/corpus/pymarc, read as leniently as yaz-marcdump and pymarc read them:

* no traceback: a file is read, or refused with one clear line;
* ISO 2709 and MARCXML: at least as many readable records as yaz-marcdump reads (asked live);
* no U+FFFD in a record that its bytes did not have, unless the record says so (an ENC-* issue);
* an unedited ISO 2709 record written back by our writer is byte-identical to its source."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import SHARED
from tui.core.formats import iso2709, open_source
from tui.core.model.record import BrokenRecord, LibrisError, LibrisRecord

DIRS = ("external", "pymarc")
YAZ = shutil.which("yaz-marcdump") or next((p for p in ["/usr/bin/yaz-marcdump"] if os.path.exists(p)), None)
FFFD = "\ufffd"
FFFD_UTF8 = FFFD.encode("utf-8")


def _files() -> list:
    out = []
    for d in DIRS:
        folder = SHARED / "corpus" / d
        if folder.is_dir():
            out += [(d, p.name) for p in sorted(folder.iterdir()) if p.name not in ("MANIFEST.tsv", "README.md")]
    return out or [("absent", "")]


FILES = _files()

#: where the reader still falls short (each an xfail that must start passing when fixed)
SHORT: dict[str, set[str]] = {}


def _params(check: str) -> list:
    return [
        pytest.param(
            (d, n),
            id=f"{d}/{n}",
            marks=[pytest.mark.xfail(strict=True, reason="the ISO 2709 reader is not yet that lenient")]
            if f"{d}/{n}" in SHORT.get(check, ())
            else [],
        )
        for d, n in FILES
    ]


@pytest.fixture
def corpus_file(request):
    folder, name = request.param
    path = SHARED / "corpus" / folder / name
    if folder == "absent" or not path.is_file():
        pytest.skip("../shared/corpus/external and ../shared/corpus/pymarc are not present")
    return path


def yaz_count(path, fmt: str) -> int | None:
    """Records yaz-marcdump reads from the file, or None without yaz. For ISO 2709 ``-n -p``
    names each record it reads (broken ones too, as it recovers what it can); for MARCXML it
    names none, so its ISO 2709 output's record terminators are counted."""
    if YAZ is None:
        return None
    if fmt in ("marcxml", "turbomarc"):  # yaz's XML reader takes both
        r = subprocess.run([YAZ, "-i", "marcxml", "-o", "marc", str(path)], capture_output=True, timeout=60)
        return r.stdout.count(b"\x1d")
    r = subprocess.run([YAZ, "-n", "-p", str(path)], capture_output=True, timeout=60)
    return len(re.findall(rb"<!-- Record \d+ offset", r.stdout))


def _texts(rec: LibrisRecord):
    for f in rec.marc.fields:
        if f.is_control_field():
            yield f.tag, f.data or ""
        else:
            for sf in f.subfields:
                yield f.tag, sf.value


def _read(path):
    try:
        src = open_source(str(path))
    except LibrisError as exc:  # a clean refusal: one line naming the file
        msg = str(exc)
        assert "\n" not in msg and str(path) in msg and "Traceback" not in msg
        return None, []
    return src, list(src)


@pytest.mark.parametrize("corpus_file", _params("yaz"), indirect=True)
def test_reads_as_many_records_as_yaz(corpus_file):
    src, entries = _read(corpus_file)
    if src is None or src.format not in ("iso2709", "marcxml", "turbomarc"):
        pytest.skip("yaz-marcdump reads ISO 2709 and MARCXML (TurboMARC too) only")
    if YAZ is None:
        pytest.skip("yaz-marcdump is not installed (/usr/bin/yaz-marcdump)")
    ours = sum(1 for e in entries if isinstance(e, LibrisRecord))
    theirs = yaz_count(corpus_file, src.format)
    assert ours >= theirs, f"we read {ours} records, yaz-marcdump {theirs}"


@pytest.mark.parametrize("corpus_file", _params("fffd"), indirect=True)
def test_no_silent_replacement_character(corpus_file):
    src, entries = _read(corpus_file)
    whole = corpus_file.read_bytes()
    for e in entries:
        if not isinstance(e, LibrisRecord):
            msg = e.describe()
            assert "\n" not in msg and e.reason
            continue
        source = bytes(src.raw(e.number - 1)) if src.format == "iso2709" else whole
        said = any(i.code.startswith("ENC-") for i in e.issues)
        for tag, text in _texts(e):
            if FFFD in text:
                assert said or FFFD_UTF8 in source, f"record {e.number} {tag}: U+FFFD with no ENC-* issue"


@pytest.mark.parametrize("corpus_file", _params("bytes"), indirect=True)
def test_unedited_iso2709_records_are_written_back_byte_for_byte(corpus_file):
    src, entries = _read(corpus_file)
    if src is None or src.format != "iso2709":
        pytest.skip("not ISO 2709")
    for e in entries:
        if isinstance(e, BrokenRecord):
            continue
        assert iso2709.record_bytes(e.marc) == bytes(src.raw(e.number - 1)), f"record {e.number}"
