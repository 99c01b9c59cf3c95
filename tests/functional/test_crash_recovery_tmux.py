"""Nothing lost, end to end in real terminals: kill a REAL running app (SIGKILL; SIGHUP; the terminal
closing under it, as when an SSH connection drops), start it AGAIN as a real process, restore the
journalled edits there, save, and find them in the file (with the old file as the backup).

(test_crash_recovery.py, the UI's part, restores in Textual's headless pilot; this file runs
both sessions as real processes.) The app runs in tmux (a real pseudo-terminal whose screen we can
read back with capture-pane); keys go in with send-keys. Skipped where tmux is not installed. The
last tests do the same in-process (journal + ``Session.replay_event``) without a terminal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tui.core.editing.journal import (
    Journal,
    JournalReplayError,
    journal_dir,
    pending_sessions,
    read_journal,
)
from tui.core.formats import open_source
from tui.core.model.record import LibrisRecord

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "hostile" / "seed-records.mrc"


def holdings_of(path: Path) -> list[tuple[str | None, str | None]]:
    """(004, 852 $b) of every holdings record in the file."""
    out = []
    for e in open_source(path):
        if isinstance(e, LibrisRecord) and e.kind == "holdings":
            f852 = e.marc.get("852")
            out.append((e.linked_bib, f852.get("b") if f852 is not None else None))
    return out


def journals() -> list[Path]:
    d = journal_dir()
    return sorted(d.glob("*.journal")) if d.is_dir() else []


def kinds(p: Path) -> list[str]:
    return [e.kind for e in read_journal(p).events]


def wait_until(predicate, timeout: float = 20.0, what: str = "", on_fail=None):
    t0 = time.time()
    while time.time() - t0 < timeout:
        got = predicate()
        if got:
            return got
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{on_fail() if on_fail else ''}")


class TmuxApp:
    """``python -m tui FILE ...`` in its own tmux server (socket), 120x40."""

    def __init__(self):
        # a private socket in a directory of its own (removed in close(): nothing left in /tmp/tmux-UID)
        self.dir = tempfile.mkdtemp(prefix="libris-test-")
        self.socket = os.path.join(self.dir, "tmux.sock")
        self.pid: int | None = None

    def tmux(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=10)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def start(self, *app_args: str) -> TmuxApp:
        env = {
            k: os.environ[k]
            for k in ("LIBRIS_TUI_STATE_DIR", "LIBRIS_TUI_CONFIG_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME")
            if k in os.environ
        }
        env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        cmd = (
            "exec env "
            + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            + " "
            + " ".join(shlex.quote(a) for a in [sys.executable, "-m", "tui", *app_args])
        )
        self.tmux("new-session", "-d", "-s", "app", "-x", "120", "-y", "40", "-c", str(ROOT), cmd)
        self.pid = int(self.tmux("display-message", "-p", "-t", "app", "#{pane_pid}").strip())
        return self

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app", check=False)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        return wait_until(lambda: text in (s := self.screen()) and s, timeout, repr(text), self.screen)

    def keys(self, *keys: str) -> None:
        for k in keys:
            self.tmux("send-keys", "-t", "app", k)
            time.sleep(0.15)

    def alive(self) -> bool:
        """Until the process is reaped: a zombie thread-group leader may still have threads exiting,
        and with them the open files (and the journal's lock)."""
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, how: str) -> None:
        assert self.pid is not None and self.alive()
        if how == "SIGKILL":
            os.kill(self.pid, signal.SIGKILL)
        elif how == "SIGHUP":
            os.kill(self.pid, signal.SIGHUP)
        elif how == "terminal-closed":  # the pty goes away under the app: tmux sends SIGHUP, as sshd does
            self.tmux("kill-session", "-t", "app", check=False)
        else:
            raise ValueError(how)
        wait_until(lambda: not self.alive(), 15, f"the app to die after {how}")

    def close(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.tmux("kill-server", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def tmux_app():
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the real-terminal crash tests need it")
    apps: list[TmuxApp] = []

    def make(*args: str) -> TmuxApp:
        app = TmuxApp().start(*args)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def recfile(tmp_path) -> Path:
    p = tmp_path / "records.mrc"
    shutil.copyfile(SEED, p)
    return p


def _edit_in_app(app: TmuxApp) -> None:
    """Add a holding for Li (HOLD-ADD), undo it, redo it: three journal events, one edit in effect."""
    app.wait_for("Könsnormer")
    wait_until(lambda: len(journals()) == 1, 20, "the app's journal")
    app.keys("h")
    app.wait_for("Add a holding")
    app.keys("Enter")
    wait_until(lambda: kinds(journals()[0]) == ["apply"], 10, "the edit in the journal", app.screen)
    app.keys("u")
    wait_until(lambda: kinds(journals()[0]) == ["apply", "undo"], 10, "the undo in the journal", app.screen)
    app.keys("r")
    wait_until(lambda: kinds(journals()[0]) == ["apply", "undo", "redo"], 10, "the redo in the journal", app.screen)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGHUP", "terminal-closed"])
def test_killed_app_restored_by_the_next_real_start_and_saved(tmux_app, recfile, how):
    original = recfile.read_bytes()
    app = tmux_app(str(recfile), "--sigel", "Li")
    _edit_in_app(app)
    app.kill(how)

    # what the crash left behind
    (left,) = pending_sessions(recfile)
    assert [e.kind for e in left.events] == ["apply", "undo", "redo"]
    assert left.edits == 1 and left.events[0].command == {"op": "add-holding", "sigel": "Li"}
    assert left.file_change() is None
    assert recfile.read_bytes() == original, "nothing was written to the file itself"

    # the next start offers it, and restores it exactly
    app2 = tmux_app(str(recfile), "--sigel", "Li")
    screen = app2.wait_for("Unsaved edits from a session that ended")
    assert "1 unsaved edit to" in screen and recfile.name in screen
    app2.keys("Enter")  # Restore has the focus
    app2.wait_for("Restored")  # the toast's title (the dialog shows a path that may hold "restored")
    assert not left.journal_path.exists(), "the old journal goes once its edits are in the new session"
    (now,) = journals()
    replayed = ["apply", "undo", "redo"]
    assert kinds(now) == replayed, "the restored edits are journalled again"
    assert "*" in app2.screen().splitlines()[1], "the record is marked changed"

    # exactly: the undo history came back too (undo, then redo, both work)
    app2.keys("u")
    wait_until(lambda: kinds(now) == replayed + ["undo"], 10, "undo after restore")
    app2.keys("r")
    wait_until(lambda: kinds(now) == replayed + ["undo", "redo"], 10, "redo after restore")

    # save: the edit is in the file, the old file is the backup
    app2.keys("C-s")
    app2.wait_for("Changes to")  # what the save writes differently, shown first
    app2.keys("C-s")
    app2.wait_for(f"{recfile.name} saved (")  # not the "not saved yet" of the restore toast
    assert holdings_of(recfile) == [("catalogue-1", "Li")]
    assert Path(str(recfile) + ".bak").read_bytes() == original

    # a clean quit leaves nothing to restore
    app2.keys("q")
    wait_until(lambda: not app2.alive(), 15, "the app to quit", app2.screen)
    assert pending_sessions() == [] and journals() == []


def test_file_changed_since_the_crash_is_reported_not_replayed(tmux_app, recfile, tmp_path):
    app = tmux_app(str(recfile), "--sigel", "Li")
    _edit_in_app(app)
    app.kill("SIGKILL")
    # someone else rewrites the file meanwhile
    other = tmp_path / "other.mrc"
    shutil.copyfile(ROOT / "tests" / "data" / "hostile" / "one.dat", other)
    os.replace(other, recfile)
    changed = recfile.read_bytes()

    app2 = tmux_app(str(recfile), "--sigel", "Li")
    screen = app2.wait_for("Unsaved edits from a session that ended")
    assert "changed on disk" in screen
    assert "Restore " not in screen.replace("Restore them", ""), "no Restore button for a changed file"
    assert recfile.read_bytes() == changed
    (left,) = pending_sessions(recfile)
    assert left.file_change() is not None


# -- the same in-process: journal + the app's Session, no terminal -------------------------------------


def _session(path: Path, journal: Journal | None):
    from tui.core.rules.profile import Profile
    from tui.ui.session import Session

    return Session(open_source(path), profile=Profile.from_name("full"), sigel="Li", journal=journal)


def test_in_process_crash_and_replay(recfile):
    from tui.core.editing.commands import AddHolding

    j = Journal.open_for(recfile)
    s = _session(recfile, j)
    s.do(0, AddHolding("Li"))
    s.undo()
    s.redo()
    before = [str(e.marc) for e in s.entries()]
    holdings_before = [[str(h.marc) for h in e.holdings] for e in s.entries() if isinstance(e, LibrisRecord)]
    j.close(clean=False)  # the process "dies": the lock goes, the journal stays

    (left,) = pending_sessions(recfile)
    j2 = Journal.open_for(recfile)
    s2 = _session(recfile, j2)
    assert left.replay(s2.source, s2.replay_event) == 3
    left.discard()
    assert [str(e.marc) for e in s2.entries()] == before
    assert [[str(h.marc) for h in e.holdings] for e in s2.entries() if isinstance(e, LibrisRecord)] == holdings_before
    assert s2.can_undo and not s2.can_redo
    assert kinds(j2.path) == ["apply", "undo", "redo"]
    j2.close()
    assert pending_sessions() == []


def test_in_process_refused_replay_keeps_the_journal(recfile):
    """A journal whose edit the rules refuse now (record 2 is a channel record: CHN-READONLY)."""
    j = Journal.open_for(recfile)
    j.record("apply", 2, {"op": "add-holding", "sigel": "Li"})
    j.close(clean=False)
    (left,) = pending_sessions(recfile)
    s = _session(recfile, None)
    with pytest.raises(JournalReplayError, match="CHN-READONLY") as ei:
        left.replay(s.source, s.replay_event)
    assert ei.value.applied == 0
    assert left.journal_path.exists()
