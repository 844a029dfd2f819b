"""PyBuilder project for irqbalance (wheel with the `irq-balance` console script)."""
import sys
from pathlib import Path

from pybuilder.core import init, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from project_build import metadata, own_tests, wheel  # noqa: E402

name, version, summary, authors, license, default_task = metadata(
    "irqbalance", "Remote IRQ balancer: plan, apply, roll back through irq-server")


@init
def set_properties(project):
    # built beside it by the top-level build.py, not fetched from an index during the build
    project.depends_on("irq_client", ">=0.1.0", declaration_only=True)
    project.include_file("irqbalance", "py.typed")  # PEP 561: type checkers read our annotations
    wheel(project, "irq-balance = irqbalance.cli:main")


@task(description="this project's tests alone: unit, then integration against real servers")
def run_own_tests(project, logger):
    own_tests(project, logger, needs=("irq_client", "irq_server"))
