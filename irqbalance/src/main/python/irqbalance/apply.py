"""Applying a plan through irq_client: journal each old mask just before its write, write
only what changes, verify each write by read-back, and on any failure restore everything
this run changed. Every write carries its reason to the server's audit log: the apply (named
by its journal, `irq-balance apply <id>`) and the move's reason, or the rollback it is."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from irq_client import ApiError, IrqClient, IrqClientError
from irqbalance.journal import Journal, JournalError
from irqbalance.types import Plan

log = logging.getLogger(__name__)
REFUSED_TOKEN = (401, 403)  # the host refuses the caller: the next write would be refused too
MAX_REASON = 500  # characters the server keeps of a write's reason


def token_refused(exc: Exception) -> str | None:
    """What to do, when `exc` is the host refusing the token (None for any other error)."""
    if not isinstance(exc, ApiError) or exc.status not in REFUSED_TOKEN:
        return None
    return (f"the host refused the token ({exc.status} {exc.title}): changing affinity needs "
            "a write token of that host (--token or $IRQ_TOKEN; on the host: irq-server token "
            "create --scope write)")


class ApplyError(Exception):
    """A write failed (or did not read back); what this run changed has been restored."""

    def __init__(self, irq: int, detail: str, restored: list[int], unrestored: list[int]):
        super().__init__(f"IRQ {irq}: {detail}")
        self.irq = irq
        self.detail = detail
        self.restored = restored
        self.unrestored = unrestored


@dataclass
class ApplyResult:
    written: list[int] = field(default_factory=list)  # IRQs the server confirmed it moved
    skipped: list[int] = field(default_factory=list)  # already where the plan wants them
    journal: str | None = None  # path of the journal written (None when nothing was written)


@dataclass
class Restored:
    """What putting journaled masks back did."""

    changed: list[int] = field(default_factory=list)  # the server confirmed a write
    same: list[int] = field(default_factory=list)  # already had its old mask
    failed: list[int] = field(default_factory=list)  # the host refused, or was not asked
    refusal: str | None = None  # what to do, when the host refused the token

    @property
    def restored(self) -> list[int]:
        return self.changed + self.same


def apply_plan(client: IrqClient, plan: Plan, journal: Journal) -> ApplyResult:
    """Carry out `plan` on the host behind `client`: each IRQ's mask is read, journaled
    and written in turn, and the write is verified by read-back.

    Raises:
        ApplyError: a read or write failed, read back wrong, or its old mask could not be
            journaled (a full disk: that write is not sent); every change of this run was
            undone (`unrestored` lists any the host refused to take back).
    """
    result = ApplyResult()
    record = journal.new()
    done: list[tuple[int, str]] = []  # (IRQ, old mask) of every write that may have happened
    irq = None
    try:
        for move in plan.moves:
            irq = move.irq
            state = client.affinity(irq)
            if tuple(state.cpu_affinity_list) == tuple(move.new_cpus):
                result.skipped.append(irq)
                continue
            record.before_write(irq, state.cpu_affinity, list(move.new_cpus))
            result.journal = str(record.path)
            assert record.path is not None
            why = f"irq-balance apply {apply_id(record.path)}: {move.reason}"
            try:
                written = client.set_affinity(irq, move.new_cpus, reason=why[:MAX_REASON])
            except ApiError:  # the server answered: nothing was written
                record.answered(irq, False)
                raise
            except IrqClientError:  # no answer: it may have been written
                done.append((irq, state.cpu_affinity))
                raise
            done.append((irq, state.cpu_affinity))
            record.answered(irq, written.changed is not False)
            if tuple(written.cpu_affinity_list) != tuple(move.new_cpus):
                raise _Mismatch(f"read back CPUs {list(written.cpu_affinity_list)} instead "
                                f"of {list(move.new_cpus)}")
            (result.written if written.changed is not False else result.skipped).append(irq)
    except (IrqClientError, _Mismatch, JournalError) as exc:
        detail = token_refused(exc) or getattr(exc, "detail", None) or str(exc)
        back = _restore(client, done, "irq-balance apply "
                        f"{apply_id(record.path) if record.path else '-'} failed: restored")
        record.close()  # (a journal that holds nothing is removed)
        if not back.failed and record.path is not None:  # as it was: nothing to roll back
            journal.mark_rolled_back(record.path)
        raise ApplyError(irq or 0, detail, back.restored, back.failed) from exc
    finally:
        record.close()
    return result


def rollback(client: IrqClient, journal: Journal) -> Restored:
    """Put back the masks of the newest apply that wrote something (journals whose writes
    the server all refused are set aside)."""
    for path, entries in journal.pending():
        writes = [(e.irq, e.old_mask) for e in entries if e.changed is not False]
        if not writes:
            journal.mark_rolled_back(path)
            continue
        back = _restore(client, writes, f"irq-balance rollback of apply {apply_id(path)}")
        if back.failed:
            raise ApplyError(back.failed[0], back.refusal or "the host refused to restore "
                             "some masks", back.restored, back.failed)
        journal.mark_rolled_back(path)
        return back
    return Restored()


def apply_id(journal_path: Path) -> str:
    """The id an apply goes by in the audit log: its journal's name (when it began, in ns)."""
    return journal_path.name.split(".")[0]


class _Mismatch(Exception):
    pass


def _restore(client: IrqClient, entries: list[tuple[int, str]], reason: str) -> Restored:
    """Put `entries` back, newest first, each write saying `reason`. A host that refuses the
    token is asked no more: its IRQs all count as failed."""
    back = Restored()
    pending = list(reversed(entries))
    for k, (irq, mask) in enumerate(pending):
        try:
            state = client.set_affinity(irq, mask, reason=reason)
        except IrqClientError as exc:
            why = token_refused(exc)
            log.error("could not restore IRQ %d to %s: %s", irq, mask, why or exc)
            if why is not None:
                back.failed += [i for i, _ in pending[k:]]
                back.refusal = why
                return back
            back.failed.append(irq)
            continue
        (back.same if state.changed is False else back.changed).append(irq)
    return back
