"""The registry as an attack path: with --open-publish anyone can place an entry, so
irq-balance must never send its token to one placed without a write token (a listener here
plays the attacker and must receive nothing)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from live_server import wait_for
from test_fleet_registry_live import command

SECRET = "irq_balancer-write-token-that-must-stay-home"


class Listener(BaseHTTPRequestHandler):
    """An attacker's irq-server: records what each request carried."""

    seen: list = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        Listener.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_token_never_goes_to_a_host_anyone_could_have_published(start_server):
    registry = start_server("registry", "--open-publish", "--registry-ttl", "60")
    host = start_server("--simulate", "8:1:30", "--interval", "0.5", "--publish-to",
                        registry.url, "--partition", "rack1", "--publish-as", "real",
                        env={"IRQ_SERVER_PUBLISH_TOKEN": registry.admin_token})
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        placed = requests.post(registry.url + "/publish", timeout=5, json={
            "partition": "rack1", "connections": [{
                "uid": "evil", "uri": f"http://127.0.0.1:{attacker.server_port}",
                "connection_type": 0, "data_type": "irq-server"}]})
        assert placed.status_code == 200  # open publish: no token needed
        wait_for(lambda: len(requests.get(registry.url + "/api/v1/registry/rack1/entries",
                                          timeout=5).json()["entries"]) == 2)
        wait_for(lambda: requests.get(host.url + "/history", timeout=5).json()["samples"] >= 5)

        planned = command("irq-balance", "plan", "--registry", registry.url, "--partition",
                          "rack1", "--period", "2", "--json", token=SECRET)
        assert planned.returncode == 0, planned.stderr
        assert [h["server"] for h in json.loads(planned.stdout)] == [host.url]
        assert "skipping evil" in planned.stderr and "--trust-open-registry" in planned.stderr
        listed = command("irq-client", "hosts", "--registry", registry.url, "--partition",
                         "rack1", "--json", token=SECRET)
        rows = {r["uid"]: r for r in json.loads(listed.stdout)}
        assert rows["evil"]["authenticated"] is False and rows["real"]["authenticated"] is True
        assert Listener.seen and all(auth is None for _, auth in Listener.seen)  # asked, bare

        Listener.seen.clear()  # the operator says they trust this registry: then it is sent
        trusting = command("irq-balance", "plan", "--registry", registry.url, "--partition",
                           "rack1", "--period", "2", "--trust-open-registry", token=SECRET)
        assert trusting.returncode == 1  # the fake host fails its plan
        assert (f"Bearer {SECRET}") in {auth for _, auth in Listener.seen}
    finally:
        attacker.shutdown()
