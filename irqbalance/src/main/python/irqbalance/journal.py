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
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


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
        if self._file is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.path = self.dir / f"{time.time_ns()}.jsonl"
            self._file = open(self.path, "x")
            self._append({"server": self.server, "created": time.time()})
        self._append({"irq": irq, "old_mask": old_mask, "new_cpus": new_cpus}, durable=True)
        self.entries.append(Entry(irq, old_mask, new_cpus))

    def answered(self, irq: int, changed: bool) -> None:
        """What the server said of the write just noted (not fsynced: an entry without its
        answer counts as written, which is the safe side)."""
        self._append({"irq": irq, "changed": changed})
        self.entries[-1].changed = changed

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _append(self, line: dict[str, Any], durable: bool = False) -> None:
        assert self._file is not None
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()
        if durable:
            os.fsync(self._file.fileno())


class Journal:
    """The journals of one host (keyed by its server URL) under `state_dir`."""

    def __init__(self, state_dir: str | os.PathLike[str], server: str) -> None:
        key = hashlib.sha256(server.encode()).hexdigest()[:16]
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
            at = path.stat().st_ctime
            if at >= after:
                for entry in read_entries(path):
                    if entry.changed is not False:
                        moved[entry.irq] = max(at, moved.get(entry.irq, at))
        return moved

    def mark_rolled_back(self, path: Path) -> None:
        os.replace(path, path.with_name(path.name + ".rolled-back"))


def read_entries(path: Path) -> list[Entry]:
    """The writes a journal holds (also the single-object `.json` journals of earlier
    versions, whose writes all count as done)."""
    text = path.read_text()
    if path.name.removesuffix(".rolled-back").endswith(".json"):
        old = json.loads(text)
        return [] if old.get("rolled_back") else [
            Entry(e["irq"], e["old_mask"], e["new_cpus"]) for e in old["entries"]]
    entries: list[Entry] = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:  # a torn last line: the crash came mid-append
            break
        if "old_mask" in data:
            entries.append(Entry(data["irq"], data["old_mask"], data["new_cpus"]))
        elif "changed" in data and entries and entries[-1].irq == data["irq"]:
            entries[-1].changed = bool(data["changed"])
    return entries
