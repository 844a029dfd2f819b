"""Applying a plan through irq_client: journal first, write only what changes, verify each
write by read-back, and on any failure restore everything this run changed."""
from __future__ import annotations

import logging
from pathlib import Path
from dataclasses import dataclass, field

from irq_client import ApiError, IrqClient, IrqClientError
from irqbalance.journal import Journal
from irqbalance.types import Plan

log = logging.getLogger(__name__)
REFUSED_TOKEN = (401, 403)  # the host refuses the caller: the next write would be refused too


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
    written: list[int] = field(default_factory=list)  # IRQs moved
    skipped: list[int] = field(default_factory=list)  # already where the plan wants them
    journal: str | None = None  # path of the journal written (None when nothing to do)


def apply_plan(client: IrqClient, plan: Plan, journal: Journal) -> ApplyResult:
    """Carry out `plan` on the host behind `client`.

    Raises:
        ApplyError: a write failed or read back wrong; every change of this run was undone
            (`unrestored` lists any the host refused to take back).
    """
    result = ApplyResult()
    todo = []
    for move in plan.moves:
        state = client.affinity(move.irq)
        if tuple(state.cpu_affinity_list) == tuple(move.new_cpus):
            result.skipped.append(move.irq)
        else:
            todo.append((move, state.cpu_affinity))
    if not todo:
        return result
    result.journal = str(journal.record([{"irq": m.irq, "old_mask": old,
                                          "new_cpus": list(m.new_cpus)} for m, old in todo]))
    done: list[tuple[int, str]] = []
    for move, old_mask in todo:
        try:
            state = client.set_affinity(move.irq, move.new_cpus)
            if tuple(state.cpu_affinity_list) != tuple(move.new_cpus):
                raise _Mismatch(f"read back CPUs {list(state.cpu_affinity_list)} instead of "
                                f"{list(move.new_cpus)}")
        except (IrqClientError, _Mismatch) as exc:
            detail = token_refused(exc) or getattr(exc, "detail", None) or str(exc)
            written = [(move.irq, old_mask)] if isinstance(exc, _Mismatch) else []
            restored, unrestored, _ = _restore(client, done + written)
            if not unrestored:  # the host is as it was: nothing for a rollback to undo
                journal.mark_rolled_back(Path(result.journal))
            raise ApplyError(move.irq, detail, restored, unrestored) from exc
        done.append((move.irq, old_mask))
        result.written.append(move.irq)
    return result


def rollback(client: IrqClient, journal: Journal) -> list[int]:
    """Put back the masks of the newest journal; returns the IRQs restored."""
    latest = journal.latest()
    if latest is None:
        return []
    path, data = latest
    restored, unrestored, refused = _restore(
        client, [(e["irq"], e["old_mask"]) for e in data["entries"]])
    if unrestored:
        raise ApplyError(unrestored[0], refused or "the host refused to restore some masks",
                         restored, unrestored)
    journal.mark_rolled_back(path)
    return restored


class _Mismatch(Exception):
    pass


def _restore(client: IrqClient, entries: list[tuple[int, str]]
             ) -> tuple[list[int], list[int], str | None]:
    """Put `entries` back, newest first: (restored, unrestored, what to do when the host
    refused the token). A host that refuses the token is asked no more: its IRQs all count
    as unrestored."""
    restored: list[int] = []
    unrestored: list[int] = []
    pending = list(reversed(entries))
    for k, (irq, mask) in enumerate(pending):
        try:
            client.set_affinity(irq, mask)
            restored.append(irq)
        except IrqClientError as exc:
            why = token_refused(exc)
            if why is not None:
                log.error("could not restore IRQ %d to %s: %s", irq, mask, why)
                return restored, unrestored + [i for i, _ in pending[k:]], why
            log.error("could not restore IRQ %d to %s: %s", irq, mask, exc)
            unrestored.append(irq)
    return restored, unrestored, None
