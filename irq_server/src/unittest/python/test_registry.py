"""The registry role: the old service's routes and semantics, byte for byte where its clients
look, our typed twins, auth with and without --open-publish, RE2 lookups, shared state."""
import json
import time

import irq_server.api.registry as registry_api
import pytest
from irq_server.api import create_app
from irq_server.auth.tokens import TokenStore
from server_fixtures import Clock, bearer

TTL = 10.0


def conn(uid, uri="tcp://10.0.0.1:5000", data_type="TPSet", connection_type=0, **extra):
    return {"uid": uid, "uri": uri, "connection_type": connection_type, "data_type": data_type,
            **extra}


@pytest.fixture
def registry(tmp_path):
    """(client, clock, headers with a write token, make another app on the same data dir)."""
    clock = Clock(1_800_000_000.0)
    data = tmp_path / "reg"

    def make(**config):
        app = create_app({"IRQ_ROLE": "registry", "IRQ_DATA_DIR": str(data), "IRQ_CLOCK": clock,
                          "IRQ_REGISTRY_TTL": TTL, "IRQ_MAX_BODY": 1 << 20, **config})
        return app.test_client()
    client = make()
    token = TokenStore(data).create("daq", "write")
    return client, clock, bearer(token), make


def post_json(client, path, body, headers=None, **kwargs):
    """As the old clients post: JSON bytes, saying 'Content-Type: application/json'."""
    return client.post(path, data=json.dumps(body), **kwargs,
                       headers={"Content-Type": "application/json", **(headers or {})})


def publish(client, headers, partition, *connections):
    answer = post_json(client, "/publish", {"partition": partition,
                                           "connections": list(connections)}, headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def lookup(client, partition, uid_regex, data_type="TPSet", method="post"):
    return getattr(client, method)(f"/getconnection/{partition}",
                                   data=json.dumps({"uid_regex": uid_regex,
                                                    "data_type": data_type}))


def test_publish_and_lookup_answer_the_old_bytes(registry):
    client, _, auth, _ = registry
    answer = publish(client, auth, "run1", conn("DRO-001-tp", capacity=3),
                     conn("DRO-002-tp", uri="tcp://10.0.0.2:5000"), conn("TRG-1", data_type="x"))
    assert answer.get_data() == b"OK"
    found = lookup(client, "run1", "DRO-00.-tp")
    assert found.status_code == 200
    assert found.get_data() == (
        b'[{"uid":"DRO-001-tp","uri":"tcp://10.0.0.1:5000","connection_type":0,'
        b'"data_type":"TPSet"},{"uid":"DRO-002-tp","uri":"tcp://10.0.0.2:5000",'
        b'"connection_type":0,"data_type":"TPSet"}]')
    assert lookup(client, "run1", "DRO", method="get").get_data() == found.get_data()


def test_lookup_is_a_search_filtered_by_data_type(registry):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("a-tp-1"), conn("b-tp-2"), conn("c-tp-3", data_type="y"))
    uids = [e["uid"] for e in json.loads(lookup(client, "p", "tp").get_data())]
    assert uids == ["a-tp-1", "b-tp-2"]  # search: anywhere in the uid; y is another type
    assert json.loads(lookup(client, "p", "^b").get_data())[0]["uid"] == "b-tp-2"
    assert json.loads(lookup(client, "p", "zzz").get_data()) == []


def test_entries_expire_after_the_ttl_unless_republished(registry):
    client, clock, auth, _ = registry
    publish(client, auth, "p", conn("old"), conn("kept"))
    clock.now += TTL - 1
    publish(client, auth, "p", conn("kept"))
    clock.now += 2  # "old" is TTL + 1 old, "kept" 2 s
    assert [e["uid"] for e in json.loads(lookup(client, "p", "").get_data())] == ["kept"]
    dump = client.get("/").get_data(as_text=True)
    assert "<s>old</s>" in dump and "<td>kept</td>" in dump  # expired ones struck out


def test_the_html_pages_are_bounded_and_hardened(registry, monkeypatch):
    client, _, auth, _ = registry
    monkeypatch.setattr(registry_api, "DUMP_ROWS", 3)
    publish(client, auth, "p", *(conn(f"u{i}") for i in range(5)))
    answer = client.get("/")
    page = answer.get_data(as_text=True)
    assert page.count("<tr><td>") == 3 and "2 more entries not shown" in page
    publish(client, auth, "z", conn("\x1b[2J<b>\x7f"))
    monkeypatch.setattr(registry_api, "DUMP_ROWS", 10)
    page = client.get("/").get_data(as_text=True)
    assert "<td>?[2J&lt;b&gt;?</td>" in page and "\x1b" not in page
    for path in ("/", "/stats"):
        headers = client.get(path).headers
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_partition_is_404_and_missing_keys_400(registry):
    client, _, auth, _ = registry
    assert lookup(client, "nowhere", "x").status_code == 404
    publish(client, auth, "p", conn("a"))
    answer = client.post("/getconnection/p", data=json.dumps({"uid_regex": "a"}))
    assert answer.status_code == 400 and "data_type" in answer.json["errors"]
    assert client.post("/getconnection/p").status_code == 400  # no body at all
    answer = post_json(client, "/publish", {"partition": "p", "connections": [{"uid": "x"}]},
                       auth)
    assert answer.status_code == 400 and "connections" in answer.json["errors"]
    assert post_json(client, "/publish", {"connections": []}, auth).status_code == 400
    assert client.post("/publish", data=b"{not json", headers={
        **auth, "Content-Type": "application/json"}).status_code == 400


def test_retract_removes_and_an_emptied_partition_disappears(registry):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("a"), conn("b"))
    answer = post_json(client, "/retract", {"partition": "p", "connections": [
        {"connection_id": "a", "data_type": "TPSet"}]}, auth)
    assert answer.status_code == 200 and answer.get_data() == b"OK"
    unknown = post_json(client, "/retract", {"partition": "p", "connections": [
        {"connection_id": "b", "data_type": "TPSet"}, {"connection_id": "nope"}]}, auth)
    assert unknown.status_code == 404  # any unknown uid; the known one went
    assert lookup(client, "p", "").status_code == 404  # emptied: gone
    assert post_json(client, "/retract", {"partition": "p", "connections": [
        {"connection_id": "b"}]}, auth).status_code == 404


@pytest.mark.parametrize("as_form", [True, False])
def test_retract_partition_takes_a_form_or_json(registry, as_form):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("a"))
    body = {"partition": "p"}
    answer = (client.post("/retract-partition", data=body, headers=auth) if as_form
              else post_json(client, "/retract-partition", body, auth,
                             content_type="application/json"))
    assert answer.status_code == 200 and answer.get_data() == b"OK"
    assert lookup(client, "p", "").status_code == 404
    assert client.post("/retract-partition", data=body, headers=auth).status_code == 404
    assert client.post("/retract-partition", data={}, headers=auth).status_code == 400


def test_writes_need_a_write_token_unless_open_publish(registry, tmp_path):
    client, _, auth, make = registry
    body = {"partition": "p", "connections": [conn("a")]}
    assert post_json(client, "/publish", body).status_code == 401
    reader = bearer(TokenStore(tmp_path / "reg").create("ro", "read"))
    assert post_json(client, "/publish", body, reader).status_code == 403
    assert post_json(client, "/retract-partition", {"partition": "p"}).status_code == 401
    publish(client, auth, "p", conn("a"))
    assert lookup(client, "p", "a").status_code == 200  # a lookup is a read: no token
    assert client.delete("/api/v1/registry/p").status_code == 401
    opened = make(IRQ_OPEN_PUBLISH=True)
    assert post_json(opened, "/publish", body).status_code == 200
    assert post_json(opened, "/retract-partition", {"partition": "p"}).status_code == 200
    # typed twins keep needing a token even then
    assert opened.post("/api/v1/registry/p/entries", json={"connections": [conn("a")]}
                       ).status_code == 401


def test_pathological_patterns_answer_fast_or_400(registry):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("a" * 200 + "b"))
    started = time.perf_counter()
    answer = lookup(client, "p", "(a+)+$")  # a backtracking engine needs ~2**200 steps
    assert answer.status_code == 200 and json.loads(answer.get_data()) == []
    assert time.perf_counter() - started < 2.0  # a hang guard, not a speed target
    for pattern in (r"(a)\1", "(?=a)", "a{1001}{1001}", "x" * 2000, r"\pL{400}t1"):
        refused = lookup(client, "p", pattern)
        assert refused.status_code == 400 and "uid_regex" in refused.json["errors"], pattern


def test_workers_share_state_and_a_restart_keeps_it(registry):
    client, clock, auth, make = registry
    publish(client, auth, "p", conn("a"))
    other = make()  # another worker, or the server after a restart
    assert json.loads(lookup(other, "p", "").get_data())[0]["uid"] == "a"
    post_json(other, "/retract-partition", {"partition": "p"}, auth)
    assert lookup(client, "p", "").status_code == 404


def test_stats_count_publishes_and_lookups_over_every_worker(registry):
    client, _, auth, make = registry
    publish(client, auth, "p", conn("a"))
    lookup(client, "p", "")
    lookup(make(), "p", "")
    state = client.get("/api/v1/registry").json
    assert (state["publish"]["calls"], state["lookup"]["calls"]) == (1, 2)
    assert state["partitions"] == [{"partition": "p", "entries": 1, "live": 1}]
    assert "2 calls to lookup" in client.get("/stats").get_data(as_text=True)


def test_typed_twins(registry):
    client, clock, auth, _ = registry
    answer = client.post("/api/v1/registry/rack1/entries", headers=auth, json={"connections": [
        conn("h1", "http://10.1.0.1:5000", "irq-server"),
        conn("h2", "https://10.1.0.2:5443", "irq-server"), conn("dro", data_type="TPSet")]})
    assert answer.status_code == 200 and answer.json == {"partition": "rack1", "count": 3}
    found = client.get("/api/v1/registry/rack1/entries?data_type=irq-server").json
    assert [e["uid"] for e in found["entries"]] == ["h1", "h2"]
    assert found["entries"][0]["expires"].endswith("Z")
    targets = client.get("/api/v1/registry/rack1/prometheus").json
    assert targets == [
        {"targets": ["10.1.0.1:5000"], "labels": {"partition": "rack1", "uid": "h1",
                                                   "__scheme__": "http"}},
        {"targets": ["10.1.0.2:5443"], "labels": {"partition": "rack1", "uid": "h2",
                                                   "__scheme__": "https"}}]
    assert client.get("/api/v1/registry/none/prometheus").json == []
    bad = client.get("/api/v1/registry/rack1/entries?uid_regex=(a)\\1")
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"
    retracted = client.post("/api/v1/registry/rack1/retract", headers=auth, json={"uids": ["h2"]})
    assert retracted.json["count"] == 1
    assert client.delete("/api/v1/registry/rack1", headers=auth).json["count"] == 2
    assert client.delete("/api/v1/registry/rack1", headers=auth).status_code == 404
    assert client.get("/healthz").json["role"] == "registry"


def test_the_host_role_serves_no_registry_routes_and_the_registry_no_host_routes(registry, sim,
                                                                                tmp_path):
    client, _, _, _ = registry
    assert client.get("/irqs").status_code == 404
    host = create_app({"IRQ_ROOT": str(sim.fs.root), "IRQ_DATA_DIR": str(tmp_path / "h")})
    rules = {rule.rule for rule in host.url_map.iter_rules()}
    assert "/publish" not in rules and "/irqs" in rules


def test_publish_and_retract_take_json_only_so_no_web_page_can_forge_them(registry):
    client, _, auth, make = registry
    opened = make(IRQ_OPEN_PUBLISH=True)
    body = json.dumps({"partition": "p", "connections": [conn("a")]})
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "multipart/form-data"}, {}):
        for target in (client, opened):
            refused = target.post("/publish", data=body, headers={**auth, **headers})
            assert refused.status_code == 415, headers
            assert "application/json" in refused.json["detail"]
    form = opened.post("/publish", data={"partition": "p", "connections": "x"})
    assert form.status_code == 415
    assert opened.post("/retract", data=json.dumps({"partition": "p", "connections": [
        {"connection_id": "a"}]}), headers={"Content-Type": "text/plain"}).status_code == 415
    assert lookup(opened, "p", "").status_code == 404  # nothing was published


def test_entries_say_whether_a_write_token_published_them(registry, tmp_path):
    client, _, auth, make = registry
    opened = make(IRQ_OPEN_PUBLISH=True)
    post_json(opened, "/publish", {"partition": "p", "connections": [
        conn("anon", "http://10.0.0.1:5000", "irq-server")]})
    publish(opened, auth, "p", conn("signed", "http://10.0.0.2:5000", "irq-server"))
    reader = bearer(TokenStore(tmp_path / "reg").create("ro", "read"))
    post_json(opened, "/publish", {"partition": "p", "connections": [
        conn("readonly", "http://10.0.0.3:5000", "irq-server")]}, reader)
    assert post_json(opened, "/publish", {"partition": "p", "connections": [conn("x")]},
                     bearer("irq_forged")).status_code == 401  # a token shown is checked
    found = {e["uid"]: e["authenticated"]
             for e in client.get("/api/v1/registry/p/entries").json["entries"]}
    assert found == {"anon": False, "signed": True, "readonly": False}
    # an unauthenticated publication of a signed uid takes its trust away
    post_json(opened, "/publish", {"partition": "p", "connections": [
        conn("signed", "http://10.6.6.6:5000", "irq-server")]})
    entry = client.get("/api/v1/registry/p/entries?uid_regex=signed").json["entries"][0]
    assert (entry["uri"], entry["authenticated"]) == ("http://10.6.6.6:5000", False)
    old = json.loads(lookup(client, "p", "signed", "irq-server").get_data())
    assert list(old[0]) == ["uid", "uri", "connection_type", "data_type"]  # the old shape


@pytest.mark.parametrize("uri", ["http://10.0.0.1:5000", "https://[fe80::1]:5443/irq",
                                 "http://db7.rack-1.example.:80", "http://DB7", "http://h:1/a/b"])
def test_good_irq_server_uris_are_taken(registry, uri):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("h", uri, "irq-server"))
    assert json.loads(lookup(client, "p", "h", "irq-server").get_data())[0]["uri"] == uri


@pytest.mark.parametrize("uri", ["http://[::1", "gopher://10.0.0.1:70", "http://u:pw@10.0.0.1:1",
                                 "http://10.0.0.1:abc", "10.0.0.1:5000", "http://:5000",
                                 "http://10.0.0.1:0", "http://10.0.0.1:", "http://h st:1",
                                 "http://10.0.0.1:1/\x1b[2J", " http://10.0.0.1:1",
                                 "http://<script>alert(1)</script>:1", "http://%41:1",
                                 "http://h%2f:1", "http://h:1?q=1", "http://h:1#f",
                                 "http://-h:1", "http://h_1:1"])
def test_an_irq_server_uri_must_be_an_http_url_with_a_host(registry, uri):
    client, _, auth, _ = registry
    for answer in (post_json(client, "/publish", {"partition": "p", "connections": [
            conn("h", uri, "irq-server")]}, auth),
            client.post("/api/v1/registry/p/entries", headers=auth,
                        json={"connections": [conn("h", uri, "irq-server")]})):
        assert answer.status_code in (400, 422) and "uri" in str(answer.json["errors"]), uri
    publish(client, auth, "p", conn("daq", uri, "TPSet"))  # other kinds of entry: any uri


def test_prometheus_targets_leave_out_bad_entries_of_older_versions(registry, tmp_path):
    client, clock, auth, _ = registry
    publish(client, auth, "rack1", conn("good", "http://10.0.0.1:5000", "irq-server"))
    from irq_server.registry.store import RegistryStore
    store = RegistryStore(tmp_path / "reg", clock=clock)
    with store.db.write() as db:  # what an older version accepted
        db.execute("INSERT INTO entries VALUES ('rack1', 'bad', 'http://[::1', 0, "
                   "'irq-server', ?, 1)", (clock(),))
    targets = client.get("/api/v1/registry/rack1/prometheus")
    assert targets.status_code == 200
    assert [t["labels"]["uid"] for t in targets.json] == ["good"]


@pytest.mark.parametrize("name", ["a/b", "..", ".", "a\x00b", "rack\x1b[31m", "a\nb"])
def test_partition_names_that_are_no_path_segment_are_refused(registry, name):
    client, _, auth, _ = registry
    answer = post_json(client, "/publish", {"partition": name, "connections": [conn("x")]}, auth)
    assert answer.status_code == 400 and "partition" in answer.json["errors"]
    assert post_json(client, "/retract-partition", {"partition": name},
                     auth).status_code == 400
    publish(client, auth, "rack-1.a_b", conn("x"))  # what partitions are named


def test_remembered_pattern_answers_stay_within_their_memory_budget(monkeypatch):
    from irq_server.registry import patterns
    memory = patterns._Memory(budget=400_000)  # room for 2 patterns of the 20
    uids = [f"DRO-{k:05d}-tp" for k in range(2000)]
    matchers = [patterns.UidMatcher(patterns.re2.compile(f"DRO-0{k:02d}"), memory)
                for k in range(20)]
    for _ in range(2):
        for k, matcher in enumerate(matchers):
            assert sum(map(matcher, uids)) == 100  # DRO-0kk00 .. DRO-0kk99: always right
            assert memory.used <= memory.budget
    held = sum(len(m._seen) for m in matchers)
    assert 0 < held and memory.used == sum(m.cost for m in matchers)
    assert len(matchers[-1]._seen) == len(uids)  # the latest pattern kept all it needed


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b'{"uid_regex": "\\udc00"}',
                                  b'{"partition": 1e999}'], ids=["nesting", "surrogate", "inf"])
def test_json_no_parser_should_take_is_a_400_on_the_old_routes(registry, body):
    client, _, auth, _ = registry
    publish(client, auth, "p", conn("a"))
    json_type = {"Content-Type": "application/json"}
    for answer in (client.post("/publish", data=body, headers={**auth, **json_type}),
                   client.post("/getconnection/p", data=body, headers=json_type),
                   client.post("/retract", data=body, headers={**auth, **json_type})):
        assert answer.status_code == 400, answer.get_data(as_text=True)
    assert [e["uid"] for e in json.loads(lookup(client, "p", "").get_data())] == ["a"]
