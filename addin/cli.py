"""The `addin` command: serve the add-in, make the development certificate, list settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flask import Flask

from .config import describe
from .errors import ConfigError


def _cert_dir(app: Flask) -> Path:
    configured = app.config["ADDIN"]["CERT_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "certs"


def _serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from . import create_app
    from .devcert import ensure_cert

    overrides = {k: v for k, v in (("HOST", args.host), ("PORT", args.port),
                                   ("CONFIG", args.config)) if v is not None}
    if args.no_tls:
        overrides["TLS"] = False
    app = create_app(overrides)
    settings = app.config["ADDIN"]
    ssl_context = None
    scheme = "http"
    if settings["TLS"]:
        cert, key = ensure_cert(_cert_dir(app))
        ssl_context = (str(cert), str(key))
        scheme = "https"
        print(f"Development certificate: {cert} (trust it once to silence browser warnings)")
    print(f"Serving the add-in on {scheme}://{settings['HOST']}:{settings['PORT']} "
          "with the built-in offline engine. Ctrl+C stops.")
    run_simple(settings["HOST"], settings["PORT"], app, ssl_context=ssl_context,
               threaded=True, use_reloader=False)
    return 0


def _dev_cert(args: argparse.Namespace) -> int:
    from . import create_app
    from .devcert import ensure_cert

    cert, key = ensure_cert(_cert_dir(create_app()))
    print(f"certificate: {cert}\nkey:         {key}")
    return 0


def _settings(args: argparse.Namespace) -> int:
    print(describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="addin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the add-in (HTTPS on localhost:3000)")
    serve.add_argument("--host", help="interface to listen on (default localhost)")
    serve.add_argument("--port", type=int, help="port (default 3000)")
    serve.add_argument("--no-tls", action="store_true", help="plain HTTP (behind a TLS proxy)")
    serve.add_argument("--config", metavar="FILE",
                       help="TOML file of providers and feature assignments (ADDIN_CONFIG)")
    serve.set_defaults(handler=_serve)
    commands.add_parser("dev-cert", help="make the localhost certificate").set_defaults(
        handler=_dev_cert)
    commands.add_parser("settings", help="list every ADDIN_* setting").set_defaults(
        handler=_settings)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"addin: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
