#!/usr/bin/env python3
"""Parse and serve cost of /proc/interrupts on a 256-CPU x 2000-IRQ simulated host.

Measured side by side in one run (medians):
  read_ms           read() of the file
  naive_parse_ms    a plain split() + int() loop over the same text (the yardstick)
  parse_ms          irq_server's parser into the typed table (steady state: row metadata cached)
  parse_uncached_ms the same with the row-metadata cache emptied before every run
  irqs_get_ms       a full GET /irqs from irq-server (gunicorn) serving that tree
  metrics_ms        a GET /metrics scrape of that server (default flags), and its bytes
  metrics_per_cpu_ms  the same with --metrics-per-cpu (a series per IRQ per CPU), and bytes
  node_exporter_ms  a scrape of Debian's prometheus-node-exporter (interrupts collector only,
                    which exports every IRQ x CPU cell), and its bytes
Last line: one JSON object with those and parse_vs_naive, irqs_vs_node_exporter,
metrics_vs_node_exporter, metrics_per_cpu_vs_node_exporter.
Targets: parse_vs_naive <= 0.25, irqs_vs_node_exporter <= 0.1, metrics_vs_node_exporter <= 0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SERVER_SRC, debian_tool, free_port, median_ms, wait_http
from irq_server.procfs import interrupts as interrupts_module  # noqa: E402
from irq_server.procfs import parse_interrupts  # noqa: E402

from irq_server import sim as simhost  # noqa: E402  (path set by _common)


def naive_parse(text: str) -> list:
    """What a first attempt looks like: split every line, int() every count."""
    lines = text.splitlines()
    ncpu = lines[0].count("CPU")
    rows = []
    for line in lines[1:]:
        parts = line.split()
        rows.append((parts[0], [int(x) for x in parts[1:1 + ncpu] if x.isdigit()]))
    return rows


def serve(cmd: list[str], url: str, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(SERVER_SRC)})
    try:
        wait_http(url)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(f"{cmd[0]} did not start: {log.read_text()[-2000:]}") from None
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, default=256)
    parser.add_argument("--irqs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--scrapes", type=int, default=5, help="node_exporter scrapes")
    args = parser.parse_args()
    import requests

    work = Path(tempfile.mkdtemp(prefix="bench-parse-"))
    print(f"building a {args.cpus}x{args.irqs} simulated host in {work}", file=sys.stderr)
    sim = simhost.create(work / "host", simhost.SimSpec(args.cpus, 4, args.irqs, seed=1))
    sim.advance(3600 * 24)  # a day of interrupts: realistic digit counts
    path = work / "host" / "proc" / "interrupts"
    data = path.read_bytes()
    text = data.decode()
    assert len(parse_interrupts(data).rows) == len(naive_parse(text))

    def read():
        with open(path, "rb") as f:
            f.read()
    result = {
        "read_ms": median_ms(read, args.repeat),
        "naive_parse_ms": median_ms(lambda: naive_parse(path.read_text()), args.repeat),
        "parse_ms": median_ms(lambda: parse_interrupts(path.read_bytes()), args.repeat),
        "parse_uncached_ms": median_ms(
            lambda: (interrupts_module._row.cache_clear(), parse_interrupts(path.read_bytes())),
            args.repeat),
    }

    for flags, name in (([], "metrics"), (["--metrics-per-cpu"], "metrics_per_cpu")):
        port = free_port()
        server_cmd = [sys.executable, "-m", "irq_server", "--root", str(work / "host"), "--bind",
                      f"127.0.0.1:{port}", "--data-dir", str(work / f"data-{name}"),
                      "--workers", "2", "--log-level", "warning", *flags]
        server = serve(server_cmd, f"http://127.0.0.1:{port}/healthz", work / "server.log")
        try:
            session = requests.Session()
            base = f"http://127.0.0.1:{port}"
            if not flags:
                body = session.get(base + "/irqs", timeout=60).json()
                assert len(body["irqs"]) == args.irqs and len(body["cpus"]) == args.cpus
                result["irqs_get_ms"] = median_ms(
                    lambda: session.get(base + "/irqs", timeout=60).content, args.repeat)
            while session.get(base + "/history", timeout=60).json()["samples"] < 2:
                time.sleep(0.5)  # /metrics reads the newest stored sample
            text = session.get(base + "/metrics", timeout=120).content
            assert b"irq_interrupts_total" in text
            result[f"{name}_bytes"] = len(text)
            result[f"{name}_ms"] = median_ms(
                lambda: session.get(base + "/metrics", timeout=120).content, args.scrapes)
        finally:
            server.terminate()
            server.wait(15)

    exporter = debian_tool("prometheus-node-exporter", "prometheus-node-exporter")
    port = free_port()
    exporter_cmd = [exporter, "--collector.disable-defaults", "--collector.interrupts",
                    f"--path.procfs={work / 'host' / 'proc'}",
                    f"--web.listen-address=127.0.0.1:{port}"]
    proc = serve(exporter_cmd, f"http://127.0.0.1:{port}/", work / "exporter.log")
    try:
        metrics = f"http://127.0.0.1:{port}/metrics"
        sample = requests.get(metrics, timeout=120).text
        assert "node_interrupts_total" in sample
        result["node_exporter_bytes"] = len(sample.encode())
        result["node_exporter_ms"] = median_ms(lambda: requests.get(metrics, timeout=120).content,
                                               args.scrapes)
    finally:
        proc.terminate()
        proc.wait(15)

    result["parse_vs_naive"] = round(result["parse_ms"] / result["naive_parse_ms"], 3)
    for name in ("irqs_get", "metrics", "metrics_per_cpu"):
        short = "irqs" if name == "irqs_get" else name
        result[f"{short}_vs_node_exporter"] = round(result[f"{name}_ms"]
                                                    / result["node_exporter_ms"], 3)
    result["cpus"], result["irqs"] = args.cpus, args.irqs
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
