"""`addin serve --prod`: gunicorn (gthread) really serves streams and stops gracefully; its
settings are checked at start-up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from addin.cli import main
from addin.config import load_settings
from addin.errors import ConfigError
from addin.serving import KEEPALIVE_SLOTS, gunicorn_options
from tests.fakes import Simulator, Step
from tests.helpers import inhouse_config, parse_sse

pytest.importorskip("gunicorn")

TEXT = ("Lead levels fell in all four districts compared with the previous year. "
        "Nitrate concentrations stayed well below the legal limit at every site.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def summarize(base: str) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    request = urllib.request.Request(
        f"{base}/api/v1/summarize", data=json.dumps({"text": TEXT}).encode(),
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, parse_sse(response.read().decode())


@pytest.fixture()
def prod_server(tmp_path: Path,
                simulator: Simulator) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`addin serve --prod` on a free port: plain HTTP, dev sign-in, two workers of four
    threads, Summarize going to the simulator (then the offline engine)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env.update(ADDIN_HOST="127.0.0.1", ADDIN_PORT=str(port), ADDIN_TLS="false",
               ADDIN_AUTH="dev", ADDIN_WORKERS="2", ADDIN_THREADS="4",
               ADDIN_CONFIG=inhouse_config(simulator, tmp_path),
               ADDIN_DATABASE_URL=f"sqlite:///{tmp_path / 'addin.sqlite'}")
    server = subprocess.Popen([sys.executable, "-m", "addin", "serve", "--prod"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    server.kill()
                    pytest.fail(f"the server did not start:\n{server.communicate()[0]}")
                time.sleep(0.1)
        yield base, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_prod_streams_and_drains_open_streams_on_sigterm(prod_server, simulator) -> None:
    base, server = prod_server
    status, events = summarize(base)
    assert status == 200 and [n for n, _ in events][-1] == "done"
    assert dict(events)["meta"]["provider"] == "inhouse"

    # A stream still open when SIGTERM comes is finished before the worker exits.
    simulator.script(Step(first_token_delay=0.8, tokens_per_second=20, dialect="compat"))
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(answer=summarize(base)))
    thread.start()
    deadline = time.monotonic() + 10
    while len(simulator.of("compat")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=10)
    stopped_in = time.monotonic() - started
    thread.join(timeout=5)
    status, events = result["answer"]
    assert status == 200 and [n for n, _ in events][-1] == "done"
    assert server.returncode == 0 and stopped_in < 6, output
    assert "Using worker: gthread" in output and output.count("Booting worker") == 2
    assert "2 workers x 4 threads" in output
    assert "Shutting down: Master" in output


def test_zero_workers_is_refused_with_a_clear_message(monkeypatch, capsys) -> None:
    with pytest.raises(ConfigError, match="ADDIN_WORKERS has a bad value '0': must be greater"):
        load_settings({"ADDIN_WORKERS": "0"})
    monkeypatch.setenv("ADDIN_WORKERS", "0")
    assert main(["serve", "--prod", "--no-tls", "--host", "127.0.0.1"]) == 2
    assert "configuration error: ADDIN_WORKERS has a bad value '0'" in capsys.readouterr().err


@pytest.mark.parametrize("raw", ["0", "-4", "many", "2.5"])
def test_threads_must_be_a_positive_whole_number(raw: str) -> None:
    with pytest.raises(ConfigError, match="ADDIN_THREADS has a bad value"):
        load_settings({"ADDIN_THREADS": raw})


def test_defaults_size_for_hundreds_of_streams() -> None:
    settings = load_settings({})
    assert settings["WORKERS"] >= 1 and settings["THREADS"] == 256


def test_gunicorn_configuration() -> None:
    settings = load_settings({"ADDIN_WORKERS": "3", "ADDIN_THREADS": "100",
                              "ADDIN_HOST": "::1", "ADDIN_PORT": "8443"})
    options = gunicorn_options(settings, ("cert.pem", "key.pem"))
    assert options["bind"] == ["[::1]:8443"]
    assert (options["worker_class"], options["workers"], options["threads"]) == ("gthread", 3,
                                                                               100)
    assert options["worker_connections"] == 100 + KEEPALIVE_SLOTS
    assert options["preload_app"] is False and options["accesslog"] is None
    assert options["timeout"] >= 30 and options["graceful_timeout"] >= 10
    assert (options["certfile"], options["keyfile"]) == ("cert.pem", "key.pem")
    assert "certfile" not in gunicorn_options(settings)
