"""``libris-tui FILE --screenshot OUT.svg [--press KEYS] [--size WxH]``: no terminal needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_after_keys(seed_file, tmp_path, capsys):
    out = tmp_path / "shots" / "channel.svg"
    rc = main([str(seed_file), "--screenshot", str(out), "--press", "c,down", "--size", "100x30"])
    assert rc == 0
    svg = out.read_text("utf-8")
    assert svg.startswith("<svg")
    # the channel record is on screen: its title (SVG text uses &#160; for spaces)
    assert "Statens&#160;medieråd,&#160;löpande" in svg
    assert "[channel&#160;record]" in svg
    assert "screenshot saved" in capsys.readouterr().err


def test_screenshot_in_a_subprocess_without_a_terminal(seed_file, tmp_path):
    out = tmp_path / "main.svg"
    r = subprocess.run(
        [sys.executable, "-m", "tui", str(seed_file), "--screenshot", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr
    assert "Könsnormer" in out.read_text("utf-8")


def test_bad_usage_exits_2_with_one_line(seed_file, tmp_path, capsys):
    assert main([str(seed_file), "--press", "c"]) == 2
    assert "go with --screenshot" in capsys.readouterr().err
    assert main([str(seed_file), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert main([str(tmp_path / "missing.mrc"), "--screenshot", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"libris-tui: {tmp_path / 'missing.mrc'}: no such file"
    try:
        main([str(seed_file), "--screenshot", str(tmp_path / "x.svg"), "--size", "huge"])
    except SystemExit as exc:
        assert exc.code == 2
