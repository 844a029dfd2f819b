"""Server answers used by the irq_client unit tests (shapes as irq-server sends them)."""

URL = "http://irq.test:5000"

IRQS = {
    "totals": {"num_interrupts_all_cpus": 1500, "num_interrupts_per_cpu": [1200, 300]},
    "cpus": [0, 1],
    "irqs": [
        {"irq_num": "24", "irq_type": "IR-PCI-MSI-edge", "device_name": "eth0-TxRx-0",
         "cpu_affinity": "3", "num_interrupts_per_cpu": [1000, 0], "total": 1000,
         "chip": "IR-PCI-MSI", "hwirq": 0, "trigger": "edge", "actions": ["eth0-TxRx-0"],
         "node": 0, "cpu_affinity_list": [0, 1], "effective_affinity_list": [0],
         "affinity_hint": [0], "managed": False},
        {"irq_num": "9", "irq_type": "IR-IO-APIC-fasteoi", "device_name": "acpi",
         "cpu_affinity": "3", "num_interrupts_per_cpu": [200, 300], "total": 500,
         "chip": "IR-IO-APIC", "hwirq": 9, "trigger": "fasteoi", "actions": ["acpi"],
         "node": None, "cpu_affinity_list": [0, 1], "effective_affinity_list": [1],
         "affinity_hint": None, "managed": None},
    ],
    "other": [
        {"name": "LOC", "description": "Local timer interrupts",
         "num_interrupts_per_cpu": [50, 60], "total": 110},
        {"name": "ERR", "description": None, "num_interrupts_per_cpu": None, "total": 0},
    ],
}
SPAN = {"start": "2026-11-23T08:00:00.000Z", "end": "2026-11-23T08:01:00.000Z",
        "period_duration_seconds": 60.0, "partial": False}
WINDOW_IRQS = {**SPAN, "cpus": [0, 1], "irqs": [
    {"irq_num": "24", "num_interrupts_per_cpu": [600, 0], "num_interrupts": 600,
     "rate_per_second": 10.0},
    {"irq_num": "9", "num_interrupts_per_cpu": [0, 30], "num_interrupts": 30,
     "rate_per_second": 0.5}]}
WINDOW = {**SPAN, "num_interrupts_per_cpu": [600, 30], "percent_interrupts_per_cpu": [95.238, 4.762],
          "num_interrupts_all_cpus": 630, "num_cpus": 2, "cpus": [0, 1]}
CPU_WINDOW = {**SPAN, "cpu_num": 1, "num_interrupts": 30, "percent_interrupts": 4.762,
              "num_interrupts_all_cpus": 630, "num_cpus": 2}
AFFINITY = {"irq_num": "24", "cpu_affinity": "2", "cpu_affinity_list": [1],
            "effective_affinity_list": [1], "managed": False}
CPUS = {"cpus": [{"cpu": 0, "online": True, "node": 0, "package": 0, "core": 0,
                  "cache_cpus": [0, 1], "isolated": False, "nohz_full": False},
                 {"cpu": 1, "online": True, "node": 0, "package": 0, "core": 1,
                  "cache_cpus": [0, 1], "isolated": True, "nohz_full": True}]}
HEALTH = {"status": "ok", "reason": None, "reasons": [], "version": "0.1.0", "root": "/",
          "simulated": False,
          "sampler": {"last_sample": "2026-11-23T08:01:00.000Z", "interval_seconds": 1.0,
                      "stale": False}}
HISTORY = {"tiers": "1s:1h,10s:1d,1m:1w,10m:90d", "interval_seconds": 1.0, "samples": 3600,
           "oldest": "2026-11-23T07:01:00.000Z", "newest": "2026-11-23T08:01:00.000Z",
           "store_bytes": 123456}


def problem(status, title, detail, errors=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body
SOFTIRQS = {**SPAN, "cpus": [0, 1], "softirqs": [
    {"name": "TIMER", "num_softirqs_per_cpu": [60, 60], "num_softirqs": 120, "rate_per_second": 2.0},
    {"name": "NET_RX", "num_softirqs_per_cpu": [600, 0], "num_softirqs": 600,
     "rate_per_second": 10.0}]}

CPU_POINTS = [  # GET /cpu?per_cpu=1: two points of a 2-CPU host
    {"usage": 25.0, "taken_at": "2026-11-23T08:00:01.000Z", "user": 15.0, "nice": 0.0,
     "system": 5.0, "idle": 70.0, "iowait": 5.0, "irq": 3.0, "softirq": 2.0, "steal": 0.0,
     "guest": 0.0, "guest_nice": 0.0,
     "per_cpu": [{"cpu": 0, "usage": 40.0, "user": 30.0}, {"cpu": 1, "usage": 10.0, "user": 0.0}]},
    {"usage": 75.0, "taken_at": "2026-11-23T08:00:02.000Z", "user": 60.0, "nice": 0.0,
     "system": 10.0, "idle": 25.0, "iowait": 0.0, "irq": 3.0, "softirq": 2.0, "steal": 0.0,
     "guest": 0.0, "guest_nice": 0.0,
     "per_cpu": [{"cpu": 0, "usage": 90.0, "user": 80.0}, {"cpu": 1, "usage": 60.0, "user": 40.0}]},
]
MEMORY_POINTS = [{"used_space": 3 << 30, "free_space": 5 << 30, "taken_at": "2026-11-23T08:00:01Z",
                  "total": 8 << 30, "buffers": 1 << 20, "cached": 2 << 30, "swap_used": 0}]
STORAGE_POINTS = [{"used_space": 40 << 30, "free_space": 55 << 30,
                   "taken_at": "2026-11-23T08:00:01Z", "size": 100 << 30}]
CURRENT = {"cpu_usage": 12.5, "used_mem": 3 << 30, "free_mem": 5 << 30, "used_disk": 40 << 30,
           "free_disk": 55 << 30, "taken_at": "2026-11-23T08:00:02.000Z",
           "cpu": {"usage": 12.5, "user": 10.0, "nice": 0.0, "system": 2.0, "idle": 87.5,
                   "iowait": 0.0, "irq": 0.5, "softirq": 0.0, "steal": 0.0, "guest": 0.0,
                   "guest_nice": 0.0},
           "memory": {"total": 8 << 30, "free": 4 << 30, "available": 5 << 30, "used": 3 << 30,
                      "buffers": 1 << 20, "cached": 2 << 30, "swap_total": 0, "swap_used": 0,
                      "available_estimated": False},
           "filesystems": {"/": {"size": 100 << 30, "used": 40 << 30, "available": 55 << 30}}}
