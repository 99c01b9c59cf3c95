"""The progress line of batch work: only on a terminal, never in CI, erased when done."""

from __future__ import annotations

import io

from tui.cli import progress as P


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_nothing_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = io.StringIO()
    p = P.Progress("x", out)
    assert not p.enabled
    p(1, 2)
    p.close()
    assert out.getvalue() == ""


def test_nothing_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not P.wanted(Tty())
    monkeypatch.setenv("CI", "false")
    assert P.wanted(Tty())
    monkeypatch.setenv("LIBRIS_TUI_PROGRESS", "0")
    assert not P.wanted(Tty())


def test_drawn_in_place_throttled_and_erased(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("LIBRIS_TUI_PROGRESS", raising=False)
    out, clock = Tty(), Clock()
    p = P.progress_for("validate", "/data/big.mrc", out, clock=clock)
    assert p.enabled
    p(10, 100)  # too soon after the start: nothing yet
    assert out.getvalue() == ""
    clock.now = 2.0
    p(50 << 20, 100 << 20)
    line = out.getvalue()
    assert line.startswith("\rlibris-tui validate: big.mrc") and "50%" in line and "50 of 100 MB" in line
    assert line.endswith("\x1b[K") and "\n" not in line
    clock.now = 2.05
    p(60 << 20, 100 << 20)  # within the interval: not redrawn
    assert out.getvalue() == line
    clock.now = 3.0
    p.set_stage("checking")
    p(75 << 20, 100 << 20)
    assert "(checking)" in out.getvalue() and "s left" in out.getvalue()
    p.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_file_names_are_shown_safely(monkeypatch):
    out, clock = Tty(), Clock()
    p = P.progress_for("stats", "evil\x1b]0;x\x07.mrc", out, clock=clock, enabled=True)
    clock.now = 5
    p(1, 2)
    assert "\x1b]" not in out.getvalue() and "\x07" not in out.getvalue()


def test_counts_in_other_units():
    p = P.Progress("x", io.StringIO(), enabled=False, unit="records")
    p(5, 10)
    assert "5 of 10 records" in p.line()
