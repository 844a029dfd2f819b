"""Prometheus metrics of a host, built from one snapshot (the newest stored sample, unwrapped;
a live read when history is off) and the live /proc/interrupts table for names. No second
parser: both come from irq_server's readers.

Exported (prometheus-client text exposition):
    irq_interrupts_total{irq,device,chip}        counter, per numbered IRQ, summed over CPUs
    irq_cpu_interrupts_total{cpu}                counter, all numbered IRQs of a CPU
    irq_other_interrupts_total{name}             counter, NMI/LOC/IPI... rows as the kernel
                                                 prints them (32-bit per CPU: they may wrap)
    irq_cpu_seconds_total{mode}                  counter, /proc/stat time of all CPUs
    irq_handler_cpu_seconds_total{irq,device}    counter, an IRQ's handler thread's CPU time
                                                 (hosts whose handlers all run in threads)
    irq_cpu_irq_interrupts_total{irq,cpu}        counter, --metrics-per-cpu only
    irq_cpu_mode_seconds_total{cpu,mode}         counter, --metrics-per-cpu only
    irq_memory_bytes{kind}, irq_filesystem_bytes{mountpoint,kind}   gauges, read now
    irq_compliance_violations{movable}           gauge, IRQs on CPUs the host's policy bans
Which IRQs get series: --metrics-include/--metrics-exclude (RE2 on "IRQ device") and
--metrics-top N (the N busiest by their rate between the two newest samples). Affinity is
deliberately not a label (`irq_affinity_info{cpus}` would churn a series at every move).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from irq_server.compliance import Violation, movable_count
from irq_server.history.snapshot import HOST, STAT_KEYS, THREAD_PREFIX
from irq_server.registry.patterns import compile_pattern
from irq_server.types import CPU_FIELDS, USER_HZ, FsUsage, Interrupts, Memory, Snapshot


@dataclass(frozen=True)
class MetricsOptions:
    per_cpu: bool = False  # per-IRQ-per-CPU and per-CPU-per-mode series
    include: str | None = None  # RE2: only IRQs whose "IRQ device" it matches
    exclude: str | None = None  # RE2: not those
    top: int | None = None  # only the N busiest IRQs (by recent rate)


@dataclass(frozen=True)
class HostState:
    """What one scrape exports."""

    snapshot: Snapshot  # counters (unwrapped)
    previous: Snapshot | None  # an earlier snapshot of the same boot, for --metrics-top rates
    table: Interrupts  # live /proc/interrupts: names, chips, the named rows
    memory: Memory | None
    filesystems: list[FsUsage]
    violations: list[Violation] = field(default_factory=list)  # compliance.violations


def chosen_rows(state: HostState, options: MetricsOptions) -> list[tuple[int, str, str, str]]:
    """(snapshot row, irq, device, chip) of the IRQs that get series."""
    by_irq = {row.name: row for row in state.table.rows if row.irq is not None}
    include = compile_pattern(options.include, "metrics_include") if options.include else None
    exclude = compile_pattern(options.exclude, "metrics_exclude") if options.exclude else None
    rows = []
    for i, key in enumerate(state.snapshot.keys):
        if not key.isdigit():
            continue
        row = by_irq.get(key)
        device = ", ".join(row.actions) if row else ""
        text = f"{key} {device}"
        if (include and not include(text)) or (exclude and exclude(text)):
            continue
        rows.append((i, key, device, (row.chip or "") if row else ""))
    if options.top is not None:
        recent = _recent_counts(state)
        rows = sorted(rows, key=lambda r: -recent[r[0]])[:options.top]
        rows.sort(key=lambda r: r[0])
    return rows


def _recent_counts(state: HostState) -> list[int]:
    """Per snapshot row: its count since the previous snapshot of the same boot (since boot
    without one, or for a row the previous lacks)."""
    snap, prev = state.snapshot, state.previous
    now = snap.values.sum(axis=1).tolist()
    if prev is None or prev.boot_id != snap.boot_id:
        return now
    before = dict(zip(prev.keys, prev.values.sum(axis=1).tolist()))
    return [n - before.get(key, 0) for key, n in zip(snap.keys, now)]


def families(state: HostState, options: MetricsOptions) -> Iterable:
    """The metric families of one scrape (a prometheus-client collector yields these)."""
    snap = state.snapshot
    cpu_cols = [j for j, cpu in enumerate(snap.cpus) if cpu != HOST]
    cpus = [str(snap.cpus[j]) for j in cpu_cols]
    rows = chosen_rows(state, options)
    irq_rows = [i for i, key in enumerate(snap.keys) if key.isdigit()]

    per_irq = CounterMetricFamily("irq_interrupts", "Interrupts of an IRQ on all CPUs",
                                  labels=["irq", "device", "chip"])
    totals = snap.values[[r[0] for r in rows]][:, cpu_cols].sum(axis=1).tolist() if rows else []
    for (_, irq, device, chip), total in zip(rows, totals):
        per_irq.add_metric([irq, device, chip], total)
    yield per_irq

    per_cpu = CounterMetricFamily("irq_cpu_interrupts", "Interrupts of all numbered IRQs on "
                                  "a CPU", labels=["cpu"])
    sums = (snap.values[irq_rows][:, cpu_cols].sum(axis=0).tolist() if irq_rows
            else [0] * len(cpus))
    for cpu, total in zip(cpus, sums):
        per_cpu.add_metric([cpu], total)
    yield per_cpu

    other = CounterMetricFamily("irq_other_interrupts", "Named /proc/interrupts rows (NMI, "
                                "LOC, IPIs...), summed over CPUs", labels=["name"])
    for index, row in enumerate(state.table.rows):
        if row.irq is None:
            other.add_metric([row.name], state.table.row_total(index))
    yield other

    stat = {key: i for i, key in enumerate(snap.keys) if key in STAT_KEYS}
    if stat:
        seconds = CounterMetricFamily("irq_cpu_seconds", "CPU time of all CPUs by mode "
                                      "(/proc/stat)", labels=["mode"])
        ticks = snap.values[[stat[k] for k in STAT_KEYS]][:, cpu_cols]
        for mode, total in zip(CPU_FIELDS, ticks.sum(axis=1).tolist()):
            seconds.add_metric([mode], total / USER_HZ)
        yield seconds

    threads = {key[len(THREAD_PREFIX):]: i for i, key in enumerate(snap.keys)
               if key.startswith(THREAD_PREFIX)}
    if threads:
        handler = CounterMetricFamily("irq_handler_cpu_seconds", "CPU time of an IRQ's "
                                      "handler thread (threadirqs): what its interrupts cost",
                                      labels=["irq", "device"])
        host = snap.cpus.index(HOST)
        for _, irq, device, _ in rows:
            if irq in threads:
                ticks_now = int(snap.values[threads[irq], host])
                handler.add_metric([irq, device], ticks_now / USER_HZ)
        yield handler

    if options.per_cpu:
        cells = CounterMetricFamily("irq_cpu_irq_interrupts", "Interrupts of an IRQ on one "
                                    "CPU", labels=["irq", "cpu"])
        matrix = snap.values[[r[0] for r in rows]][:, cpu_cols].tolist() if rows else []
        for (_, irq, _, _), counts in zip(rows, matrix):
            for cpu, count in zip(cpus, counts):
                cells.add_metric([irq, cpu], count)
        yield cells
        if stat:
            modes = CounterMetricFamily("irq_cpu_mode_seconds", "CPU time of one CPU by mode",
                                        labels=["cpu", "mode"])
            for mode, per in zip(CPU_FIELDS, (ticks / USER_HZ).tolist()):
                for cpu, value in zip(cpus, per):
                    modes.add_metric([cpu, mode], value)
            yield modes

    if state.memory is not None:
        memory = GaugeMetricFamily("irq_memory_bytes", "Memory now (/proc/meminfo; used = "
                                   "total - available)", labels=["kind"])
        m = state.memory
        for kind, value in (("total", m.total), ("available", m.available),
                            ("used", m.used)):
            memory.add_metric([kind], value)
        yield memory
    compliance = GaugeMetricFamily("irq_compliance_violations", "IRQs routed to a CPU that "
                                   "the host's policy bans (GET /compliance); movable=false: "
                                   "kernel-managed", labels=["movable"])
    movable = movable_count(state.violations)
    compliance.add_metric(["true"], movable)
    compliance.add_metric(["false"], len(state.violations) - movable)
    yield compliance
    if state.filesystems:
        space = GaugeMetricFamily("irq_filesystem_bytes", "Filesystem space now (as df: used "
                                  "= blocks - free)", labels=["mountpoint", "kind"])
        for f in state.filesystems:
            for kind, value in (("size", f.size), ("used", f.used), ("available", f.available)):
                space.add_metric([f.mount_point, kind], value)
        yield space

