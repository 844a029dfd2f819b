"""Domain errors of irq_server, and the one place where OS errors become them.

    IrqServerError
     ├── NotFound               the IRQ, CPU or route does not exist
     ├── InvalidInput           a value a caller sent is malformed or impossible (carries `field`)
     │    └── InvalidMask       mask/list malformed, empty, or naming offline/unknown CPUs
     ├── AffinityRefused        the kernel refused an affinity change
     │    ├── IrqNotMovable     EIO/EPERM: managed or per-CPU IRQ (permanent)
     │    ├── NoFreeVectors     ENOSPC: a target CPU has no free vectors
     │    └── AffinityBusy      EAGAIN/EBUSY: a change is already in progress (transient)
     ├── AuthError              no, unknown, expired or tampered token; wrong password
     │    ├── ScopeError        the token lacks the scope the route needs
     │    └── TooManyAttempts   logins for that user failed repeatedly: wait (carries `retry_after`)
     ├── Forbidden              the caller may not touch this object (another user's run)
     ├── Conflict               the object's state forbids the change (usage on a stopped run)
     ├── HostUnavailable        the server cannot read/write the host tree (privilege, read-only fs)
     ├── StoreUnavailable       a file of the data dir cannot be used now (503: the rest still works)
     │    ├── StoreCorrupt      a store or secret file is corrupt, empty or half-written
     │    ├── DiskFull          the data dir's filesystem is full
     │    └── StoreBusy         another process holds the store's lock too long
     ├── DataDirInUse           another irq-server holds the data dir (the command exits 2)
     └── DataDirForeign         the data dir belongs to another user (the command exits 2)

The HTTP status of each lives in `irq_server.api.problems`, not here.
"""
from __future__ import annotations

import errno
import os
import sqlite3


class IrqServerError(Exception):
    """Base of every error irq_server raises on purpose."""

    title = "Server error"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(IrqServerError):
    title = "Not found"


class InvalidInput(IrqServerError):
    title = "Invalid input"


class InvalidMask(InvalidInput):
    title = "Invalid CPU mask"


class AffinityRefused(IrqServerError):
    title = "Affinity change refused"


class IrqNotMovable(AffinityRefused):
    title = "IRQ cannot be moved"


class NoFreeVectors(AffinityRefused):
    title = "No free interrupt vectors"


class AffinityBusy(AffinityRefused):
    title = "Affinity change in progress"


class AuthError(IrqServerError):
    title = "Unauthorized"


class ScopeError(AuthError):
    title = "Forbidden"


class TooManyAttempts(AuthError):
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class Forbidden(IrqServerError):
    title = "Forbidden"


class Conflict(IrqServerError):
    title = "Conflict"


class HostUnavailable(IrqServerError):
    title = "Host tree unavailable"


class StoreUnavailable(IrqServerError):
    title = "Store unavailable"


class StoreCorrupt(StoreUnavailable):
    title = "Store corrupt"


class DiskFull(StoreUnavailable):
    title = "Disk full"


class StoreBusy(StoreUnavailable):
    title = "Store busy"


class DataDirInUse(IrqServerError):
    title = "Data dir in use"


class DataDirForeign(IrqServerError):
    title = "Data dir of another user"


def affinity_write_error(exc: OSError, irq: int, cpus: str) -> IrqServerError:
    """Translate an OSError from writing /proc/irq/<irq>/smp_affinity into a domain error.

    The triage follows irqbalance's activate.c: EIO/EPERM are permanent (managed or per-CPU
    IRQs), ENOSPC means the target CPU ran out of vectors, EINVAL/EOVERFLOW/ERANGE a bad or
    offline mask, EAGAIN/EBUSY a transient state.
    """
    code = exc.errno
    if code in (errno.EIO, errno.EPERM):
        return IrqNotMovable(
            f"the kernel refused to move IRQ {irq} ({errno.errorcode[code]}): it is managed by "
            "the kernel or a per-CPU interrupt, so its affinity is fixed")
    if code == errno.ENOSPC:
        return NoFreeVectors(f"no free vectors on CPU {cpus} for IRQ {irq} (ENOSPC)")
    if code in (errno.EINVAL, errno.EOVERFLOW, errno.ERANGE):
        return InvalidMask(
            f"the kernel rejected CPUs {cpus} for IRQ {irq} ({errno.errorcode[code]}): "
            "bad or offline mask", field="cpu_affinity")
    if code in (errno.EAGAIN, errno.EBUSY):
        return AffinityBusy(f"IRQ {irq} is already being moved ({errno.errorcode[code]}); retry")
    if code == errno.ENOENT:
        return NotFound(f"IRQ {irq} went away while its affinity was being written")
    return host_error(exc)


def host_error(exc: OSError) -> IrqServerError:
    """Translate an OSError from reading or opening the host tree into a domain error."""
    code = exc.errno
    if code == errno.ENOENT:
        return HostUnavailable(f"the host tree has no {exc.filename}: is --root a Linux "
                               "root holding proc/ and sys/?")
    if code in (errno.EACCES, errno.EROFS, errno.EPERM):
        return HostUnavailable(
            f"the server process may not write {exc.filename}: "
            f"{exc.strerror}; run irq-server as root (or with CAP_SYS_ADMIN) to change affinity")
    return HostUnavailable(f"cannot access {exc.filename or 'the host tree'}: {exc.strerror}")


# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = (
    5, 6, 10, 11, 13, 26)


def _no_space_at(path) -> bool:
    """Whether the filesystem holding `path` is full (SQLite reports a write that failed for
    want of space in its WAL or shared memory as a plain I/O error)."""
    try:
        st = os.statvfs(os.path.dirname(os.fspath(path)) or ".")
    except (OSError, TypeError):
        return False
    return st.f_bavail == 0


def store_error(exc: sqlite3.Error | OSError, path) -> StoreUnavailable:
    """Translate an error from using a file of the data dir (a SQLite store, a token or
    secret file) into a domain error naming the file."""
    name = getattr(path, "name", path)
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFull(f"the data dir is full: {name} cannot be written ({exc.strerror})")
        return StoreUnavailable(f"cannot use {name}: {exc.strerror or exc}")
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreCorrupt(f"{name} is corrupt ({exc}); irq-server moves it aside and "
                            "starts a fresh one")
    if code == _SQLITE_FULL or (code == _SQLITE_IOERR and _no_space_at(path)):
        return DiskFull(f"the data dir is full: {name} cannot be written ({exc})")
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusy(f"{name} is locked by another process ({exc}); retry")
    return StoreUnavailable(f"cannot use {name}: {exc}")


def is_corrupt(exc: BaseException) -> bool:
    """Whether an error says the file it came from is damaged (not merely unavailable)."""
    return isinstance(exc, StoreCorrupt) or (
        isinstance(exc, sqlite3.DatabaseError)
        and ((getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF) in (_SQLITE_CORRUPT,
                                                                         _SQLITE_NOTADB))
