"""The publisher's log when a registry refuses it: once, and saying what to do."""
import http.server
import logging
import threading

import pytest
from irq_server.registry.publisher import TOKEN_ENV, Publisher


@pytest.fixture
def refusing_registry():
    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_refused_publication_names_the_token_it_needs_once(refusing_registry, caplog):
    publisher = Publisher(refusing_registry, "rack1", "db7", "http://db7:5000")
    with caplog.at_level(logging.WARNING):
        publisher.publish()
        publisher.publish()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "401" in lines[0] and f"${TOKEN_ENV}" in lines[0]
