"""Per-host journals of the affinity writes of an apply, so that `rollback` (or a failed
apply) can put the old masks back.

A journal is one JSON-lines file per apply. Each write adds two lines: its old mask, durably,
just before the write is sent (`{"irq", "old_mask", "new_cpus"}`), then what the server
answered (`{"irq", "changed"}`: true, false when it wrote nothing or refused). A write with
no answer line (the process died, the connection broke) may or may not have happened, and
counts as done. A journal rolled back is renamed `*.rolled-back`; a torn last line (a crash
mid-append) is ignored.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit


log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "irq-balance"


@dataclass
class Entry:
    """One journaled write."""

    irq: int
    old_mask: str  # what to write back
    new_cpus: list[int]
    changed: bool | None = None  # what the server answered (None: no answer recorded)


@dataclass
class Record:
    """The journal of one apply, created at its first write."""

    dir: Path
    server: str
    path: Path | None = None
    entries: list[Entry] = field(default_factory=list)
    _file: IO[str] | None = None

    def before_write(self, irq: int, old_mask: str, new_cpus: list[int]) -> None:
        """Durably note `irq`'s old mask; returns once it is on disk."""
        try:
            if self._file is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                self.path = self.dir / f"{time.time_ns()}.jsonl"
                self._file = open(self.path, "x")
                self._append({"server": self.server, "created": time.time()})
            self._append({"irq": irq, "old_mask": old_mask, "new_cpus": new_cpus},
                         durable=True)
        except OSError as exc:  # the write is not sent: nothing unjournaled ever is
            raise JournalError(f"cannot journal in {self.dir}: {exc.strerror or exc}; "
                               "nothing was written for IRQ " + str(irq)) from exc
        self.entries.append(Entry(irq, old_mask, new_cpus))

    def answered(self, irq: int, changed: bool) -> None:
        """What the server said of the write just noted (not fsynced: an entry without its
        answer counts as written, which is the safe side)."""
        self.entries[-1].changed = changed
        try:
            self._append({"irq": irq, "changed": changed})
        except OSError as exc:  # without it the write counts as done: the safe side
            log.warning("cannot note the answer for IRQ %d in %s: %s", irq, self.path, exc)

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:  # the buffered lines were flushed (and fsynced) already
                log.warning("closing %s: %s", self.path, exc)
            self._file = None
            if not self.entries and self.path is not None:  # nothing journaled: no journal
                self.path.unlink(missing_ok=True)
                self.path = None

    def _append(self, line: dict[str, Any], durable: bool = False) -> None:
        assert self._file is not None
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()
        if durable:
            os.fsync(self._file.fileno())


def same_host(server: str) -> str:
    """One spelling per server URL ("HTTP://Db7:5000/" -> "http://db7:5000"), so that a
    rollback finds the journals of an apply however the URL was written."""
    parts = urlsplit(server.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


class Journal:
    """The journals of one host (keyed by its server URL) under `state_dir`."""

    def __init__(self, state_dir: str | os.PathLike[str], server: str) -> None:
        key = hashlib.sha256(same_host(server).encode()).hexdigest()[:16]
        self.dir = Path(state_dir) / key
        self.server = server

    def new(self) -> Record:
        """The journal of a new apply (nothing is written before its first write)."""
        return Record(self.dir, self.server)

    def pending(self) -> list[tuple[Path, list[Entry]]]:
        """The journals not yet rolled back, newest first."""
        paths = sorted([*self.dir.glob("*.jsonl"), *self.dir.glob("*.json")],
                       key=lambda p: p.name, reverse=True)  # named by creation time (ns)
        return [(p, read_entries(p)) for p in paths]

    def moved_since(self, after: float) -> dict[int, float]:
        """IRQ -> when an apply or a rollback last wrote it, for those written after `after`
        (epoch seconds; a journal's change time is its last write, or its rollback)."""
        moved: dict[int, float] = {}
        for path in self.dir.glob("*.json*"):
            try:
                at = path.stat().st_ctime
                entries = read_entries(path) if at >= after else []
            except (OSError, JournalError) as exc:  # rollback names it; the dwell goes on
                log.warning("dwell: %s", exc)
                continue
            for entry in entries:
                if entry.changed is not False:
                    moved[entry.irq] = max(at, moved.get(entry.irq, at))
        return moved

    def mark_rolled_back(self, path: Path) -> None:
        os.replace(path, path.with_name(path.name + ".rolled-back"))


class JournalError(Exception):
    """A journal cannot be written, or read back (corrupt, not a file): names the file."""


def read_entries(path: Path) -> list[Entry]:
    """The writes a journal holds (also the single-object `.json` journals of earlier
    versions, whose writes all count as done). Only a torn last line is forgiven.

    Raises:
        JournalError: the file cannot be read, or holds what no apply wrote.
    """
    try:
        text = path.read_bytes().decode()
        if path.name.removesuffix(".rolled-back").endswith(".json"):
            old = json.loads(text)
            return [] if old.get("rolled_back") else [
                Entry(int(e["irq"]), str(e["old_mask"]), list(e["new_cpus"]))
                for e in old["entries"]]
        return _lines(text.split("\n"))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JournalError(f"journal {path} is unreadable ({type(exc).__name__}: {exc}); "
                           "move it aside to go on") from exc


def _lines(lines: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    for k, line in enumerate(lines):
        if not line:
            continue
        try:
            data = json.loads(line)
        except ValueError:
            if k == len(lines) - 1:  # a torn last line: the crash came mid-append
                break
            raise ValueError(f"line {k + 1} is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError(f"line {k + 1} is not an object")
        if "old_mask" in data:
            if not isinstance(data["old_mask"], str):
                raise ValueError(f"line {k + 1}: old_mask is not a mask")
            entries.append(Entry(int(data["irq"]), data["old_mask"],
                                 [int(c) for c in data["new_cpus"]]))
        elif "changed" in data and entries and entries[-1].irq == data["irq"]:
            entries[-1].changed = bool(data["changed"])
    return entries
