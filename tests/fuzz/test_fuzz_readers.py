"""Hostile and broken input: reading ends in records or the project's own clear error, never a crash.

For every seed file of every format (tests/data/hostile, sample_records, ../shared/corpus/pymarc
when present): mutate it (fuzz_mutations.py) and read it as the program would (fuzz_harness.py):
``open_source``, every slot, the label and MARC views, ``libris-tui dump``.

CI runs a modest, derandomized number of examples per seed (LIBRIS_FUZZ_EXAMPLES, default 15);
the long campaign is ``tools/fuzz_campaign.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzz_harness import Missing, exercise, format_of, hostile_files, seed_files
from fuzz_mutations import HypothesisChooser, mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("LIBRIS_FUZZ_EXAMPLES", "15"))

CI = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

SEEDS = seed_files()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _run(path: Path) -> str:
    try:
        return exercise(path)
    except Missing as exc:
        pytest.skip(f"reader {exc} is not built yet")


def test_there_are_seeds_of_every_format():
    fmts = {format_of(p.read_bytes(), p.name) for p in SEEDS}
    assert {"iso2709", "marcxml", "turbomarc", "marc-json", "mrk", "notation", "jsonld"} <= fmts


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_reads_cleanly(seed: Path):
    """The unmutated seeds themselves (some are broken on purpose)."""
    _run(seed)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
@CI
@given(data=st.data())
def test_mutated_file_reads_cleanly(seed: Path, workdir: Path, data):
    raw = seed.read_bytes()
    chooser = HypothesisChooser(data)
    mutated, names = mutate(raw, format_of(raw, seed.name), chooser)
    target = workdir / f"mutated{seed.suffix}"
    target.write_bytes(mutated)
    _run(target)


_PREFIXES = {
    "iso2709": b"00000nam a2200000 i 4500",
    "marcxml": b"<?xml version='1.0'?><collection xmlns='http://www.loc.gov/MARC21/slim'><record>",
    "turbomarc": b"<collection xmlns='http://www.indexdata.com/turbomarc'><r><l>00000nam a2200000 i 4500</l><d245 i1='1'>",
    "marc-json": b'{"leader": "00000nam a2200000 i 4500", "fields": [',
    "jsonld": b'{"@graph": [',
    "mrk": b"=LDR  00000nam a2200000 i 4500\n=245  10$a",
    "notation": b" \xe2\x80\xa2 245 1/0 #a ",
}


@pytest.mark.parametrize("fmt", sorted(_PREFIXES))
@CI
@given(tail=st.binary(max_size=400))
def test_format_header_then_random_bytes(fmt: str, tail: bytes, workdir: Path):
    target = workdir / f"random-{fmt}.dat"
    target.write_bytes(_PREFIXES[fmt] + tail)
    _run(target)


@pytest.mark.parametrize("path", hostile_files(), ids=lambda p: p.name)
def test_hostile_file_reads_cleanly(path: Path):
    """Every hand-made attack and broken file, as it is (XML bombs and XXE in test_xml_safety)."""
    _run(path)


def test_empty_and_odd_files(workdir: Path):
    for name, data in [
        ("empty.mrc", b""),
        ("blank.xml", b"   \n"),
        ("nul.mrc", b"\x00" * 100),
        ("bom.json", b"\xef\xbb\xbf"),
        ("utf16.xml", "<record/>".encode("utf-16")),
        ("one.mrc", b"0"),
        ("ldr.mrc", b"00024nam a2200025 i 4500"),
        ("gz.mrc", b"\x1f\x8b\x08\x00" + b"\x00" * 50),
    ]:
        p = workdir / name
        p.write_bytes(data)
        _run(p)
    d = workdir / "a-directory.mrc"
    d.mkdir(exist_ok=True)
    _run(d)
    _run(workdir / "does-not-exist.mrc")
