"""Token store and the irq-server command line (in-process)."""
import json
import stat

import pytest
from irq_server.auth.tokens import TokenStore
from irq_server.errors import InvalidInput, NotFound

from irq_server import cli


def test_tokens_are_stored_hashed_and_looked_up(tmp_path):
    store = TokenStore(tmp_path)
    secret = store.create("ops", "write")
    assert secret not in (tmp_path / "tokens.json").read_text()
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    info = store.lookup(secret)
    assert (info.name, info.scope) == ("ops", "write")
    assert store.lookup(secret + "x") is None


def test_another_process_creating_a_token_is_seen(tmp_path):
    reader = TokenStore(tmp_path)
    assert reader.lookup("irq_x") is None
    secret = TokenStore(tmp_path).create("later", "read")
    assert reader.lookup(secret).scope == "read"


def test_bad_scope_is_refused(tmp_path):
    with pytest.raises(InvalidInput):
        TokenStore(tmp_path).create("x", "admin")


@pytest.mark.parametrize("name", ["", "evil\x1b[31m\nname", "two\nlines", " padded",
                                  "rtl\u202e", "tab\tname"])
def test_a_name_that_could_forge_an_audit_line_is_refused(tmp_path, name):
    with pytest.raises(InvalidInput) as err:
        TokenStore(tmp_path).create(name, "write")
    assert err.value.field == "name" and not (tmp_path / "tokens.json").exists()


def test_names_are_unique_and_a_revoked_token_is_refused(tmp_path):
    store = TokenStore(tmp_path)
    secret = store.create("ci", "write")
    with pytest.raises(InvalidInput, match="exists"):
        store.create("ci", "read")
    assert [(t.name, t.scope) for t in store.list()] == [("ci", "write")]
    other_process = TokenStore(tmp_path)
    assert other_process.lookup(secret) is not None
    store.revoke("ci")
    assert other_process.lookup(secret) is None and store.list() == []
    with pytest.raises(NotFound):
        store.revoke("ci")


def test_cli_token_list_and_revoke(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path)]
    assert cli.main(["token", "create", "--scope", "read", "--name", "grafana", *data]) == 0
    assert cli.main(["token", "create", "--scope", "write", "--name", "grafana", *data]) == 2
    assert "a token named 'grafana' exists" in capsys.readouterr().err
    assert cli.main(["token", "list", *data]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("grafana\tread\t") and "irq_" not in listing
    assert cli.main(["token", "revoke", "grafana", *data]) == 0
    assert cli.main(["token", "revoke", "grafana", *data]) == 2
    assert "no token named 'grafana'" in capsys.readouterr().err


def test_first_start_creates_admin_token_once(tmp_path):
    store = TokenStore(tmp_path)
    path = store.ensure_admin()
    assert path == tmp_path / "admin.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.lookup(path.read_text().strip()).scope == "write"
    assert store.ensure_admin() is None
    assert len(json.loads((tmp_path / "tokens.json").read_text())["tokens"]) == 1


def test_cli_token_create_prints_a_working_token(tmp_path, capsys):
    assert cli.main(["token", "create", "--scope", "read", "--name", "grafana",
                     "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert TokenStore(tmp_path).lookup(token).name == "grafana"
    assert "grafana" in out.err


def test_cli_token_create_needs_a_valid_scope(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["token", "create", "--scope", "root", "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cli_help_lists_flags_and_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--bind", "--workers", "--threads", "--root", "--data-dir", "--interval",
                 "--simulate", "--certfile", "--keyfile", "--log-level", "--auth-reads"):
        assert flag in out
    assert "irq-server --simulate 64:2:500" in out


def test_env_sets_flag_defaults(monkeypatch):
    monkeypatch.setenv("IRQ_SERVER_BIND", "127.0.0.1:6001")
    monkeypatch.setenv("IRQ_SERVER_WORKERS", "5")
    args = cli.build_parser().parse_args(["serve"])
    assert (args.bind, args.workers) == ("127.0.0.1:6001", 5)
