"""Terminal safety: record text is data. Square brackets are shown literally (never markup), escape
and control characters as visible symbols, never written raw: in every command's output and in the
running app (checked on the raw bytes the app writes to its pseudo-terminal, and on the screen).

The attack record (tests/data/hostile/terminal-attack.*, see make_hostile.py) carries ESC [ 2 J,
BEL, OSC 52 (clipboard), OSC 0 (window title), C1 CSI (0x9b), a bidi override, and Rich markup
(``[bold]``, ``[/]``, ``[red]``, ``[link=...]``, ``[channel record]``). It is a channel record, so
it is hidden until asked for (CHN-HIDE): ``--show-channel`` / the ``c`` key.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fuzz_harness import HOSTILE, RAW_CONTROL, ROOT

ATTACK_FILES = sorted(HOSTILE.glob("terminal-attack.*"))
#: markup-looking text that must come out exactly as it is in the record
LITERAL = ["[bold]fet[/bold]", "[/]", "[red]röd", "[link=file:///etc/passwd]länk[/link]", "[channel record]"]
#: the payloads as they must never reach a terminal (exact bytes of the record's text)
RAW_PAYLOADS = [
    b"f\xc3\xb6re\x1b[2J",
    b"\x1b]52;c;cm0gLXJmIH4=",
    b"\x1b]0;pwned",
    b"\xc2\x9b2J",
    b"\x07efter",
    b"\xe2\x80\xaeevil",
    b"attack\x1b",
]


def cli(*argv: str) -> tuple[int, str, str]:
    from tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def assert_safe(text: str, where: str) -> None:
    m = RAW_CONTROL.search(text)
    assert m is None, f"raw {m.group(0)!r} in {where}: {text[max(0, m.start() - 60) : m.start() + 20]!r}"


def test_attack_files_exist():
    assert {p.suffix for p in ATTACK_FILES} == {".mrc", ".xml", ".json", ".mrk", ".txt", ".jsonld"}


@pytest.mark.parametrize("path", ATTACK_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("view", ["labels", "marc"])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_dump_shows_attacks_as_data(path: Path, view: str, lang: str):
    rc, out, err = cli("dump", "--show-channel", "--view", view, "--lang", lang, str(path))
    assert rc in (0, 1), err
    assert_safe(out, "stdout")
    assert_safe(err, "stderr")
    for lit in LITERAL[:4]:
        assert lit in out, f"{lit!r} not shown literally"
    if view == "marc":
        assert "[channel record]" in out
    if path.suffix != ".xml":  # XML 1.0 cannot carry ESC or BEL at all (make_hostile.py strips them)
        assert "␛[2J" in out and "␇" in out and "␛]52;c;" in out
    assert "\\x9b" in out and "\\u202e" in out


def test_dump_hides_the_channel_record_by_default():
    rc, out, err = cli("dump", str(HOSTILE / "terminal-attack.mrc"))
    assert "[bold]" not in out  # CHN-HIDE
    assert_safe(err, "stderr")


COMMANDS = {
    "stats": ["stats", "{f}"],
    "stats-json": ["stats", "--json", "{f}"],
    "validate": ["validate", "{f}"],
    "validate-json": ["validate", "--format", "json", "{f}"],
    "report": ["report", "{f}"],
    "export-xml": ["export", "{f}", "-o", "{tmp}/out.xml"],
    "export-mrc": ["export", "{f}", "-o", "{tmp}/out.mrc"],
    "add-holding": ["add-holding", "--sigel", "Li", "{f}", "-o", "{tmp}/out.mrc"],
    "move-restricted-uris": ["move-restricted-uris", "{f}", "-o", "{tmp}/out2.mrc"],
}


def _command_cases():
    for path in ATTACK_FILES:
        for name, argv in COMMANDS.items():
            yield pytest.param(argv, path, id=f"{path.name}-{name}")


@pytest.mark.parametrize("argv, path", list(_command_cases()))
def test_every_command_keeps_the_terminal_safe(argv, path: Path, tmp_path):
    args = [a.format(f=path, tmp=tmp_path) for a in argv]
    rc, out, err = cli(*args)
    assert rc in (0, 1, 2)
    assert_safe(out, "stdout")
    assert_safe(err, "stderr")
    assert "Traceback" not in err


NASTY_NAMES = {
    "csi": "x\x1b[2J.mrc",
    "osc52": "y\x1b]52;c;aGk=\x07.mrc",
    "c1": "z\x9b2J.mrc",
    "bidi": "w\u202eevil.mrc",
}


def _name_cases():
    for cmd in ("dump", "stats", "validate", "app"):
        for content in ("valid", "broken", "missing"):
            for key, name in NASTY_NAMES.items():
                if cmd == "app" and content != "missing":
                    continue  # a readable file starts the app (its error path is what is tested here)
                yield pytest.param(cmd, content, name, id=f"{cmd}-{content}-{key}")


@pytest.mark.parametrize("cmd, content, name", list(_name_cases()))
def test_file_names_are_shown_safely(tmp_path, cmd, content, name):
    """A file name is not record text, but it comes from outside too (an e-mailed export)."""
    p = tmp_path / name
    if content == "valid":
        shutil.copyfile(HOSTILE / "seed-records.mrc", p)
    elif content == "broken":
        p.write_bytes(b"00099nam a2200000 i 4500 garbage")
    rc, out, err = cli(str(p)) if cmd == "app" else cli(cmd, str(p))
    assert rc in (0, 1, 2)
    assert_safe(out, f"{cmd} stdout")
    assert_safe(err, f"{cmd} stderr")


# -- the running app ----------------------------------------------------------------------------------


class _Tmux:
    def __init__(self):
        # a private socket in a directory of its own (removed in close(): nothing left in /tmp/tmux-UID)
        self.dir = tempfile.mkdtemp(prefix="libris-safety-")
        self.socket = os.path.join(self.dir, "tmux.sock")

    def __call__(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=10)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout


def _wait(pred, timeout, what, detail=lambda: ""):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{detail()}")


@pytest.mark.parametrize(
    "path", [HOSTILE / "terminal-attack.mrc", HOSTILE / "terminal-attack.txt"], ids=lambda p: p.name
)
def test_app_never_writes_record_escapes_to_the_terminal(path: Path, tmp_path):
    """The real app in a real pseudo-terminal (tmux): the raw bytes it writes (pipe-pane) contain
    none of the record's escape sequences, and the screen shows them as symbols and the brackets
    as they are."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    raw_log = tmp_path / "raw-output.bin"
    tmux = _Tmux()
    env = {k: os.environ[k] for k in ("LIBRIS_TUI_STATE_DIR", "LIBRIS_TUI_CONFIG_DIR") if k in os.environ}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    cmd = (
        "sleep 0.5; exec env "
        + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        + " "
        + " ".join(shlex.quote(a) for a in [sys.executable, "-m", "tui", str(path)])
    )
    try:
        tmux("new-session", "-d", "-s", "app", "-x", "220", "-y", "60", "-c", str(ROOT), cmd)
        tmux("pipe-pane", "-o", "-t", "app", f"cat >> {shlex.quote(str(raw_log))}")
        screen = lambda: tmux("capture-pane", "-p", "-t", "app", check=False)  # noqa: E731
        _wait(lambda: "channel" in screen(), 20, "the app", screen)
        tmux("send-keys", "-t", "app", "c")  # show channel records (CHN-HIDE)
        _wait(lambda: "[bold]fet[/bold]" in screen(), 10, "the attack record in the list", screen)
        tmux("send-keys", "-t", "app", "Enter")  # open it (from the record list)
        _wait(lambda: "före[channel record]efter" in screen(), 10, "the attack record in the views", screen)
        time.sleep(0.5)
        text = screen()
        for lit in LITERAL:
            assert lit in text, f"{lit!r} not shown literally:\n{text}"
        if path.suffix != ".xml":
            assert "␛[2J" in text and "␇" in text
        # move through the MARC view too (every line rendered at least once, with the cursor on it)
        tmux("send-keys", "-t", "app", "o")
        for _ in range(15):
            tmux("send-keys", "-t", "app", "Down")
        time.sleep(0.5)
        raw = raw_log.read_bytes()
        assert b"[bold]fet[/bold]" in raw and "före".encode() in raw, "pipe-pane captured the record"
        for payload in RAW_PAYLOADS:
            assert payload not in raw, f"{payload!r} was written raw to the terminal"
    finally:
        tmux("kill-server", check=False)
        shutil.rmtree(tmux.dir, ignore_errors=True)
