"""Shared fixtures: a clean environment with its own database, the app and its client."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from tests.entra import CLIENT, TENANT, Jwks
from tests.fakes import Simulator, start_simulator

_LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True, scope="session")
def no_internet() -> Iterator[None]:
    """No test reaches past this machine: a connection to anything but loopback fails."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address: object) -> None:
        if isinstance(address, tuple) and not str(address[0]).startswith(_LOOPBACK):
            raise ConnectionRefusedError(f"tests may not reach {address[0]}")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ADDIN_* variable leaks in from the shell, and every app gets its own database."""
    for key in list(os.environ):
        if key.startswith("ADDIN_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ADDIN_DATABASE_URL", f"sqlite:///{tmp_path / 'addin.sqlite'}")


def _service(variable: str, what: str) -> str:
    """The URL of a real server for tests that need one; skipped (failed under CI, which sets
    REQUIRE_SERVICES=1) when the variable is not set. ``.ci/services.sh`` starts both."""
    url = os.environ.get(variable, "")
    if not url:
        message = (f"{what} tests need {variable} (start the servers with "
                   "eval \"$(.ci/services.sh)\")")
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database emptied for this test (its public schema dropped and made)."""
    from sqlalchemy import create_engine, text

    url = _service("PG_TEST_URL", "PostgreSQL")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture()
def redis_url() -> Iterator[str]:
    """A Redis database emptied for this test."""
    import redis

    url = _service("REDIS_TEST_URL", "Redis")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture()
def app() -> Iterator[Flask]:
    yield create_app()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()



@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[Simulator]:
    with start_simulator() as sim:
        yield sim


@pytest.fixture()
def simulator(_simulator_server: Simulator) -> Iterator[Simulator]:
    """The local vendor simulator, with an empty script and request log for each test."""
    _simulator_server.reset()
    yield _simulator_server
    _simulator_server.reset()


@pytest.fixture(scope="session")
def _tls_simulator_server() -> Iterator[Simulator]:
    with start_simulator(tls=True) as sim:
        yield sim


@pytest.fixture()
def tls_simulator(_tls_simulator_server: Simulator) -> Iterator[Simulator]:
    """An HTTPS simulator (for MSAL / Entra ID; CA at ``.ca_file``), reset around each test.

    MSAL applies ``verify=`` through requests, where REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE win
    over it: tests passing ``verify=tls_simulator.ca_file`` should delenv both.
    """
    _tls_simulator_server.reset()
    yield _tls_simulator_server
    _tls_simulator_server.reset()


@pytest.fixture()
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture()
def entra_app(jwks: Jwks) -> Flask:
    """The app in Entra mode, trusting the local JWKS."""
    return create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT, "AUTH_CLIENT_ID": CLIENT,
                       "AUTH_JWKS_URL": jwks.url})
