"""The wheel `make install` builds (as `make dist` does) ships the PEP 561 marker, so type
checkers read the annotations of an installed irq_client, and the packages the sources are
split into."""
from live_server import built_wheel


def test_the_built_wheel_is_typed_and_holds_every_package():
    wheel = built_wheel("irq_client")
    names = set(wheel.namelist())
    assert "irq_client/py.typed" in names
    for package in ("cli", "models", "render"):
        assert f"irq_client/{package}/__init__.py" in names
    assert "irq_client/cliargs.py" in names and "irq_client/window.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "irq-client = irq_client.cli:main" in wheel.read(entry_points).decode()
