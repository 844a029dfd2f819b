"""What can be checked of the container files without a Docker engine."""
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[4]


def test_compose_runs_irq_server_on_the_host_tree():
    compose = yaml.safe_load((TOP / "docker-compose.yml").read_text())
    real = compose["services"]["irq-server"]
    assert real["build"] == "."
    assert real["command"][real["command"].index("--root") + 1] == "/host"
    assert "/proc:/host/proc" in real["volumes"] and "/sys:/host/sys" in real["volumes"]
    demo = compose["services"]["irq-demo"]
    assert demo["command"][demo["command"].index("--simulate") + 1] == "64:2:500"


def test_dockerfile_entrypoint_is_the_console_script():
    text = (TOP / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["irq-server"]' in text
    assert "python build.py" in text and "FROM python:3.11" in text


def test_readme_gives_the_two_commands_and_ci_calls_make_test():
    assert "make run" in (TOP / "README.md").read_text()
    assert "make test" in (TOP / "README.md").read_text()
    assert "make test" in (TOP / ".ci" / "run").read_text()
