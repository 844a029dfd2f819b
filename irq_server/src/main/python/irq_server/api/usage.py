"""The host Performance-API routes: GET /cpu, /cpu_average, /memory, /memory_average,
/storage, /storage_average, /current, with the old service's field names.

Series answer a JSON list (as the old service did), at most `points` long, each point the
average over the interval ending at its `taken_at`; the headers X-Step-Seconds,
X-Window-Start and X-Window-End say how the window was cut. Windows default to a week.
"""
from __future__ import annotations

from dataclasses import asdict

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.builders import bounds, window_of
from irq_server.api.schemas.usage import (ROOT, CpuAverageSchema, CpuPointSchema, CpuQuery,
                                          CurrentSchema, MemoryAverageSchema, MemoryPointSchema,
                                          MountQuery, SeriesQuery, StorageAverageSchema,
                                          StoragePointSchema, StorageQuery, UsageQuery)
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.api.window_cache import window_route
from irq_server.errors import NotFound, StoreUnavailable
from irq_server.history.usage import window_cpu, window_filesystems, window_memory
from irq_server.history.window import Windows
from irq_server.types import Window

blp = Blueprint("usage", __name__, description="Host usage over time: CPU, memory, storage "
                                               "(the Performance-API routes)")
WEEK = 7 * 86400.0
SERIES_HEADERS = {
    "X-Step-Seconds": {"description": "window length / points: the spacing asked of points",
                       "schema": {"type": "number"}},
    "X-Window-Start": {"description": "start of the window (ISO 8601 UTC)",
                       "schema": {"type": "string"}},
    "X-Window-End": {"description": "end of the window (ISO 8601 UTC)",
                     "schema": {"type": "string"}},
}


def _windows() -> Windows:
    return state().windows


def _window_of(args: dict) -> Window | None:
    """The asked window (default: the last week); None before the first stored sample.
    StoreUnavailable (503) when the history cannot be read: not an empty answer."""
    if not _windows().has_history():
        return None
    if "start" not in args and "period_seconds" not in args:
        args = {**args, "period_seconds": WEEK}
    return window_of(args)


def _series(args: dict) -> tuple[list[Window], dict]:
    window = _window_of(args)
    if window is None:
        return [], {}
    step = (window.end - window.start) / args["points"]
    headers = {"X-Step-Seconds": f"{step:g}", "X-Window-Start": iso(window.start),
               "X-Window-End": iso(window.end)}
    return _windows().series(window.start, window.end, args["points"]), headers


def _points(windows: list[Window], measure, point) -> list[dict]:
    """`point(window, measured)` of each window that `measure` has a value for."""
    return [point(w, measured) for w in windows if (measured := measure(w)) is not None]


def _answer(body, headers: dict):
    response = json_response(body)
    response.headers.update(headers)
    return response


@window_route(blp, "/cpu", CpuQuery, CpuPointSchema(many=True),
              headers=SERIES_HEADERS)
def cpu(args):
    """CPU usage over time: [{usage, taken_at, user, system, iowait, ...}] (top's %Cpu)."""
    windows, headers = _series(args)
    return _answer(_points(windows, lambda w: window_cpu(w, per_cpu=args["per_cpu"]),
                           lambda w, shares: {"usage": shares.pop("usage"),
                                              "taken_at": iso(w.end), **shares}), headers)


@window_route(blp, "/cpu_average", UsageQuery, CpuAverageSchema)
def cpu_average(args):
    """Average CPU usage over the window (not over all time): {cpu_avg_usage}."""
    window = _window_of(args)
    shares = window_cpu(window) if window is not None else None
    return json_response({"cpu_avg_usage": shares["usage"] if shares else None, **bounds(window)})


@window_route(blp, "/memory", SeriesQuery, MemoryPointSchema(many=True),
              headers=SERIES_HEADERS)
def memory(args):
    """Memory over time: [{used_space, free_space, taken_at, total, buffers, cached, ...}]."""
    windows, headers = _series(args)
    return _answer(_points(windows, window_memory, lambda w, m: {
        "used_space": m["used"], "free_space": m["available"], "taken_at": iso(w.end),
        "total": m["total"], "buffers": m["buffers"], "cached": m["cached"],
        "swap_used": m["swap_used"]}), headers)


@window_route(blp, "/memory_average", UsageQuery, MemoryAverageSchema)
def memory_average(args):
    """Average used and available memory over the window, bytes."""
    window = _window_of(args)
    m = window_memory(window) if window is not None else None
    return json_response({"memory_avg_used_space": m["used"] if m else None,
                          "memory_avg_free_space": m["available"] if m else None,
                          **bounds(window)})


@window_route(blp, "/storage", StorageQuery, StoragePointSchema(many=True),
              headers=SERIES_HEADERS)
@blp.doc(responses={200: {"content": {"application/json": {"schema": {"oneOf": [
    {"type": "array", "items": {"$ref": "#/components/schemas/StoragePoint"}},
    {"type": "object", "description": "with all=1: mount point -> series",
     "additionalProperties": {"type": "array",
                              "items": {"$ref": "#/components/schemas/StoragePoint"}}}]}}}}})
def storage(args):
    """Space of the root filesystem over time (?mount= another, ?all=1 every one by mount
    point): [{used_space, free_space, taken_at, size}]."""
    windows, headers = _series(args)
    by_mount: dict[str, list] = {}
    for w in windows:
        for mount, space in window_filesystems(w).items():
            by_mount.setdefault(mount, []).append(
                {"used_space": space["used"], "free_space": space["available"],
                 "taken_at": iso(w.end), "size": space["size"]})
    if args["all"]:
        return _answer(by_mount, headers)
    _known_mount(args["mount"], by_mount)
    return _answer(by_mount.get(args["mount"], []), headers)


@window_route(blp, "/storage_average", MountQuery, StorageAverageSchema)
def storage_average(args):
    """Average used and available space of one filesystem (default /) over the window."""
    window = _window_of(args)
    spaces = window_filesystems(window) if window is not None else {}
    _known_mount(args["mount"], spaces)
    space = spaces.get(args["mount"])
    return json_response({"disk_avg_used_space": space["used"] if space else None,
                          "disk_avg_free_space": space["available"] if space else None,
                          "mount": args["mount"], **bounds(window)})


@blp.route("/current")
@blp.response(200, CurrentSchema)
def current():
    """Usage now: CPU over the last sampling interval (never by sleeping in the request),
    memory and filesystems read now (CPU is null while the history cannot be read)."""
    host = state().host
    windows = _windows()
    try:
        last = windows.last_interval()
    except StoreUnavailable:
        last = None
    cpu_now = window_cpu(last) if last is not None else None
    memory_now = host.memory()
    spaces = {f.mount_point: {"size": f.size, "used": f.used, "available": f.available}
              for f in host.filesystems()}
    root = spaces.get(ROOT)
    return json_response({
        "cpu_usage": cpu_now["usage"] if cpu_now else None,
        "used_mem": memory_now.used if memory_now else None,
        "free_mem": memory_now.available if memory_now else None,
        "used_disk": root["used"] if root else None,
        "free_disk": root["available"] if root else None,
        "taken_at": iso(windows.clock()),
        "cpu": cpu_now,
        "memory": ({**asdict(memory_now), "used": memory_now.used,
                    "swap_used": memory_now.swap_used} if memory_now else None),
        "filesystems": spaces})


def _known_mount(mount: str, known: dict) -> None:
    """404 naming `mount` when the host has no such tracked filesystem (an empty history
    knows none yet: then the answer is simply empty)."""
    if known and mount not in known:
        raise NotFound(f"no tracked filesystem is mounted at {mount!r} (tracked: "
                       f"{', '.join(sorted(known))})", field="mount")
