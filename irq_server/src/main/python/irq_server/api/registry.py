"""The connection registry's routes: its published API, kept byte-compatible for its clients,
and our typed twins under /api/v1/registry (problem+json errors, OpenAPI schemas).

    POST /publish                 {"partition", "connections": [{"uid", "uri",
                                  "connection_type", "data_type"}, ...]}          -> "OK"
    POST /getconnection/<P>       {"uid_regex", "data_type"} -> [{"uid", "uri",
    (GET too, body alike)         "connection_type", "data_type"}, ...] (live, RE2 search)
    POST /retract                 {"partition", "connections": [{"connection_id",
                                  "data_type"}, ...]}                             -> "OK"
    POST /retract-partition       form or JSON {"partition"}                      -> "OK"
    GET  /                        HTML dump (expired entries struck out)
    GET  /stats                   HTML publish/lookup counts and average times

Publish and retract take JSON only (`Content-Type: application/json`, as the old clients
send it), so that a web page cannot forge them; retract-partition also takes the form body
its old clients send; a lookup's body is read as JSON whatever its Content-Type. Unknown keys
are ignored (newer clients add "capacity"). Publish and the retracts need a write token
unless the server runs with --open-publish; each entry records whether its last publication
showed a write token (`authenticated` in the typed lookup): irq-balance sends its token only
to those. A lookup is a read. An irq-server entry's uri must be an http(s) URL with a host
(400 naming the field otherwise); partition names cannot hold "/" (they are path segments).
"""
from __future__ import annotations

import html
from urllib.parse import urlsplit

import orjson
from flask import Response, current_app
from marshmallow import ValidationError

from irq_server import __version__
from irq_server.api.auth import caller, open_publish, reads_only
from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.health import disk_reasons, summary
from irq_server.api.schemas.registry import (PARTITION, PARTITION_RE, CountSchema, EntryListSchema,
                                             FoundSchema, LookupSchema, PartitionSchema,
                                             PublishSchema, RegistryHealthSchema, RegistrySchema,
                                             RetractSchema, TargetGroupSchema, TypedLookupQuery,
                                             TypedPublishSchema, TypedRetractSchema)
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.api.ui import SECURITY_HEADERS
from irq_server.errors import InvalidInput, NotFound, StoreUnavailable
from irq_server.registry import IRQ_SERVER, server_url_problem
from irq_server.registry.store import Entry, RegistryStore

compat = Blueprint("registry_compat", __name__,
                   description="The connection registry's published API (old clients)")
typed = Blueprint("registry", __name__, url_prefix="/api/v1",
                  description="The connection registry, typed")
DUMP_ROWS = 2000  # entries the HTML dump lists (a bounded page, whatever was published)
OPEN_PUBLISH_PATHS = ("/publish", "/retract", "/retract-partition")  # open with --open-publish
PARTITION_PARAM = [{"in": "path", "name": "partition", "description": "partition name",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 256,
                               "pattern": PARTITION_RE}}]


# ---- helpers ------------------------------------------------------------------------------
def _store() -> RegistryStore:
    return state().registry


def _partition(name: str) -> str:
    """A partition named in the path, held to the same rule as one in a body."""
    try:
        for check in PARTITION:
            check(name)
    except ValidationError as exc:
        raise InvalidInput(f"partition: {' '.join(exc.messages)}", field="partition") from None
    return name


def _ok() -> Response:
    return Response("OK", mimetype="text/html")


def old_shape(entries: list[Entry]) -> bytes:
    """The old service's exact bytes: compact JSON, these four keys in this order."""
    return orjson.dumps([{"uid": e.uid, "uri": e.uri, "connection_type": e.connection_type,
                          "data_type": e.data_type} for e in entries])


def entry_json(entry: Entry, ttl: float) -> dict:
    return {"uid": entry.uid, "uri": entry.uri, "connection_type": entry.connection_type,
            "data_type": entry.data_type, "published": iso(entry.published),
            "expires": iso(entry.published + ttl), "authenticated": entry.authenticated}


def http_sd(partition: str, entries: list[Entry]) -> list[dict]:
    """Prometheus http_sd_config target groups: one per live irq-server (entries published
    before uris were checked, and are not valid ones, are left out)."""
    return [{"targets": [urlsplit(e.uri).netloc], "labels": {
        "partition": partition, "uid": e.uid, "__scheme__": urlsplit(e.uri).scheme}}
        for e in entries if server_url_problem(e.uri) is None]


def _authenticated() -> bool:
    """Whether this request showed a write token (with --open-publish it need not)."""
    token = caller()
    return token is not None and token.scope == "write"


# ---- the published API --------------------------------------------------------------------
def old_write(rule: str, body, location: str = "json_body"):
    """A write route of the old API: a body read as `location` (400 when it is wrong, 415
    for JSON sent as something else), a write token unless --open-publish, "OK" answered."""
    def decorate(view):
        view = compat.response(200, {"type": "string", "example": "OK"},
                               content_type="text/html")(view)
        if location == "json_body":
            view = compat.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")(view)
        view = compat.arguments(body, location=location, error_status_code=400)(view)
        return compat.route(rule, methods=["POST"])(open_publish(view))
    return decorate


@old_write("/publish", PublishSchema)
def publish(args):
    """Publish (or refresh) connections under a partition."""
    _store().publish(args["partition"], args["connections"], _authenticated())
    return _ok()


@compat.route("/getconnection/<partition>", methods=["GET", "POST"],
              parameters=PARTITION_PARAM)
@reads_only
@compat.doc(security=[])
@compat.arguments(LookupSchema, location="body", error_status_code=400)
@compat.response(200, FoundSchema(many=True))
def getconnection(args, partition):
    """Live connections of a partition whose uid matches `uid_regex` (RE2, anywhere) and of
    `data_type`; 404 for an unknown partition. GET takes the same body (the old clients use
    both)."""
    found = _store().lookup(_partition(partition), args["uid_regex"], args["data_type"])
    return Response(old_shape(found), mimetype="application/json")


@old_write("/retract", RetractSchema)
def retract(args):
    """Remove connections; any unknown one gives 404 (the others are still removed); a
    partition left empty disappears."""
    _store().retract(args["partition"], [c["connection_id"] for c in args["connections"]])
    return _ok()


@old_write("/retract-partition", PartitionSchema, location="body")
def retract_partition(args):
    """Remove a whole partition (form or JSON body); 404 when unknown."""
    _store().retract_partition(args["partition"])
    return _ok()


@compat.route("/", methods=["GET"])
@compat.response(200, {"type": "string"}, content_type="text/html")
def dump():
    """Every partition and entry (the first DUMP_ROWS), expired ones struck out (HTML)."""
    store = _store()
    now = store.clock()
    parts: dict[str, list[Entry]] = {}
    for entry in store.entries(DUMP_ROWS):
        parts.setdefault(entry.partition, []).append(entry)
    out = ["<h1>Connection registry</h1>", f"<p>TTL {store.ttl:g} s; now {iso(now)}</p>"]
    if not parts:
        out.append("<h2>Partitions</h2><p>None</p>")
    for name, entries in parts.items():
        out.append(f"<h2>{_html(name)}</h2><table><tr><th>uid</th><th>uri</th>"
                   "<th>data_type</th><th>connection_type</th><th>published</th></tr>")
        for e in entries:
            cells = (e.uid, e.uri, e.data_type, str(e.connection_type), iso(e.published))
            wrap = ("<s>", "</s>") if not e.live(now, store.ttl) else ("", "")
            out.append("<tr>" + "".join(f"<td>{wrap[0]}{_html(c)}{wrap[1]}</td>"
                                        for c in cells) + "</tr>")
        out.append("</table>")
    total = store.count()
    if total > DUMP_ROWS:
        out.append(f"<p>{total - DUMP_ROWS} more entries not shown: ask "
                   "/api/v1/registry/&lt;partition&gt;/entries for a partition's</p>")
    out.append("<hr>" + _stats_html(store))
    return _page("\n".join(out))


@compat.route("/stats", methods=["GET"])
@compat.response(200, {"type": "string"}, content_type="text/html")
def stats():
    """Publish and lookup counts and average times, over every worker (HTML)."""
    return _page("<h1>Connection server statistics</h1>" + _stats_html(_store()))


_CONTROL = dict.fromkeys([*range(32), 127], "?")


def _html(text: str) -> str:
    """Text for the page: escaped, control characters (older entries may hold them) as ?."""
    return html.escape(text).translate(_CONTROL)


def _page(body: str) -> Response:
    """An HTML page of the registry, with the web view's hardening headers (it has no script)."""
    return Response(body, mimetype="text/html", headers=SECURITY_HEADERS)


def _stats_html(store: RegistryStore) -> str:
    counters = store.stats()
    return "".join(
        f"<p>{c.calls} calls to {kind} in total time {c.seconds:.6f} s "
        f"(average {c.average * 1e6:.0f} &micro;s per call)</p>" for kind, c in counters.items())


# ---- typed twins --------------------------------------------------------------------------
@typed.route("/registry", methods=["GET"])
@typed.response(200, RegistrySchema)
def registry_state():
    """Partitions with their entry counts, the TTL, and publish/lookup statistics."""
    store = _store()
    now = store.clock()
    parts: dict[str, list[int]] = {}
    for entry in store.entries():
        counts = parts.setdefault(entry.partition, [0, 0])
        counts[0] += 1
        counts[1] += entry.live(now, store.ttl)
    counters = store.stats()
    return json_response({
        "ttl_seconds": store.ttl,
        "partitions": [{"partition": p, "entries": n, "live": live}
                       for p, (n, live) in parts.items()],
        **{kind: {"calls": c.calls, "average_seconds": round(c.average, 9)}
           for kind, c in counters.items()}})


@typed.route("/registry/<partition>/entries", methods=["GET"], parameters=PARTITION_PARAM)
@typed.arguments(TypedLookupQuery, location="query")
@typed.response(200, EntryListSchema)
def typed_lookup(args, partition):
    """Live entries of a partition, optionally filtered (404 for an unknown partition)."""
    store = _store()
    found = store.lookup(_partition(partition), args["uid_regex"], args.get("data_type"))
    return json_response({"partition": partition,
                          "entries": [entry_json(e, store.ttl) for e in found]})


@typed.route("/registry/<partition>/entries", methods=["POST"], parameters=PARTITION_PARAM)
@typed.arguments(TypedPublishSchema)
@typed.response(200, CountSchema)
def typed_publish(args, partition):
    """Publish (or refresh) entries; they live for the TTL."""
    return json_response({"partition": partition,
                          "count": _store().publish(_partition(partition), args["connections"],
                                                    _authenticated())})


@typed.route("/registry/<partition>/retract", methods=["POST"], parameters=PARTITION_PARAM)
@typed.arguments(TypedRetractSchema)
@typed.response(200, CountSchema)
def typed_retract(args, partition):
    """Remove entries by uid (404 naming how many were unknown; the known ones go)."""
    return json_response({"partition": partition,
                          "count": _store().retract(_partition(partition), args["uids"])})


@typed.route("/registry/<partition>", methods=["DELETE"], parameters=PARTITION_PARAM)
@typed.response(200, CountSchema)
def typed_retract_partition(partition):
    """Remove a whole partition (404 when unknown)."""
    return json_response({"partition": partition,
                          "count": _store().retract_partition(_partition(partition))})


@typed.route("/registry/<partition>/prometheus", methods=["GET"], parameters=PARTITION_PARAM)
@typed.response(200, TargetGroupSchema(many=True))
def prometheus_targets(partition):
    """The partition's live irq-servers as Prometheus http_sd_config target groups (an
    unknown or empty partition is an empty list, as Prometheus expects)."""
    try:
        found = _store().lookup(_partition(partition), "", IRQ_SERVER)
    except NotFound:
        found = []
    return Response(orjson.dumps(http_sd(partition, found)), mimetype="application/json")


@compat.route("/healthz", methods=["GET"])
@compat.response(200, RegistryHealthSchema)
def registry_health():
    """Liveness of the registry role (200 whatever the disk: see `reason`)."""
    return json_response(registry_state_of_health())


@compat.route("/readyz", methods=["GET"])
@compat.response(200, RegistryHealthSchema)
@compat.alt_response(503, schema=RegistryHealthSchema, description="degraded: see `reason`")
def registry_ready():
    """The same answer, 503 while the registry cannot store or read its entries."""
    state = registry_state_of_health()
    return json_response(state, status=200 if state["status"] == "ok" else 503)


def registry_state_of_health() -> dict:
    reasons = disk_reasons(current_app.config["IRQ_DATA_DIR"])
    try:
        _store().db.read("SELECT 1 FROM entries LIMIT 1")
    except StoreUnavailable as exc:
        reasons.append(("registry unreadable", exc.detail))
    return {**summary(reasons), "version": __version__, "role": "registry",
            "ttl_seconds": _store().ttl}
