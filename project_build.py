"""What the three PyBuilder projects (irq_server, irq_client, irqbalance) share, imported by
each one's build.py: their metadata, their wheel settings, and `own_tests`, the task that
runs one project's tests alone (`pyb run_own_tests` in its folder) with the shared test support
(TEST_SUPPORT) and the main sources of the projects it needs, nothing else.

`make test` runs every project's tests in one pytest session instead (faster: one start).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pybuilder.core import Author, use_plugin
from pybuilder.errors import BuildFailedException

TOP = Path(__file__).resolve().parent
TEST_SUPPORT = TOP / "testsupport"  # live_server.py, slow_clients.py
AUTHORS = [Author("irq-service team", "")]
LICENSE = "Apache-2.0"
PYTHON_CLASSIFIER = "Programming Language :: Python :: 3.11"


def metadata(package: str, summary: str) -> tuple:
    """A build.py's (name, version, summary, authors, license, default_task), with the plugins
    every project uses loaded."""
    use_plugin("python.core")
    use_plugin("python.distutils")
    return package, version_of(package), summary, AUTHORS, LICENSE, "publish"


def version_of(package: str) -> str:
    """The package's __version__, read from its source (one place to change it)."""
    init = TOP / package / "src" / "main" / "python" / package / "__init__.py"
    return re.search(r'__version__ = "([^"]+)"', init.read_text()).group(1)


def wheel(project, console_script: str, *classifiers: str) -> None:
    """A wheel with one console script (`name = module:function`)."""
    project.set_property("distutils_console_scripts", [console_script])
    project.set_property("distutils_commands", ["bdist_wheel"])
    project.set_property("distutils_classifiers", [PYTHON_CLASSIFIER, *classifiers])
    project.set_property("test_support", str(TEST_SUPPORT))


def own_tests(project, logger, needs: tuple[str, ...] = ()) -> None:
    """Unit tests, then integration tests, of this project alone (pytest in the checkout's
    .venv, `make test` made it), with its own sources, the shared test support and the main
    sources of `needs` (the projects it runs against) on the path."""
    here = Path(project.basedir)
    paths = [Path(project.get_property("test_support")), here / "src" / "main" / "python",
             here / "src" / "unittest" / "python",
             *(TOP / name / "src" / "main" / "python" for name in needs)]
    venv = TOP / ".venv" / "bin" / "python"
    python = str(venv) if venv.exists() else sys.executable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    for kind in ("unittest", "integrationtest"):
        folder = here / "src" / kind / "python"
        if not any(folder.glob("test_*.py")):
            continue
        logger.info("%s tests of %s", kind, project.name)
        done = subprocess.run([python, "-m", "pytest", "-q", "-c", str(TOP / "pytest.ini"),
                               "-o", "pythonpath=", "--rootdir", str(here), str(folder)],
                              env=env, cwd=here)
        if done.returncode:
            raise BuildFailedException(f"{kind} tests of {project.name} failed")
