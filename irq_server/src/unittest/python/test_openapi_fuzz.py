"""The served OpenAPI description is exact: schemathesis fuzzes every operation of the app
against it with all checks on (status codes, content types, response schemas, schema-valid
requests accepted, invalid ones rejected, auth enforced, no 5xx).

Routes under /api/v1 that have a twin at the root are the same view functions; only the root
twin is fuzzed (test_api checks that the twins answer alike). A route added later, under
either prefix, is fuzzed with no change here.
"""
import atexit
import shutil
import tempfile
import time
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from irq_server.api import create_app
from irq_server.api.timefmt import parse_instant
from irq_server.auth.tokens import TokenStore
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from irq_server import sim as simhost

EXAMPLES = 100
NOW = time.time()


def build_app(base: Path):
    """An app over a small simulated host with a few seconds of history and a write token.
    Built when the module loads: schemathesis makes one test per operation of its spec."""
    host = simhost.create(base / "sim", simhost.SimSpec(cpus=8, nodes=2, irqs=40, seed=3))
    data = base / "data"
    ticks = iter(range(100))
    sampler = Sampler(host.fs, HistoryStore(data), clock=lambda: NOW - 5 + next(ticks))
    for _ in range(5):
        host.advance(1.0)
        sampler.sample_once()
    # "now" stays half a second after the last sample, so history is fresh (/readyz is 200);
    # a short interval: periods below it are measured by two live reads that far apart
    app = create_app({"IRQ_ROOT": str(base / "sim"), "IRQ_DATA_DIR": str(data),
                      "IRQ_INTERVAL": 0.01, "IRQ_CLOCK": lambda: NOW - 0.5})
    app.config["FUZZ_TOKEN"] = TokenStore(data).create("fuzzer", "write")
    return app


def build_registry_app(base: Path):
    """The registry role, with a partition already published, and a write token."""
    app = create_app({"IRQ_ROLE": "registry", "IRQ_DATA_DIR": str(base / "registry"),
                      "IRQ_MAX_BODY": 1 << 20})
    app.config["FUZZ_TOKEN"] = TokenStore(base / "registry").create("fuzzer", "write")
    app.test_client().post("/publish", json={"partition": "p", "connections": [{
        "uid": "h1", "uri": "http://127.0.0.1:1", "connection_type": 0,
        "data_type": "irq-server"}]}, headers={"Authorization": f"Bearer {app.config['FUZZ_TOKEN']}"})
    return app


def without_prefixed_twins(spec):
    paths = {result.ok().path for result in spec.get_all_operations()}
    twins = sorted(p for p in paths if p.startswith("/api/v1/") and p[len("/api/v1"):] in paths)
    return spec.exclude(path=twins) if twins else spec


_BASE = Path(tempfile.mkdtemp(prefix="irq-fuzz-"))
atexit.register(shutil.rmtree, _BASE, ignore_errors=True)
APP = build_app(_BASE)
# a body over the server's cap (--max-body) is refused with 413 before it is read: a right
# answer to an over-long invalid value too, besides the default 4xx list
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]},
    "positive_data_acceptance": {"expected-statuses": [
        "2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]}}})
schema = without_prefixed_twins(schemathesis.openapi.from_wsgi("/openapi.json", APP,
                                                               config=CONFIG))
REGISTRY_APP = build_registry_app(_BASE)
registry_schema = schemathesis.openapi.from_wsgi("/openapi.json", REGISTRY_APP, config=CONFIG)


def breaks_window_rules(query) -> bool:
    """The two rules WindowQuery's description states and OpenAPI cannot express across
    parameters: at most two of period_seconds/start/end, and start <= end (default now)."""
    query = query or {}
    if {"period_seconds", "start", "end"} <= query.keys():
        return True
    if "start" not in query:
        return False
    try:
        start = parse_instant(str(query["start"]))
        if "end" in query:
            end = parse_instant(str(query["end"]))
        else:
            end = start + float(query["period_seconds"]) if "period_seconds" in query else NOW
    except (ValueError, TypeError):
        return False  # not a time or not a number: an ordinary negative case
    return start > end


def window_rules_rejection(ctx, response, case):
    """A window breaking those rules is refused with a 400/422 naming the field."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return None
    assert response.status_code in (400, 422), (response.status_code, response.text)
    assert set(response.json()["errors"]) <= {"period_seconds", "start", "end"}
    return None


def affinity_body_acceptance(ctx, response, case):
    """positive_data_acceptance for PUT affinity: a schema-valid body may still name CPUs this
    host lacks or has offline, or none at all. The host decides that, not the schema, so such
    a 422 is right when it says so (title "Invalid CPU mask", the field named); any other
    rejection of a valid body fails."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return None
    if response.status_code == 422:
        body = response.json()
        assert body["title"] == "Invalid CPU mask", body
        assert set(body["errors"]) <= {"cpu_affinity_mask", "cpu_affinity_list"}, body
    else:
        assert response.status_code < 300 or response.status_code in (401, 403, 404, 409), (
            response.status_code, response.text)
    return None


def auth_header(case, app=APP) -> dict:
    """Our write token, unless this negative case removed the Authorization header on purpose
    (an operation that requires one): then the request goes without, and must get 401."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode.is_negative and "Authorization" not in (
            case.headers or {}):
        return {}
    return {"Authorization": f"Bearer {app.config['FUZZ_TOKEN']}"}


RUN_TIMES = {"start_time", "timestamp", "end_time"}


def run_times_acceptance(ctx, response, case):
    """positive_data_acceptance for the runs routes: a schema-valid time may still be in the
    future (beyond the server's clock) or, for a stop, before the run's start. The server
    decides that against its clock and the run, so a 400 naming only such a time field is
    right; any other rejection of a valid body fails."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return None
    if response.status_code == 400:
        assert set(response.json().get("errors", {})) <= RUN_TIMES, response.text
        assert set(case.body or {}) & RUN_TIMES, response.text
    else:
        assert response.status_code < 300 or response.status_code in (401, 403, 404, 409), (
            response.status_code, response.text)
    return None


def is_run_write(case) -> bool:
    return case.method.upper() == "POST" and case.path.startswith(("/api/v1/test",
                                                                    "/v1/api/testrun"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_matches_its_openapi_description(case):
    headers = auth_header(case)
    if case.method.upper() == "PUT":
        extra = affinity_body_acceptance
    elif is_run_write(case):
        extra = run_times_acceptance
    elif breaks_window_rules(case.query):
        extra = window_rules_rejection
    else:
        case.call_and_validate(headers=headers)
        return
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance],
                           additional_checks=[extra])


@registry_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_registry_operation_matches_its_openapi_description(case):
    if case.path in ("/getconnection/{partition}", "/api/v1/registry/{partition}/entries"):
        case.call_and_validate(headers=auth_header(case, REGISTRY_APP),
                               excluded_checks=[positive_data_acceptance],
                               additional_checks=[pattern_acceptance])
    else:
        case.call_and_validate(headers=auth_header(case, REGISTRY_APP))


def pattern_acceptance(ctx, response, case):
    """positive_data_acceptance for lookups: a schema-valid uid_regex may still be outside
    RE2 (backreferences, lookaround, huge repeats), so a 400 naming uid_regex is right."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return None
    if response.status_code == 400:
        assert set(response.json().get("errors", {})) == {"uid_regex"}, response.text
    else:
        assert response.status_code < 300 or response.status_code in (401, 403, 404, 413), (
            response.status_code, response.text)
    return None
