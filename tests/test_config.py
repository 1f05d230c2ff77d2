from __future__ import annotations

import pytest

from addin import create_app
from addin.config import load_settings
from addin.errors import ConfigError


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings["MAX_UPLOAD_MB"] == 25.0
    assert settings["PUBLIC_URL"] == "https://localhost:3000"
    assert settings["PORT"] == 3000


def test_environment_values_are_parsed() -> None:
    settings = load_settings({"ADDIN_MAX_UPLOAD_MB": "3.5", "ADDIN_TLS": "off", "PATH": "/bin"})
    assert settings["MAX_UPLOAD_MB"] == 3.5
    assert settings["TLS"] is False


def test_unknown_environment_setting_fails_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"MAX_UPLOAD_MBS.*Did you mean ADDIN_MAX_UPLOAD_MB"):
        load_settings({"ADDIN_MAX_UPLOAD_MBS": "3"})


@pytest.mark.parametrize(("name", "value"), [
    ("ADDIN_MAX_UPLOAD_MB", "lots"), ("ADDIN_MAX_UPLOAD_MB", "-1"), ("ADDIN_PORT", "70000"),
    ("ADDIN_TLS", "maybe"), ("ADDIN_PUBLIC_URL", "localhost:3000"), ("ADDIN_LOG_LEVEL", "LOUD"),
])
def test_malformed_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_create_app_rejects_unknown_config_keys() -> None:
    with pytest.raises(ConfigError, match="Unknown setting NOPE"):
        create_app({"NOPE": 1})


def test_create_app_config_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADDIN_MAX_UPLOAD_MB", "10")
    app = create_app({"max_upload_mb": 2})
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_langsmith_tracing_is_forced_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    create_app()
    import os

    assert os.environ["LANGSMITH_TRACING"] == "false"


def test_the_suite_cannot_reach_the_internet() -> None:
    import socket

    with pytest.raises(ConnectionRefusedError, match="may not reach"):
        socket.create_connection(("93.184.215.14", 443), timeout=1)
