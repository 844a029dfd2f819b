"""PyBuilder project for irqbalance (wheel with the `irq-balance` console script)."""
import re
from pathlib import Path

from pybuilder.core import Author, init, use_plugin

use_plugin("python.core")
use_plugin("python.distutils")

name = "irqbalance"
version = re.search(r'__version__ = "([^"]+)"', Path(__file__).with_name("src").joinpath(
    "main/python/irqbalance/__init__.py").read_text()).group(1)
summary = "Remote IRQ balancer: plan, apply, roll back through irq-server"
authors = [Author("irq-service team", "")]
license = "Apache-2.0"
default_task = "publish"


@init
def set_properties(project):
    # built beside it by the top-level build.py, not fetched from an index during the build
    project.depends_on("irq_client", ">=0.1.0", declaration_only=True)
    project.set_property("distutils_console_scripts", ["irq-balance = irqbalance.cli:main"])
    project.set_property("distutils_commands", ["bdist_wheel"])
    project.set_property("distutils_classifiers", ["Programming Language :: Python :: 3.11"])
