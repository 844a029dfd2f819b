"""The REST API over capture trees and the simulated host: every route, every error."""
import errno
import logging
import re
import shutil

import pytest
from irq_server.api.state import state
from irq_server.host import Host
from irq_server.procfs import HostFS, read_interrupts
from irq_server.sim import SimKernelFS
from server_fixtures import FIXTURES, bearer, naive_irq_totals

PREFIXES = ["", "/api/v1"]


def nic(sim):
    return next(i for i in sim.irqs if i.action.startswith("eth"))


def managed(sim):
    return next(i for i in sim.irqs if i.managed)


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    if field:
        assert field in body["errors"], body
    return body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_healthz(make_client, sim, prefix):
    client, _, _ = make_client(sim.root)
    response = client.get(f"{prefix}/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["version"] and body["simulated"] is True
    assert body["sampler"]["interval_seconds"] == 1.0 and body["sampler"]["last_sample"] is None
    # no sampler has written yet: alive (200) but degraded, and not ready (503), saying why
    assert body["status"] == "degraded" and "no sample yet" in body["reasons"][0]
    ready = client.get(f"{prefix}/readyz")
    assert ready.status_code == 503 and ready.get_json()["reasons"] == body["reasons"]


def test_bodies_over_the_cap_get_413_unread_and_change_nothing(make_client, sim):
    client, token, _ = make_client(sim.root, IRQ_MAX_BODY=1024)
    irq = nic(sim).irq
    before = client.get(f"/irqs/{irq}/cpu_affinity").get_json()
    big = {"cpu_affinity_list": "1", "padding": "x" * 4096}
    response = client.put(f"/irqs/{irq}/cpu_affinity", json=big, headers=bearer(token))
    body = assert_problem(response, 413)
    assert "at most 1024" in body["detail"]
    assert client.get(f"/irqs/{irq}/cpu_affinity").get_json() == before


@pytest.mark.parametrize("prefix", PREFIXES)
def test_openapi_documents_every_route(make_client, sim, prefix):
    client, _, _ = make_client(sim.root)
    spec = client.get(f"{prefix}/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/healthz", "/host", "/compliance", "/cpus", "/irqs", "/irqs/{irq}",
                 "/irqs/{irq}/cpu_affinity"):
        assert path in spec["paths"] and "/api/v1" + path in spec["paths"]
    put = spec["paths"]["/irqs/{irq}/cpu_affinity"]["put"]
    assert "requestBody" in put


@pytest.mark.parametrize("prefix", PREFIXES)
def test_cpus_topology(make_client, sim, prefix):
    client, _, _ = make_client(sim.root)
    cpus = client.get(f"{prefix}/cpus").get_json()["cpus"]
    assert [c["cpu"] for c in cpus] == list(range(8))
    assert set(cpus[0]) == {"cpu", "online", "node", "package", "core", "cache_cpus",
                            "isolated", "nohz_full", "banned"}
    assert cpus[7]["node"] == 1 and cpus[7]["cache_cpus"] == [4, 5, 6, 7]


def test_cpus_of_bare_capture_come_from_interrupts_header(make_client):
    client, _, _ = make_client(FIXTURES / "android-mt6589-4cpu-1online")
    assert client.get("/cpus").get_json()["cpus"] == [
        {"cpu": 0, "online": True, "node": None, "package": None, "core": None,
         "cache_cpus": [], "isolated": False, "nohz_full": False, "banned": []}]


@pytest.mark.parametrize("machine", ["firecracker-kvm-2cpu", "statscollect-intel-knl-272cpu",
                                     "node_exporter-aarch64-gicv3-8cpu"])
def test_irqs_over_captures_totals_equal_the_file(make_client, machine):
    client, _, _ = make_client(FIXTURES / machine)
    body = client.get("/irqs").get_json()
    text = (FIXTURES / machine / "proc/interrupts").read_text()
    expected = naive_irq_totals(text)
    ncpu = len(expected)
    assert body["totals"]["num_interrupts_per_cpu"] == expected
    assert body["totals"]["num_interrupts_all_cpus"] == sum(expected)
    assert len(body["cpus"]) == ncpu
    assert sum(r["total"] for r in body["irqs"]) == sum(expected)
    assert any(o["name"] in ("LOC", "IPI0", "ERR", "Err") for o in body["other"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_irqs_on_simulated_host_have_every_field(make_client, sim, prefix):
    sim.advance(2)
    client, _, _ = make_client(sim.root)
    body = client.get(f"{prefix}/irqs").get_json()
    assert len(body["irqs"]) == 40
    irq = next(i for i in body["irqs"] if i["irq_num"] == str(nic(sim).irq))
    assert set(irq) >= {"irq_num", "irq_type", "device_name", "cpu_affinity",
                        "num_interrupts_per_cpu", "total", "chip", "hwirq", "trigger", "actions",
                        "node", "cpu_affinity_list", "effective_affinity_list", "affinity_hint",
                        "managed"}
    assert irq["irq_type"].endswith("-edge") and irq["device_name"].startswith("eth")
    assert irq["cpu_affinity"] == "ff" and irq["cpu_affinity_list"] == list(range(8))
    assert irq["effective_affinity_list"] == [0] and irq["managed"] is False
    assert irq["num_interrupts_per_cpu"][0] == irq["total"] > 0
    other = {o["name"]: o for o in body["other"]}
    assert other["ERR"]["num_interrupts_per_cpu"] is None
    assert other["LOC"]["total"] == 8 * 2000


@pytest.mark.parametrize("prefix", PREFIXES)
def test_one_irq_and_its_affinity(make_client, sim, prefix):
    client, _, _ = make_client(sim.root)
    irq = managed(sim)
    one = client.get(f"{prefix}/irqs/{irq.irq}").get_json()
    assert one["irq_num"] == str(irq.irq) and one["managed"] is True
    aff = client.get(f"{prefix}/irqs/{irq.irq}/cpu_affinity").get_json()
    assert set(aff) == {"irq_num", "cpu_affinity", "cpu_affinity_list",
                        "effective_affinity_list", "managed"}
    assert aff["cpu_affinity_list"] == [irq.initial_cpu]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("body,as_json", [({"cpu_affinity_list": "2-3"}, True),
                                          ({"cpu_affinity_list": [2, 3]}, True),  # GET's shape
                                          ({"cpu_affinity_mask": "0c"}, True),
                                          ({"cpu_affinity_list": "2-3"}, False),
                                          ({"cpu_affinity_mask": "00000000,0000000c"}, False)])
def test_put_affinity_json_or_form_then_visible_in_irqs(make_client, sim, prefix, body, as_json):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    kwargs = {"json": body} if as_json else {"data": body}
    response = client.put(f"{prefix}/irqs/{irq}/cpu_affinity", headers=bearer(token), **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["cpu_affinity_list"] == [2, 3] and answer["effective_affinity_list"] == [2]
    assert answer["cpu_affinity"] == "0c" and answer["changed"] is True
    listed = next(i for i in client.get("/irqs").get_json()["irqs"] if i["irq_num"] == str(irq))
    assert listed["cpu_affinity_list"] == [2, 3]
    sim.advance(1)
    assert client.get(f"/irqs/{irq}").get_json()["num_interrupts_per_cpu"][2] > 0


def test_put_same_mask_does_not_write(make_client, sim):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    path = sim.root / f"proc/irq/{irq}/smp_affinity"
    client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": "1"}, headers=bearer(token))
    stamp = path.stat().st_mtime_ns
    again = client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_mask": "2"},
                       headers=bearer(token))
    assert again.status_code == 200 and again.get_json()["changed"] is False
    assert path.stat().st_mtime_ns == stamp


def test_accepted_write_is_audited(make_client, sim, caplog):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    with caplog.at_level(logging.INFO, logger="irq_server.audit"):
        client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": "5"},
                   headers=bearer(token))
    assert f"affinity irq={irq} token=tester old=ff new=20" in caplog.text


def test_plain_tree_is_validated_by_the_server_before_writing(make_client, tmp_path):
    """A fixture file accepts any write, so the server must refuse bad masks itself."""
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "firecracker-kvm-2cpu", root)
    (root / "proc/irq/24").mkdir(parents=True)
    (root / "proc/irq/24/smp_affinity").write_text("3\n")
    client, token, _ = make_client(root)
    for body in ({"cpu_affinity_list": "2"}, {"cpu_affinity_mask": "0"}):
        assert_problem(client.put("/irqs/24/cpu_affinity", json=body, headers=bearer(token)), 422)
    assert (root / "proc/irq/24/smp_affinity").read_text() == "3\n"
    ok = client.put("/irqs/24/cpu_affinity", json={"cpu_affinity_list": "1"}, headers=bearer(token))
    assert ok.status_code == 200 and (root / "proc/irq/24/smp_affinity").read_text() == "2\n"


# ---- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("cpus", [[2, "3"], [2, -1], [True], [2.0], 7, {"cpu": 2}])
def test_a_cpu_list_that_is_not_cpu_numbers_is_refused_naming_the_field(make_client, sim, cpus):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    before = (sim.root / f"proc/irq/{irq}/smp_affinity").read_text()
    answer = client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": cpus},
                        headers=bearer(token))
    assert_problem(answer, 422, field="cpu_affinity_list")
    assert "[0, 1, 2, 3, 8]" in answer.get_json()["detail"]
    assert (sim.root / f"proc/irq/{irq}/smp_affinity").read_text() == before


def test_400_bad_irq_path_and_bad_json(make_client, sim):
    client, token, _ = make_client(sim.root)
    assert_problem(client.get("/irqs/abc"), 400, field="irq")
    assert_problem(client.get("/irqs/-1/cpu_affinity"), 400, field="irq")
    bad = client.put(f"/irqs/{nic(sim).irq}/cpu_affinity", data="{nope",
                     headers={**bearer(token), "Content-Type": "application/json"})
    assert_problem(bad, 400)


def test_401_missing_or_unknown_token(make_client, sim):
    client, _, _ = make_client(sim.root)
    url = f"/irqs/{nic(sim).irq}/cpu_affinity"
    missing = client.put(url, json={"cpu_affinity_list": "1"})
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.put(url, json={"cpu_affinity_list": "1"}, headers=bearer("irq_nope")),
                   401)


def test_403_read_token_cannot_write(make_client, sim):
    client, _, read_token = make_client(sim.root)
    body = assert_problem(client.put(f"/irqs/{nic(sim).irq}/cpu_affinity",
                                     json={"cpu_affinity_list": "1"},
                                     headers=bearer(read_token)), 403)
    assert "write" in body["detail"]


def test_404_unknown_irq_and_route(make_client, sim):
    client, token, _ = make_client(sim.root)
    assert_problem(client.get("/irqs/9999"), 404)
    assert_problem(client.get("/irqs/9999/cpu_affinity"), 404)
    assert_problem(client.put("/irqs/9999/cpu_affinity", json={"cpu_affinity_list": "1"},
                              headers=bearer(token)), 404)
    assert_problem(client.get("/nowhere"), 404)


def test_405_wrong_method(make_client, sim):
    client, token, _ = make_client(sim.root)
    response = client.post("/irqs", headers=bearer(token))
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_409_managed_irq(make_client, sim):
    client, token, _ = make_client(sim.root)
    body = assert_problem(client.put(f"/irqs/{managed(sim).irq}/cpu_affinity",
                                     json={"cpu_affinity_list": "3"}, headers=bearer(token)), 409)
    assert "managed" in body["detail"]


@pytest.mark.parametrize("body,field", [
    ({"cpu_affinity_mask": "xyz"}, "cpu_affinity_mask"),
    ({"cpu_affinity_mask": "100"}, "cpu_affinity_mask"),  # CPU 8 does not exist
    ({"cpu_affinity_list": "0-99"}, "cpu_affinity_list"),
    ({"cpu_affinity_list": ""}, "cpu_affinity_list"),  # empty
    ({"cpu_affinity_mask": "0"}, "cpu_affinity_mask"),
    ({}, "cpu_affinity_mask"),
    ({"cpu_affinity_mask": "1", "cpu_affinity_list": "1"}, "cpu_affinity_mask"),
    ({"cpu_affinity_mask": 5}, "cpu_affinity_mask"),
    ({"cpus": "1"}, "cpus"),
])
def test_422_names_the_field_and_changes_nothing(make_client, sim, body, field):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    before = (sim.root / f"proc/irq/{irq}/smp_affinity").read_text()
    assert_problem(client.put(f"/irqs/{irq}/cpu_affinity", json=body, headers=bearer(token)),
                   422, field=field)
    assert (sim.root / f"proc/irq/{irq}/smp_affinity").read_text() == before


def test_422_offline_cpu(make_client, sim):
    sim.set_online(5, False)
    client, token, _ = make_client(sim.root)
    body = assert_problem(client.put(f"/irqs/{nic(sim).irq}/cpu_affinity",
                                     json={"cpu_affinity_list": "5"}, headers=bearer(token)),
                          422, field="cpu_affinity_list")
    assert "offline" in body["detail"]


class FailingFS(SimKernelFS):
    """The host tree, with the next affinity write failing with a given errno."""

    def __init__(self, root, code):
        super().__init__(root)
        self.code = code

    def write_text(self, rel, text):
        raise OSError(self.code, errno.errorcode[self.code], str(self.path(rel)))


@pytest.mark.parametrize("code,status,words", [
    (errno.ENOSPC, 409, "no free vectors on CPU 3"), (errno.EIO, 409, "managed"),
    (errno.EPERM, 409, "per-CPU"), (errno.EINVAL, 422, "offline"),
    (errno.EACCES, 503, "root"), (errno.EROFS, 503, "root"), (errno.EBUSY, 503, "retry"),
])
def test_kernel_errno_mapping(make_client, sim, code, status, words):
    client, token, _ = make_client(sim.root)
    state(client.application).host = Host(FailingFS(sim.root, code))
    body = assert_problem(client.put(f"/irqs/{nic(sim).irq}/cpu_affinity",
                                     json={"cpu_affinity_list": "3"}, headers=bearer(token)),
                          status)
    assert words in body["detail"]


def test_500_has_no_internals(make_client, sim, monkeypatch):
    client, _, _ = make_client(sim.root)
    monkeypatch.setattr(Host, "topology", lambda self: 1 / 0)
    body = assert_problem(client.get("/cpus"), 500)
    assert "ZeroDivision" not in body["detail"]


def test_503_when_host_tree_has_no_proc(make_client, tmp_path):
    client, _, _ = make_client(tmp_path / "empty")
    body = assert_problem(client.get("/irqs"), 503)
    assert "proc/interrupts" in body["detail"]


LOGIN_ROUTES = {"/api/v1/auth", "/v1/api/auth"}  # open by design: how users get a token
RUN_ROUTES = ("/api/v1/test", "/v1/api/testrun")  # a caller's own runs: a token even to read


def test_every_non_get_route_and_every_run_route_needs_a_token(make_client, sim):
    client, _, _ = make_client(sim.root)
    app = client.application
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in LOGIN_ROUTES:
            continue
        url = re.sub(r"<[^>]+>", str(nic(sim).irq), rule.rule)
        methods = rule.methods - {"HEAD", "OPTIONS"}
        for method in sorted(methods if rule.rule.startswith(RUN_ROUTES) else methods - {"GET"}):
            response = client.open(url, method=method, json={"cpu_affinity_list": "1"})
            assert response.status_code == 401, (method, rule.rule)
            checked += 1
    assert checked == 2 + 2 * 6  # PUT affinity with and without /api/v1; runs, 2 dialects
    assert LOGIN_ROUTES <= {rule.rule for rule in app.url_map.iter_rules()}


def test_auth_reads_requires_any_token_for_reads(make_client, sim):
    client, _, read_token = make_client(sim.root, IRQ_AUTH_READS=True)
    assert_problem(client.get("/irqs"), 401)
    assert client.get("/irqs", headers=bearer(read_token)).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_irqs_reads_proc_interrupts_once_per_request(make_client, sim, monkeypatch):
    client, _, _ = make_client(sim.root)
    calls = []
    original = HostFS.read_bytes
    monkeypatch.setattr(HostFS, "read_bytes",
                        lambda self, rel: calls.append(rel) or original(self, rel))
    client.get("/irqs")
    assert calls.count("proc/interrupts") == 1
    assert read_interrupts(sim.fs).cpus  # sanity: the patched reader still works


# ---- per-IRQ settings cache -------------------------------------------------------------------
def counting_reads(monkeypatch, fs_class):
    reads = []
    original = fs_class.read_optional
    monkeypatch.setattr(fs_class, "read_optional",
                        lambda self, rel: reads.append(rel) or original(self, rel))
    return reads


def test_irqs_reads_per_irq_files_once_then_serves_them_cached(make_client, sim, monkeypatch):
    from irq_server.sim import SimKernelFS
    client, _, _ = make_client(sim.root)
    reads = counting_reads(monkeypatch, SimKernelFS)
    first = client.get("/irqs").get_json()
    assert any(r.endswith("/smp_affinity") for r in reads)
    reads.clear()
    assert client.get("/irqs").get_json()["irqs"] == first["irqs"]
    assert not any(r.startswith("proc/irq/") for r in reads), reads


def test_a_write_in_one_worker_is_seen_at_once_by_another(make_client, sim):
    from irq_server.api import create_app
    worker_a, token, _ = make_client(sim.root)
    data_dir = worker_a.application.config["IRQ_DATA_DIR"]
    worker_b = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": data_dir}).test_client()
    irq = nic(sim).irq

    def mask_in(client):
        listing = client.get("/irqs").get_json()["irqs"]
        return next(i["cpu_affinity_list"] for i in listing if i["irq_num"] == str(irq))
    assert mask_in(worker_b) == list(range(8))  # B's cache is warm
    for cpus in ("5", "6", "5-6"):
        put = worker_a.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": cpus},
                           headers=bearer(token))
        assert put.status_code == 200
        assert mask_in(worker_b) == put.get_json()["cpu_affinity_list"]


def test_hotplug_and_outside_writes_reach_the_cached_listing(make_client, sim):
    client, _, _ = make_client(sim.root)
    host = state(client.application).host
    now = [0.0]
    host.settings_cache.clock = lambda: now[0]
    irq = nic(sim).irq

    def effective():
        listing = client.get("/irqs").get_json()["irqs"]
        return next(i["effective_affinity_list"] for i in listing if i["irq_num"] == str(irq))
    assert effective() == [0]
    sim.set_online(0, False)  # hotplug: the online CPUs changed, re-read at once
    sim.fs.write_affinity_files(irq, frozenset(range(8)))
    assert effective() == [1]
    sim.fs.write_affinity_files(irq, frozenset({3}))  # another tool wrote it
    assert effective() == [1]  # within max_age the cached value stands ...
    now[0] += host.settings_cache.max_age + 1
    assert effective() == [3]  # ... and no longer


def test_listing_is_cached_per_sample_but_never_past_a_write_or_hotplug(make_client, sim,
                                                                       tmp_path):
    from irq_server.api import create_app
    from irq_server.history.sampler import Sampler
    from irq_server.history.store import HistoryStore
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    worker_a, token, _ = make_client(sim.root, IRQ_CLOCK=clock)
    data_dir = worker_a.application.config["IRQ_DATA_DIR"]
    worker_b = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": data_dir,
                           "IRQ_CLOCK": clock}).test_client()
    sampler = Sampler(sim.fs, HistoryStore(data_dir), clock)
    sampler.sample_once()  # the sampler is fresh: listings are cached until the next sample
    irq = nic(sim).irq

    def listing(client):
        body = client.get("/irqs").get_json()["irqs"]
        return next(i for i in body if i["irq_num"] == str(irq))
    first = listing(worker_b)
    sim.advance(1)
    assert listing(worker_b)["total"] == first["total"]  # same sample: same answer
    now[0] += 1
    sampler.sample_once()
    assert listing(worker_b)["total"] > first["total"]  # a new sample: counted again
    put = worker_a.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": "5"},
                       headers=bearer(token))
    assert put.status_code == 200
    assert listing(worker_b)["cpu_affinity_list"] == [5]  # another worker's write: at once
    sim.set_online(5, False)
    assert 5 not in worker_b.get("/irqs").get_json()["cpus"]  # hotplug: at once
