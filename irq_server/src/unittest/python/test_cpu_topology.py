"""CPU topology from /sys: nodes, packages, cores, caches, isolated CPUs."""
from irq_server.procfs import HostFS, read_topology
from server_fixtures import FIXTURES, write_file


def test_topology_from_sysfs(tmp_path):
    cpu = "sys/devices/system/cpu"
    write_file(tmp_path, f"{cpu}/present", "0-3\n")
    write_file(tmp_path, f"{cpu}/online", "0-2\n")
    write_file(tmp_path, f"{cpu}/isolated", "2\n")
    write_file(tmp_path, f"{cpu}/nohz_full", "2\n")
    write_file(tmp_path, "sys/devices/system/node/node0/cpulist", "0-1\n")
    write_file(tmp_path, "sys/devices/system/node/node1/cpulist", "2-3\n")
    for c in range(4):
        write_file(tmp_path, f"{cpu}/cpu{c}/topology/physical_package_id", f"{c // 2}\n")
        write_file(tmp_path, f"{cpu}/cpu{c}/topology/core_id", f"{c % 2}\n")
        write_file(tmp_path, f"{cpu}/cpu{c}/cache/index0/level", "1\n")
        write_file(tmp_path, f"{cpu}/cpu{c}/cache/index0/shared_cpu_list", f"{c}\n")
        write_file(tmp_path, f"{cpu}/cpu{c}/cache/index3/level", "3\n")
        write_file(tmp_path, f"{cpu}/cpu{c}/cache/index3/shared_cpu_list",
              "0-1\n" if c < 2 else "2-3\n")
    topo = read_topology(HostFS(tmp_path))
    assert [c.cpu for c in topo.cpus] == [0, 1, 2, 3]
    assert topo.online == {0, 1, 2} and topo.known == {0, 1, 2, 3} and topo.nr_cpu_ids == 4
    c2 = topo.cpus[2]
    assert (c2.node, c2.package, c2.core, c2.cache_cpus, c2.isolated, c2.nohz_full) == (
        1, 1, 0, (2, 3), True, True)


def test_topology_of_bare_capture_is_empty():
    assert read_topology(HostFS(FIXTURES / "firecracker-kvm-2cpu")).cpus == ()
