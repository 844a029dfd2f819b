"""Shared test helpers of irq_server: capture trees, simulated hosts, a fresh app per test."""
import re
from pathlib import Path

import pytest
from irq_server.api import create_app
from irq_server.auth.tokens import TokenStore
from irq_server.history.sampler import Sampler
from irq_server.history.snapshot import read_snapshot

from irq_server import sim as simhost

FIXTURES = Path(__file__).parent / "fixtures"


class Clock:
    """A fake clock for the sampler and the app: call it for now; move it by setting `now`."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def run_sampled(sim, store, clock, seconds, oracle, step=1.0):
    """Sample `sim` into `store` every `step` simulated seconds, `seconds` times, recording in
    `oracle` each raw snapshot by time (what the tests check windows against)."""
    sampler = Sampler(sim.fs, store, clock)
    for _ in range(seconds):
        oracle[clock.now] = read_snapshot(sim.fs, clock.now)
        sampler.sample_once()
        sim.advance(step)
        clock.now += step
MACHINES = sorted(p.name for p in FIXTURES.iterdir() if (p / "proc" / "interrupts").exists())


@pytest.fixture
def sim(tmp_path):
    """A small simulated host: 8 CPUs, 2 nodes, 40 IRQs (legacy, NIC queues, managed NVMe)."""
    return simhost.create(tmp_path / "sim", simhost.SimSpec(cpus=8, nodes=2, irqs=40, seed=1))


@pytest.fixture
def make_client(tmp_path):
    """Build a fresh app over `root`; returns (test client, write token, read token): the
    first build's are named tester and viewer, later ones' tester-2, viewer-2, ..."""
    builds = iter(range(1, 1_000_000))

    def build(root, **config):
        data = tmp_path / "data"
        app = create_app({"IRQ_ROOT": str(root), "IRQ_DATA_DIR": str(data), **config})
        app.testing = True
        store = TokenStore(data)
        k = next(builds)
        suffix = "" if k == 1 else f"-{k}"
        return (app.test_client(), store.create(f"tester{suffix}", "write"),
                store.create(f"viewer{suffix}", "read"))
    return build


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def naive_numbered_counts(text):
    """Oracle: IRQ -> leading integers after the first colon, at most one per header CPU.

    Deliberately naive (split and int), independent of irq_server's parser.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    ncpu = len(re.findall(r"CPU\d+", lines[0]))
    out = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        if name.strip().isdigit():
            values = []
            for token in rest.split()[:ncpu]:
                if not token.isdigit():
                    break
                values.append(int(token))
            out[int(name)] = values
    return out


def naive_irq_totals(text):
    """Oracle: per-CPU sum of every numbered IRQ of a /proc/interrupts text."""
    ncpu = len(re.findall(r"CPU\d+", text.splitlines()[0]))
    totals = [0] * ncpu
    for values in naive_numbered_counts(text).values():
        for i, value in enumerate(values):
            totals[i] += value
    return totals


def damage(path, offset_pages=1, pages=3):
    """Overwrite part of a SQLite file (everything checkpointed into it first) past its
    header, as a bad disk or a stray write would: it still opens, its rows do not read."""
    import sqlite3
    db = sqlite3.connect(path)
    page = db.execute("PRAGMA page_size").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(path, "r+b") as f:
        f.seek(page * offset_pages)
        f.write(b"\xa5" * page * pages)


def write_file(root, rel, text):
    """Write `text` at `rel` under a test's tree, making its directories."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


PASSWORD = "correct horse"


def app_with_users(root, data, users):
    """(app, clock, user store) over the tree at `root`: `users` (name -> scope) added with
    PASSWORD, the clock a second past their creation."""
    from irq_server.auth.users import UserStore
    clock = Clock(1_800_000_000.0)
    store = UserStore(data, clock=clock)
    for name, scope in users.items():
        store.add(name, PASSWORD, scope)
    clock.now += 1
    app = create_app({"IRQ_ROOT": str(root), "IRQ_DATA_DIR": str(data), "IRQ_CLOCK": clock})
    return app, clock, store
