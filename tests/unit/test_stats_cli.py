"""``libris-tui stats [--json] FILE...``"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["path", "records", "eplikt", "channel", "suppressed", "holdings", "broken", "authority", "other"]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["stats", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_and_counts(capsys, samples):
    code, out, err = run(capsys, "--json", samples / "seed-records.txt", samples / "mixed.mrc")
    doc = json.loads(out)
    assert list(doc) == ["files"]
    assert [list(f) for f in doc["files"]] == [KEYS, KEYS]
    seed, mixed = doc["files"]
    assert seed == {
        "path": str(samples / "seed-records.txt"),
        "records": 2,
        "eplikt": 2,
        "channel": 1,
        "suppressed": 1,
        "holdings": 0,
        "broken": 0,
        "authority": 0,
        "other": 0,
    }
    assert mixed == {
        "path": str(samples / "mixed.mrc"),
        "records": 7,
        "eplikt": 5,
        "channel": 1,
        "suppressed": 2,
        "holdings": 2,
        "broken": 1,
        "authority": 0,
        "other": 0,
    }
    assert code == 1  # a broken record
    assert f"{samples / 'mixed.mrc'}: record 10 at byte " in err and "directory" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["seed-records.mrc", "seed-records.xml", "seed-records.json", "seed-records.mrk"])
def test_every_format_counts_the_same(capsys, samples, name):
    code, out, _ = run(capsys, "--json", samples / name)
    (f,) = json.loads(out)["files"]
    assert (f["records"], f["eplikt"], f["channel"], f["suppressed"], f["holdings"], f["broken"]) == (2, 2, 1, 1, 0, 0)
    assert code == 0


def test_table(capsys, samples):
    code, out, err = run(capsys, samples / "seed-records.mrc")
    lines = out.splitlines()
    heads = ["file", "records", "e-plikt", "channel", "suppressed", "holdings", "broken", "authority", "other"]
    assert lines[0].split() == heads
    assert lines[1].split() == [str(samples / "seed-records.mrc"), "2", "2", "1", "1", "0", "0", "0", "0"]
    assert code == 0 and err == ""


def test_a_file_that_cannot_be_read(capsys, samples, tmp_path):
    notmarc = tmp_path / "notes.bin"
    notmarc.write_bytes(b"\x00\x01\x02 just some bytes \xff")
    code, out, err = run(capsys, "--json", tmp_path / "missing.mrc", notmarc, samples / "seed-records.mrc")
    assert code == 2
    errs = err.strip().splitlines()
    assert len(errs) == 2 and "missing.mrc: no such file" in errs[0] and "notes.bin" in errs[1]
    assert "Traceback" not in err
    assert [f["path"] for f in json.loads(out)["files"]] == [str(samples / "seed-records.mrc")]


def test_corpus_counts(capsys, corpus):
    code, out, err = run(capsys, "--json", *sorted(corpus.iterdir()))
    files = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert len(files) == len(list(corpus.iterdir()))
    assert files["marc.dat"]["records"] == 20 and files["bad_records.mrc"]["broken"] == 0
    assert files["bad_records.mrc"]["records"] == 8  # every one recovered, as yaz-marcdump reads them
    assert sum(f["broken"] for f in files.values()) == 0
    assert code == 0


def test_file_name_with_control_characters_is_shown_safely(capsys, samples, tmp_path):
    odd = tmp_path / "odd\x1b[31mname.mrc"
    odd.write_bytes((samples / "seed-records.mrc").read_bytes())
    code, out, _ = run(capsys, odd)
    assert "\x1b" not in out and code == 0


def test_runs_as_a_command(samples):
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "stats", "--json", str(samples / "mixed.xml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1
    (f,) = json.loads(proc.stdout)["files"]
    assert (f["records"], f["broken"]) == (7, 1)
    assert "record 10 at byte" in proc.stderr


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stats"])
    assert exc.value.code == 2
