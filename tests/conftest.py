"""Shared fixtures: the app and its client, with no ADDIN_* variable leaking in."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for key in list(os.environ):
        if key.startswith("ADDIN_"):
            monkeypatch.delenv(key)
    yield create_app()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()

