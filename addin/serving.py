"""`addin serve --prod`: the app under a production WSGI server, for many long streams at once.

Every Summarize or Analyze answer is a Server-Sent Events stream that stays open for the whole
answer (seconds to minutes), and most of that time is spent waiting on a vendor. So the server
must hold hundreds of open, mostly idle responses, each fed by a blocking model client.

**Linux and macOS: gunicorn with the ``gthread`` worker**, configured here in code (a
``BaseApplication``; no gunicorn.conf.py to keep in step):

* One thread per open stream. The model clients (httpx inside openai/anthropic, langchain
  around them) are blocking code; in a thread they simply block, and the GIL is free while
  they wait on the network. ``ADDIN_WORKERS`` processes (default: one per CPU) each run up
  to ``ADDIN_THREADS`` threads (default 256, started as needed), so 2 CPUs hold 512 streams
  at once. That is sized for streams that mostly *wait* (a long document can take a model
  10-30 s to its first token): a waiting stream costs a thread and memory, not CPU.
* Memory is predictable: about 120 MB per worker at rest, and about 0.4 MB more per open
  stream (thread stack actually touched, connection, buffers); bench/load.py measured
  364 MB idle and 519 MB with 400 streams open, for 2 workers.
* The limit is CPU, not threads: streaming costs about 0.35 ms of CPU per chunk, 90% of it
  in the vendor SDK (openai builds pydantic objects per chunk) and langchain, so at 50
  one-token chunks per second a stream needs 15-20 ms of CPU per second, and one core
  carries about 50 streams flat out (bench/load.py has the figures).
* Why not gevent: it would hold more idle connections per process, but only after
  ``monkey.patch_all()`` turns every socket, lock and thread of the model clients into
  greenlets. httpx, anyio, the vendor SDKs and SQLAlchemy are not written or tested for that
  (a C extension or an unpatched lock that blocks stops every stream of the worker), and a
  greenlet that computes (parsing a .docx, the offline engine, profiling a workbook, and the
  SDK's per-chunk parsing above) delays all the others until it yields. gevent would save
  memory per open stream, which is not what runs out; it would not save the per-chunk CPU,
  which is. Threads are preempted by the interpreter and need no patching.
* ``timeout`` is gunicorn's worker heartbeat, not a request limit: a gthread worker's main
  loop beats at least every second whatever its threads do, so a 5-minute stream never trips
  it; only a worker whose main thread cannot run at all is killed. The limits of a request
  are the app's own (``ADDIN_STALL_TIMEOUT_S`` between two chunks of a model's answer).
* Graceful shutdown: on SIGTERM a worker stops accepting and gives open streams
  ``GRACEFUL_TIMEOUT_S`` to finish; the master then kills what remains. SIGINT (Ctrl+C) and
  SIGQUIT stop at once.
* ``worker_connections`` is the threads plus ``KEEPALIVE_SLOTS``: room for idle kept-alive
  connections (the pane's small requests and static files reuse them), and no more. A worker
  whose threads are all streaming soon stops accepting, so a new connection waits in the
  listen backlog for a worker with a free thread, instead of queueing inside a busy one
  behind streams that may last minutes (gunicorn's default, 1000, would let it).
* No ``preload_app``: the app starts a background usage-writer thread, and threads do not
  survive fork. The master builds the app once, before forking, to check the configuration
  and create the database tables (workers do not race to create them), then closes it; each
  worker then builds its own app (``load`` runs in the worker, after the fork).
* gunicorn's access log is off (the app logs one line per request, with its request id);
  gunicorn's control socket is off (one fixed path per user would clash between instances).
* ``GUNICORN_CMD_ARGS`` (gunicorn's own variable) is applied last, for the rare tuning not
  covered here, e.g. ``--graceful-timeout 120``.

**Windows: waitress** (gunicorn does not run there): one process with ``ADDIN_THREADS``
threads (``ADDIN_WORKERS`` does not apply), plain HTTP only, so put it behind a TLS proxy
(IIS with ARR, or nginx) with ``--no-tls``.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .errors import ConfigError

HEARTBEAT_TIMEOUT_S = 60  # a worker silent this long is killed and replaced
GRACEFUL_TIMEOUT_S = 30  # on SIGTERM, what open streams get to finish
KEEPALIVE_S = 5  # an idle kept-alive connection holds no thread, only a slot
KEEPALIVE_SLOTS = 32  # connections a worker accepts beyond its threads
BACKLOG = 2048  # connections waiting for a worker with a free thread


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_options(settings: Mapping[str, Any],
                     tls: tuple[str, str] | None = None) -> dict[str, Any]:
    """The gunicorn configuration for the resolved ``settings`` (see the module docstring);
    ``tls`` is (certificate file, key file) or None for plain HTTP."""
    threads = settings["THREADS"]
    options: dict[str, Any] = {
        "bind": [_bind(settings["HOST"], settings["PORT"])],
        "worker_class": "gthread",
        "workers": settings["WORKERS"],
        "threads": threads,
        "worker_connections": threads + KEEPALIVE_SLOTS,
        "backlog": BACKLOG,
        "timeout": HEARTBEAT_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": KEEPALIVE_S,
        "preload_app": False,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": settings["LOG_LEVEL"].lower(),
        "proc_name": "addin",
        "control_socket_disable": True,
    }
    if Path("/dev/shm").is_dir():  # the heartbeat file: never on a slow or overlay disk
        options["worker_tmp_dir"] = "/dev/shm"
    if tls:
        options["certfile"], options["keyfile"] = tls
    return options


def _gunicorn_application() -> type:
    from gunicorn.app.base import BaseApplication

    class AddinApplication(BaseApplication):  # type: ignore[misc]
        """gunicorn, configured from a dict; each worker builds its own app in ``load``."""

        def __init__(self, options: Mapping[str, Any],
                     overrides: Mapping[str, Any] | None) -> None:
            self.options = dict(options)
            self.overrides = dict(overrides or {})
            super().__init__(prog="addin serve --prod")

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)
            extra = self.cfg.get_cmd_args_from_env()  # GUNICORN_CMD_ARGS
            if extra:
                parsed = self.cfg.parser().parse_args(extra)
                for key, value in vars(parsed).items():
                    if value is not None and key in self.cfg.settings:
                        self.cfg.set(key.lower(), value)

        def load(self) -> Flask:
            from . import create_app

            app = create_app(self.overrides)
            _freeze_heap()
            return app

    return AddinApplication


def _close(app: Flask) -> None:
    """Stop what ``create_app`` started (the usage writer, the database pool), so that no
    thread or open connection is inherited by the workers forked after this."""
    recorder = app.extensions.get("addin.recorder")
    if recorder is not None:
        recorder.close()
    store = app.extensions.get("addin.store")
    if store is not None:
        store.close()


def _freeze_heap() -> None:
    """Move every object alive now (modules, classes, the app: about 220,000 of them) out of
    the garbage collector's reach. A full collection otherwise walks them all: about 95 ms
    (measured) during which every stream of the worker stops."""
    gc.collect()
    gc.freeze()


def serve(app: Flask, overrides: Mapping[str, Any] | None,
          tls: tuple[str, str] | None = None) -> int:
    """Run the production server until it is stopped. ``app`` was built by the caller (which
    checked the configuration and prepared the database with it); it is closed here and each
    worker builds its own from ``overrides`` and the environment."""
    settings = app.config["ADDIN"]
    if sys.platform == "win32":
        return _serve_waitress(app, settings, tls)
    try:
        application = _gunicorn_application()
    except ImportError:
        raise ConfigError("--prod needs gunicorn: pip install 'addin[prod]'.") from None
    _close(app)
    _freeze_heap()  # before the fork: the workers share these pages and never scan them
    print(f"Serving with gunicorn (gthread): {settings['WORKERS']} workers x "
          f"{settings['THREADS']} threads = {settings['WORKERS'] * settings['THREADS']} "
          "streams at once. SIGTERM stops gracefully.", flush=True)
    application(gunicorn_options(settings, tls), overrides).run()
    return 0


def _serve_waitress(app: Flask, settings: Mapping[str, Any],
                    tls: tuple[str, str] | None) -> int:
    """Windows: waitress, one process of ``THREADS`` threads, plain HTTP behind a proxy."""
    if tls:
        raise ConfigError("On Windows --prod serves plain HTTP (waitress has no TLS): put it "
                          "behind a TLS proxy (IIS with ARR, nginx) and add --no-tls.")
    try:
        from waitress.server import create_server
    except ImportError:
        raise ConfigError("--prod needs waitress on Windows: pip install 'addin[prod]'.") \
            from None
    threads = settings["THREADS"]
    _freeze_heap()
    print(f"Serving with waitress: {threads} threads = {threads} streams at once "
          f"(ADDIN_WORKERS does not apply). Ctrl+C stops.", flush=True)
    # Its own warnings (e.g. "Task queue depth") on stderr; not waitress.serve(), whose
    # logging.basicConfig() would print every line of the app's loggers twice.
    waitress_log = logging.getLogger("waitress")
    if not waitress_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        waitress_log.addHandler(handler)
    # waitress closes only idle connections (channel_timeout); a long answer is not idle.
    # Windows' select() watches 512 sockets at most: keep THREADS under about 450 there.
    server = create_server(app, host=settings["HOST"], port=settings["PORT"], threads=threads,
                           connection_limit=threads + KEEPALIVE_SLOTS, ident="addin")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0

