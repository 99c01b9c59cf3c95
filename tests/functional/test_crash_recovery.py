"""Issue 7, the UI's part: every edit is journalled at once; after a crash, SIGKILL or SIGHUP the
next start offers the edits back, and restoring them gives the session as it was."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest
from functional_helpers import build_app, main_screen, said, screen_text
from textual.widgets import Input

from tui.core.editing import journal
from tui.ui.dialogs.restore_dialog import RestoreDialog
from tui.ui.screens.main_screen import MainScreen

ROOT = Path(__file__).resolve().parents[2]


async def _add_650(pilot, body: str = "#a Bildanalys #2 sao") -> None:
    app = pilot.app
    await pilot.press("a")
    await pilot.pause()
    app.screen.query_one("#tag", Input).value = "650"
    app.screen.query_one("#ind2", Input).value = "7"
    app.screen.query_one("#body", Input).value = body
    app.screen.query_one("#add").press()
    await pilot.pause()


async def _wait_restore(pilot) -> None:
    for _ in range(40):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, RestoreDialog) and pilot.app.screen.query("Button"):
            break
    await pilot.pause()


async def test_every_edit_is_journalled_and_restored_after_a_crash(seed_file):
    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        session = main_screen(app).session
        assert session.journal is not None
        await _add_650(pilot)
        await _add_650(pilot, "#a Könsroller #2 sao")
        await pilot.press("u")  # undone edits are journalled too
        lines = session.journal.path.read_text("utf-8").splitlines()
        assert [ln.split('"event":"')[1].split('"')[0] for ln in lines[1:]] == ["apply", "apply", "undo"]
        # the crash: the process ends without closing its journal
        session.journal.close(clean=False)
        session.journal = None
    assert len(journal.pending_sessions(seed_file)) == 1

    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await _wait_restore(pilot)
        assert isinstance(app.screen, RestoreDialog)
        assert "1 unsaved edit to" in screen_text(app)
        await pilot.press("enter")  # Restore has the focus
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        text = screen_text(app)
        assert "  * 650 -/7 #a Bildanalys #2 sao" in text and "Könsroller" not in text
        assert main_screen(app).session.dirty
        # exactly: the undone edit can be redone
        await pilot.press("r")
        assert "650 -/7 #a Könsroller #2 sao" in screen_text(app)
        assert any(s.startswith("Restored:") for s in said(app))
    assert journal.pending_sessions(seed_file) == [] or all(p.events for p in journal.pending_sessions(seed_file))


async def test_discarding_the_journal(seed_file):
    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await _add_650(pilot)
        main_screen(app).session.journal.close(clean=False)
        main_screen(app).session.journal = None
    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await _wait_restore(pilot)
        app.screen.query_one("#discard").press()
        await pilot.pause()
        assert "650" not in screen_text(app)
        assert not main_screen(app).session.dirty
    assert journal.pending_sessions(seed_file) == []


async def test_a_clean_quit_leaves_no_journal(seed_file):
    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await _add_650(pilot)
        await pilot.press("q")
        await pilot.pause()
        app.screen.query_one("#discard").press()
        await pilot.pause()
    assert journal.pending_sessions(seed_file) == []


# -- a real app, killed -----------------------------------------------------------------------


def _spawn(path: Path, env: dict) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app on a 100x30 terminal
        os.environ.update(env)
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "tui", str(path)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    return pid, fd


def _drain(fd: int, seconds: float) -> bytes:
    import select

    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def _drain_until(fd: int, marker: bytes, timeout: float = 60.0) -> bytes:
    """Read the app's output until ``marker`` is in it (a loaded machine starts Textual slowly:
    keys typed before the screen is up would be lost)."""
    out = b""
    end = time.monotonic() + timeout
    while marker not in out and time.monotonic() < end:
        out += _drain(fd, 0.2)
    return out


def _wait_for_event(seed_file: Path, timeout: float = 60.0) -> None:
    # generous: a fresh interpreter starting Textual on a loaded machine (CI, -n 2) takes a while
    d = journal.journal_dir()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for p in d.glob("*.journal") if d.is_dir() else ():
            if '"event":"apply"' in p.read_text("utf-8", "replace"):
                return
        time.sleep(0.1)
    raise AssertionError("the edit never reached the journal")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ptys")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
async def test_a_killed_app_offers_its_edits_back(seed_file, sig):
    env = {k: os.environ[k] for k in ("LIBRIS_TUI_CONFIG_DIR", "LIBRIS_TUI_STATE_DIR")}
    env.update(TERM="xterm-256color", PYTHONPATH=str(ROOT))
    pid, fd = _spawn(seed_file, env)
    try:
        _drain_until(fd, "Könsnormer".encode())  # started, the first record drawn
        os.write(fd, b"a")
        _drain_until(fd, b"Add a field")
        for chunk in (b"650", b"\r", b"\r", b"7\r", b"#a Bildanalys #2 sao", b"\r"):
            os.write(fd, chunk)
            _drain(fd, 0.3)
        _wait_for_event(seed_file)
        os.kill(pid, sig)  # SIGHUP: what a dropped SSH connection sends
        _drain(fd, 0.5)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    assert "Bildanalys" not in seed_file.read_text("utf-8")  # nothing was saved
    pending = journal.pending_sessions(seed_file)
    assert len(pending) == 1 and pending[0].edits == 1

    app = build_app(seed_file, journal=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await _wait_restore(pilot)
        assert isinstance(app.screen, RestoreDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert "  * 650 -/7 #a Bildanalys #2 sao" in screen_text(app)
