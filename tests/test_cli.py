"""`addin serve` really serves HTTPS with a certificate signed by the development CA, and says how
to trust that CA and sideload the add-in; `addin dev-cert` makes them once."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509

from addin.devcert import ensure_cert


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dev_cert_is_for_localhost_and_reused(tmp_path: Path) -> None:
    cert_path, key_path = ensure_cert(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert key_path.stat().st_mode & 0o077 == 0
    first = cert_path.read_bytes()
    ensure_cert(tmp_path)
    assert cert_path.read_bytes() == first


def test_serve_answers_over_https(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env.update(ADDIN_CERT_DIR=str(tmp_path), ADDIN_HOST="127.0.0.1", ADDIN_PORT=str(port),
               ADDIN_DATABASE_URL=f"sqlite:///{tmp_path / 'addin.sqlite'}")
    server = subprocess.Popen([sys.executable, "-m", "addin", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                # Trusting the CA alone; the certificate names 127.0.0.1 too, so the host
                # name is checked.
                context = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz",
                                            context=context, timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/api/v1/summarize", method="POST",
            data=json.dumps({"text": "The plant doubled its output in May. "
                                     "Costs fell by a third over the same period."}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            body = json.load(response)
        assert body["citations"] and body["provider"] == "local"
    finally:
        server.terminate()
        server.wait(timeout=10)
    printed = server.stdout.read().decode() if server.stdout else ""
    assert str(tmp_path / "ca.crt") in printed and "Upload My Add-in" in printed
    assert "/manifest.xml" in printed and "Trusted Add-in Catalogs" in printed


def test_a_bad_setting_stops_start_up_with_its_name() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env["ADDIN_PORTT"] = "3000"
    result = subprocess.run([sys.executable, "-m", "addin", "serve"], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "ADDIN_PORTT" in result.stderr and "ADDIN_PORT" in result.stderr


def test_serve_refuses_a_bad_config_file_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "models.toml"
    config.write_text('[providers.claude]\nkind = "anthropic"\nmodel = "claude-sonnet-4-5"\n'
                      'api_key = "sk-ant-in-clear"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env["ADDIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'addin.sqlite'}"
    result = subprocess.run([sys.executable, "-m", "addin", "serve", "--config", str(config)],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{config}:4:" in result.stderr and "env:" in result.stderr
    assert "sk-ant-in-clear" not in result.stderr


def test_migrate_builds_the_schema_and_can_print_its_sql(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import create_engine, inspect

    from addin.cli import main

    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    monkeypatch.setenv("ADDIN_DATABASE_URL", url)
    assert main(["migrate", "--sql"]) == 0
    sql = capsys.readouterr().out
    assert "CREATE TABLE providers" in sql and "CREATE TABLE settings" in sql
    assert not (tmp_path / "fresh.sqlite").exists() or \
        "providers" not in inspect(create_engine(url)).get_table_names()
    assert main(["migrate"]) == 0
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"providers", "usage_records", "settings", "alembic_version"} <= tables


def test_the_manifest_command_declares_office_sso_for_entra(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from addin.cli import main

    monkeypatch.setenv("ADDIN_AUTH", "entra")
    monkeypatch.setenv("ADDIN_AUTH_TENANT_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("ADDIN_AUTH_CLIENT_ID", "cccc")
    assert main(["manifest", "--url", "https://addin.example.com"]) == 0
    assert "<Resource>api://addin.example.com/cccc</Resource>" in capsys.readouterr().out
