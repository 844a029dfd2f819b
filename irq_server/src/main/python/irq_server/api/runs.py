"""The tracker routes: log in for a JWT, then record runs (a command's CPU usage) and read
their stats and interrupts. Two dialects of one implementation:

    ours and the tracker's API        its shipped client (older dialect)
    POST /api/v1/auth                 POST /v1/api/auth
    POST /api/v1/test          200    POST /v1/api/testrun          201
    GET  /api/v1/test                 GET  /v1/api/testrun
    GET  /api/v1/test/<id>            GET  /v1/api/testrun/<id>
    POST /api/v1/test/<id>/usage      POST /v1/api/testrun/<id>/usage   201, {"usage"}, stamped here
         {"cpu_usage", "timestamp"}
    POST /api/v1/test/<id>/stop       POST /v1/api/testrun/<id>/stop    no body
         {"end_time"}
    GET  /api/v1/test/<id>/interrupts GET  /v1/api/testrun/<id>/interrupts

A run belongs to its creator (any valid token: a user's JWT or an opaque token, read or write
scope: runs are the caller's own data, not the host's). Thresholds and the time above them
follow irq_server.runs.stats.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app, request
from marshmallow import Schema

from irq_server.api.auth import caller, needs_caller, no_token
from irq_server.api.blueprint import Blueprint, json_response, path_param
from irq_server.api.builders import irq_rates, irq_rows, per_cpu, span
from irq_server.api.openapi import BEARER
from irq_server.api.schemas.runs import (InterruptsQuery, LoginSchema, OldUsageSchema,
                                         RunCreateSchema, RunInterruptsSchema, RunListQuery,
                                         RunListSchema, RunSchema, StopSchema, TokenSchema,
                                         UsageAnswerSchema, UsageSchema)
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.auth.users import UserStore
from irq_server.errors import Conflict, NotFound
from irq_server.history.window import Windows
from irq_server.runs.stats import threshold_percent
from irq_server.runs.store import Run, RunStore

tracker = Blueprint("tracker", __name__, url_prefix="/api/v1",
                    description="Users' runs: a command's CPU usage and interrupts (tracker)")
testrun = Blueprint("testrun", __name__, url_prefix="/v1/api",
                    description="The tracker's older dialect, for its shipped client")
audit = logging.getLogger("irq_server.audit")
SECURED = [{BEARER: []}]
MAX_ID = 2 ** 63 - 1  # SQLite's largest integer
RUN_PARAM = path_param("run_id", "run id")


# ---- the one implementation ---------------------------------------------------------------
def _runs() -> RunStore:
    return state().runs


def _owner() -> str:
    return caller().principal


def _checked_id(run_id: int) -> int:
    if run_id > MAX_ID:
        raise NotFound(f"no run {run_id}", field="run_id")
    return run_id


def run_json(run: Run) -> dict:
    now = current_app.config["IRQ_CLOCK"]()
    return {"id": run.id, "name": run.name, "description": run.description,
            "threshold": run.threshold, "host": run.host, "active": run.active,
            "start_time": iso(run.start_time), "end_time": iso(run.end_time),
            "duration": round(run.duration(now), 3),
            "time_above_threshold": round(run.time_above_threshold(), 3),
            "samples": run.samples}


def login(args: dict) -> dict:
    users: UserStore = state().users
    user = users.authenticate(args["username"], args["password"], request.remote_addr)
    token, expires = state().jwt.issue(user)
    audit.info("user %s logged in (scope %s)", user.name, user.scope)
    return {"token": token, "token_type": "Bearer", "scope": user.scope,
            "expires_at": iso(expires)}


def create(args: dict) -> dict:
    run = _runs().create(_owner(), args["name"], args["description"],
                         threshold_percent(args["threshold"]), args["host"],
                         args.get("start_time"))
    return run_json(run)


def listing(args: dict) -> dict:
    runs, total = _runs().list(_owner(), args["page"], args["per_page"])
    return {"runs": [run_json(r) for r in runs], "page": args["page"],
            "per_page": args["per_page"], "total": total}


def add_usage(run_id: int, cpu_usage: float, ts: float | None) -> dict:
    run, above = _runs().add_usage(_checked_id(run_id), _owner(), cpu_usage, ts)
    return {"id": run.id, "above_threshold": above,
            "time_above_threshold": round(run.time_above_threshold(), 3)}


def interrupts(run_id: int, limit: int) -> dict:
    run = _runs().get(_checked_id(run_id), _owner())
    here = state().host.hostname()
    if run.host is None or run.host != here:
        raise Conflict(f"run {run.id} measured host {run.host or '(not given)'}; this server "
                       f"keeps the interrupts of {here or 'an unnamed host'} only")
    windows: Windows = state().windows
    window = windows.between(run.start_time, run.end_time or windows.clock())
    counts = per_cpu(window)
    fired = sorted((r for r in irq_rates(window, irq_rows(window)) if r["num_interrupts"] > 0),
                   key=lambda r: -r["num_interrupts"])
    return {"id": run.id, "host": here, **span(window), "cpus": list(window.cpus),
            "num_interrupts_per_cpu": counts, "num_interrupts_all_cpus": sum(counts),
            "num_irqs": len(fired), "irqs": fired[:limit]}


def get(args: dict, run_id: int) -> dict:
    return run_json(_runs().get(_checked_id(run_id), _owner()))


def stop(args: dict, run_id: int) -> dict:
    return run_json(_runs().stop(_checked_id(run_id), _owner(), args.get("end_time")))


# ---- both dialects, from one table --------------------------------------------------------
@dataclass(frozen=True)
class Dialect:
    """How one dialect spells an operation."""

    path: str
    doc: str  # the operation's summary in /openapi.json (first line) and description
    body: type[Schema] | None = None  # the JSON body it reads
    status: int = 200
    handler: Callable[..., dict] | None = None  # when its body differs: (args, **path)


@dataclass(frozen=True)
class Operation:
    name: str  # the view's name; the older dialect's is old_<name>
    method: str
    answer: type[Schema]
    handler: Callable[..., dict]  # (args, **path) -> the answer's dict
    ours: Dialect
    old: Dialect
    query: type[Schema] | None = None
    login: bool = False  # needs no token (and may answer 401/429)


OPERATIONS = (
    Operation("auth", "POST", TokenSchema, lambda args: login(args), login=True,
              ours=Dialect("/auth", "Log in: a JWT for a user made with 'irq-server user add' "
                           "(same 401 for a wrong password and an unknown user; 429 with "
                           "Retry-After after repeated failures).", body=LoginSchema),
              old=Dialect("/auth", "POST /api/v1/auth, for the older client.",
                          body=LoginSchema)),
    Operation("create_run", "POST", RunSchema, lambda args: create(args),
              ours=Dialect("/test", "Start a run owned by the caller.", body=RunCreateSchema),
              old=Dialect("/testrun", "POST /api/v1/test, answered 201.", body=RunCreateSchema,
                          status=201)),
    Operation("list_runs", "GET", RunListSchema, lambda args: listing(args), query=RunListQuery,
              ours=Dialect("/test", "The caller's runs, newest first, a page at a time."),
              old=Dialect("/testrun", "GET /api/v1/test.")),
    Operation("get_run", "GET", RunSchema, get,
              ours=Dialect("/test/<int:run_id>", "A run's stats (403: another user's run)."),
              old=Dialect("/testrun/<int:run_id>", "GET /api/v1/test/<id>.")),
    Operation("post_usage", "POST", UsageAnswerSchema,
              lambda args, run_id: add_usage(run_id, args["cpu_usage"], args.get("timestamp")),
              ours=Dialect("/test/<int:run_id>/usage", "Record a CPU usage sample (409 once "
                           "the run is stopped).", body=UsageSchema),
              old=Dialect("/testrun/<int:run_id>/usage", '{"usage": percent}, stamped with '
                          "the server's time; answered 201.", body=OldUsageSchema, status=201,
                          handler=lambda args, run_id: add_usage(run_id, args["usage"], None))),
    Operation("stop_run", "POST", RunSchema, stop,
              ours=Dialect("/test/<int:run_id>/stop", "Stop a run at `end_time` (default "
                           "now); 409 when it is already stopped.", body=StopSchema),
              old=Dialect("/testrun/<int:run_id>/stop", "Stop now (no body).")),
    Operation("run_interrupts", "GET", RunInterruptsSchema,
              lambda args, run_id: interrupts(run_id, args["limit"]), query=InterruptsQuery,
              ours=Dialect("/test/<int:run_id>/interrupts", "Interrupts per CPU and per IRQ "
                           "during the run, from this server's history (409 when the run "
                           "measured another host)."),
              old=Dialect("/testrun/<int:run_id>/interrupts",
                          "GET /api/v1/test/<id>/interrupts.")),
)


def _register(blp: Blueprint, operation: Operation, dialect: Dialect, name: str) -> None:
    handler = dialect.handler or operation.handler

    def view(*parsed, **path):
        args = parsed[0] if parsed else None
        return json_response(handler(args or {}, **path), status=dialect.status)

    view.__name__, view.__doc__ = name, dialect.doc
    if operation.login:
        view = blp.doc(security=[])(view)
        view = blp.alt_response(429, response="TOO_MANY_REQUESTS")(view)
        view = blp.alt_response(401, response="UNAUTHORIZED")(view)
    else:
        view = blp.doc(security=SECURED)(view)
    view = blp.response(dialect.status, operation.answer)(view)
    if operation.query is not None:
        view = blp.arguments(operation.query, location="query")(view)
    if dialect.body is not None:  # a body is optional where every field of it is
        required = any(f.required for f in dialect.body().fields.values())
        view = blp.arguments(dialect.body, required=required)(view)
    view = (no_token if operation.login else needs_caller)(view)
    blp.route(dialect.path, methods=[operation.method], endpoint=name,
              parameters=RUN_PARAM if "<int:run_id>" in dialect.path else None)(view)


for _operation in OPERATIONS:
    _register(tracker, _operation, _operation.ours, _operation.name)
    _register(testrun, _operation, _operation.old, f"old_{_operation.name}")
