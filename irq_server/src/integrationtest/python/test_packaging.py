"""What can be checked of the container, Prometheus and systemd files without a Docker engine
or a booted systemd: their tools validate them (Debian's docker-compose, promtool,
systemd-analyze; installed when missing), and their commands are ours."""
import re
import shlex
import subprocess
from pathlib import Path

import yaml
from live_server import built_wheel, debian_tool

from irq_server import cli

TOP = Path(__file__).resolve().parents[4]
UNITS = TOP / "contrib" / "systemd"


def test_compose_file_is_valid_and_runs_the_three_services():
    compose_tool = debian_tool("docker-compose", "docker-compose")
    checked = subprocess.run([compose_tool, "-f", str(TOP / "docker-compose.yml"), "--profile",
                              "demo", "config", "-q"], capture_output=True, text=True, cwd=TOP)
    assert checked.returncode == 0, checked.stderr
    services = yaml.safe_load((TOP / "docker-compose.yml").read_text())["services"]
    real, demo, prometheus = services["irq-server"], services["irq-demo"], services["prometheus"]
    assert real["build"] == "." and demo["image"] == real["image"]
    assert real["command"][real["command"].index("--root") + 1] == "/host"
    assert "/proc:/host/proc" in real["volumes"] and "/sys:/host/sys" in real["volumes"]
    assert demo["command"][demo["command"].index("--simulate") + 1] == "64:2:500"
    for service in (real, demo):  # the image's entrypoint is irq-server: these are its flags
        cli.build_parser().parse_args(["serve", *service["command"]])
    assert "./contrib/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in \
        prometheus["volumes"]


def test_prometheus_config_is_valid_and_scrapes_the_compose_services():
    promtool = debian_tool("promtool", "prometheus")
    config = TOP / "contrib" / "prometheus" / "prometheus.yml"
    checked = subprocess.run([promtool, "check", "config", str(config)], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    targets = {t for job in yaml.safe_load(config.read_text())["scrape_configs"]
               for group in job["static_configs"] for t in group["targets"]}
    services = yaml.safe_load((TOP / "docker-compose.yml").read_text())["services"]
    assert targets == {f"{name}:5000" for name in ("irq-server", "irq-demo")} and \
        set(services) >= {"irq-server", "irq-demo"}


def test_dockerfile_builds_all_three_wheels_as_make_dist_does():
    text = (TOP / "Dockerfile").read_text()
    assert re.search(r"^pybuilder==\S+", (TOP / "requirements-build.txt").read_text(), re.M)
    for project in ("irq_server", "irq_client", "irqbalance"):
        assert f"COPY {project} {project}" in text
    assert "COPY requirements-build.txt build.py project_build.py ./" in text
    assert "RUN pip install --no-cache-dir -r requirements-build.txt" in text
    assert "RUN python build.py" in text
    assert "pip install --no-cache-dir /tmp/wheels/*.whl" in text
    assert 'ENTRYPOINT ["irq-server"]' in text
    # `make dist-check` (run by CI) makes the same wheels, installs them in a fresh venv and
    # runs the three commands: what the image's two stages do
    makefile = (TOP / "Makefile").read_text()
    assert "$(TOOLS_PY) build.py" in makefile
    for command in ("irq-server", "irq-client", "irq-balance"):
        assert f"build/dist-check/bin/{command} --version" in makefile


def test_systemd_units_verify_and_are_hardened(tmp_path):
    analyze = debian_tool("systemd-analyze", "systemd")
    for unit in UNITS.glob("*.service"):
        text = unit.read_text()
        exec_start = re.search(r"^ExecStart=(.*)$", text, re.M)[1]
        argv = shlex.split(exec_start)
        assert argv[0] == "/usr/local/bin/irq-server"
        command = argv[1:] if argv[1] == "sampler" else ["serve", *argv[1:]]
        cli.build_parser().parse_args(command)  # flags irq-server takes
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=irq-server",
                     "StateDirectory=irq-server"):
            assert line in text, (unit.name, line)
        # systemd-analyze checks the binary exists: point it at a stand-in
        stand_in = tmp_path / "irq-server"
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
        (tmp_path / unit.name).write_text(text.replace(argv[0], str(stand_in)))
        checked = subprocess.run([analyze, "verify", str(tmp_path / unit.name)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0 and "Unknown" not in checked.stderr, checked.stderr
    server = (UNITS / "irq-server.service").read_text()
    assert "--no-sampler" in server and "CapabilityBoundingSet=CAP_SYS_ADMIN" in server
    assert re.search(r"^ReadWritePaths=.*/var/lib/irq-server.*/proc/irq", server, re.M)
    sampler = (UNITS / "irq-server-sampler.service").read_text()
    assert " sampler " in sampler and "PrivateNetwork=yes" in sampler


def test_readme_gives_the_two_commands_and_ci_calls_make_test():
    assert "make run" in (TOP / "README.md").read_text()
    assert "make test" in (TOP / "README.md").read_text()
    assert "make test" in (TOP / ".ci" / "run").read_text()


def test_runtime_requirements_hold_no_build_or_test_tool():
    runtime = {line.split("==")[0].lower()
               for line in (TOP / "requirements.txt").read_text().splitlines()
               if line and not line.startswith("#")}
    assert runtime and not runtime & {"pybuilder", "pytest", "selenium", "schemathesis",
                                      "hypothesis", "mypy", "responses"}
    assert "-r requirements.txt" in (TOP / "requirements-dev.txt").read_text()


def test_the_built_wheel_holds_the_web_view_and_every_package():
    names = set(built_wheel("irq_server").namelist())
    assert {f"irq_server/ui/{n}" for n in ("index.html", "app.js", "style.css",
                                          "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css",
                                          "vendor/uPlot.LICENSE")} <= names
    for package in ("api", "api/schemas", "audit", "auth", "cost", "history", "procfs",
                    "registry", "runs", "service", "sim"):
        assert f"irq_server/{package}/__init__.py" in names, package
