"""The wheel `make install` builds ships the PEP 561 marker: the balancer's planner types
(Plan, Policy, ...) are visible to the type checkers of code that imports it."""
from live_server import built_wheel


def test_the_built_wheel_is_typed():
    wheel = built_wheel("irqbalance")
    names = set(wheel.namelist())
    assert "irqbalance/py.typed" in names and "irqbalance/planner.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "irq-balance = irqbalance.cli:main" in wheel.read(entry_points).decode()
