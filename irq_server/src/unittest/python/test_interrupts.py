"""/proc/interrupts parser over every real capture, with independent oracles."""
import re

import numpy as np
import pytest
from irq_server.procfs import HostFS, parse_interrupts, read_interrupts
from server_fixtures import FIXTURES, MACHINES, naive_numbered_counts

# machine: (CPU columns in the header, rows, numbered rows); checked by grep, not by the parser
FACTS = {
    "android-mt6589-4cpu-1online": (1, 68, 60), "asahi-apple-m1-aic2-8cpu": (8, 46, 38),
    "chromeos-x86-4cpu": (4, 50, 32), "csci442-x86-fglrx-8cpu": (8, 29, 14),
    "desktop-x86-32cpu-nvme-vfio": (32, 114, 95), "deterministic-amd-epyc-16cpu": (16, 113, 91),
    "deterministic-amd-fam10h-48cpu": (48, 30, 16),
    "deterministic-broadwell-ep-32cpu": (32, 134, 115),
    "deterministic-nehalem-16cpu": (16, 48, 34),
    "deterministic-pentiumd-2.6.28-4cpu": (4, 25, 15),
    "deterministic-westmere-ex-80cpu": (80, 65, 51), "firecracker-kvm-2cpu": (2, 35, 19),
    "frc971-desktop-x86-20cpu": (20, 110, 91), "kvm-pcimsix-1cpu": (1, 45, 26),
    "node_exporter-aarch64-gicv3-8cpu": (8, 59, 51), "node_exporter-x86-4cpu": (4, 30, 15),
    "power9-powernv-mambo-1cpu": (1, 13, 3), "ppc44x-apm82181-mybooklive-1cpu": (1, 19, 12),
    "procfs-x86-virtio-4cpu": (4, 47, 28), "rockpi4-rk3399-gicv3-6cpu": (6, 51, 43),
    "rpi1-armctrl-1cpu-bosun647": (1, 14, 12), "rpi3-armctrl-bcm2836-4cpu": (4, 25, 16),
    "sep4020-arm9-1cpu": (1, 10, 9), "server-x86-40cpu-mlx5-nvme": (40, 248, 229),
    "sos-coreos-hyperv-2cpu": (2, 24, 2), "statscollect-amd-genoa-128cpu": (128, 482, 463),
    "statscollect-intel-knl-272cpu": (272, 42, 23),
    "statscollect-intel-snr-24cpu-ice": (24, 235, 216),
    "x86-arch-3.16-4cpu-dual-THR": (4, 29, 13), "xen-arm64-dom0-versal-2cpu": (2, 38, 30),
    "xen-pv-guest-8cpu": (8, 76, 61), "zte-router-armv7-gic-2cpu": (2, 24, 15),
    "zynq-armv7-gic-2cpu": (2, 27, 19),
}


def load(machine):
    return read_interrupts(HostFS(FIXTURES / machine))


def test_every_capture_has_facts():
    assert set(MACHINES) == set(FACTS)


@pytest.mark.parametrize("machine", MACHINES)
def test_capture_parses_with_expected_shape(machine):
    table = load(machine)
    cpus, rows, numbered = FACTS[machine]
    assert len(table.cpus) == cpus
    assert len(table.rows) == rows
    assert sum(r.irq is not None for r in table.rows) == numbered
    assert table.counts.shape == (rows, cpus)


@pytest.mark.parametrize("machine", MACHINES)
def test_numbered_counts_match_naive_oracle(machine):
    text = (FIXTURES / machine / "proc" / "interrupts").read_text()
    oracle = naive_numbered_counts(text)
    table = parse_interrupts(text)
    for i, row in enumerate(table.rows):
        if row.irq is not None:
            expected = oracle[row.irq]
            got = table.row_counts(i) if row.per_cpu else [row.global_count or 0]
            assert got[:len(expected)] == expected, row


@pytest.mark.parametrize("machine", MACHINES)
def test_squeezed_spacing_parses_to_same_counts(machine):
    """Retyped captures lose column alignment: the slow path must agree with the fast one."""
    text = (FIXTURES / machine / "proc" / "interrupts").read_text()
    squeezed = "\n".join(re.sub(r"(?<=\d) +(?=\d)", " ", line) for line in text.splitlines())
    a, b = parse_interrupts(text), parse_interrupts(squeezed)
    assert np.array_equal(a.counts, b.counts)
    assert [r.name for r in a.rows] == [r.name for r in b.rows]


def row(table, name, nth=0):
    return [r for r in table.rows if r.name == name][nth]


def test_header_names_online_cpus_only_and_ipi_rows_drop_extra_columns():
    table = load("android-mt6589-4cpu-1online")
    assert table.cpus == (0,)
    i = [r.name for r in table.rows].index("IPI1")
    assert table.row_counts(i) == [75373]
    assert table.rows[i].description == "Rescheduling interrupts"


def test_fiq_row_without_counts_and_err_with_one_value():
    table = load("rpi1-armctrl-1cpu-bosun647")
    fiq = row(table, "FIQ")
    assert fiq.description == "usb_fiq"
    table = load("chromeos-x86-4cpu")
    err = row(table, "ERR")
    assert not err.per_cpu and err.global_count == 1  # " ERR:          1" in the capture


def test_aarch64_ipi_without_space_after_colon():
    table = load("node_exporter-aarch64-gicv3-8cpu")
    i = [r.name for r in table.rows].index("IPI0")
    assert table.rows[i].per_cpu and len(table.row_counts(i)) == 8
    assert table.row_counts(i)[0] > 0


def test_modern_x86_row_splits_chip_hwirq_flow_actions():
    table = load("firecracker-kvm-2cpu")
    r = row(table, "24")
    assert (r.chip, r.hwirq, r.trigger, r.actions) == ("IO-APIC", 5, "edge", ("ACPI:Ged",))


def test_old_kernel_chip_with_glued_flow():
    r = row(load("csci442-x86-fglrx-8cpu"), "1")
    assert (r.chip, r.trigger, r.actions) == ("IR-IO-APIC", "edge", ("i8042",))


def test_arm_level_column_and_chip_with_space():
    opal = row(load("power9-powernv-mambo-1cpu"), "17")
    assert (opal.chip, opal.hwirq, opal.trigger, opal.actions) == (
        "OPAL EVT", 11, "level", ("opal-msg",))
    gic = row(load("zynq-armv7-gic-2cpu"), "16")
    assert (gic.chip, gic.hwirq, gic.trigger, gic.actions) == ("GIC", 27, "edge", ("gt",))


def test_actions_with_spaces_and_commas():
    r = row(load("rpi1-armctrl-1cpu-bosun647"), "32")
    assert r.chip == "ARMCTRL"
    assert r.actions == ("dwc_otg", "dwc_otg_pcd", "dwc_otg_hcd:usb1")
    r = row(load("rpi1-armctrl-1cpu-bosun647"), "3")
    assert r.actions == ("BCM2708 Timer Tick",)


def test_no_chip_column_on_ancient_kernel():
    r = row(load("sep4020-arm9-1cpu"), "27")
    assert r.chip is None and r.actions == ("sep4020 Timer Tick",)


def test_duplicate_row_names_are_all_kept():
    table = load("ppc44x-apm82181-mybooklive-1cpu")
    locs = [r for r in table.rows if r.name == "LOC"]
    assert [r.description for r in locs] == ["Local timer interrupts for timer event device",
                                             "Local timer interrupts for others"]
    assert len([r for r in load("x86-arch-3.16-4cpu-dual-THR").rows if r.name == "THR"]) == 2


def test_xen_event_channel_without_hwirq():
    table = load("xen-arm64-dom0-versal-2cpu")
    xen = [r for r in table.rows if r.chip == "xen-dyn"]
    assert xen and xen[0].hwirq is None and xen[0].trigger == "edge"


def test_counts_are_exact_at_32bit_extremes():
    text = ("           CPU0       CPU1\n"
            "  1: 4294967295          0   IO-APIC   1-edge      i8042\n"
            "  2:          9 1000000000   IO-APIC   2-edge      x\n")
    table = parse_interrupts(text)
    assert table.row_counts(0) == [4294967295, 0]
    assert table.row_counts(1) == [9, 1000000000]


def test_missing_header_is_an_error():
    with pytest.raises(ValueError):
        parse_interrupts(" 1: 3 4\n")
