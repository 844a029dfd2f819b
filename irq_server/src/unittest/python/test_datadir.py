"""The data dir: one holder per lock, private modes, whole-or-nothing writes, corrupt files
moved aside."""
import os
import stat

import pytest
from irq_server.errors import DataDirInUse

from irq_server import datadir


def test_a_second_holder_of_a_lock_is_refused_naming_the_first(tmp_path):
    fd = datadir.lock(tmp_path, "server")
    try:
        with pytest.raises(DataDirInUse) as refused:
            datadir.lock(tmp_path, "server")
        assert f"in use by another irq-server (pid {os.getpid()})" in refused.value.detail
        assert "--data-dir" in refused.value.detail
        datadir.lock(tmp_path, "sampler")  # another role's lock is another lock
        datadir.release("sampler")
    finally:
        datadir.release("server")
    assert fd not in datadir._held.values()
    datadir.lock(tmp_path, "server")  # free again once released
    datadir.release("server")


def test_check_free_does_not_keep_the_lock(tmp_path):
    datadir.check_free(tmp_path, "sampler")
    datadir.lock(tmp_path, "sampler")
    try:
        with pytest.raises(DataDirInUse):
            datadir.check_free(tmp_path, "sampler")
    finally:
        datadir.release("sampler")


def test_secure_makes_the_dir_0700_and_every_file_0600(tmp_path):
    (tmp_path / "sub").mkdir(mode=0o755)
    for name in ("users.sqlite3", "users.sqlite3-wal", "sub/interrupts"):
        (tmp_path / name).write_text("x")
        os.chmod(tmp_path / name, 0o644)
    os.chmod(tmp_path, 0o755)
    (tmp_path / "link").symlink_to("/etc/hostname")
    datadir.secure(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "sub").stat().st_mode) == 0o700
    for name in ("users.sqlite3", "users.sqlite3-wal", "sub/interrupts"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat("/etc/hostname").st_mode) != 0o600  # links are not followed


def test_atomic_write_replaces_whole_and_exclusive_never_overwrites(tmp_path):
    path = tmp_path / "jwt.secret"
    assert datadir.atomic_write(path, b"first\n", exclusive=True)
    assert not datadir.atomic_write(path, b"second\n", exclusive=True)
    assert path.read_bytes() == b"first\n"
    assert datadir.atomic_write(path, b"third\n")
    assert path.read_bytes() == b"third\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["jwt.secret"]  # no temp file left


def test_quarantine_moves_a_sqlite_file_with_its_side_files(tmp_path, caplog):
    for name in ("runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm"):
        (tmp_path / name).write_bytes(b"garbage")
    moved = datadir.quarantine(tmp_path / "runs.sqlite3", "file is not a database")
    assert moved.name.startswith("runs.sqlite3.corrupt-") and moved.read_bytes() == b"garbage"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [moved.name, moved.name + "-wal", moved.name + "-shm"])
    assert "CORRUPT FILE" in caplog.text and "file is not a database" in caplog.text
    assert datadir.quarantine(tmp_path / "runs.sqlite3", "again") is None  # already gone
