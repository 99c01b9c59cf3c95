"""``libris-tui dump``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "sample_records" / "seed-records.txt"
sys.path.insert(0, str(Path(__file__).parent))
from test_labels import SEED_CATALOGUE  # noqa: E402
from test_marcview import SEED_CATALOGUE_MARC, SEED_CHANNEL_MARC  # noqa: E402


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def body(lines):
    """The lines of the records without the per-record header lines and blank separators."""
    return [ln for ln in lines if ln and not ln.startswith("== ")]


def test_marc_view_with_channel_prints_every_seed_line(capsys):
    code, out, err = run(capsys, "dump", "--view", "marc", "--show-channel", str(SEED))
    assert code == 0
    assert body(out) == SEED_CATALOGUE_MARC + SEED_CHANNEL_MARC
    assert sum(ln.startswith("== ") for ln in out) == 2
    assert err == []


def test_channel_record_hidden_by_default_and_counted(capsys):
    code, out, err = run(capsys, "dump", "--view", "marc", str(SEED))
    assert code == 0
    assert body(out) == SEED_CATALOGUE_MARC
    assert err == ["libris-tui dump: 1 channel record left out (--show-channel shows them)"]


def test_labels_view_is_the_seed(capsys):
    code, out, err = run(capsys, "dump", "--view", "labels", str(SEED))
    assert code == 0
    assert out[0].startswith("== ") and "record 1" in out[0] and "e-plikt" in out[0]
    assert out[1:] == SEED_CATALOGUE


def test_both_views_and_english(capsys):
    code, out, _ = run(capsys, "dump", "--lang", "en", str(SEED))
    assert code == 0
    i = out.index("MARC21")
    assert out[1 : i - 1][0] == "ADMINISTRATIVE METADATA"
    assert "Type of work: Text" in out[1:i]
    assert out[i + 1 :] == SEED_CATALOGUE_MARC


def test_record_option(capsys):
    code, out, err = run(capsys, "dump", "--view", "marc", "--record", "2", "--show-channel", str(SEED))
    assert code == 0 and body(out) == SEED_CHANNEL_MARC and "record 2" in out[0] and "channel" in out[0]
    code, out, err = run(capsys, "dump", "--view", "marc", "--record", "2", str(SEED))
    assert code == 0 and out == [] and "1 channel record left out" in err[-1]
    code, out, err = run(capsys, "dump", "--record", "7", str(SEED))
    assert code == 2 and out == [] and len(err) == 1 and "no record 7" in err[0]


def test_broken_record_one_line_rest_printed(tmp_path, capsys):
    p = tmp_path / "mixed.txt"
    p.write_text(SEED.read_text("utf-8") + "\n • 245 this line has no indicators\n\n • 245 1/0 #a Tredje\n", "utf-8")
    code, out, err = run(capsys, "dump", "--view", "marc", str(p))
    assert code == 1
    assert body(out) == SEED_CATALOGUE_MARC + ["245 1/0 #a Tredje"]
    broken = [e for e in err if "record 3" in e]
    assert len(broken) == 1 and str(p) in broken[0]


def test_unreadable_file_one_line_exit_2(tmp_path, capsys):
    code, out, err = run(capsys, "dump", str(tmp_path / "missing.mrc"))
    assert code == 2 and out == [] and len(err) == 1 and "missing.mrc" in err[0]
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "dump", str(empty), str(SEED))
    assert code == 2 and len([e for e in err if "empty" in e]) == 1
    assert body(out)  # the readable file is still dumped


def test_control_characters_are_made_visible(tmp_path, capsys):
    p = tmp_path / "esc.txt"
    p.write_text(" • 245 1/0 #a Evil \x1b[2J\x07 [bold]x[/bold]\n", "utf-8")
    code, out, _ = run(capsys, "dump", str(p))
    assert code == 0
    joined = "\n".join(out)
    assert "\x1b" not in joined and "\x07" not in joined
    assert "Har titel / Titel / Huvudtitel: Evil ␛[2J␇ [bold]x[/bold]" in out
    assert "245 1/0 #a Evil ␛[2J␇ [bold]x[/bold]" in out


def test_several_files(capsys):
    code, out, err = run(capsys, "dump", "--view", "marc", str(SEED), str(SEED))
    assert code == 0
    assert body(out) == SEED_CATALOGUE_MARC * 2
    assert err == ["libris-tui dump: 2 channel records left out (--show-channel shows them)"]


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dump", "--view", "pictures", str(SEED)])
    assert exc.value.code == 2


def test_corpus_files_dump_or_fail_cleanly(corpus, capsys):
    for path in sorted(corpus.iterdir()):
        code = main(["dump", "--show-channel", str(path)])
        out, err = capsys.readouterr()
        assert "Traceback" not in err, path
        assert code in (0, 1, 2), path
        if code == 1:  # some records broken: each is one line naming the file and record
            assert all(str(path) in e or "channel" in e for e in err.splitlines() if e), path
        if code == 0:
            assert out.strip(), path


def test_console_script_entry(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "tui", "dump", "--view", "marc", str(SEED)], capture_output=True, text=True, cwd=ROOT
    )
    assert r.returncode == 0
    assert body(r.stdout.splitlines()) == SEED_CATALOGUE_MARC
    assert "1 channel record left out" in r.stderr
