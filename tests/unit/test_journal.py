"""The crash journal: every edit on disk at once; left-behind sessions found, checked, replayed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui.core.editing import journal as J
from tui.core.editing.journal import (
    Journal,
    JournalError,
    JournalReplayError,
    pending_sessions,
    read_journal,
)
from tui.core.files.filestamp import FileChangedOnDisk
from tui.core.model.record import LibrisError

ROOT = Path(__file__).resolve().parents[2]
CMD = {"type": "set-subfield", "tag": "245", "occurrence": 1, "index": 0, "value": "Ny titel \udcff ✓"}


class FakeSource:
    def __init__(self, path, n=3):
        self.path = str(path)
        self.n = n

    def __len__(self):
        return self.n


@pytest.fixture
def recfile(tmp_path):
    p = tmp_path / "records.txt"
    p.write_text(" • 245 1/0 #a Titel\n", "utf-8")
    return p


def test_state_dir_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRIS_TUI_STATE_DIR", str(tmp_path / "st"))
    assert J.journal_dir() == tmp_path / "st" / "journals"


def test_state_dir_default_is_platformdirs(monkeypatch, tmp_path):
    monkeypatch.delenv("LIBRIS_TUI_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert J.state_dir() == tmp_path / "xdg" / "libris-tui"


def test_each_event_is_on_disk_at_once(recfile, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(J.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    j = Journal.open_for(recfile)
    synced.clear()
    j.record("apply", 1, CMD)
    assert synced == [j._fd]  # fsynced before record() returns
    # another reader sees the complete line immediately
    s = read_journal(j.path)
    assert [(e.kind, e.record_number, e.command) for e in s.events] == [("apply", 1, CMD)]
    assert not s.torn and s.problem is None
    j.close(clean=False)


def test_private_permissions(recfile):
    j = Journal.open_for(recfile)
    assert stat.S_IMODE(j.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(j.path.parent.stat().st_mode) == 0o700
    j.close()


def test_clean_close_removes_and_dirty_close_keeps(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    j.close()
    assert not j.path.exists()
    assert pending_sessions() == []
    j2 = Journal.open_for(recfile)
    j2.record("apply", 1, CMD)
    j2.close(clean=False)
    assert j2.path.exists()
    j2.close()  # closing twice is harmless
    with pytest.raises(JournalError):
        j2.record("apply", 1, CMD)


def test_context_manager_keeps_journal_on_error(recfile):
    with pytest.raises(RuntimeError):
        with Journal.open_for(recfile) as j:
            j.record("apply", 2, CMD)
            raise RuntimeError("boom")
    assert [s.journal_path for s in pending_sessions()] == [j.path]


def test_live_session_is_not_offered(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    assert pending_sessions() == []  # locked by us: a running session
    j.close(clean=False)
    assert len(pending_sessions()) == 1


def test_bad_arguments(recfile, tmp_path):
    j = Journal.open_for(recfile)
    with pytest.raises(ValueError):
        j.record("delete", 1, CMD)
    with pytest.raises(ValueError):
        j.record("apply", 0, CMD)
    with pytest.raises(TypeError):
        j.record("apply", 1, {"x": object()})
    j.close()
    with pytest.raises(JournalError, match="nope.mrc"):
        Journal.open_for(tmp_path / "nope.mrc")


def test_unwritable_state_dir_is_a_clear_error(recfile, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    monkeypatch.setenv("LIBRIS_TUI_STATE_DIR", str(blocker))
    with pytest.raises(JournalError, match="crash journal directory"):
        Journal.open_for(recfile)


def test_pending_session_details(recfile):
    j = Journal.open_for(recfile)
    t0 = time.time()
    for ev in ("apply", "apply", "undo", "apply", "undo", "redo", "apply"):
        j.record(ev, 2, CMD)
    j.close(clean=False)
    (s,) = pending_sessions(recfile)
    assert s.file == str(recfile.resolve())
    assert s.edits == 3  # apply, apply(undone, then dropped by the new apply), apply, redo, apply
    assert len(s.events) == 7
    assert [e.seq for e in s.events] == list(range(1, 8))
    assert abs(s.started - t0) < 5 and s.last_time >= s.started
    assert s.pid == os.getpid()
    assert "3 unsaved edits to" in s.describe() and str(recfile.resolve()) in s.describe()
    assert s.file_change() is None
    assert pending_sessions(recfile.parent / "other.txt") == []


def test_replay_in_order_then_discard(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    j.record("apply", 3, {"type": "x", "n": 2})
    j.record("undo", 3, {"type": "x", "n": 2})
    j.close(clean=False)
    (s,) = pending_sessions(recfile)
    seen = []
    assert s.replay(FakeSource(recfile), seen.append) == 3
    assert [(e.kind, e.record_number, e.command) for e in seen] == [
        ("apply", 1, CMD),
        ("apply", 3, {"type": "x", "n": 2}),
        ("undo", 3, {"type": "x", "n": 2}),
    ]
    s.discard()
    assert pending_sessions() == []
    s.discard()  # twice is harmless


def test_changed_file_is_reported_not_replayed(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    j.close(clean=False)
    recfile.write_text(" • 245 1/0 #a Someone else's title\n", "utf-8")
    (s,) = pending_sessions(recfile)
    assert "changed on disk" in s.describe()
    seen = []
    with pytest.raises(FileChangedOnDisk):
        s.replay(FakeSource(recfile), seen.append)
    assert seen == []
    assert s.journal_path.exists()
    # the user may insist
    assert s.replay(FakeSource(recfile), seen.append, force=True) == 1


def test_replay_refuses_other_file_and_missing_records(recfile, tmp_path):
    j = Journal.open_for(recfile)
    j.record("apply", 5, CMD)
    j.close(clean=False)
    (s,) = pending_sessions()
    other = tmp_path / "other.txt"
    other.write_bytes(recfile.read_bytes())
    with pytest.raises(JournalError, match="is for"):
        s.replay(FakeSource(other), lambda e: None)
    seen = []
    with pytest.raises(JournalError, match="record 5"):
        s.replay(FakeSource(recfile, n=3), seen.append)
    assert seen == []


def test_replay_failure_keeps_journal_and_says_how_far(recfile):
    j = Journal.open_for(recfile)
    for _ in range(3):
        j.record("apply", 1, CMD)
    j.close(clean=False)
    (s,) = pending_sessions()
    calls = []

    def apply(ev):
        calls.append(ev)
        if len(calls) == 2:
            raise ValueError("refused by EPL-PROTECT")

    with pytest.raises(JournalReplayError) as ei:
        s.replay(FakeSource(recfile), apply)
    assert isinstance(ei.value, LibrisError)
    assert ei.value.applied == 1 and ei.value.event.seq == 2
    assert "EPL-PROTECT" in str(ei.value)
    assert s.journal_path.exists()


def test_torn_last_line_is_ignored(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    j.record("apply", 2, CMD)
    j.close(clean=False)
    data = j.path.read_bytes()
    j.path.write_bytes(data[:-7])  # the crash came in the middle of writing the second event
    (s,) = pending_sessions()
    assert s.torn and s.problem is None
    assert [e.record_number for e in s.events] == [1]


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda lines: [b"garbage"] + lines[1:], "bad journal header"),
        (lambda lines: lines[:1] + [b'{"seq": 1}'] + lines[2:], "line 2 is damaged"),
        (lambda lines: lines[:1] + [b'{"seq":1,"event":"undo","record":1,"command":{},"time":0}'], "nothing to undo"),
        (lambda lines: [lines[0].replace(b'"version":1', b'"version":99')] + lines[1:], "version"),
        (lambda lines: lines[:1] + [b'{"seq":1,"event":"apply","record":-4,"command":{},"time":0}'], "damaged"),
    ],
)
def test_damaged_journals_are_listed_with_a_problem(recfile, damage, problem):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    j.close(clean=False)
    lines = j.path.read_bytes().split(b"\n")[:-1]
    j.path.write_bytes(b"\n".join(damage(lines)) + b"\n")
    (s,) = pending_sessions()
    assert s.problem and problem in s.problem
    assert "cannot be restored" in s.describe()
    with pytest.raises(JournalError):
        s.replay(FakeSource(recfile), lambda e: None)
    s.discard()
    assert pending_sessions() == []


def test_journal_without_events_is_cleaned_up(recfile):
    j = Journal.open_for(recfile)
    j.close(clean=False)
    assert pending_sessions() == []
    assert not j.path.exists()


def test_empty_or_foreign_files_in_journal_dir(recfile):
    d = J.journal_dir(create=True)
    (d / "a.journal").write_bytes(b"")
    (d / "b.journal").write_bytes(b'{"journal": "libris-tui", "vers')
    (d / "notes.txt").write_text("not a journal")
    ss = pending_sessions()
    assert sorted(s.journal_path.name for s in ss) == ["a.journal", "b.journal"]
    assert all(s.problem for s in ss)


def test_saved_starts_afresh_with_new_stamp(recfile, tmp_path):
    j = Journal.open_for(recfile)
    j.record("apply", 1, CMD)
    old = j.path
    recfile.write_text(" • 245 1/0 #a Ny titel\n", "utf-8")  # the app saved its edit
    j.saved()
    assert not old.exists() and j.path.exists()
    assert j.stamp.unchanged(recfile)
    j.record("apply", 1, CMD)
    j.close(clean=False)
    (s,) = pending_sessions(recfile)
    assert s.edits == 1 and s.file_change() is None
    s.discard()
    # save-as: the journal follows the new file
    j = Journal.open_for(recfile)
    new = tmp_path / "copy.txt"
    new.write_bytes(recfile.read_bytes())
    j.saved(new)
    j.record("apply", 1, CMD)
    j.close(clean=False)
    assert [s.file for s in pending_sessions()] == [str(new)]


def test_two_sessions_on_the_same_file(recfile):
    a, b = Journal.open_for(recfile), Journal.open_for(recfile)
    assert a.path != b.path
    a.record("apply", 1, CMD)
    b.record("apply", 2, CMD)
    a.close(clean=False)
    assert [s.journal_path for s in pending_sessions(recfile)] == [a.path]
    b.close(clean=False)
    assert len(pending_sessions(recfile)) == 2


_CHILD = textwrap.dedent("""
    import os, sys, time, signal
    from tui.core.editing.journal import Journal
    # a session in a terminal dies of SIGHUP; don't inherit an ignored SIGHUP (nohup, some CI runners)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    j = Journal.open_for(sys.argv[1])
    for n in range(1, int(sys.argv[2]) + 1):
        j.record("apply", 1, {"type": "set", "n": n})
    print("ready", flush=True)
    time.sleep(60)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP, signal.SIGTERM])
def test_killed_process_leaves_a_restorable_journal(recfile, sig):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(recfile), "4"], stdout=subprocess.PIPE, env=env, cwd=ROOT
    )
    try:
        assert child.stdout.readline().strip() == b"ready"
        assert pending_sessions(recfile) == []  # alive: its journal is locked
        child.send_signal(sig)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    (s,) = pending_sessions(recfile)
    assert s.edits == 4 and [e.command["n"] for e in s.events] == [1, 2, 3, 4]
    assert s.pid == child.pid


def test_journal_lines_are_ascii_json(recfile):
    j = Journal.open_for(recfile)
    j.record("apply", 1, {"value": "line\u2028sep\nnewline\x1b[2J"})
    j.close(clean=False)
    lines = j.path.read_bytes().split(b"\n")
    assert len(lines) == 3 and lines[-1] == b""
    assert all(max(line, default=0) < 0x80 for line in lines)
    assert json.loads(lines[1])["command"]["value"] == "line\u2028sep\nnewline\x1b[2J"


# -- properties -------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PROPS = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["apply", "undo", "redo"]),
        st.integers(1, 5),
        st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3),
    ),
    max_size=12,
)


def _model(events):
    """What a do/undo/redo history does: (done, undone) stack sizes; None for an impossible event."""
    done, undone = 0, 0
    for kind, *_ in events:
        if kind == "apply":
            done, undone = done + 1, 0
        elif kind == "undo":
            if not done:
                return None
            done, undone = done - 1, undone + 1
        elif kind == "redo":
            if not undone:
                return None
            done, undone = done + 1, undone - 1
    return done


@_PROPS
@given(events=_EVENTS)
def test_any_history_round_trips(recfile, events):
    for s in pending_sessions():
        s.discard()
    j = Journal.open_for(recfile)
    for kind, n, cmd in events:
        j.record(kind, n, cmd)
    j.close(clean=False)
    if not events:
        assert pending_sessions() == []
        return
    (s,) = pending_sessions()
    assert [(e.kind, e.record_number, e.command) for e in s.events] == events
    expected = _model(events)
    if expected is None:
        assert s.problem  # an undo/redo no history could have journalled
    else:
        assert s.problem is None and s.edits == expected
    s.discard()


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events=_EVENTS.filter(lambda e: _model(e) is not None and e))
def test_a_crash_at_any_byte_loses_at_most_the_event_being_written(recfile, events):
    """Cut the journal at every byte: reading never raises and gives a prefix of the events."""
    j = Journal.open_for(recfile)
    for kind, n, cmd in events:
        j.record(kind, n, cmd)
    j.close(clean=False)
    data = j.path.read_bytes()
    header_end = data.index(b"\n") + 1
    ends = [i + 1 for i, b in enumerate(data) if b == 0x0A]
    for cut in range(len(data) + 1):
        j.path.write_bytes(data[:cut])
        s = read_journal(j.path)
        if cut < header_end:
            assert s.problem and not s.events
            continue
        complete = sum(1 for e in ends if e <= cut) - 1
        assert s.problem is None
        assert [(e.kind, e.record_number, e.command) for e in s.events] == events[:complete]
        assert s.torn == (cut not in ends)
    j.path.unlink()
