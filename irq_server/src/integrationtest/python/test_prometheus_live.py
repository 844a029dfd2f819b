"""A real Prometheus (Debian's, installed when missing) scrapes a simulated irq-server found
through a registry's http_sd endpoint; its rates agree with our own windows."""
import subprocess
import time

import requests
import yaml
from live_server import debian_tool, free_port, wait_for

PARTITION = "lab"


def promql(url, query):
    answer = requests.get(f"{url}/api/v1/query", params={"query": query}, timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_scrapes_irq_server_found_through_the_registry(start_server, tmp_path):
    prometheus = debian_tool("prometheus", "prometheus")
    promtool = debian_tool("promtool", "prometheus")
    registry = start_server("registry", "--registry-ttl", "30")
    host = start_server("--simulate", "8:1:40", "--interval", "1", "--workers", "2",
                        "--publish-to", registry.url, "--partition", PARTITION,
                        "--publish-as", "sim1",
                        env={"IRQ_SERVER_PUBLISH_TOKEN": registry.admin_token})
    wait_for(lambda: requests.get(f"{registry.url}/api/v1/registry/{PARTITION}/prometheus",
                                  timeout=5).json(), timeout=20)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "irq-server", "scrape_interval": "1s",
                            "http_sd_configs": [{
                                "url": f"{registry.url}/api/v1/registry/{PARTITION}/prometheus",
                                "refresh_interval": "1s"}]}]}))
    check = subprocess.run([promtool, "check", "config", str(config)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([prometheus, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        up = wait_for(lambda: _ready(url) and promql(url, "up"), timeout=60)
        assert up[0]["value"][1] == "1" and up[0]["metric"]["uid"] == "sim1"
        assert up[0]["metric"]["partition"] == PARTITION
        # ten seconds of scrapes, then the same 10 s window from both sides
        wait_for(lambda: promql(url, "count_over_time(irq_cpu_interrupts_total[15s])")
                 and float(promql(url, "count_over_time(irq_cpu_interrupts_total[15s])")[0]
                           ["value"][1]) >= 12, timeout=60)
        theirs = {r["metric"]["cpu"]: float(r["value"][1])
                  for r in promql(url, "rate(irq_cpu_interrupts_total[10s])")}
        ours_body = requests.get(f"{host.url}/interrupts?period_seconds=10", timeout=5).json()
        ours = {str(c): n / ours_body["period_duration_seconds"]
                for c, n in zip(ours_body["cpus"], ours_body["num_interrupts_per_cpu"])}
        busy = [c for c, rate in ours.items() if rate > 100]
        assert busy, ours
        for cpu in busy:
            assert abs(theirs[cpu] - ours[cpu]) <= 0.1 * ours[cpu], (cpu, theirs, ours)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _ready(url):
    try:
        return requests.get(f"{url}/-/ready", timeout=2).ok
    except requests.ConnectionError:
        time.sleep(0.2)
        return False


def test_server_counters_are_summed_over_every_worker(start_server):
    server = start_server("--simulate", "4:1:20", "--workers", "3", "--threads", "1")
    session = requests.Session()
    for _ in range(30):
        assert session.get(f"{server.url}/cpus", timeout=5).ok
    for _ in range(5):  # whichever worker answers the scrape, the count is every worker's
        answer = requests.get(f"{server.url}/metrics", timeout=5)
        assert answer.status_code == 200, answer.text
        lines = [line for line in answer.text.splitlines()
                 if line.startswith("irq_http_requests_total") and 'route="/cpus"' in line]
        assert len(lines) == 1, (server.output()[-3000:], answer.text[:3000])
        line = lines[0]
        assert float(line.rsplit(" ", 1)[1]) == 30
