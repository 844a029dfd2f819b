"""irq-client top on a terminal: frames fitted to its size, drawn in place."""
import io
import json
import re

import pytest
import responses
from client_payloads import SPAN, URL

from irq_client import IrqList, IrqWindow, cli, render

CPUS, IRQS = 64, 500


def host(cpus=CPUS, irqs=IRQS):
    """A 2-node host whose IRQ n fires n times on CPU n % cpus over the window."""
    listing = {"totals": {"num_interrupts_all_cpus": 0, "num_interrupts_per_cpu": [0] * cpus},
               "cpus": list(range(cpus)), "other": [], "irqs": [
                   {"irq_num": str(n), "irq_type": "PCI-MSI-edge", "device_name": f"eth0-{n}",
                    "cpu_affinity": "1", "num_interrupts_per_cpu": [n] * cpus,
                    "total": n * cpus, "chip": "PCI-MSI", "hwirq": n, "trigger": "edge",
                    "actions": [f"eth0-{n}"], "node": n % 2, "cpu_affinity_list": [0],
                    "effective_affinity_list": [0], "affinity_hint": None, "managed": False}
                   for n in range(irqs)]}
    window = {**SPAN, "cpus": list(range(cpus)), "irqs": [
        {"irq_num": str(n), "num_interrupts_per_cpu": [n if c == n % cpus else 0
                                                       for c in range(cpus)],
         "num_interrupts": n, "rate_per_second": n / 60} for n in range(irqs)]}
    topology = {"cpus": [{"cpu": c, "online": True, "node": c // (cpus // 2), "package": 0,
                          "core": c, "cache_cpus": [c], "isolated": False, "nohz_full": False}
                         for c in range(cpus)]}
    return listing, window, topology


def view(**kwargs):
    return render.TopView(**{"sort": "delta", "columns": ("IRQ", "TOTAL", "DELTA", "NAME"),
                             **kwargs})


@pytest.mark.parametrize("columns, rows", [(100, 30), (80, 24), (40, 10), (200, 60)])
def test_a_frame_fits_the_terminal_and_says_what_it_hides(columns, rows):
    listing, window, topology = host()
    nodes = {c["cpu"]: c["node"] for c in topology["cpus"]}
    lines = render.fitted_frame(IrqList.from_json(listing), IrqWindow.from_json(window), view(),
                                nodes, columns, rows)
    assert len(lines) <= rows and max(len(line) for line in lines) < columns
    hidden = next(line for line in lines if line.startswith("hidden: "))
    irqs_hidden, cpus_hidden = (int(m[1]) if (m := re.search(rf"(\d+) of \d+ {what}", hidden))
                                else 0 for what in ("rows", "CPUs"))
    table = lines[lines.index(hidden) + 1:]
    assert table[0].split() == ["IRQ", "TOTAL", "DELTA", "NAME"]
    assert irqs_hidden == IRQS - (len(table) - 1)
    shown = [int(c) for line in lines for c in re.findall(r"cpu(\d+) ", line)]
    assert cpus_hidden == CPUS - len(shown)
    busiest_first = list(range(IRQS - 1, IRQS - len(table), -1))
    assert [int(row.split()[0]) for row in table[1:]] == busiest_first
    assert lines[1].startswith("share of interrupts")
    assert columns < 60 or "not CPU usage" in lines[1]


def test_the_busiest_cpus_are_kept_and_grouped_by_node():
    listing, window, topology = host()
    nodes = {c["cpu"]: c["node"] for c in topology["cpus"]}
    lines = render.fitted_frame(IrqList.from_json(listing), IrqWindow.from_json(window), view(),
                                nodes, 60, 12)
    block = [line for line in lines[2:] if "cpu" in line]
    shown = {int(c) for line in block for c in re.findall(r"cpu(\d+) ", line)}
    shares = render.cpu_shares(IrqWindow.from_json(window))
    busiest = sorted(shares, key=lambda c: -shares[c])[:len(shown)]
    assert 0 < len(shown) < CPUS and shown == set(busiest)
    label = None
    for line in block:  # each CPU under its node's label
        label = line.split("cpu")[0].strip() or label
        assert all(f"node {nodes[int(c)]}" == label for c in re.findall(r"cpu(\d+) ", line))


def test_cpus_wrap_under_their_node_in_id_order():
    listing, window, topology = host(cpus=16, irqs=64)
    nodes = {c["cpu"]: c["node"] for c in topology["cpus"]}
    lines = render.fitted_frame(IrqList.from_json(listing), IrqWindow.from_json(window), view(),
                                nodes, 60, 40)
    block = [line for line in lines[2:] if "cpu" in line]
    assert [line[:7] for line in block] == ["node 0 ", "       ", "node 1 ", "       "]
    assert [int(c) for line in block for c in re.findall(r"cpu(\d+) ", line)] == list(range(16))


def test_a_small_host_on_a_big_terminal_hides_nothing():
    listing, window, topology = host(cpus=4, irqs=6)
    nodes = {c["cpu"]: c["node"] for c in topology["cpus"]}
    lines = render.fitted_frame(IrqList.from_json(listing), IrqWindow.from_json(window), view(),
                                nodes, 120, 40)
    assert not any("hidden" in line for line in lines) and len(lines) == 2 + 2 + 1 + 6


def test_per_cpu_columns_are_dropped_least_busy_first_to_fit():
    listing, window, topology = host()
    nodes = {c["cpu"]: c["node"] for c in topology["cpus"]}
    lines = render.fitted_frame(IrqList.from_json(listing), IrqWindow.from_json(window),
                                view(per_cpu=True), nodes, 100, 30)
    heading = next(line for line in lines if line.startswith("IRQ"))
    assert "CPU" in heading.replace("IRQ", "") and heading.endswith("NAME")
    assert max(len(line) for line in lines) < 100


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_top_on_a_terminal_redraws_in_place(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "30")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no keys
    listing, window, topology = host()
    with responses.RequestsMock() as mocked:
        mocked.get(f"{URL}/cpus", json=topology)
        mocked.get(f"{URL}/irqs", json=listing)
        mocked.get(f"{URL}/interrupts/irqs", json=window)
        out = Terminal()
        assert cli.main(["--server", URL, "top", "--iterations", "2", "--delay", "0.01"],
                        out=out) == 0
        assert len(mocked.calls) == 5  # the topology once, then two requests a frame
    frames = out.getvalue().split("\x1b[H")[1:]
    assert len(frames) == 2 and "\x1b[2J" not in out.getvalue()
    for frame in frames:
        assert frame.rstrip("\n").endswith("\x1b[J")
        lines = frame.rstrip("\n").removesuffix("\x1b[J").split("\n")
        assert len(lines) <= 30 and all(line.endswith("\x1b[K") for line in lines)
        assert max(len(line.removesuffix("\x1b[K")) for line in lines) < 100
    assert out.getvalue().endswith("\n")


def test_batch_frames_stay_whole_and_label_the_shares():
    listing, window, _ = host(cpus=4, irqs=6)
    with responses.RequestsMock() as mocked:
        mocked.get(f"{URL}/irqs", json=listing)
        mocked.get(f"{URL}/interrupts/irqs", json=window)
        out = io.StringIO()
        assert cli.main(["--server", URL, "top", "--iterations", "1"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("share of interrupts per CPU (not CPU usage): cpu0 ")
    assert len(lines) == 4 + 6 and json.dumps(lines)  # every IRQ: nothing hidden


def test_the_hidden_line_names_only_what_is_hidden():
    assert render.top.hidden_line(488, 505, 0, 64) == "hidden: 488 of 505 rows"
    assert render.top.hidden_line(0, 10, 3, 64) == "hidden: 3 of 64 CPUs"
    assert render.top.hidden_line(2, 10, 3, 64) == "hidden: 2 of 10 rows, 3 of 64 CPUs"
