"""FileStamp: a file changed on disk while open is noticed before anything is written over it."""

from __future__ import annotations

import os

import pytest

from tui.core.files.filestamp import MIB, FileChangedOnDisk, FileStamp
from tui.core.model.record import LibrisError


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "records.mrc"
    p.write_bytes(b"00026     2200025   4500\x1e\x1d")
    return p


def test_unchanged_file_passes(small):
    stamp = FileStamp.take(small)
    assert stamp.path == str(small.resolve())
    assert stamp.size == small.stat().st_size
    stamp.check(small)
    stamp.check()
    assert stamp.unchanged()


def test_relative_path_is_made_absolute(small, monkeypatch):
    monkeypatch.chdir(small.parent)
    stamp = FileStamp.take(small.name)
    assert os.path.isabs(stamp.path)
    monkeypatch.chdir("/")
    stamp.check()  # still finds the file by its absolute path


def test_content_change_same_size_is_noticed(small):
    stamp = FileStamp.take(small)
    data = bytearray(small.read_bytes())
    data[3] ^= 1
    st = small.stat()
    small.write_bytes(bytes(data))
    os.utime(small, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime
    with pytest.raises(FileChangedOnDisk) as ei:
        stamp.check(small)
    assert isinstance(ei.value, LibrisError)
    assert str(small.resolve()) in str(ei.value) and "content" in str(ei.value)
    assert ei.value.path == str(small.resolve())


def test_size_change_is_noticed(small):
    stamp = FileStamp.take(small)
    with open(small, "ab") as fh:
        fh.write(b"more")
    with pytest.raises(FileChangedOnDisk, match="size went from 26 to 30"):
        stamp.check()


def test_deleted_or_replaced_by_directory(small, tmp_path):
    stamp = FileStamp.take(small)
    small.unlink()
    with pytest.raises(FileChangedOnDisk, match="deleted or moved"):
        stamp.check()
    small.mkdir()
    with pytest.raises(FileChangedOnDisk, match="directory"):
        stamp.check()


def test_unreadable_file(small):
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    stamp = FileStamp.take(small)
    small.chmod(0)
    try:
        with pytest.raises(FileChangedOnDisk, match="cannot be read"):
            stamp.check()
    finally:
        small.chmod(0o644)


def test_replaced_by_a_fifo_does_not_hang(small):
    stamp = FileStamp.take(small)
    small.unlink()
    os.mkfifo(small)
    with pytest.raises(FileChangedOnDisk, match="not a regular file"):
        stamp.check()
    with pytest.raises(OSError):
        FileStamp.take(small)


def test_touch_or_identical_rewrite_of_small_file_is_not_a_change(small):
    stamp = FileStamp.take(small)
    data = small.read_bytes()
    tmp = small.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, small)  # new inode, new mtime, same bytes
    os.utime(small, ns=(1, 10**18))
    stamp.check()


def test_big_file_middle_change_is_caught_by_mtime(tmp_path):
    p = tmp_path / "big.mrc"
    p.write_bytes(b"a" * (3 * MIB))
    stamp = FileStamp.take(p)
    assert not stamp.hashed_whole
    with open(p, "r+b") as fh:  # a change in the unhashed middle, same size
        fh.seek(int(1.5 * MIB))
        fh.write(b"b")
    os.utime(p, ns=(stamp.mtime_ns, stamp.mtime_ns + 1_000_000_000))
    with pytest.raises(FileChangedOnDisk, match="modification time"):
        stamp.check()


def test_big_file_tail_change_is_caught_by_hash(tmp_path):
    p = tmp_path / "big.mrc"
    p.write_bytes(b"a" * (3 * MIB))
    stamp = FileStamp.take(p)
    with open(p, "r+b") as fh:
        fh.seek(3 * MIB - 10)
        fh.write(b"b")
    os.utime(p, ns=(stamp.mtime_ns, stamp.mtime_ns))
    with pytest.raises(FileChangedOnDisk, match="content"):
        stamp.check()


def test_check_other_path(small, tmp_path):
    stamp = FileStamp.take(small)
    other = tmp_path / "other.mrc"
    other.write_bytes(small.read_bytes())
    stamp.check(other)  # same bytes: the same file as far as writing over it goes
    other.write_bytes(b"x")
    with pytest.raises(FileChangedOnDisk) as ei:
        stamp.check(other)
    assert str(other) in str(ei.value)


def test_json_round_trip(small):
    stamp = FileStamp.take(small)
    assert FileStamp.from_json(stamp.to_json()) == stamp
    with pytest.raises(ValueError):
        FileStamp.from_json({"path": "x"})


def test_take_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        FileStamp.take(tmp_path / "nope.mrc")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mrc"
    p.write_bytes(b"")
    stamp = FileStamp.take(p)
    stamp.check()
    p.write_bytes(b"x")
    with pytest.raises(FileChangedOnDisk):
        stamp.check()
