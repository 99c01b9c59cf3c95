"""Every write failure is one line naming the file and the record, with exit status 3, and the
old file kept; the report is written before the output replaces anything; temporary files a
crash left behind are removed by the next write."""

import errno
import io
import os
from pathlib import Path

import pytest

from tui.cli import main
from tui.core.files import atomic
from tui.core.files.atomic import AtomicWriter, WriteFailed, stale_temps
from tui.core.files.export import export
from tui.core.formats import open_source

SAMPLES = Path(__file__).parents[2] / "sample_records"
SEED = SAMPLES / "seed-records.mrc"


class FullDisk(io.RawIOBase):
    """A file on a disk with ``room`` bytes left: then every write fails with ENOSPC."""

    def __init__(self, fd: int, room: int):
        self.raw = io.FileIO(fd, "wb")
        self.room = room

    def writable(self):
        return True

    def write(self, b):
        if len(b) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(b)
        return self.raw.write(b)

    def fileno(self):
        return self.raw.fileno()

    def close(self):
        self.raw.close()
        super().close()


@pytest.fixture
def full_disk(monkeypatch):
    real = os.fdopen

    def fdopen(fd, mode="r", *a, **kw):
        if "w" in mode:
            return io.BufferedWriter(FullDisk(fd, room=3000), buffer_size=512)
        return real(fd, mode, *a, **kw)

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_disk_full_names_the_output_and_keeps_the_old_file(tmp_path, full_disk, capsys):
    out = tmp_path / "o.mrc"
    out.write_bytes(b"the old file")
    big = tmp_path / "in.mrc"
    big.write_bytes(SEED.read_bytes() * 20)
    assert main(["export", str(big), "-o", str(out), "--overwrite"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(out) in err[0] and "the disk is full" in err[0] and "the old file is kept" in err[0]
    assert "while writing record " in err[0] and "internal error" not in err[0]
    assert out.read_bytes() == b"the old file" and leftovers(tmp_path) == []
    assert not (tmp_path / "o.mrc.report.txt").exists()


def test_disk_full_on_a_new_output_says_no_file_was_made(tmp_path, full_disk):
    out = tmp_path / "new.mrc"
    with pytest.raises(WriteFailed, match="no file was made") as exc:
        export(open_source(SEED), out, "iso2709")  # small: fails when flushed
    assert exc.value.errno == errno.ENOSPC and not out.exists() and leftovers(tmp_path) == []


def test_fsync_failure_is_a_write_failure(tmp_path, monkeypatch):
    out = tmp_path / "o.mrc"

    def fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(WriteFailed, match="Input/output error"):
        export(open_source(SEED), out, "iso2709")
    assert not out.exists() and leftovers(tmp_path) == []


def test_permission_denied(tmp_path, monkeypatch, capsys):
    def mkstemp(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    out = tmp_path / "o.mrc"
    assert main(["export", str(SEED), "-o", str(out)]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(out) in err and "permission denied" in err


def test_output_is_a_directory(tmp_path, capsys):
    d = tmp_path / "folder.mrc"
    d.mkdir()
    assert main(["export", str(SEED), "-o", str(d), "--to", "iso2709"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(d) in err and "is a folder, not a file" in err


def test_the_report_is_written_before_the_output_replaces_anything(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o.mrc"
    out.write_bytes(b"old")
    real_commit = AtomicWriter.commit
    order = []

    def commit(self):
        order.append(self.path.name)
        return real_commit(self)

    monkeypatch.setattr(AtomicWriter, "commit", commit)
    assert main(["export", str(SEED), "-o", str(out), "--overwrite"]) == 0
    assert order == ["o.mrc.report.txt", "o.mrc"]


def test_a_report_that_cannot_be_written_leaves_the_output_alone(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o.mrc"
    out.write_bytes(b"old")
    real_open = AtomicWriter.open

    def open_(self):
        if self.path.name.endswith(".report.txt"):
            raise WriteFailed(f"{self.path}: cannot write: the disk is full", self.path, errno.ENOSPC)
        return real_open(self)

    monkeypatch.setattr(AtomicWriter, "open", open_)
    assert main(["export", str(SEED), "-o", str(out), "--overwrite"]) == 3
    assert out.read_bytes() == b"old" and leftovers(tmp_path) == []
    assert "report.txt" in capsys.readouterr().err


def test_an_output_that_fails_after_its_report_says_so(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o.mrc"
    out.write_bytes(b"old")
    real_replace = os.replace

    def replace(a, b):
        if Path(b) == out:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(a, b)

    monkeypatch.setattr(atomic.os, "replace", replace)
    assert main(["export", str(SEED), "-o", str(out), "--overwrite"]) == 3
    err = capsys.readouterr().err.strip()
    assert "the old file is kept" in err and "its report" in err and "was written" in err
    assert out.read_bytes() == b"old" and not (tmp_path / "o.mrc.bak").exists()


def test_stale_temporary_files_are_removed_by_the_next_write(tmp_path):
    out = tmp_path / "o.mrc"
    stale = tmp_path / ".o.mrc.k3j4h5g6.tmp"
    stale.write_bytes(b"half a file from a killed save")
    other = tmp_path / ".other.mrc.k3j4h5g6.tmp"
    other.write_bytes(b"not ours")
    res = export(open_source(SEED), out, "iso2709")
    assert res.stale_removed == [stale] and not stale.exists() and other.exists()
    assert "temporary file(s) left by an earlier crash" in res.report_path.read_text("utf-8")


def test_a_temporary_file_of_a_running_writer_is_left_alone(tmp_path):
    out = tmp_path / "o.mrc"
    w = AtomicWriter(out)
    w.open()
    w.file.write(b"working")
    assert stale_temps(out) == []  # locked: its writer is alive
    res = export(open_source(SEED), out, "iso2709")
    assert w.temp_path.exists() and res.stale_removed == []
    w.abort()
