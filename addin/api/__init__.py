"""The HTTP surface: thin blueprints over the features, and the one error shape."""

from __future__ import annotations

from flask import Flask

from . import (
    addin_files,
    admin,
    admin_tools,
    console,
    errors,
    features,
    feedback,
    meta,
    openapi,
    pane,
    security,
    signin,
)


def init_app(app: Flask) -> None:
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(meta.bp)
    app.register_blueprint(features.bp)
    app.register_blueprint(addin_files.bp)
    app.register_blueprint(pane.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_tools.bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(openapi.bp)
