"""irq-client changes: the server's audit log as a table, in UTC."""
from __future__ import annotations

from irq_client.models.changes import ChangeList
from irq_client.render.text import cpu_list, table


def changes_table(changes: ChangeList) -> str:
    """One row per change, oldest first; a note when the server left older ones out."""
    if not changes:
        return "no affinity changes in this window"
    rows = [[f"{c.time:%Y-%m-%d %H:%M:%S}", c.irq, cpu_list(c.old_cpus), cpu_list(c.new_cpus),
             c.who, c.reason or "-"] for c in changes]
    text = table(["TIME (UTC)", "IRQ", "OLD CPUS", "NEW CPUS", "WHO", "REASON"], rows,
                 right=["IRQ"])
    if changes.truncated:
        text += f"\n(only the newest {len(changes)}: older changes of the window left out)"
    return text
