"""`irq-server registry` as a process: the old clients' requests, --open-publish said loudly,
entries kept across a restart."""
import json

import requests
from live_server import wait_for


def publish(url, uid, headers=None):
    """As the old clients publish: JSON, saying so."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    return requests.post(url + "/publish", timeout=5, headers=headers, data=json.dumps({
        "partition": "daq", "connections": [{"uid": uid, "uri": "tcp://10.0.0.9:1234",
                                             "connection_type": 0, "data_type": "TPSet"}]}))


def test_open_publish_is_logged_and_entries_survive_a_restart(start_server, tmp_path):
    data = tmp_path / "registry"
    first = start_server("registry", "--open-publish", "--registry-ttl", "60", "--workers", "3",
                         data_dir=data)
    assert "ANYONE" in wait_for(lambda: "ANYONE" in first.output() and first.output())
    answer = publish(first.url, "DRO-1")  # the old client: no token
    assert answer.status_code == 200 and answer.text == "OK"
    first.stop()
    second = start_server("registry", "--registry-ttl", "60", data_dir=data, port=first.port)
    found = requests.post(second.url + "/getconnection/daq", timeout=5,
                          data=json.dumps({"uid_regex": "DRO", "data_type": "TPSet"}))
    assert found.json() == [{"uid": "DRO-1", "uri": "tcp://10.0.0.9:1234",
                             "connection_type": 0, "data_type": "TPSet"}]
    assert publish(second.url, "DRO-2").status_code == 401  # not open any more
    assert "ANYONE" not in second.output()
