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

from flask import current_app, request
from marshmallow import Schema, fields, validate

from irq_server.api.auth import caller, needs_caller, no_token
from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.history import (
    IrqWindowSchema,
    SpanSchema,
    irq_rows,
    row_rates,
    span,
)
from irq_server.api.openapi import BEARER
from irq_server.api.state import state
from irq_server.api.timefmt import Instant, iso
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
RUN_PARAM = [{"in": "path", "name": "run_id", "description": "run id",
              "schema": {"type": "integer", "minimum": 0}}]


# ---- schemas ------------------------------------------------------------------------------
class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=256))
    password = fields.String(required=True, validate=validate.Length(max=4096))


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "JWT (HS256): send as 'Authorization: "
                                                   "Bearer <token>'"})
    token_type = fields.String(metadata={"description": "always 'Bearer'"})
    scope = fields.String(metadata={"enum": ["read", "write"]})
    expires_at = fields.String(metadata={"description": "ISO 8601 UTC"})


class RunCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(max=4000))
    threshold = fields.Float(load_default=50.0, validate=validate.Range(min=0, max=100),
                             metadata={"description": "CPU percent (default 50); a value "
                                       "strictly between 0 and 1 is a fraction: 0.5 means 50"})
    host = fields.String(allow_none=True, load_default=None,
                         validate=validate.Length(min=1, max=253),
                         metadata={"description": "hostname the run measures; the run's "
                                   "interrupts are served when it is this server's host"})
    start_time = Instant(metadata={"description": "when the run started (default now)"})


class RunSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    threshold = fields.Float(metadata={"description": "CPU percent"})
    host = fields.String(allow_none=True)
    active = fields.Boolean()
    start_time = fields.String(metadata={"description": "ISO 8601 UTC"})
    end_time = fields.String(allow_none=True, metadata={"description": "null while active"})
    duration = fields.Float(metadata={"description": "seconds: end - start (now - start while "
                                                     "active)"})
    time_above_threshold = fields.Float(metadata={
        "description": "seconds with usage above the threshold: each sample holds until the "
                       "next one (the newest until the end, once stopped)"})
    samples = fields.Integer(metadata={"description": "usage samples recorded"})


class RunListQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class RunListSchema(Schema):
    runs = fields.List(fields.Nested(RunSchema), metadata={"description": "newest first"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "the caller's runs in all"})


class UsageSchema(Schema):
    cpu_usage = fields.Float(required=True, validate=validate.Range(min=0, max=100),
                             metadata={"description": "CPU percent, whole machine"})
    timestamp = Instant(metadata={"description": "when it was measured (default now)"})


class OldUsageSchema(Schema):
    usage = fields.Float(required=True, validate=validate.Range(min=0, max=100),
                         metadata={"description": "CPU percent, whole machine; stamped now"})


class UsageAnswerSchema(Schema):
    id = fields.Integer()
    above_threshold = fields.Boolean(metadata={"description": "this sample is above it"})
    time_above_threshold = fields.Float()


class StopSchema(Schema):
    end_time = Instant(metadata={"description": "when the run ended (default now)"})


class InterruptsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100_000),
                           metadata={"description": "busiest IRQs listed (default 20)"})


class RunInterruptsSchema(SpanSchema):
    id = fields.Integer()
    host = fields.String()
    cpus = fields.List(fields.Integer())
    num_interrupts_per_cpu = fields.List(fields.Integer())
    num_interrupts_all_cpus = fields.Integer()
    num_irqs = fields.Integer(metadata={"description": "IRQs that fired during the run"})
    irqs = fields.List(fields.Nested(IrqWindowSchema),
                       metadata={"description": "the busiest first, at most `limit`"})


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
    rows = irq_rows(window)
    per_cpu = window.counts[rows].sum(axis=0).tolist() if rows else [0] * len(window.cpus)
    fired = sorted((r for r in row_rates(window, rows) if r[2] > 0), key=lambda r: -r[2])
    return {"id": run.id, "host": here, **span(window), "cpus": list(window.cpus),
            "num_interrupts_per_cpu": per_cpu, "num_interrupts_all_cpus": sum(per_cpu),
            "num_irqs": len(fired), "irqs": [
                {"irq_num": key, "num_interrupts_per_cpu": counts, "num_interrupts": total,
                 "rate_per_second": rate} for key, counts, total, rate in fired[:limit]]}


# ---- ours (and the tracker's published API) -----------------------------------------------
@tracker.route("/auth", methods=["POST"])
@no_token
@tracker.arguments(LoginSchema)
@tracker.response(200, TokenSchema)
@tracker.alt_response(401, response="UNAUTHORIZED")
@tracker.alt_response(429, response="TOO_MANY_REQUESTS")
@tracker.doc(security=[])
def auth(args):
    """Log in: a JWT for a user made with 'irq-server user add' (same 401 for a wrong password
    and an unknown user; 429 with Retry-After after repeated failures)."""
    return json_response(login(args))


@tracker.route("/test", methods=["POST"])
@needs_caller
@tracker.arguments(RunCreateSchema)
@tracker.response(200, RunSchema)
@tracker.doc(security=SECURED)
def create_run(args):
    """Start a run owned by the caller."""
    return json_response(create(args))


@tracker.route("/test", methods=["GET"])
@needs_caller
@tracker.arguments(RunListQuery, location="query")
@tracker.response(200, RunListSchema)
@tracker.doc(security=SECURED)
def list_runs(args):
    """The caller's runs, newest first, a page at a time."""
    return json_response(listing(args))


@tracker.route("/test/<int:run_id>", methods=["GET"], parameters=RUN_PARAM)
@needs_caller
@tracker.response(200, RunSchema)
@tracker.doc(security=SECURED)
def get_run(run_id):
    """A run's stats (403: another user's run)."""
    return json_response(run_json(_runs().get(_checked_id(run_id), _owner())))


@tracker.route("/test/<int:run_id>/usage", methods=["POST"], parameters=RUN_PARAM)
@needs_caller
@tracker.arguments(UsageSchema)
@tracker.response(200, UsageAnswerSchema)
@tracker.doc(security=SECURED)
def post_usage(args, run_id):
    """Record a CPU usage sample (409 once the run is stopped)."""
    return json_response(add_usage(run_id, args["cpu_usage"], args.get("timestamp")))


@tracker.route("/test/<int:run_id>/stop", methods=["POST"], parameters=RUN_PARAM)
@needs_caller
@tracker.arguments(StopSchema, required=False)
@tracker.response(200, RunSchema)
@tracker.doc(security=SECURED)
def stop_run(args, run_id):
    """Stop a run at `end_time` (default now); 409 when it is already stopped."""
    run = _runs().stop(_checked_id(run_id), _owner(), (args or {}).get("end_time"))
    return json_response(run_json(run))


@tracker.route("/test/<int:run_id>/interrupts", methods=["GET"], parameters=RUN_PARAM)
@needs_caller
@tracker.arguments(InterruptsQuery, location="query")
@tracker.response(200, RunInterruptsSchema)
@tracker.doc(security=SECURED)
def run_interrupts(args, run_id):
    """Interrupts per CPU and per IRQ during the run, from this server's history (409 when
    the run measured another host)."""
    return json_response(interrupts(run_id, args["limit"]))


# ---- the older dialect --------------------------------------------------------------------
@testrun.route("/auth", methods=["POST"])
@no_token
@testrun.arguments(LoginSchema)
@testrun.response(200, TokenSchema)
@testrun.alt_response(401, response="UNAUTHORIZED")
@testrun.alt_response(429, response="TOO_MANY_REQUESTS")
@testrun.doc(security=[])
def old_auth(args):
    """POST /api/v1/auth, for the older client."""
    return json_response(login(args))


@testrun.route("/testrun", methods=["POST"])
@needs_caller
@testrun.arguments(RunCreateSchema)
@testrun.response(201, RunSchema)
@testrun.doc(security=SECURED)
def old_create_run(args):
    """POST /api/v1/test, answered 201."""
    return json_response(create(args), status=201)


@testrun.route("/testrun", methods=["GET"])
@needs_caller
@testrun.arguments(RunListQuery, location="query")
@testrun.response(200, RunListSchema)
@testrun.doc(security=SECURED)
def old_list_runs(args):
    """GET /api/v1/test."""
    return json_response(listing(args))


@testrun.route("/testrun/<int:run_id>", methods=["GET"], parameters=RUN_PARAM)
@needs_caller
@testrun.response(200, RunSchema)
@testrun.doc(security=SECURED)
def old_get_run(run_id):
    """GET /api/v1/test/<id>."""
    return json_response(run_json(_runs().get(_checked_id(run_id), _owner())))


@testrun.route("/testrun/<int:run_id>/usage", methods=["POST"], parameters=RUN_PARAM)
@needs_caller
@testrun.arguments(OldUsageSchema)
@testrun.response(201, UsageAnswerSchema)
@testrun.doc(security=SECURED)
def old_post_usage(args, run_id):
    """{"usage": percent}, stamped with the server's time; answered 201."""
    return json_response(add_usage(run_id, args["usage"], None), status=201)


@testrun.route("/testrun/<int:run_id>/stop", methods=["POST"], parameters=RUN_PARAM)
@needs_caller
@testrun.response(200, RunSchema)
@testrun.doc(security=SECURED)
def old_stop_run(run_id):
    """Stop now (no body)."""
    return json_response(run_json(_runs().stop(_checked_id(run_id), _owner())))


@testrun.route("/testrun/<int:run_id>/interrupts", methods=["GET"], parameters=RUN_PARAM)
@needs_caller
@testrun.arguments(InterruptsQuery, location="query")
@testrun.response(200, RunInterruptsSchema)
@testrun.doc(security=SECURED)
def old_run_interrupts(args, run_id):
    """GET /api/v1/test/<id>/interrupts."""
    return json_response(interrupts(run_id, args["limit"]))
