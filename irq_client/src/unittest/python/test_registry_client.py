"""RegistryClient, survey and `irq-client hosts`, HTTP mocked with responses."""
import io

import pytest
import requests
import responses
from client_payloads import HEALTH, IRQS
from irq_client.registry import survey, trusted
from responses import matchers

from irq_client import RegistryClient, cli

REG = "http://registry.test:5100"
H1, H2 = "http://10.0.0.1:5000", "http://10.0.0.2:5000"


def entry(uid, uri, authenticated=True):
    return {"uid": uid, "uri": uri, "connection_type": 0, "data_type": "irq-server",
            "published": "2026-11-23T08:00:00.000Z", "expires": "2026-11-23T08:00:10.000Z",
            "authenticated": authenticated}


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_hosts_asks_for_irq_servers_matching_and_quotes_the_partition(mocked):
    mocked.get(f"{REG}/api/v1/registry/rack%201/entries", json={
        "partition": "rack 1", "entries": [entry("h1", H1)]},
        match=[matchers.query_param_matcher({"uid_regex": "^h", "data_type": "irq-server"})])
    found = RegistryClient(REG, retries=0).hosts("rack 1", "^h")
    assert [(e.uid, e.uri, e.expires.second) for e in found] == [("h1", H1, 10)]


def test_publish_retract_and_state(mocked):
    mocked.post(f"{REG}/api/v1/registry/p/entries", json={"partition": "p", "count": 1},
                match=[matchers.json_params_matcher({"connections": [
                    {"uid": "a", "uri": "tcp://x:1", "connection_type": 0,
                     "data_type": "TPSet"}]})])
    mocked.post(f"{REG}/api/v1/registry/p/retract", json={"partition": "p", "count": 1},
                match=[matchers.json_params_matcher({"uids": ["a"]})])
    mocked.delete(f"{REG}/api/v1/registry/p", json={"partition": "p", "count": 3})
    mocked.get(f"{REG}/api/v1/registry", json={
        "ttl_seconds": 10.0, "partitions": [{"partition": "p", "entries": 3, "live": 2}],
        "publish": {"calls": 5, "average_seconds": 0.001},
        "lookup": {"calls": 7, "average_seconds": 0.0005}})
    c = RegistryClient(REG, token="t", retries=0)
    assert c.publish("p", [{"uid": "a", "uri": "tcp://x:1", "connection_type": 0,
                            "data_type": "TPSet"}]) == 1
    assert c.retract("p", ["a"]) == 1 and c.retract_partition("p") == 3
    state = c.state()
    assert (state.ttl_seconds, state.partitions[0].live, state.lookup_calls) == (10.0, 2, 7)


def test_survey_reports_each_host_reachable_or_not(mocked):
    mocked.get(f"{H1}/healthz", json=HEALTH)
    mocked.get(f"{H1}/irqs", json=IRQS)
    mocked.get(f"{H2}/healthz", body=requests.ConnectionError("refused"))
    from irq_client.models import RegistryEntry
    statuses = survey([RegistryEntry.from_json(entry("h1", H1)),
                       RegistryEntry.from_json(entry("h2", H2))])
    assert [(s.entry.uid, s.reachable, s.irqs) for s in statuses] == [("h1", True, 2),
                                                                      ("h2", False, None)]
    assert "refused" in statuses[1].error


def test_irq_client_hosts_prints_a_table(mocked, monkeypatch):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    mocked.get(f"{REG}/api/v1/registry/rack1/entries", json={
        "partition": "rack1", "entries": [entry("h1", H1), entry("h2", H2)]})
    mocked.get(f"{H1}/healthz", json=HEALTH)
    mocked.get(f"{H1}/irqs", json=IRQS)
    mocked.get(f"{H2}/healthz", body=requests.ConnectionError("refused"))
    out = io.StringIO()
    assert cli.main(["hosts", "--registry", REG, "--partition", "rack1"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["UID", "URI", "AUTH", "REACHABLE", "STATUS", "SAMPLER", "IRQS"]
    assert lines[1].split()[:4] == ["h1", H1, "yes", "yes"] and lines[1].split()[-1] == "2"
    assert lines[2].split() == ["h2", H2, "yes", "no", "-", "-", "-"]


def test_the_token_goes_only_to_hosts_published_with_a_write_token(mocked, monkeypatch):
    mocked.get(f"{H1}/healthz", json=HEALTH, match=[matchers.header_matcher(
        {"Authorization": "Bearer T"})])
    mocked.get(f"{H1}/irqs", json=IRQS)
    mocked.get(f"{H2}/healthz", json=HEALTH)
    mocked.get(f"{H2}/irqs", json=IRQS)
    from irq_client.models import RegistryEntry
    entries = [RegistryEntry.from_json(entry("h1", H1)),
               RegistryEntry.from_json(entry("h2", H2, authenticated=False))]
    assert all(s.reachable for s in survey(entries, token="T"))
    sent = {call.request.url: call.request.headers.get("Authorization") for call in mocked.calls}
    assert sent[f"{H1}/healthz"] == "Bearer T" and sent[f"{H2}/healthz"] is None
    monkeypatch.setenv("IRQ_TOKEN", "from-the-environment")  # nor the environment's token
    before = len(mocked.calls)
    survey(entries, token="T")
    assert [call.request.headers.get("Authorization") for call in mocked.calls[before:]
            if call.request.url.startswith(H2)] == [None, None]
    assert sent[f"{H2}/irqs"] is None
    warned = []
    assert [e.uid for e in trusted(entries, warn=warned.append)] == ["h1"]
    assert "h2" in warned[0] and "--trust-open-registry" in warned[0]
    assert [e.uid for e in trusted(entries, trust_open=True)] == ["h1", "h2"]


def test_hosts_without_registry_or_partition_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    assert cli.main(["hosts", "--partition", "rack1"]) == 2
    assert "--registry" in capsys.readouterr().err



def test_a_host_that_answers_nonsense_is_reported_and_names_cannot_drive_the_terminal(
        mocked, monkeypatch):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    mocked.get(f"{REG}/api/v1/registry/rack1/entries", json={"partition": "rack1", "entries": [
        entry("\x1b]0;pwned\x07\x1b[31mRED", H1), entry("h2", H2)]})
    mocked.get(f"{H1}/healthz", json={"status": "ok"})  # no version, no sampler: not one
    mocked.get(f"{H2}/healthz", json=HEALTH)
    mocked.get(f"{H2}/irqs", json=IRQS)
    out = io.StringIO()
    assert cli.main(["hosts", "--registry", REG, "--partition", "rack1"], out=out) == 0
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "?]0;pwned??[31mRED" in text
    assert text.splitlines()[2].split()[-1] == "2"  # the sound host is still surveyed


def test_registry_health_is_a_model_and_a_dead_registry_is_named_as_one(mocked, capsys,
                                                                         monkeypatch):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    mocked.get(f"{REG}/healthz", json={"status": "ok", "reason": None, "reasons": [],
                                       "version": "0.1.0", "role": "registry",
                                       "ttl_seconds": 10.0})
    health = RegistryClient(REG, retries=0).health()
    assert (health.status, health.role, health.ttl_seconds) == ("ok", "registry", 10.0)
    assert health.raw["role"] == "registry"
    mocked.get(f"{REG}/api/v1/registry/rack1/entries",
               body=requests.ConnectionError("Connection refused"))
    assert cli.main(["hosts", "--registry", REG, "--partition", "rack1"]) == 3
    err = capsys.readouterr().err
    assert f"cannot reach the registry at {REG}: connection refused" in err
    assert "irq-server" not in err
