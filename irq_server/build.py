"""PyBuilder project for irq_server (wheel with the `irq-server` console script)."""
import sys
from pathlib import Path

from pybuilder.core import init, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from project_build import metadata, own_tests, wheel  # noqa: E402

name, version, summary, authors, license, default_task = metadata(
    "irq_server", "REST server for a Linux host's interrupts and IRQ affinity")

RUNTIME = ("flask>=3.1", "flask-smorest>=0.47", "marshmallow>=4.0", "webargs>=8.7",
           "gunicorn>=23", "gevent>=24.10.1", "numpy>=2.0", "orjson>=3.10", "pyjwt>=2.8", "werkzeug>=3.0",
           "google-re2>=1.1", "prometheus-client>=0.20", "scipy>=1.14")


@init
def set_properties(project):
    for requirement in RUNTIME:
        dep, _, ver = requirement.partition(">=")
        project.depends_on(dep, ">=" + ver)
    for name in ("index.html", "app.js", "style.css", "vendor/uPlot.iife.min.js",
                 "vendor/uPlot.min.css", "vendor/uPlot.LICENSE", "vendor/README.md"):
        project.include_file("irq_server", f"ui/{name}")  # the web view, served at /ui/
    wheel(project, "irq-server = irq_server.cli:main", "Operating System :: POSIX :: Linux")


@task(description="this project's tests alone: unit, then integration (uses TEST_SUPPORT)")
def run_own_tests(project, logger):
    own_tests(project, logger)
