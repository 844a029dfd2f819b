#!/usr/bin/env python3
"""Sampler cost of this tree against an earlier revision, side by side in one run.

A 256-CPU x 2000-IRQ simulated host (with this tree's /proc/stat, meminfo, mounts and two
filesystems) is advanced one simulated second at a time; after each step the sampler of this
tree and the sampler of --baseline REV (checked out in a temporary git worktree; default
9ed2286, the last revision before snapshots carried CPU time, memory and filesystems) each take
one sample of the same tree into their own store, in alternating order so machine noise hits
both alike. Prints the median CPU time per sample of each and their ratio (target for the
usage rows: <= 1.10). Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SERVER_SRC, TOP

from irq_server import sim as simhost  # noqa: E402

WORKER = """
import sys, time
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from irq_server.procfs import HostFS
now = [0.0]
sampler = Sampler(HostFS(sys.argv[1]), HistoryStore(sys.argv[2]), clock=lambda: now[0])
for line in sys.stdin:
    now[0] = float(line)
    start = time.process_time()
    sampler.sample_once()
    print(time.process_time() - start, flush=True)
"""


class Worker:
    """A sampler of one source tree in its own process, sampling when told."""

    def __init__(self, src: Path, root: Path, data: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(data)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})

    def sample(self, ts: float) -> float:
        self.proc.stdin.write(f"{ts}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="9ed2286", help="git revision to compare with")
    parser.add_argument("--samples", type=int, default=60, help="samples each (default 60)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sampler-"))
    old = work / "baseline"
    made = subprocess.run(["git", "-C", str(TOP), "worktree", "add", "--detach", "-q", str(old),
                           args.baseline], capture_output=True, text=True)
    if made.returncode != 0:
        print(f"sampler.py: cannot check out --baseline {args.baseline} (it needs a git clone "
              f"that has it): {made.stderr.strip()}", file=sys.stderr)
        return 2
    try:
        print("building a 256x2000 simulated host ...", file=sys.stderr, flush=True)
        sim = simhost.create(work / "host", simhost.SimSpec(256, 4, 2000, seed=1))
        ours = Worker(SERVER_SRC, sim.root, work / "ours")
        theirs = Worker(old / "irq_server" / "src" / "main" / "python", sim.root, work / "base")
        costs = {"ours": [], "baseline": []}
        now = time.time()
        for i in range(args.samples):
            sim.advance(1)
            now += 1
            pair = [("ours", ours), ("baseline", theirs)]
            for name, worker in pair if i % 2 == 0 else reversed(pair):
                costs[name].append(worker.sample(now))
        ours.close()
        theirs.close()
    finally:
        subprocess.run(["git", "-C", str(TOP), "worktree", "remove", "--force", str(old)],
                       check=False)
        shutil.rmtree(work, ignore_errors=True)
    medians = {name: statistics.median(values[2:]) for name, values in costs.items()}  # warm
    result = {"sampler_cpu_ms": round(medians["ours"] * 1000, 2),
              "baseline_sampler_cpu_ms": round(medians["baseline"] * 1000, 2),
              "baseline": args.baseline,
              "ratio": round(medians["ours"] / medians["baseline"], 3)}
    result["target_met"] = result["ratio"] <= 1.10
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
