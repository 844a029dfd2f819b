"""irq-client command: table and JSON snapshots, exit codes, usage errors."""
import io
import json

import pytest
import requests
import responses
from client_payloads import (AFFINITY, CPU_POINTS, CPU_WINDOW, CPUS, CURRENT, IRQS, MEMORY_POINTS,
                             SOFTIRQS, SPAN, STORAGE_POINTS, URL, WINDOW, WINDOW_IRQS, problem)
from irq_client.cli import top as top_command
from responses import matchers

from irq_client import cli


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{URL}/irqs", json=IRQS)
        rsps.get(f"{URL}/cpus", json=CPUS)
        rsps.get(f"{URL}/irqs/24", json=IRQS["irqs"][0])
        rsps.get(f"{URL}/irqs/24/cpu_affinity", json=AFFINITY)
        rsps.get(f"{URL}/interrupts/irqs", json=WINDOW_IRQS)
        rsps.get(f"{URL}/interrupts", json=WINDOW)
        rsps.get(f"{URL}/interrupts/cpu/1", json=CPU_WINDOW)
        rsps.get(f"{URL}/softirqs", json=SOFTIRQS)
        rsps.get(f"{URL}/cpu", json=CPU_POINTS)
        rsps.get(f"{URL}/memory", json=MEMORY_POINTS)
        rsps.get(f"{URL}/storage", json=STORAGE_POINTS)
        rsps.get(f"{URL}/current", json=CURRENT)
        rsps.get(f"{URL}/cpu_average", json={"cpu_avg_usage": 20.0})
        rsps.get(f"{URL}/memory_average", json={"memory_avg_used_space": 3 << 30,
                                                "memory_avg_free_space": 5 << 30, **SPAN})
        rsps.get(f"{URL}/storage_average", json={"disk_avg_used_space": 39 << 30,
                                                 "disk_avg_free_space": 56 << 30, "mount": "/",
                                                 **SPAN})
        yield rsps


def run(*argv):
    out = io.StringIO()
    code = cli.main(["--server", URL, *argv], out=out)
    return code, out.getvalue()


def test_irqs_table_like_lsirq(mocked):
    code, out = run("irqs")
    assert code == 0
    assert out == (
        "IRQ TOTAL NAME\n"
        "  9   500 IR-IO-APIC  9-fasteoi  acpi\n"
        " 24  1000 IR-PCI-MSI  0-edge  eth0-TxRx-0\n"
        "ERR     0\n"
        "LOC   110 Local timer interrupts\n")


def test_irqs_sorted_by_total_with_threshold_noheadings(mocked):
    code, out = run("irqs", "--sort", "total", "--threshold", "200", "--noheadings")
    assert out.splitlines() == ["24 1000 IR-PCI-MSI  0-edge  eth0-TxRx-0",
                                " 9  500 IR-IO-APIC  9-fasteoi  acpi"]


def test_irqs_per_cpu_columns_limited_to_a_cpu_list(mocked):
    code, out = run("irqs", "--per-cpu", "--cpu-list", "1", "--sort", "name")
    assert out == ("IRQ TOTAL CPU1 NAME\n"
                   "ERR     0    -\n"
                   "  9   300  300 IR-IO-APIC  9-fasteoi  acpi\n"
                   " 24     0    0 IR-PCI-MSI  0-edge  eth0-TxRx-0\n"
                   "LOC    60   60 Local timer interrupts\n")


def test_irqs_sorted_by_delta_shows_the_window(mocked):
    code, out = run("irqs", "--sort", "delta", "--period", "60")
    assert out.splitlines()[:3] == ["IRQ TOTAL DELTA NAME",
                                    " 24  1000   600 IR-PCI-MSI  0-edge  eth0-TxRx-0",
                                    "  9   500    30 IR-IO-APIC  9-fasteoi  acpi"]


def test_json_is_the_servers_json(mocked):
    code, out = run("--json", "irqs")
    assert code == 0 and json.loads(out) == IRQS


def test_irq_detail(mocked):
    code, out = run("irq", "24")
    assert out == ("IRQ:       24\n"
                   "name:      IR-PCI-MSI  0-edge  eth0-TxRx-0\n"
                   "total:     1000\n"
                   "per CPU:   1000 0\n"
                   "affinity:  3 (CPUs 0-1)\n"
                   "effective: 0\n"
                   "hint:      0\n"
                   "node:      0\n"
                   "managed:   no\n")


def test_cpus_table(mocked):
    code, out = run("cpus")
    assert out == ("CPU ONLINE NODE PACKAGE CORE CACHE-CPUS ISOLATED NOHZ BANNED\n"
                   "  0 yes       0       0    0 0-1        no       no   -\n"
                   "  1 yes       0       0    1 0-1        yes      yes  -\n")


HOST = {"hostname": "db7", "kernel_release": "6.1.0-13-amd64", "boot_time": "2026-11-30T06:00:00Z",
        "simulated": False, "irqbalance": {"running": True, "pid": 812, "banned_cpus": [2, 3],
                                           "banned_irqs": [], "config": "/etc/default/irqbalance",
                                           "problems": []}}
VIOLATION = {"irq_num": "40", "device_name": "nvme0q2", "banned_cpus": [2], "reasons": ["isolated"],
             "effective_affinity_list": [2], "movable": False,
             "why": "managed by the kernel: ... isolcpus=managed_irq,2-3 ..."}


def test_host_says_whether_irqbalance_runs(mocked):
    mocked.get(f"{URL}/host", json=HOST)
    code, out = run("host")
    assert code == 0 and "irqbalance:  running (pid 812)" in out and "banned CPUs: 2-3" in out
    assert "booted:      2026-11-30 06:00:00 UTC" in out


@pytest.mark.parametrize("movable,code", [(False, 0), (True, 1)])
def test_compliance_exits_1_only_when_something_movable_violates(mocked, movable, code):
    mocked.get(f"{URL}/compliance", json={
        "banned_cpus": {"2": ["isolated"], "3": ["isolated"]}, "compliant": False,
        "movable_violations": int(movable), "unmovable_violations": 1,
        "violations": [VIOLATION] + ([{**VIOLATION, "irq_num": "41", "movable": True,
                                       "device_name": "eth0-TxRx-1"}] if movable else [])})
    got, out = run("compliance")
    assert got == code and "banned CPUs: 2: isolated; 3: isolated" in out
    assert "managed: managed by the kernel: ... isolcpus=managed_irq,2-3" in out
    assert f"{int(movable)} movable, 1 kernel-managed" in out


def test_compliance_of_a_host_without_bans(mocked):
    mocked.get(f"{URL}/compliance", json={"banned_cpus": {}, "compliant": True,
                                          "movable_violations": 0, "unmovable_violations": 0,
                                          "violations": []})
    assert run("compliance") == (0, "no CPU is banned (isolated, nohz_full, irqbalance config, "
                                    "default_smp_affinity)\n")


def test_interrupts_per_cpu_and_one_cpu(mocked):
    code, out = run("interrupts", "--period", "10")
    assert out == ("CPU INTERRUPTS PERCENT\n"
                   "  0        600    95.2\n"
                   "  1         30     4.8\n"
                   "total 630 from 2026-11-23 08:00:00 to 08:01:00 UTC (60 s)\n")
    code, out = run("interrupts", "--period", "10", "--cpu", "1")
    assert out == ("CPU 1: 30 interrupts, 4.8% of 630 from 2026-11-23 08:00:00 to "
                   "08:01:00 UTC (60 s)\n")


def test_interrupts_per_irq(mocked):
    code, out = run("interrupts", "--per-irq", "--period", "60")
    assert out.splitlines() == ["IRQ INTERRUPTS RATE/S NAME",
                                " 24        600   10.0 IR-PCI-MSI  0-edge  eth0-TxRx-0",
                                "  9         30    0.5 IR-IO-APIC  9-fasteoi  acpi",
                                "from 2026-11-23 08:00:00 to 08:01:00 UTC (60 s)"]


def test_affinity_get_and_set(mocked):
    code, out = run("affinity", "get", "24")
    assert out == "IRQ 24: mask 2, CPUs 1, effective 1, managed no\n"
    mocked.put(f"{URL}/irqs/24/cpu_affinity", json={**AFFINITY, "changed": True},
               match=[matchers.json_params_matcher({"cpu_affinity_list": "1"})])
    code, out = run("--token", "t", "affinity", "set", "24", "--cpus", "1")
    assert code == 0 and out.endswith("managed no (changed)\n")
    code, out = run("--json", "--token", "t", "affinity", "set", "24", "--cpus", "1")
    assert json.loads(out)["changed"] is True


def test_top_batch_frames(mocked):
    code, out = run("top", "--iterations", "2", "--delay", "0.01")
    frames = out.split("irq-client top | ")[1:]
    assert code == 0 and len(frames) == 2
    assert frames[0].startswith("2 CPUs, 2 IRQs | total: 1500 delta: 630 in 60 s | sort: delta\n")
    assert "cpu0  95.2%  cpu1   4.8%" in frames[0]
    assert "IRQ TOTAL DELTA NAME\n 24  1000   600" in frames[0]
    assert "\x1b[2J" not in out  # not a terminal: batch mode, no screen clearing


def test_top_json_lines(mocked):
    code, out = run("--json", "top", "--iterations", "2", "--delay", "0.01")
    frames = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(frames) == 2 and frames[0]["irqs"][0]["irq_num"] == "24"


def test_top_exits_cleanly_on_ctrl_c(mocked, monkeypatch):
    def interrupted(*_):
        raise KeyboardInterrupt
    monkeypatch.setattr(top_command.time, "sleep", interrupted)
    code, out = run("top", "--delay", "5")
    assert code == 0 and out.count("irq-client top") == 1


@pytest.mark.parametrize("status,code", [(401, 1), (403, 1), (404, 1), (409, 1), (422, 1),
                                         (500, 1)])
def test_api_errors_exit_1_with_the_detail(mocked, capsys, status, code):
    mocked.put(f"{URL}/irqs/24/cpu_affinity", status=status,
               json=problem(status, "Refused", "the kernel said no", {"cpu_affinity_list": ["x"]}))
    assert run("affinity", "set", "24", "--cpus", "1")[0] == code
    err = capsys.readouterr().err
    assert f"{status} Refused: the kernel said no" in err and "cpu_affinity_list: x" in err


def test_unreachable_server_exits_3(capsys):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/irqs", body=requests.exceptions.ConnectionError("Connection refused"))
        assert run("irqs")[0] == 3
    assert "cannot reach irq-server" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["affinity", "set", "24"], ["affinity", "set", "24", "3",
                                                               "--cpus", "1"],
                                  ["interrupts", "--period", "5", "--start", "1", "--end", "2"],
                                  ["--server", "db7:5000", "irqs"], ["irqs", "-S", "-o", "irq"]])
def test_usage_errors_exit_2(mocked, argv, capsys):
    assert run(*argv)[0] == 2
    assert "irq-client:" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["irqs", "--sort", "size"], ["irqs", "--cpu-list", "3-1"],
                                  ["top", "--delay", "0"], ["nosuch"], ["irq", "abc"]])
def test_bad_flags_exit_2(argv):
    with pytest.raises(SystemExit) as exit_:
        run(*argv)
    assert exit_.value.code == 2


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "irq-client affinity set 42 --cpus 2-3" in out and "exit codes" in out
    for command in ("irqs", "top", "affinity", "interrupts"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "example" in capsys.readouterr().out


def test_global_options_also_after_the_command(mocked):
    out = io.StringIO()
    assert cli.main(["irqs", "--json", "--server", URL, "--timeout", "2"], out=out) == 0
    assert json.loads(out.getvalue()) == IRQS
    out = io.StringIO()
    assert cli.main(["affinity", "get", "24", "-J", "--server", URL], out=out) == 0
    assert json.loads(out.getvalue())["cpu_affinity"] == "2"


def test_lsirq_short_options_columns_and_pairs(mocked):
    code, out = run("irqs", "-s", "total", "-t", "200", "-n", "-o", "irq,total,node,affinity,"
                    "effective,managed,name")
    assert out.splitlines() == ["24 1000 0 0-1 0 no IR-PCI-MSI  0-edge  eth0-TxRx-0",
                                " 9  500 - 0-1 1 -  IR-IO-APIC  9-fasteoi  acpi"]
    code, out = run("irqs", "-P", "-C", "1", "-o", "+delta", "-s", "irq")
    assert out.splitlines()[:2] == [
        'IRQ="9" TOTAL="300" DELTA="30" NAME="IR-IO-APIC  9-fasteoi  acpi"',
        'IRQ="24" TOTAL="0" DELTA="0" NAME="IR-PCI-MSI  0-edge  eth0-TxRx-0"']


def test_unknown_column_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        run("irqs", "-o", "irq,size")
    assert exit_.value.code == 2 and "unknown column SIZE" in capsys.readouterr().err


def test_softirqs_like_lsirq_s(mocked):
    code, out = run("irqs", "-S", "--per-cpu", "--period", "60")
    assert code == 0 and out == ("SOFTIRQ DELTA RATE/S CPU0 CPU1\n"
                                 "NET_RX    600   10.0  600    0\n"
                                 "TIMER     120    2.0   60   60\n")
    assert mocked.calls[-1].request.params == {"period_seconds": "60.0"}


def test_server_without_scheme_is_a_usage_error_with_the_fix(capsys):
    assert run("--server", "db7:5000", "irqs")[0] == 2
    assert "use http://db7:5000" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("irq-client 0.")


def test_top_sort_keys_change_the_sort_and_q_quits():
    import argparse
    import os
    read, write = os.pipe()
    args = argparse.Namespace(sort="delta")
    with os.fdopen(read, "rb", buffering=0) as keys:
        os.write(write, b"t")
        assert top_command.wait_key(keys, 5.0, args) == "t" and args.sort == "total"
        os.write(write, b"N")
        assert top_command.wait_key(keys, 5.0, args) == "n" and args.sort == "name"
        os.write(write, b"q")
        assert top_command.wait_key(keys, 5.0, args) == "q" and args.sort == "name"
        assert top_command.wait_key(keys, 0.01, args) is None  # nothing typed: the delay passes
    os.close(write)


def test_usage_summary(mocked):
    code, out = run("usage", "--period", "3600")
    assert code == 0
    assert out.splitlines() == [
        "CPU      12.5% now, 20.0% average over 3600 s  (user 10.0 system 2.0 iowait 0.0 irq 0.5 "
        "softirq 0.0 steal 0.0)",
        "memory   used 3.0G of 8.0G, 5.0G available; average used 3.0G; swap used 0B",
        "/        used 40.0G of 100.0G, 55.0G available; average used 39.0G"]


def test_cpu_series_table_and_json(mocked):
    code, out = run("cpu", "--period", "600", "--per-cpu")
    assert code == 0
    assert out.splitlines() == [
        "TIME     USAGE USER SYSTEM IOWAIT IRQ SOFTIRQ STEAL CPU0 CPU1",
        "08:00:01  25.0 15.0    5.0    5.0 3.0     2.0   0.0 40.0 10.0",
        "08:00:02  75.0 60.0   10.0    0.0 3.0     2.0   0.0 90.0 60.0"]
    code, out = run("cpu", "--json")
    assert json.loads(out) == CPU_POINTS


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_series_on_a_terminal_get_bars_and_a_sparkline(mocked):
    out = Terminal()
    assert cli.main(["--server", URL, "cpu"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[1].endswith(" " + "#" * 5) and lines[2].endswith(" " + "#" * 15)  # of 100%
    assert lines[-1] == "▃▇  % busy, 2 points"


def test_memory_and_storage_series(mocked):
    assert run("memory")[1].splitlines()[1] == "08:00:01 3.0G      5.0G  8.0G   2.0G        0B"
    storage = run("storage", "--mount", "/")[1].splitlines()
    assert storage[1] == "08:00:01 /     40.0G     55.0G 100.0G"
    assert run("cpu", "--period", "1", "--start", "1", "--end", "2")[0] == 2


@pytest.mark.parametrize("argv", [["irqs", "-C", "999"], ["irqs", "-C", "1,998-999"],
                                  ["irqs", "-S", "-C", "999"],
                                  ["top", "-C", "999", "--iterations", "1"],
                                  ["interrupts", "--per-irq", "--cpu", "999"]])
def test_an_unknown_cpu_is_a_usage_error_naming_the_hosts_cpus(mocked, argv, capsys):
    code, out = run(*argv)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert "not on this host (CPUs 0-1)" in err and ("CPU 999 is" in err or
                                                     "CPUs 998-999 are" in err)


def test_interrupts_of_an_unknown_cpu_names_the_cpus_as_a_list(mocked, capsys):
    listed = ", ".join(map(str, range(2)))  # the server's detail lists them one by one
    mocked.get(f"{URL}/interrupts/cpu/999", status=404, json=problem(
        404, "Not found", f"CPU 999 is not on this host (CPUs: {listed})",
        {"cpu": [f"CPU 999 is not on this host (CPUs: {listed})"]}))
    assert run("interrupts", "--cpu", "999")[0] == 2
    err = capsys.readouterr().err
    assert err == "irq-client: CPU 999 is not on this host (CPUs 0-1)\n"


def test_a_field_error_that_repeats_the_detail_is_printed_once(mocked, capsys):
    mocked.get(f"{URL}/irqs/77", status=404, json=problem(404, "Not found", "no IRQ 77",
                                                          {"irq": ["no IRQ 77"]}))
    assert run("irq", "77")[0] == 1
    assert capsys.readouterr().err.count("no IRQ 77") == 1


def test_storage_bars_are_scaled_to_the_filesystems_size(mocked):
    out = Terminal()
    assert cli.main(["--server", URL, "storage"], out=out) == 0
    row = out.getvalue().splitlines()[1]  # 40 GiB used of 100 GiB: 8 of 20
    assert row.endswith(" " + "#" * 8) and not row.endswith("#" * 9)


def test_help_says_what_record_samples_and_what_top_shows(capsys):
    with pytest.raises(SystemExit):
        cli.main(["record", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "whole machine" in text and "not the command's own" in text
    assert "records its CPU use" not in text
    with pytest.raises(SystemExit):
        cli.main(["top", "--help"])
    assert "not CPU usage" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("flags, missing", [
    (["--registry", "http://127.0.0.1:5999"], "give --partition NAME:"),
    (["--partition", "rack1"], "give --registry URL (or $IRQ_REGISTRY_URL):"),
    ([], "give --registry URL (or $IRQ_REGISTRY_URL) and --partition NAME:")])
def test_hosts_names_the_registry_flags_that_are_missing(capsys, monkeypatch, flags, missing):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    assert cli.main(["hosts", *flags]) == 2
    assert missing in capsys.readouterr().err


@pytest.mark.parametrize("cpus", ["0-99999999999999", "0-9999999", "8192"])
def test_a_cpu_past_any_kernels_is_a_usage_error_at_once(capsys, cpus):
    for argv in (["irqs", "-C", cpus], ["affinity", "set", "24", "--cpus", cpus]):
        with pytest.raises(SystemExit) as exit_:  # argparse's usage error; no request is sent
            cli.main(["--server", URL, *argv])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert "past the largest a kernel can have (8191)" in err and "Traceback" not in err


@pytest.mark.parametrize("server", ["http://[::1", "http://127.0.0.1:99999", "ftp://h:21",
                                    "http://"])
def test_a_server_url_that_is_not_one_is_a_usage_error(capsys, server):
    assert cli.main(["--server", server, "cpus"]) == 2
    assert "server URL" in capsys.readouterr().err


@pytest.mark.parametrize("body", ["[]", "null", "{}", '{"cpus": [{}]}'])
def test_an_answer_of_another_shape_is_one_line_not_a_traceback(capsys, body):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/cpus", body=body, content_type="application/json")
        assert cli.main(["--server", URL, "cpus"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the answer of {URL} is not irq-server's" in err


def test_json_keeps_the_servers_text_as_sent(mocked):
    mocked.replace(responses.GET, f"{URL}/irqs/24", json={**IRQS["irqs"][0],
                                                          "device_name": "é☃😀"})
    code, text = run("irq", "24", "--json")
    assert code == 0 and '"device_name": "é☃😀"' in text


COSTED = {**WINDOW_IRQS, "irqs": [
    {**WINDOW_IRQS["irqs"][0], "cpu_seconds": 0.0204, "cost_us_per_interrupt": 34.0,
     "cost_source": "estimate", "cost_us_range": [33.2, 34.8]},
    {**WINDOW_IRQS["irqs"][1], "cpu_seconds": None, "cost_us_per_interrupt": None,
     "cost_source": "none", "cost_us_range": None}],
    "cost": {"sources": {"thread": 0, "estimate": 1, "none": 1}, "accounted": ["softirq"],
             "estimate_windows": 60, "unidentified": [9], "base_seconds_per_cpu": [0.1, 0.2],
             "note": "costs estimated from 60 windows"}}


def test_irqs_cost_columns_show_what_interrupts_cost(mocked):
    mocked.replace(responses.GET, f"{URL}/interrupts/irqs", json=COSTED)
    code, out = run("irqs", "-o", "+COST,CPUTIME", "-s", "cputime")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["IRQ", "TOTAL", "COST", "CPUTIME", "NAME"]
    assert lines[1].split()[:4] == ["24", "1000", "34.0us±0.8", "0.020s"]
    assert lines[2].split()[:4] == ["9", "500", "-", "-"]


def test_top_adds_cost_columns_where_the_host_knows(mocked):
    mocked.replace(responses.GET, f"{URL}/interrupts/irqs", json=COSTED)
    code, out = run("top", "--iterations", "1", "--delay", "0.01")
    assert code == 0 and "| cost: estimate | sort: delta" in out
    assert "IRQ TOTAL DELTA       COST CPUTIME NAME" in out


def test_window_models_read_costs_and_an_older_servers_answers():
    from irq_client.models import InterruptWindow, IrqWindow
    window = IrqWindow.from_json(COSTED)
    first = window.irqs[0]
    assert (first.cost_source, first.cost_us_per_interrupt, first.cost_us_range) == (
        "estimate", 34.0, (33.2, 34.8))
    assert window.cost.unidentified == (9,) and window.cost.accounted == ("softirq",)
    old = IrqWindow.from_json(WINDOW_IRQS)  # no cost fields at all
    assert old.irqs[0].cost_source == "none" and old.irqs[0].cpu_seconds is None
    assert old.cost.sources == {} and "no IRQ costs" in old.cost.note
    times = InterruptWindow.from_json({**WINDOW, "irq_seconds_per_cpu": [0.0, 0.0],
                                       "softirq_seconds_per_cpu": [1.5, 0.25]})
    assert times.softirq_seconds_per_cpu == (1.5, 0.25)
    assert InterruptWindow.from_json(WINDOW).irq_seconds_per_cpu == ()


CHANGES = {"start": "2026-12-01T08:00:00.000Z", "end": "2026-12-08T08:00:00.000Z",
           "truncated": True, "changes": [
               {"id": 7, "time": "2026-12-03T14:01:02.500Z", "timestamp": 1796306462.5,
                "irq": 24, "old": {"cpu_affinity": "3", "cpu_affinity_list": [0, 1]},
                "new": {"cpu_affinity": "4", "cpu_affinity_list": [2]},
                "who": "token:admin", "reason": "irq-balance plan 1a2b: CPU 0 is the busiest"},
               {"id": 8, "time": "2026-12-03T14:05:00.000Z", "timestamp": 1796306700.0,
                "irq": 25, "old": {"cpu_affinity": "4", "cpu_affinity_list": [2]},
                "new": {"cpu_affinity": "f", "cpu_affinity_list": [0, 1, 2, 3]},
                "who": "-", "reason": None}]}


def test_affinity_set_sends_the_reason(mocked):
    mocked.put(f"{URL}/irqs/24/cpu_affinity", json={**AFFINITY, "changed": True},
               match=[matchers.json_params_matcher({"cpu_affinity_list": "1",
                                                    "reason": "pin for the benchmark"})])
    code, _ = run("--token", "t", "affinity", "set", "24", "--cpus", "1",
                  "--reason", "pin for the benchmark")
    assert code == 0


def test_changes_table_in_utc_and_the_window_sent(mocked):
    mocked.get(f"{URL}/affinity/changes", json=CHANGES, match=[matchers.query_param_matcher(
        {"period_seconds": "3600.0", "limit": "2"})])
    code, out = run("changes", "--period", "3600", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["TIME", "(UTC)", "IRQ", "OLD", "CPUS", "NEW",
                                              "CPUS", "WHO", "REASON"]
    assert lines[1].split()[:6] == ["2026-12-03", "14:01:02", "24", "0-1", "2", "token:admin"]
    assert lines[1].endswith("irq-balance plan 1a2b: CPU 0 is the busiest")
    assert lines[2].split()[2:] == ["25", "2", "0-3", "-", "-"]
    assert "older changes of the window left out" in lines[3]


def test_changes_json_and_typed_models(mocked):
    mocked.get(f"{URL}/affinity/changes", json=CHANGES)
    code, out = run("--json", "changes")
    assert code == 0 and json.loads(out) == CHANGES
    from irq_client import IrqClient
    found = IrqClient(URL).changes()
    assert found.truncated is True and [c.irq for c in found] == [24, 25]
    assert found[0].time.isoformat() == "2026-12-03T14:01:02.500000+00:00"
    assert (found[0].old_cpus, found[0].new_cpus, found[1].reason) == ((0, 1), (2,), None)


@pytest.mark.parametrize("argv", [["changes", "--limit", "0"], ["changes", "--limit", "x"]])
def test_changes_bad_limit_exits_2(argv):
    with pytest.raises(SystemExit) as exit_:
        run(*argv)
    assert exit_.value.code == 2
