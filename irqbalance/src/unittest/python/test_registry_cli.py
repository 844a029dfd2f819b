"""irq-balance --registry: hosts resolved through a registry (HTTP mocked with responses)."""
import pytest
import requests
import responses

from irqbalance import cli

REG = "http://registry.test:5100"


@pytest.fixture
def mocked():
    with responses.RequestsMock() as rsps:
        yield rsps


def test_partition_without_registry_is_a_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    assert cli.main(["plan", "--partition", "rack1", "--state-dir", str(tmp_path)]) == 2
    assert "--registry" in capsys.readouterr().err


def test_irq_balance_with_an_unreachable_registry_fails_clearly(mocked, capsys, tmp_path):
    mocked.get(f"{REG}/api/v1/registry/rack1/entries",
               body=requests.ConnectionError("refused"))
    code = cli.main(["plan", "--registry", REG, "--partition", "rack1",
                             "--state-dir", str(tmp_path)])
    assert code == 1 and "registry" in capsys.readouterr().err


def test_irq_balance_with_an_empty_partition_says_so(mocked, capsys, tmp_path):
    mocked.get(f"{REG}/api/v1/registry/rack1/entries", json={"partition": "rack1",
                                                             "entries": []})
    code = cli.main(["plan", "--registry", REG, "--partition", "rack1",
                             "--state-dir", str(tmp_path), "--json"])
    assert code == 1 and "no live irq-server" in capsys.readouterr().err
