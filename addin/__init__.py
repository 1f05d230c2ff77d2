"""Server side of a Copilot-style Word and Excel add-in, with swappable AI models.

``create_app`` is the only place things are wired together.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    ``config`` maps setting names (see ``addin.config.SETTINGS``; ``ADDIN_`` prefix optional)
    to values and wins over ``ADDIN_*`` environment variables. Unknown or malformed settings
    raise :class:`addin.errors.ConfigError` here, at start-up.
    """
    from . import auth, logs, store
    from .api import init_app as init_api
    from .config import load_settings
    from .features.policy import Policy
    from .limits import Limits
    from .models import catalog
    from .models.breaker import CircuitBreakers
    from .models.runner import Runner, RunnerSettings
    from .models.selector import FEATURES, Selector
    from .recorder import UsageWriter

    settings = load_settings(os.environ, config)
    _no_tracing()
    app = Flask(__name__, instance_relative_config=True)
    app.config["ADDIN"] = settings
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"] * 1024 * 1024)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logs.init_app(app, settings["LOG_LEVEL"])

    database = store.Store(settings["DATABASE_URL"] or _default_database(app))
    database.create_all()
    if settings["CONFIG"]:
        catalog.apply(catalog.load_catalog(settings["CONFIG"], FEATURES), database)
    catalog.ensure_defaults(database, FEATURES)
    store.init_app(app, database)
    recorder = UsageWriter(database.record_usage_many)
    app.extensions["addin.recorder"] = recorder
    breakers = CircuitBreakers(settings["CIRCUIT_THRESHOLD"], settings["CIRCUIT_COOLDOWN_S"])
    limits = Limits(database, FEATURES, flush=recorder.flush)
    if settings["REDIS_URL"]:  # shared by every worker and instance
        from . import shared

        client = shared.connect(settings["REDIS_URL"])
        breakers = shared.RedisCircuitBreakers(client, settings["CIRCUIT_THRESHOLD"],
                                               settings["CIRCUIT_COOLDOWN_S"])
        limits = Limits(database, FEATURES, flush=recorder.flush,
                        rate=shared.RedisRateLimiter(client),
                        spend=shared.RedisSpend(client, database, recorder.flush))
    app.extensions["addin.limits"] = limits

    app.extensions["addin.runner"] = Runner(
        Selector(database, FEATURES),
        breakers,
        RunnerSettings(max_retries=settings["MAX_RETRIES"],
                       retry_after_cap_s=settings["RETRY_AFTER_CAP_S"],
                       backoff_s=settings["RETRY_BACKOFF_S"],
                       stall_timeout_s=settings["STALL_TIMEOUT_S"]),
        recorder=_each(limits.record, recorder),
    )
    app.extensions["addin.policy"] = Policy.from_settings(settings["CONFIDENTIAL_LABELS"],
                                                          settings["CONFIDENTIAL_PROPERTY"])
    init_api(app)
    auth.init_app(app)  # after the request-id hook, so a 401 carries the request id
    return app


def _each(*sinks: Callable[[Any], None]) -> Callable[[Any], None]:
    """One callable handing its argument to every sink in turn."""

    def call(item: Any) -> None:
        for sink in sinks:
            sink(item)

    return call


def _no_tracing() -> None:
    """LangSmith tracing, if switched on in the environment, would send every prompt (so the
    documents' text) to an outside service, around the confidentiality policy. It is off."""
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING"):
        if os.environ.get(name, "").strip().lower() not in ("", "0", "false"):
            logging.getLogger("addin").warning("%s ignored: tracing would send document text "
                                               "outside; it stays off", name)
            os.environ[name] = "false"


def _default_database(app: Flask) -> str:
    os.makedirs(app.instance_path, exist_ok=True)
    return f"sqlite:///{os.path.join(app.instance_path, 'addin.sqlite')}"
