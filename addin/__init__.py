"""Server side of a Copilot-style Word and Excel add-in, with swappable AI models.

``create_app`` is the only place things are wired together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    ``config`` maps setting names (see ``addin.config.SETTINGS``; ``ADDIN_`` prefix optional)
    to values and wins over ``ADDIN_*`` environment variables. Unknown or malformed settings
    raise :class:`addin.errors.ConfigError` here, at start-up.
    """
    from . import logs
    from .api import init_app as init_api
    from .config import load_settings
    from .models.runner import Runner
    from .models.selector import Selector

    settings = load_settings(os.environ, config)
    app = Flask(__name__, instance_relative_config=True)
    app.config["ADDIN"] = settings
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"] * 1024 * 1024)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["addin.runner"] = Runner(Selector())
    logs.init_app(app, settings["LOG_LEVEL"])
    init_api(app)
    return app
