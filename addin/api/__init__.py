"""The HTTP surface: thin blueprints over the features, and the one error shape."""

from __future__ import annotations

from flask import Flask

from . import errors, features, meta


def init_app(app: Flask) -> None:
    errors.init_app(app)
    app.register_blueprint(meta.bp)
    app.register_blueprint(features.bp)
