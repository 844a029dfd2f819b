"""The data dir is one server's, private, and never holds a half-written file.

- `lock(data_dir, role)`: an exclusive flock(2) on <data-dir>/<role>.lock, held as long as
  the process lives: a second server ("server") or a second sampler ("sampler") on the same
  data dir is refused (DataDirInUse) instead of running silently beside the first.
- `secure(data_dir)`: the dir 0700, every file in it 0600 (and subdirs 0700), whatever the
  umask and whatever an earlier version left; `PRIVATE_UMASK` keeps new files so.
- `atomic_write(path, data)`: temp file, fsync, rename (or link, for create-if-absent), so a
  reader finds the old content or the new, never an empty or partial file.
- `quarantine(path)`: move a corrupt file (and a SQLite file's -wal/-shm) aside as
  <name>.corrupt-<UTC time>, logged loudly, so a fresh one can take its place and the old
  one stays for whoever wants to recover it (sqlite3 .recover).
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from irq_server.errors import DataDirForeign, DataDirInUse

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077  # files 0600, dirs 0700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_held: dict[str, int] = {}  # role -> fd of the lock this process holds


def lock(data_dir: str | os.PathLike, role: str) -> int:
    """Hold <data-dir>/<role>.lock for the rest of this process (and its forks); the fd.

    Raises:
        DataDirInUse: another live process holds it (its pid is named when known).
    """
    path = Path(data_dir) / f"{role}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:  # ELOOP: a symbolic link planted in its place
        raise DataDirForeign(f"cannot take {path}: {exc.strerror} (not following a link "
                             "there)", field="data_dir") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise DataDirInUse(
            f"{Path(data_dir).resolve()} is in use by another "
            f"{'irq-server' if role == 'server' else 'irq-server ' + role}"
            f"{f' (pid {holder})' if holder.isdigit() else ''}: "
            + ("a data dir belongs to one server; give this one its own --data-dir"
               if role == "server" else f"a data dir has one {role}")) from None
    with contextlib.suppress(OSError):  # a full disk: the lock holds without the pid
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[role] = fd
    return fd


def claim(data_dir: str | os.PathLike, role: str) -> None:
    """Make `data_dir` this process's for `role`: created, ours (secure(): refused when
    another user owns it; modes 0700/0600, and this process's umask so), locked (lock()).

    Raises:
        DataDirForeign, DataDirInUse.
    """
    os.umask(PRIVATE_UMASK)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    secure(data_dir)  # first: whose it is, before opening anything in it
    lock(data_dir, role)


def check_free(data_dir: str | os.PathLike, role: str) -> None:
    """Raise DataDirInUse now if `role`'s lock is held by another process (without taking it:
    the process that will hold it is started later)."""
    lock(data_dir, role)
    release(role)


def release(role: str) -> None:
    """Let go of a lock this process holds (a forked worker that must not keep it)."""
    fd = _held.pop(role, None)
    if fd is not None:
        os.close(fd)


def secure(data_dir: str | os.PathLike) -> None:
    """The data dir 0700 and everything in it 0600 (dirs 0700); symlinks are left alone.

    Raises:
        DataDirForeign: it belongs to another user, who could change what it holds (plant a
            token file, a symlink...) whatever its mode.
    """
    top = Path(data_dir)
    owner = top.stat().st_uid
    if owner != os.geteuid():
        raise DataDirForeign(f"{top.resolve()} belongs to uid {owner}, not to this server's "
                             f"user (uid {os.geteuid()}): a data dir another user owns could be "
                             "changed under the server; use one of its own", field="data_dir")
    os.chmod(top, 0o700)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                with contextlib.suppress(FileNotFoundError):  # a temp file that just went
                    os.chmod(path, 0o600)


def atomic_write(path: str | os.PathLike, data: bytes, exclusive: bool = False) -> bool:
    """Write `data` to `path` whole or not at all (mode 0600).

    With `exclusive`, only if `path` does not exist yet: returns False (writing nothing) when
    another process created it first. Raises OSError (ENOSPC on a full disk) with nothing
    changed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            try:
                os.link(tmp, path)  # atomic create-if-absent, with the whole content
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def quarantine(path: str | os.PathLike, why: str) -> Path | None:
    """Move a corrupt `path` (with its SQLite side files) aside; the new name, or None when
    it was already gone (another process moved it)."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    for suffix in SQLITE_SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    log.error("CORRUPT FILE: %s (%s) was moved aside to %s; a fresh one is used from now on. "
              "Nothing in the old one is deleted.", path, why, target.name)
    return target
