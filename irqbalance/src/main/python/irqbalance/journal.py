"""Per-host journals of the masks an apply is about to change, written before the first write,
so that `rollback` (or a failed apply) can put them back."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "irq-balance"


class Journal:
    """The journals of one host (keyed by its server URL) under `state_dir`."""

    def __init__(self, state_dir: str | os.PathLike[str], server: str) -> None:
        key = hashlib.sha256(server.encode()).hexdigest()[:16]
        self.dir = Path(state_dir) / key
        self.server = server

    def record(self, entries: list[dict[str, Any]]) -> Path:
        """Durably store [{"irq", "old_mask", "new_cpus"}] and return the journal's path."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{time.time_ns()}.json"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump({"server": self.server, "created": time.time(), "entries": entries,
                       "rolled_back": False}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    def latest(self) -> tuple[Path, dict[str, Any]] | None:
        """The newest journal not yet rolled back."""
        for path in sorted(self.dir.glob("*.json"), reverse=True):
            data = json.loads(path.read_text())
            if not data.get("rolled_back"):
                return path, data
        return None

    def mark_rolled_back(self, path: Path) -> None:
        data = json.loads(path.read_text())
        data["rolled_back"] = True
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)
