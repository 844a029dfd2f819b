"""--certfile/--keyfile: the server speaks HTTPS, and the client verifies it."""
import requests
import trustme

from irq_client import IrqClient


def test_server_serves_https_with_the_given_certificate(start_server, tmp_path, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would override session.verify
        monkeypatch.delenv(name, raising=False)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server = start_server("--simulate", "4:1:12", "--certfile", str(tmp_path / "cert.pem"),
                          "--keyfile", str(tmp_path / "key.pem"), "--https")
    https = server.url
    assert https.startswith("https://")
    session = requests.Session()
    session.verify = str(tmp_path / "ca.pem")
    assert IrqClient(https, session=session).health().simulated is True
    try:
        requests.get(https + "/healthz", timeout=5)  # an unknown CA must not pass
        raise AssertionError("certificate was not verified")
    except requests.exceptions.SSLError:
        pass
