"""PyBuilder project for irq_client (wheel with the `irq-client` console script)."""
import sys
from pathlib import Path

from pybuilder.core import init, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from project_build import metadata, own_tests, wheel  # noqa: E402

name, version, summary, authors, license, default_task = metadata(
    "irq_client", "Typed Python client and irq-client command for irq-server")


@init
def set_properties(project):
    project.depends_on("requests", ">=2.31")
    project.depends_on("urllib3", ">=2.0")
    project.include_file("irq_client", "py.typed")  # PEP 561: type checkers read our annotations
    wheel(project, "irq-client = irq_client.cli:main")


@task(description="this project's tests alone: unit, then integration against a real server")
def run_own_tests(project, logger):
    own_tests(project, logger, needs=("irq_server",))
