"""A SQLite file of the data dir, shared by every gunicorn worker and thread.

WAL lets readers run beside the one writer; each thread keeps its own connection (sqlite3
connections are not shared across threads); a write is one `BEGIN IMMEDIATE` transaction, so
a read-modify-write (a run's running total, a login's failure count) cannot interleave with
another process's.

Every store keeps a schema version (`PRAGMA user_version`) and migrates forward when a
process first opens it: `migrations[i]` takes a file from version i to i + 1, all in one
transaction. Version 0 is a new file or one written before versions were kept, so
`migrations[0]` accepts both (CREATE ... IF NOT EXISTS, plus fix-ups of the older shapes it
knows). A file of a newer version than this code knows is refused, not guessed at.

Errors become domain errors in one place (`irq_server.errors.store_error`): a full disk is
DiskFull, a damaged file StoreCorrupt (503 for what needs the store; the rest of the server
answers). A writable store that finds itself corrupt moves the file aside (datadir.quarantine)
and carries on with a fresh one; every connection notices the new file (its inode) and
reopens. A read-only store (the history's readers) leaves that to the writer: it drops a
`<name>.suspect` file, which makes the writer check the whole file.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from irq_server import datadir
from irq_server.errors import StoreCorrupt, StoreUnavailable, is_corrupt, store_error

log = logging.getLogger(__name__)
Migration = str | Callable[[sqlite3.Connection], None]  # statements, or a function of them
WAL_LIMIT = 4 << 20  # bytes: the WAL is checkpointed and truncated around this size
BUSY_TIMEOUT_MS = 1_000  # SQLite's own wait for a lock (a WAL reader's rare one, during a
# checkpoint or recovery): short, for it waits in C, which under gevent stops the worker
BUSY_PATIENCE = 10.0  # seconds a write waits for another process's writer


class Database:
    """One SQLite file: `migrations` bring it to the current schema (see the module doc).

    Args:
        readonly: readers that never write (the history's readers; the sampler writes).
        new_file_pragmas: PRAGMA statements for a file this process creates (page size).
        on_reopen: called when the file turned out to be a new one (ids start over).
    """

    def __init__(self, path: str | Path, migrations: Sequence[Migration], *,
                 readonly: bool = False, new_file_pragmas: Sequence[str] = (),
                 on_reopen: Callable[[], None] | None = None):
        self.path = Path(path)
        self.migrations = tuple(migrations)
        self.readonly = readonly
        self.new_file_pragmas = tuple(new_file_pragmas)
        self.on_reopen = on_reopen
        self._local = threading.local()
        self._lock = threading.Lock()
        self._inode: int | None = None  # the file this process last opened

    # ---- connections ----------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened (and the file migrated) on first use, and again
        when the file was replaced. Raises StoreUnavailable (or a subclass)."""
        with self.translated():
            inode = _inode(self.path)
            db = getattr(self._local, "db", None)
            if db is not None and inode is not None and self._local.inode == inode:
                return db
            if db is not None:
                db.close()
            self._local.db, self._local.inode = None, inode  # what recover() moves aside
            db = self._open()
            self._local.db, self._local.inode = db, _inode(self.path)
            with self._lock:
                if self._inode != self._local.inode:
                    if self._inode is not None and self.on_reopen is not None:
                        self.on_reopen()
                    self._inode = self._local.inode
            return db

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.path.exists():
                raise StoreUnavailable(f"{self.path.name} does not exist yet")
            return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(self.path)
        empty = self.path.stat().st_size == 0
        # the timeout is SQLite's busy_timeout, there from the first statement on
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        db.row_factory = sqlite3.Row
        if empty:
            for pragma in self.new_file_pragmas:
                db.execute(pragma)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        page = db.execute("PRAGMA page_size").fetchone()[0]
        db.execute(f"PRAGMA wal_autocheckpoint={max(16, WAL_LIMIT // page)}")
        db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        migrate(db, self.migrations, self.path.name)
        return db

    @contextlib.contextmanager
    def translated(self) -> Iterator[None]:
        """sqlite3 errors of the block as domain errors; a corrupt writable file is moved
        aside (the next connection starts a fresh one)."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            error = store_error(exc, self.path)
            if isinstance(error, StoreCorrupt):
                if self.readonly:  # the writer moves it: tell it to look
                    with contextlib.suppress(OSError):
                        os.close(os.open(self.suspect_path, os.O_WRONLY | os.O_CREAT, 0o600))
                else:
                    self.recover(str(exc))
            raise error from exc

    @property
    def suspect_path(self) -> Path:
        """Where readers that found the file corrupt say so to its writer."""
        return self.path.with_name(self.path.name + ".suspect")

    def suspected(self) -> bool:
        """A reader found the file corrupt: the writer should `check()` it."""
        return self.suspect_path.exists()

    def recover(self, why: str) -> None:
        """Move the corrupt file this thread has open aside (unless another process already
        did), so that the next connection makes a fresh one."""
        opened = getattr(self._local, "inode", None)
        db = getattr(self._local, "db", None)
        if db is not None:
            self._local.db = None
            with contextlib.suppress(sqlite3.Error):
                db.close()
        if opened is None or _inode(self.path) == opened:
            datadir.quarantine(self.path, why)

    def check(self) -> None:
        """`PRAGMA quick_check` now (at start, before any worker opens it; or when a reader
        suspected the file): a corrupt file is moved aside and a fresh one made."""
        if self.readonly or not self.path.exists():
            return
        try:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                rows = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise store_error(exc, self.path) from exc
            rows = [str(exc)]
        if rows != ["ok"]:
            datadir.quarantine(self.path, "; ".join(rows[:3]))
        with contextlib.suppress(FileNotFoundError):
            self.suspect_path.unlink()

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            self._local.db = None
            db.close()

    # ---- reading and writing --------------------------------------------------------------
    def read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        db = self.connection()
        with self.translated():
            return db.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def write(self, patience: float = BUSY_PATIENCE) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises.
        StoreBusy when another process's writer holds the lock for `patience` seconds."""
        db = self.connection()
        with self.translated():
            begin(db, patience)
            try:
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            try:
                db.execute("COMMIT")
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise


def begin(db: sqlite3.Connection, patience: float = BUSY_PATIENCE) -> None:
    """BEGIN IMMEDIATE (take the write lock), waiting for another process's writer by short
    sleeps in Python rather than in SQLite's busy handler: under the gevent worker a sleep
    lets the worker's other requests run, a wait inside SQLite would stop them all.

    Raises sqlite3.OperationalError (SQLITE_BUSY) after `patience` seconds.
    """
    deadline = time.monotonic() + patience
    pause = 0.001
    db.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = ((getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF) == 5
                if not busy or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    finally:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def translated(method):
    """A store method whose sqlite3 errors become domain errors (`self.db.translated()`)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.db.translated():
            return method(self, *args, **kwargs)
    return wrapper


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration], name: str) -> None:
    """Bring an open file to version len(migrations) (see the module doc)."""
    latest = len(migrations)
    if db.execute("PRAGMA user_version").fetchone()[0] == latest:
        return
    begin(db)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another may have won
        if version > latest:
            raise StoreUnavailable(f"{name} has schema version {version}, written by a newer "
                                   f"irq-server (this one knows up to {latest}): upgrade it")
        fresh = not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        for step in migrations[version:]:
            if callable(step):
                step(db)
            else:
                for statement in statements(step):
                    db.execute(statement)
        db.execute(f"PRAGMA user_version={latest}")
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    if version < latest:
        log.info("%s: %s schema version %d", name, "created at" if fresh else
                 f"migrated from version {version} to", latest)


def statements(script: str) -> list[str]:
    """The statements of a DDL script (one per `;` at a line's end), for use inside a
    transaction (executescript would commit first)."""
    return [s.strip() for s in script.split(";\n") if s.strip().rstrip(";")]


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    """Column names of `table` ([] when it does not exist): what a migration looks at."""
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (SQLite gives its -wal and
    -shm the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
