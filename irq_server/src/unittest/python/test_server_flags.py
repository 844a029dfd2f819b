"""Bad values of irq-server's flags (and their environment twins) are usage errors that name
the flag, before anything is written: no stack trace, no half-started server."""
import pytest

from irq_server import cli


@pytest.mark.parametrize("flags, named", [
    (["--interval", "0"], "--interval"), (["--interval", "nan"], "--interval"),
    (["--workers", "0"], "--workers"), (["--threads", "-1"], "--threads"),
    (["--max-body", "x"], "--max-body"), (["--tiers", "1s:1x"], "--tiers"),
    (["--simulate", "64:2"], "--simulate"), (["--certfile", "/nonexistent"], "--certfile"),
    (["--publish-to", "127.0.0.1:5100", "--partition", "p"], "--publish-to"),
    (["--advertise", "http://h:1?x"], "--advertise"),
    (["registry", "--registry-ttl", "0"], "--registry-ttl"),
])
def test_a_bad_value_is_a_usage_error_naming_its_flag(tmp_path, capsys, flags, named):
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as exit_:
        cli.main([*flags, "--data-dir", str(data)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {named}" in err and "Traceback" not in err
    assert not data.exists()


def test_an_environment_twin_is_checked_alike(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IRQ_SERVER_WORKERS", "many")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--data-dir", str(tmp_path / "data")])
    assert exit_.value.code == 2 and "'many' is not a number" in capsys.readouterr().err


def test_tls_needs_both_files_and_a_port_must_be_one(tmp_path, capsys):
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked before the pair is")
    assert cli.main(["--certfile", str(cert), "--data-dir", str(tmp_path / "d")]) == 2
    assert "both --certfile and --keyfile" in capsys.readouterr().err
    assert cli.main(["--bind", "127.0.0.1:99999", "--data-dir", str(tmp_path / "d")]) == 2
    assert "PORT 0-65535" in capsys.readouterr().err


def test_help_names_every_command_and_where_the_serve_flags_are(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    usage = out.split("\n\n")[0]
    for command in ("serve", "registry", "publish", "token", "user", "sampler", "simulate"):
        assert command in usage, command
    assert "irq-server serve --help" in out
