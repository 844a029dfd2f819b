"""GET /irqs, GET /irqs/<irq>, GET/PUT /irqs/<irq>/cpu_affinity."""
from __future__ import annotations

import numpy as np
from flask import g

from irq_server.api.auth import caller
from irq_server.api.blueprint import Blueprint, json_response, path_number, path_param
from irq_server.api.schemas.irqs import (AffinitySchema, AffinityWriteSchema, IrqListSchema,
                                         IrqSchema)
from irq_server.api.state import state
from irq_server.api.window_cache import cached_answer
from irq_server.host import Host, cpus_from_request
from irq_server.procfs import format_cpu_list
from irq_server.types import AffinityState, InterruptRow, IrqSettings

blp = Blueprint("irqs", __name__, description="Interrupts and their CPU affinity")
IRQ_PARAM = path_param("irq", "IRQ number")


def _host() -> Host:
    return state().host


@blp.route("/irqs")
@cached_answer(version=lambda: _host().settings_cache.version())
@blp.response(200, IrqListSchema)
def list_irqs():
    """Every numbered IRQ with per-CPU counts and affinity, plus NMI/LOC/ERR-like rows."""
    table = _host().irq_table()
    interrupts = table.interrupts
    counts = interrupts.counts.tolist()
    totals = interrupts.counts.sum(axis=1).tolist()
    numbered = [i for i, row in enumerate(interrupts.rows) if row.irq is not None]
    irq_sum = interrupts.counts[numbered].sum(axis=0) if numbered else np.zeros(
        len(interrupts.cpus), dtype=np.uint64)
    return json_response({
        "totals": {"num_interrupts_all_cpus": int(irq_sum.sum()),
                   "num_interrupts_per_cpu": irq_sum.tolist()},
        "cpus": list(interrupts.cpus),
        "irqs": [irq_json(interrupts.rows[i], counts[i], totals[i],
                          table.settings.get(interrupts.rows[i].irq)) for i in numbered],
        "other": [other_json(row, counts[i], interrupts.row_total(i))
                  for i, row in enumerate(interrupts.rows) if row.irq is None],
    })


@blp.route("/irqs/<irq>", parameters=IRQ_PARAM)
@blp.response(200, IrqSchema)
def get_irq(irq):
    """One IRQ, same fields as in GET /irqs."""
    one = _host().irq(path_number(irq, "irq"))
    return json_response(irq_json(one.row, one.counts, sum(one.counts), one.settings))


@blp.route("/irqs/<irq>/cpu_affinity", methods=["GET"], parameters=IRQ_PARAM)
@blp.response(200, AffinitySchema)
def get_affinity(irq):
    """The IRQ's affinity mask, its CPU list, effective CPUs and whether it is managed."""
    return json_response(affinity_json(_host().affinity(path_number(irq, "irq"))))


@blp.route("/irqs/<irq>/cpu_affinity", methods=["PUT"], parameters=IRQ_PARAM)
@blp.arguments(AffinityWriteSchema, location="json_or_form")
@blp.response(200, AffinitySchema)
def put_affinity(args, irq):
    """Route the IRQ to other CPUs (needs a write token). Answers with the read-back state.

    Validates first (well-formed, CPUs exist and are online, not empty, IRQ exists), writes
    only if the mask changes, then reads back what the kernel holds.
    """
    number = path_number(irq, "irq")
    cpus, field = cpus_from_request(args.get("cpu_affinity_mask"), args.get("cpu_affinity_list"))
    token = caller()
    reason = args.get("reason") or None  # "" is no reason
    with _host().one_writer():  # the audit log's before and after are this write's
        change = _host().set_affinity(number, cpus, field, who=token.name if token else "-",
                                      reason=reason)
        answer = {**affinity_json(change.after), "changed": change.written}
        if change.written:
            answer["audited"] = state().audit.record(
                number, (change.before.mask, format_cpu_list(change.before.cpus)),
                (change.after.mask, format_cpu_list(change.after.cpus)),
                token.principal if token else "-", reason)
    g.affinity_result = "changed" if change.written else "unchanged"  # for /metrics
    return json_response(answer)


def irq_json(row: InterruptRow, counts: list[int], total: int,
             settings: IrqSettings | None) -> dict:
    """One IRQ object: the 2016 fields, then the extensions."""
    s = settings or IrqSettings(irq=row.irq or 0)
    chip = row.chip or s.chip_name
    trigger = row.trigger or s.trigger
    actions = list(row.actions or s.actions or ())
    return {
        "irq_num": row.name,
        "irq_type": "-".join(x for x in (chip, trigger) if x) or None,
        "device_name": ", ".join(actions),
        "cpu_affinity": s.smp_affinity,
        "num_interrupts_per_cpu": counts,
        "total": total,
        "chip": chip,
        "hwirq": row.hwirq if row.hwirq is not None else s.hwirq,
        "trigger": trigger,
        "actions": actions,
        "node": s.node if s.node is not None and s.node >= 0 else None,
        "cpu_affinity_list": _list(s.smp_affinity_list),
        "effective_affinity_list": _list(s.effective_affinity_list),
        "affinity_hint": _list(s.affinity_hint),
        "managed": s.managed,
    }


def other_json(row: InterruptRow, counts: list[int], total: int) -> dict:
    return {"name": row.name, "description": row.description,
            "num_interrupts_per_cpu": counts if row.per_cpu else None, "total": total}


def affinity_json(state: AffinityState) -> dict:
    return {"irq_num": str(state.irq), "cpu_affinity": state.mask,
            "cpu_affinity_list": list(state.cpus),
            "effective_affinity_list": _list(state.effective), "managed": state.managed}


def _list(cpus: tuple[int, ...] | None) -> list[int] | None:
    return list(cpus) if cpus is not None else None
