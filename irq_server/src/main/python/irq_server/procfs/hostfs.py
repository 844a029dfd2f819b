"""HostFS: every read and write of the host tree goes through one of these.

The root is a value passed around (never a module global), so the same readers serve the
live machine ("/"), a fixture capture, or the simulated host.
"""
from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

STATVFS_FILE = ".hostfs/statvfs.json"  # {mount point: [size, used, available]}: a tree's own


class HostFS:
    """The host's /proc and /sys below `root`."""

    def __init__(self, root: str | os.PathLike = "/"):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def path(self, rel: str) -> Path:
        """Absolute path of `rel` ("proc/interrupts") below the root."""
        return self.root / rel

    def read_bytes(self, rel: str) -> bytes:
        """Whole file; raises OSError (FileNotFoundError when absent)."""
        with open(self.root / rel, "rb") as f:
            return f.read()

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8", "replace")

    def read_optional(self, rel: str) -> str | None:
        """Stripped file text, or None when the file does not exist on this kernel."""
        try:
            with open(self.root / rel, "rb") as f:
                return f.read().decode("utf-8", "replace").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_small(self, rel: str, limit: int = 65536) -> str | None:
        """At most `limit` bytes of a regular file (a /proc file is one), None when absent.
        For files other tools write (configs) or that any process controls (/proc/<pid>):
        a FIFO, a device or a symlink to /dev/zero is refused (OSError) instead of blocking
        or filling memory."""
        try:
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(self.root / rel))
            chunks, left = [], limit
            while left > 0:
                chunk = os.read(fd, min(left, 65536))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks).decode("utf-8", "replace")
        finally:
            os.close(fd)

    def exists(self, rel: str) -> bool:
        try:
            return (self.root / rel).exists()
        except OSError:  # a name too long to be a file, say
            return False

    def listdir(self, rel: str) -> list[str]:
        """Entry names of a directory, [] when it does not exist."""
        try:
            return os.listdir(self.root / rel)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def statvfs(self, mount_point: str) -> tuple[int, int, int]:
        """(size, used, available) bytes of the filesystem mounted at `mount_point`, as df
        counts them. A tree that is not a real root (the simulated host, a fixture) may answer
        in STATVFS_FILE; otherwise statvfs(2) of the path below the root (a host's / mounted
        at --root /host answers for the host). Raises OSError."""
        answers = self.root / STATVFS_FILE
        if answers.exists():
            found = json.loads(answers.read_text()).get(mount_point)
            if found is None:
                raise FileNotFoundError(mount_point)
            size, used, available = found
            return int(size), int(used), int(available)
        st = os.statvfs(self.root / mount_point.lstrip("/"))
        return (st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bfree) * st.f_frsize,
                st.f_bavail * st.f_frsize)

    def write_text(self, rel: str, text: str) -> None:
        """Write `text` in a single write(2), as the kernel's proc handlers expect.

        Raises OSError with the kernel's errno; the caller maps it (irq_server.errors).
        """
        fd = os.open(self.root / rel, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
