"""PyBuilder project for irq_server (wheel with the `irq-server` console script)."""
import re
from pathlib import Path

from pybuilder.core import Author, init, use_plugin

use_plugin("python.core")
use_plugin("python.distutils")

name = "irq_server"
version = re.search(r'__version__ = "([^"]+)"', Path(__file__).with_name("src").joinpath(
    "main/python/irq_server/__init__.py").read_text()).group(1)
summary = "REST server for a Linux host's interrupts and IRQ affinity"
authors = [Author("irq-service team", "")]
license = "Apache-2.0"
default_task = "publish"

RUNTIME = ("flask>=3.1", "flask-smorest>=0.47", "marshmallow>=4.0", "webargs>=8.7",
           "gunicorn>=23", "gevent>=24.10.1", "numpy>=2.0", "orjson>=3.10", "pyjwt>=2.8", "werkzeug>=3.0",
           "google-re2>=1.1", "prometheus-client>=0.20")


@init
def set_properties(project):
    for requirement in RUNTIME:
        dep, _, ver = requirement.partition(">=")
        project.depends_on(dep, ">=" + ver)
    project.set_property("distutils_console_scripts", ["irq-server = irq_server.cli:main"])
    for name in ("index.html", "app.js", "style.css"):  # the web view, served at /ui/
        project.include_file("irq_server", f"ui/{name}")
    project.set_property("distutils_commands", ["bdist_wheel"])
    project.set_property("distutils_classifiers", [
        "Programming Language :: Python :: 3.11", "Operating System :: POSIX :: Linux"])
