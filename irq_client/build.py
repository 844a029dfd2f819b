"""PyBuilder project for irq_client (wheel with the `irq-client` console script)."""
import re
from pathlib import Path

from pybuilder.core import Author, init, use_plugin

use_plugin("python.core")
use_plugin("python.distutils")

name = "irq_client"
version = re.search(r'__version__ = "([^"]+)"', Path(__file__).with_name("src").joinpath(
    "main/python/irq_client/__init__.py").read_text()).group(1)
summary = "Typed Python client and irq-client command for irq-server"
authors = [Author("irq-service team", "")]
license = "Apache-2.0"
default_task = "publish"


@init
def set_properties(project):
    project.depends_on("requests", ">=2.31")
    project.depends_on("urllib3", ">=2.0")
    project.set_property("distutils_console_scripts", ["irq-client = irq_client.cli:main"])
    project.set_property("distutils_commands", ["bdist_wheel"])
    project.set_property("distutils_classifiers", ["Programming Language :: Python :: 3.11"])
