"""HostFS: every read and write of the host tree goes through one of these.

The root is a value passed around (never a module global), so the same readers serve the
live machine ("/"), a fixture capture, or the simulated host.
"""
from __future__ import annotations

import os
from pathlib import Path


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

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def listdir(self, rel: str) -> list[str]:
        """Entry names of a directory, [] when it does not exist."""
        try:
            return os.listdir(self.root / rel)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def write_text(self, rel: str, text: str) -> None:
        """Write `text` in a single write(2), as the kernel's proc handlers expect.

        Raises OSError with the kernel's errno; the caller maps it (irq_server.errors).
        """
        fd = os.open(self.root / rel, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
