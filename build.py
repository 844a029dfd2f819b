#!/usr/bin/env python3
"""Build every subproject present (a folder with its own build.py) with PyBuilder and gather
the wheels in dist/. Tests run separately (`make test`), so PyBuilder only packages here."""
import shutil
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent
SUBPROJECTS = ("irq_server", "irq_client", "irqbalance")


def main() -> int:
    dist = TOP / "dist"
    dist.mkdir(exist_ok=True)
    for name in SUBPROJECTS:
        project = TOP / name
        if not (project / "build.py").exists():
            continue
        print(f"== building {name}", flush=True)
        pyb = Path(sys.executable).with_name("pyb")
        result = subprocess.run([str(pyb), "-q", "publish"], cwd=project)
        if result.returncode:
            print(f"build of {name} failed", file=sys.stderr)
            return result.returncode
        for wheel in (project / "target" / "dist").glob("*/dist/*.whl"):
            shutil.copy2(wheel, dist / wheel.name)
            print(f"   {dist / wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
