"""A fleet found through a registry: three simulated irq-servers publish themselves to a real
`irq-server registry`; irq-client hosts lists them, a killed one drops out after the TTL, a
stopped one retracts itself, and irq-balance plans the live ones through the registry."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from irq_client import RegistryClient
from live_server import processes_mentioning, wait_for

SRC = [str(Path(__file__).resolve().parents[4] / p / "src" / "main" / "python")
       for p in ("irq_client", "irqbalance")]
TTL = 3


def command(name, *args, token=None):
    script = Path(sys.executable).with_name(name)
    module = {"irq-client": "irq_client", "irq-balance": "irqbalance"}[name]
    base = [str(script)] if script.exists() else [sys.executable, "-m", module]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(SRC)}
    env.pop("IRQ_TOKEN", None)
    if token:
        env["IRQ_TOKEN"] = token
    return subprocess.run(base + list(args), capture_output=True, text=True, env=env,
                          timeout=120)


def test_a_partition_of_three_hosts(start_server, tmp_path):
    registry = start_server("registry", "--registry-ttl", str(TTL), "--workers", "2")
    env = {"IRQ_SERVER_PUBLISH_TOKEN": registry.admin_token}
    hosts = [start_server("--simulate", "8:1:30", "--interval", "0.5", "--publish-to",
                          registry.url, "--partition", "rack1", "--publish-as", f"h{i}",
                          env=env) for i in range(3)]
    reg = RegistryClient(registry.url)
    # every typed operation the registry serves has a RegistryClient method (the old routes
    # are served for the old clients)
    old = {"/publish", "/getconnection/{partition}", "/retract", "/retract-partition", "/",
           "/stats"}
    served = {(method, path) for path, ops in reg.openapi()["paths"].items() if path not in old
              for method in ops if method in ("get", "post", "put", "delete")}
    assert served | {("get", "/openapi.json")} == set(RegistryClient.OPERATIONS)
    wait_for(lambda: len(reg.hosts("rack1")) == 3, timeout=30)
    assert {e.uri for e in reg.hosts("rack1")} == {h.url for h in hosts}

    listed = command("irq-client", "hosts", "--registry", registry.url, "--partition", "rack1",
                     "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["uid"] for r in rows] == ["h0", "h1", "h2"]
    assert all(r["reachable"] and r["irqs"] == 30 for r in rows), rows
    table = command("irq-client", "hosts", "--registry", registry.url, "--partition", "rack1")
    assert table.stdout.splitlines()[0].split() == ["UID", "URI", "AUTH", "REACHABLE",
                                                    "STATUS", "SAMPLER", "IRQS"]
    assert all(r["authenticated"] for r in rows)  # they publish with the registry's token

    # the host dies (every process, its publisher too: kill -9, no retract); its entry
    # drops out once the TTL passes
    for pid in processes_mentioning(str(hosts[2].data_dir)) + processes_mentioning("--as h2"):
        os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    wait_for(lambda: len(reg.hosts("rack1")) == 2, timeout=TTL + 5)
    # it stayed until the TTL after its last publication (at most TTL/3 before the kill)
    assert time.time() - killed_at >= TTL - TTL / 3 - 0.2

    planned = command("irq-balance", "plan", "--registry", registry.url, "--partition",
                      "rack1", "--period", "2", "--json")
    assert planned.returncode == 0, planned.stderr
    assert sorted(h["server"] for h in json.loads(planned.stdout)) == sorted(
        h.url for h in hosts[:2])
    only = command("irq-balance", "plan", "--registry", registry.url, "--partition", "rack1",
                   "--match", "^h1$", "--period", "2", "--json")
    assert [h["server"] for h in json.loads(only.stdout)] == [hosts[1].url]

    # a clean stop retracts at once, well before the TTL
    hosts[1].stop()
    stopped_at = time.time()
    wait_for(lambda: [e.uid for e in reg.hosts("rack1")] == ["h0"], timeout=TTL)
    assert time.time() - stopped_at < TTL

    targets = reg.prometheus_targets("rack1")
    assert targets == [{"targets": [hosts[0].url.split("//")[1]],
                        "labels": {"partition": "rack1", "uid": "h0", "__scheme__": "http"}}]
