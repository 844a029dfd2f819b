"""The host's own IRQ policy: irqbalance's config files (both places, both syntaxes, an empty
list meaning none), default_smp_affinity, a running daemon; served as /cpus bans, /host,
/compliance and a /metrics gauge."""
import pytest
from irq_server.procfs import HostFS
from irq_server.procfs.host_policy import cpu_bans, find_irqbalance, read_irqbalance_config
from prometheus_client.parser import text_string_to_metric_families
from server_fixtures import bearer, write_file

ALL = frozenset(range(8))
NONE = frozenset()


@pytest.mark.parametrize("rel", ["etc/sysconfig/irqbalance", "etc/default/irqbalance"])
@pytest.mark.parametrize("text,banned", [
    ('IRQBALANCE_BANNED_CPULIST=2-3,6\n', {2, 3, 6}),
    ('# tuned cpu-partitioning\nexport IRQBALANCE_BANNED_CPULIST="4-7"  # isolated\n', {4, 5, 6, 7}),
    ('IRQBALANCE_BANNED_CPUS=000000c0\n', {6, 7}),
    ('IRQBALANCE_BANNED_CPUS="00000000,00000003"\n', {0, 1}),
    ('IRQBALANCE_BANNED_CPULIST=""\nIRQBALANCE_BANNED_CPUS=ff\n', set()),  # the list wins
    ('IRQBALANCE_BANNED_CPULIST=\n', set()),
    ('IRQBALANCE_BANNED_CPUS=\n', set()),
    ('#IRQBALANCE_BANNED_CPULIST=1\nIRQBALANCE_ONESHOT=\n', set()),
])
def test_irqbalance_config_in_both_places_and_both_syntaxes(tmp_path, rel, text, banned):
    write_file(tmp_path, rel, text)
    config = read_irqbalance_config(HostFS(tmp_path))
    assert config.path == "/" + rel and config.banned_cpus == banned and config.problems == ()
    bans = cpu_bans(HostFS(tmp_path), ALL, NONE, NONE)
    assert bans == {cpu: ("irqbalance-config",) for cpu in banned}


def test_a_malformed_config_bans_nothing_and_says_why(tmp_path):
    write_file(tmp_path, "etc/default/irqbalance",
               'IRQBALANCE_BANNED_CPULIST=lots\nIRQBALANCE_ARGS="--banirq=7 -i 9 --banirq 11"\n')
    config = read_irqbalance_config(HostFS(tmp_path))
    assert config.banned_cpus == NONE and config.banned_irqs == {7, 9, 11}
    assert len(config.problems) == 1 and "/etc/default/irqbalance" in config.problems[0]


def test_no_config_and_a_full_default_affinity_ban_nothing(tmp_path):
    write_file(tmp_path, "proc/irq/default_smp_affinity", "ff\n")
    assert cpu_bans(HostFS(tmp_path), ALL, NONE, NONE) == {}
    assert read_irqbalance_config(HostFS(tmp_path)).path is None


def test_every_reason_in_order(tmp_path):
    write_file(tmp_path, "proc/irq/default_smp_affinity", "0f\n")  # tuned: housekeeping 0-3
    write_file(tmp_path, "etc/sysconfig/irqbalance", "IRQBALANCE_BANNED_CPULIST=3,7\n")
    bans = cpu_bans(HostFS(tmp_path), ALL, frozenset({7}), frozenset({6, 7}))
    assert bans == {3: ("irqbalance-config",), 4: ("default_smp_affinity",),
                    5: ("default_smp_affinity",), 6: ("nohz_full", "default_smp_affinity"),
                    7: ("isolated", "nohz_full", "irqbalance-config", "default_smp_affinity")}


def test_a_default_affinity_naming_no_cpu_of_the_host_bans_nothing(tmp_path):
    write_file(tmp_path, "proc/irq/default_smp_affinity", "ff00\n")
    assert cpu_bans(HostFS(tmp_path), ALL, NONE, NONE) == {}


def test_the_daemon_is_found_with_its_own_bans(sim):
    assert not find_irqbalance(sim.fs).running
    write_file(sim.root, "etc/default/irqbalance", "IRQBALANCE_BANNED_CPULIST=5\n")
    sim.start_irqbalance(args=("--foreground", "--banirq=30"),
                         environ={"IRQBALANCE_BANNED_CPULIST": "6-7"})
    daemon = find_irqbalance(sim.fs)
    assert (daemon.running, daemon.pid) == (True, 4242)
    assert daemon.banned_cpus == {6, 7} and daemon.banned_irqs == {30}  # its environment wins
    sim.start_irqbalance()  # started without the environment: the config file's list
    assert find_irqbalance(sim.fs).banned_cpus == {5}
    sim.stop_irqbalance()
    assert not find_irqbalance(sim.fs).running


def test_host_route(make_client, sim):
    client, _, read = make_client(sim.root)
    body = client.get("/host", headers=bearer(read)).get_json()
    assert body["hostname"] == "sim-8x2x40" and body["kernel_release"] == "6.1.0-sim"
    assert body["simulated"] and body["irqbalance"] == {
        "running": False, "pid": None, "banned_cpus": [], "banned_irqs": [], "config": None,
        "problems": []}
    sim.start_irqbalance()
    assert client.get("/api/v1/host", headers=bearer(read)).get_json()["irqbalance"]["pid"] == 4242


def test_cpus_compliance_and_metrics_follow_the_bans(make_client, sim):
    client, write, read = make_client(sim.root)
    assert client.get("/compliance", headers=bearer(read)).get_json() == {
        "banned_cpus": {}, "compliant": True, "movable_violations": 0,
        "unmovable_violations": 0, "violations": []}
    write_file(sim.root, "etc/sysconfig/irqbalance", "IRQBALANCE_BANNED_CPULIST=0,7\n")
    cpus = client.get("/cpus", headers=bearer(read)).get_json()["cpus"]
    assert [c["banned"] for c in cpus] == [["irqbalance-config"]] + [[]] * 6 + [["irqbalance-config"]]
    body = client.get("/compliance", headers=bearer(read)).get_json()
    assert body["banned_cpus"] == {"0": ["irqbalance-config"], "7": ["irqbalance-config"]}
    assert not body["compliant"] and body["movable_violations"] > 0
    managed = [v for v in body["violations"] if not v["movable"]]
    assert body["unmovable_violations"] == len(managed) > 0  # the simulated NVMe queues
    assert all("isolcpus=managed_irq,0,7" in v["why"] for v in managed)
    assert all(set(v["banned_cpus"]) <= {0, 7} and v["reasons"] == ["irqbalance-config"]
               for v in body["violations"])
    gauge = {s.labels["movable"]: s.value for f in text_string_to_metric_families(
        client.get("/metrics", headers=bearer(read)).get_data(as_text=True))
        for s in f.samples if s.name == "irq_compliance_violations"}
    assert gauge == {"true": body["movable_violations"], "false": len(managed)}
    # moving a violating IRQ off the banned CPUs makes it compliant
    irq = next(v for v in body["violations"] if v["movable"])["irq_num"]
    assert client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": "3"},
                      headers=bearer(write)).status_code == 200
    after = client.get("/compliance", headers=bearer(read)).get_json()
    assert after["movable_violations"] == body["movable_violations"] - 1


def test_hostile_files_ban_nothing_and_never_block(tmp_path, make_client, sim):
    """A FIFO config (would block a reader), /dev/zero as a daemon's cmdline (would fill
    memory), digits that are not ASCII, absurd IRQ numbers, an overlong list, "(null)" in
    nohz_full: every route still answers 200."""
    import os
    os.mkfifo(sim.root / "etc-fifo")
    (sim.root / "etc/default").mkdir(parents=True)
    os.symlink(sim.root / "etc-fifo", sim.root / "etc/default/irqbalance")
    sim.start_irqbalance(args=("--banirq=\u00b2", "-i99999999999999999999", "--banirq=7"),
                         environ={"IRQBALANCE_BANNED_CPULIST": "zz"})
    (sim.root / "proc/4242/cmdline").unlink()
    os.symlink("/dev/zero", sim.root / "proc/4242/cmdline")
    write_file(sim.root, "sys/devices/system/cpu/nohz_full", "(null)\n")
    client, _, read = make_client(sim.root)
    for path in ("/host", "/cpus", "/compliance", "/metrics"):
        assert client.get(path, headers=bearer(read)).status_code == 200, path
    daemon = client.get("/host", headers=bearer(read)).get_json()["irqbalance"]
    assert daemon["running"] and daemon["banned_irqs"] == [] and daemon["banned_cpus"] == []
    assert any("not a regular file" in p for p in daemon["problems"])
    assert any("environ" in p for p in daemon["problems"])  # its own bad list is reported

    os.unlink(sim.root / "etc/default/irqbalance")
    write_file(sim.root, "etc/default/irqbalance",
               'IRQBALANCE_BANNED_CPULIST="' + ",".join(["0-7"] * 2000) + '"\n'
               'IRQBALANCE_ARGS="--banirq=\u0661 --banirq=7"\n')
    config = read_irqbalance_config(HostFS(sim.root))
    assert config.banned_cpus == NONE and "longer than" in config.problems[0]
    assert config.banned_irqs == {7}
