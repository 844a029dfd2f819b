"""Text views of irq_client's models, in the style of util-linux lsirq/irqtop, shared by every
front-end (`irq-client`'s commands, `top`, `record`):

    text    tables, KEY="value" pairs, CPU lists, sizes, sparklines, control characters
    irqs    the IRQ table and its columns, softirqs, one IRQ, CPUs, affinity, windows
    top     top's frame, fitted to a terminal
    usage   `usage` and the cpu/memory/storage series
    runs    runs, one run, record's summary
    hosts   a registry partition's hosts
    host    one host, its irqbalance daemon, isolation compliance
    changes the audit log of affinity writes
"""
from irq_client.render.changes import changes_table
from irq_client.render.host import compliance_text, host_text
from irq_client.render.hosts import hosts_table
from irq_client.render.irqs import (COLUMNS, DEFAULT_COLUMNS, SORT_KEYS, WINDOW_COLUMNS, IrqRow,
                                    affinity_line, cost_text, cpu_share_row, cpu_shares,
                                    cpu_window_line, cpus_table, interrupts_table, irq_detail,
                                    irq_name, irq_rows, irq_table,
                                    parse_columns, per_irq_table, softirq_table, sorted_rows,
                                    span_text, unknown_cpus)
from irq_client.render.runs import run_detail, run_summary, runs_table
from irq_client.render.text import (SPARKS, clip, cpu_list, dash, fields, human_bytes, pair_lines,
                                    parse_cpu_list, printable, sparkline, table, yes_no)
from irq_client.render.top import TopView, batch_frame, cost_source, fitted_frame
from irq_client.render.usage import (Series, cpu_series, memory_series, series_text, storage_series,
                                     usage_summary)

__all__ = [
    "COLUMNS", "DEFAULT_COLUMNS", "SORT_KEYS", "SPARKS", "WINDOW_COLUMNS", "IrqRow", "Series",
    "TopView", "affinity_line", "changes_table", "batch_frame", "clip", "compliance_text", "cost_source",
    "cost_text", "cpu_list", "cpu_series",
    "cpu_share_row", "cpu_shares", "cpu_window_line", "cpus_table", "dash", "fields",
    "fitted_frame", "host_text", "hosts_table", "human_bytes", "interrupts_table", "irq_detail",
    "irq_name", "irq_rows", "irq_table", "memory_series", "pair_lines", "parse_columns",
    "parse_cpu_list", "per_irq_table", "printable", "run_detail", "run_summary", "runs_table",
    "series_text", "softirq_table", "sorted_rows", "span_text", "sparkline", "storage_series",
    "table", "unknown_cpus", "usage_summary", "yes_no",
]
