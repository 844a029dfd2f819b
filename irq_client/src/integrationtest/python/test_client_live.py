"""IrqClient and irq-client against a real irq-server --simulate on loopback."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_server import SRC, RunningServer, free_port, irq_server_command, wait_for

from irq_client import (BadRequest, Conflict, Forbidden, IrqClient, IrqList, NotFound,
                        TransportError, Unauthorized, Window)

CLIENT_SRC = Path(__file__).resolve().parents[2] / "main" / "python"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = RunningServer(["--simulate", "32:2:200", "--interval", "0.5"],
                            tmp_path_factory.mktemp("srv") / "data")
    c = IrqClient(running.url)
    # the simulator advances in its own process, which may start after the sampler: wait until
    # a 1 s window holds interrupts and the history is long enough for 10 points over 60 s
    wait_for(lambda: c.history().samples >= 3
             and c.interrupts(Window(period=1)).num_interrupts_all_cpus > 0
             and len(c.cpu(60, points=10)) >= 1)
    yield running
    running.stop()


def nic(listing: IrqList):
    return next(i for i in listing.irqs if i.device_name.startswith("eth") and not i.managed)


def test_every_operation_of_the_served_spec_has_a_client_method(server):
    spec = IrqClient(server.url).openapi()
    verbs = {"get", "put", "post", "patch", "delete"}
    paths = set(spec["paths"])
    # a route under /api/v1 with a twin at the root is the same operation; the tracker's
    # older dialect (/v1/api/...) is served for its own shipped client, ours speaks the new one
    served = {(method, path) for path, ops in spec["paths"].items()
              if not (path.startswith("/api/v1/") and path[len("/api/v1"):] in paths)
              and not path.startswith("/v1/api/") for method in ops if method in verbs}
    served.add(("get", "/openapi.json"))
    missing = served - set(IrqClient.OPERATIONS)
    assert not missing, f"operations without a client method: {sorted(missing)}"
    for name in IrqClient.OPERATIONS.values():
        assert callable(getattr(IrqClient, name))


def test_host_and_compliance_models_read_the_real_answers(server):
    c = IrqClient(server.url)
    host = c.host()
    assert host.hostname == "sim-32x2x200" and host.kernel_release and host.simulated
    assert not host.irqbalance.running and host.irqbalance.pid is None
    report = c.compliance()
    assert report.compliant and report.violations == () and report.banned_cpus == {}
    assert all(cpu.banned == () for cpu in c.cpus())


def test_usage_methods_against_the_simulated_host(server):
    c = IrqClient(server.url)
    points = c.cpu(60, points=10, per_cpu=True)
    assert 1 <= len(points) <= 10 and all(0 < p.usage < 100 for p in points)
    assert len(points[-1].per_cpu) == 32
    assert 0 < c.cpu_average(60) < 100
    memory = c.memory(60)[-1]
    assert memory.used + memory.free == memory.total
    assert set(c.storage_all(60)) == {"/", "/data"}
    assert c.storage_average(60, mount="/data").used > 0
    now = c.current()
    assert now.used_mem > 0 and set(now.filesystems) == {"/", "/data"}
    with pytest.raises(NotFound) as caught:
        c.storage_average(60, mount="/nowhere")
    assert "mount" in caught.value.errors


def test_reads_return_typed_objects(server):
    c = IrqClient(server.url)
    health = c.health()
    assert health.status == "ok" and health.simulated and not health.sampler.stale
    cpus = c.cpus()
    assert len(cpus) == 32 and {cpu.node for cpu in cpus} == {0, 1}
    listing = c.irqs()
    assert len(listing.irqs) == 200 and listing.cpus == tuple(range(32))
    one = c.irq(listing.irqs[-1].irq)
    assert one.irq == listing.irqs[-1].irq and isinstance(one.total, int)
    assert c.affinity(one.irq).cpu_affinity_list == one.cpu_affinity_list
    window = c.interrupts(Window(period=1))
    assert window.num_interrupts_all_cpus > 0 and window.span.end.tzinfo is not None
    cpu0 = c.interrupts_cpu(0, window=1)
    assert cpu0.num_interrupts == window.num_interrupts_per_cpu[0]
    rates = c.interrupts_irqs(Window(start=time.time() - 1, end=time.time()))
    assert len(rates.irqs) == 200 and all(r.rate_per_second >= 0 for r in rates.irqs)
    assert {r.cost_source for r in rates.irqs} <= {"estimate", "none"} and rates.cost.note
    assert rates.cost.accounted == ("irq", "softirq")  # the simulated kernel accounts both
    assert len(rates.cost.base_seconds_per_cpu) == 32
    assert len(window.softirq_seconds_per_cpu) == 32 and sum(window.softirq_seconds_per_cpu) > 0
    assert c.history().samples >= 3


def test_authorised_and_unauthorised_writes(server):
    irq = nic(IrqClient(server.url).irqs())
    with pytest.raises(Unauthorized):
        IrqClient(server.url).set_affinity(irq.irq, [2, 3])
    with pytest.raises(Unauthorized):
        IrqClient(server.url, token="irq_wrong").set_affinity(irq.irq, [2, 3])
    admin = IrqClient(server.url, token=server.admin_token)
    state = admin.set_affinity(irq.irq, [2, 3])
    assert state.cpu_affinity_list == (2, 3) and state.effective_affinity_list == (2,)
    assert admin.set_affinity(irq.irq, "0c").changed is False
    managed = next(i for i in admin.irqs().irqs if i.managed)
    with pytest.raises(Conflict) as err:
        admin.set_affinity(managed.irq, [1])
    assert "managed" in err.value.detail
    with pytest.raises(BadRequest) as err:
        admin.set_affinity(irq.irq, [99])
    assert "cpu_affinity_list" in err.value.errors
    with pytest.raises(NotFound):
        admin.irq(99999)


def test_read_token_is_forbidden_to_write(server):
    result = subprocess.run(irq_server_command() + ["token", "create", "--scope", "read",
                                                    "--data-dir", str(server.data_dir)],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    reader = IrqClient(server.url, token=result.stdout.strip())
    with pytest.raises(Forbidden):
        reader.set_affinity(nic(reader.irqs()).irq, [1])


def test_unreachable_server_names_it():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TransportError) as err:
        IrqClient(url, retries=1, timeout=1).health()
    assert url in str(err.value)


def irq_client(*args, token=None):
    script = Path(sys.executable).with_name("irq-client")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "irq_client"]
    env = {**os.environ, "PYTHONPATH": str(CLIENT_SRC)}
    env.pop("IRQ_TOKEN", None)
    if token:
        env["IRQ_TOKEN"] = token
    return subprocess.run(command + list(args), capture_output=True, text=True, env=env,
                          timeout=60)


def test_console_commands_like_lsirq_and_irqtop(server):
    listing = irq_client("--server", server.url, "irqs", "--sort", "total")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["IRQ", "TOTAL", "NAME"]
    totals = [int(line.split()[1]) for line in lines[1:]]
    assert totals == sorted(totals, reverse=True)
    one_cpu = irq_client("--server", server.url, "interrupts", "--period", "1", "--cpu", "3")
    assert one_cpu.returncode == 0 and re.match(r"CPU 3: \d+ interrupts", one_cpu.stdout)
    irq = nic(IrqClient(server.url).irqs()).irq
    denied = irq_client("--server", server.url, "affinity", "set", str(irq), "--cpus", "4-5")
    assert denied.returncode == 1 and "401" in denied.stderr
    moved = irq_client("--server", server.url, "affinity", "set", str(irq), "--cpus", "4-5",
                       token=server.admin_token)
    assert moved.returncode == 0 and "CPUs 4-5, effective 4" in moved.stdout
    top = irq_client("--server", server.url, "top", "--iterations", "2", "--delay", "0.5")
    assert top.returncode == 0 and top.stdout.count("irq-client top |") == 2
    down = irq_client("--server", f"http://127.0.0.1:{free_port()}", "cpus")
    assert down.returncode == 3 and "cannot reach" in down.stderr


def test_https_to_the_plain_http_server_says_it_does_not_speak_tls(server):
    https = server.url.replace("http://", "https://")
    done = irq_client("--server", https, "--timeout", "2", "cpus")
    assert done.returncode == 3
    assert f"cannot reach irq-server at {https}: the server does not speak TLS" in done.stderr
    assert "WRONG_VERSION_NUMBER" not in done.stderr


def test_json_prints_the_servers_answer_and_unknown_cpus_are_usage_errors(server):
    import json
    cpus = irq_client("--server", server.url, "--json", "cpus")
    assert cpus.returncode == 0 and len(json.loads(cpus.stdout)["cpus"]) == 32
    irq = nic(IrqClient(server.url).irqs()).irq
    affinity = irq_client("--server", server.url, "-J", "affinity", "get", str(irq))
    assert json.loads(affinity.stdout) == IrqClient(server.url).affinity(irq).raw
    for argv in (["irqs", "-C", "999"], ["interrupts", "--period", "1", "--cpu", "999"]):
        done = irq_client("--server", server.url, *argv)
        assert done.returncode == 2, done.stderr
        assert done.stderr == "irq-client: CPU 999 is not on this host (CPUs 0-31)\n"


def test_a_write_with_a_reason_is_in_the_audit_log_for_the_method_and_the_command(server):
    admin = IrqClient(server.url, token=server.admin_token)
    irq = nic(admin.irqs()).irq
    before = admin.affinity(irq)
    target = [6] if tuple(before.cpu_affinity_list) != (6,) else [7]
    admin.set_affinity(irq, target, reason="live test: the audit log")
    found = admin.changes(60)
    last = found[-1]
    assert (last.irq, last.new_cpus, last.who) == (irq, tuple(target), "token:admin")
    assert last.old_cpus == before.cpu_affinity_list and last.reason == "live test: the audit log"
    assert found.truncated is False and last.time.tzinfo is not None
    shown = irq_client("--server", server.url, "changes", "--period", "60", "--limit", "1")
    assert shown.returncode == 0, shown.stderr
    row = shown.stdout.splitlines()[1]
    assert row.split()[2] == str(irq) and row.endswith("live test: the audit log")
