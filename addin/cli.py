"""The `addin` command: serve the add-in, make the development certificate, render and check
the add-in manifest, list settings."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from .config import describe, load_settings
from .errors import ConfigError


def _cert_dir(app: Flask) -> Path:
    configured = app.config["ADDIN"]["CERT_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "certs"


def _light_app() -> Flask:
    """An app with the settings and the instance folder of the real one, without its store:
    enough for the commands that only need ADDIN_PUBLIC_URL or the certificate folder."""
    app = Flask("addin", instance_relative_config=True)
    app.config["ADDIN"] = load_settings(os.environ)
    return app


def _trust_hint(cert_dir: Path) -> str:
    from .devcert import ca_path, trust_instructions

    ca = ca_path(cert_dir)
    return (f"Development CA: {ca}\nTrust it once as a root, then restart Office and the "
            f"browser:\n{trust_instructions(ca, platform.system())}")


def sideload_instructions(public_url: str) -> str:
    """How to load the add-in into Office on the web, Windows and Mac, for ``addin serve``."""
    manifest = f"{public_url.rstrip('/')}/manifest.xml"
    return "\n".join([
        f"Manifest: {manifest}  (or: addin manifest --url {public_url} --out manifest.xml)",
        "Sideload it:",
        "  Office on the web: open a document on office.com > Home > Add-ins > More Add-ins "
        "(or Insert > Add-ins) > My Add-ins > Upload My Add-in > choose manifest.xml",
        "  Windows: put manifest.xml in a shared folder, add its \\\\machine\\share path in "
        "File > Options > Trust Center > Trust Center Settings > Trusted Add-in Catalogs "
        "(Show in Menu), restart Office, then Insert > My Add-ins > Shared Folder; or run "
        "`npx office-addin-debugging start manifest.xml desktop --app word` (or --app excel)",
        "  Mac: copy manifest.xml into ~/Library/Containers/com.microsoft.Word/Data/Documents/wef"
        " and ~/Library/Containers/com.microsoft.Excel/Data/Documents/wef (create them if "
        "missing), restart Word and Excel, then Insert > Add-ins > My Add-ins",
        "  (details: README, section Sideload)",
        "The button is on the Home tab: Summarize in Word, Analyze in Excel.",
    ])


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
        print(_trust_hint(_cert_dir(app)))
    print(sideload_instructions(settings["PUBLIC_URL"]))
    public = urlsplit(settings["PUBLIC_URL"])
    if (public.hostname in ("localhost", "127.0.0.1", "::1")
            and (public.port or (443 if public.scheme == "https" else 80)) != settings["PORT"]):
        print(f"Note: ADDIN_PUBLIC_URL is {settings['PUBLIC_URL']} but this serves port "
              f"{settings['PORT']}: the manifest's URLs will not reach it. Set "
              f"ADDIN_PUBLIC_URL={scheme}://localhost:{settings['PORT']}.")
    print(f"Serving the add-in on {scheme}://{settings['HOST']}:{settings['PORT']} "
          "with the built-in offline engine. Ctrl+C stops.", flush=True)
    if args.prod:
        from .serving import serve

        return serve(app, overrides, ssl_context)
    run_simple(settings["HOST"], settings["PORT"], app, ssl_context=ssl_context,
               threaded=True, use_reloader=False)
    return 0


def _dev_cert(args: argparse.Namespace) -> int:
    from .devcert import ensure_cert

    folder = _cert_dir(_light_app())
    cert, key = ensure_cert(folder)
    print(f"certificate: {cert}\nkey:         {key}\n{_trust_hint(folder)}")
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from .manifest import manifest_for

    xml = manifest_for(_light_app().config["ADDIN"], args.url)
    if args.out:
        Path(args.out).write_text(xml, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(xml)
    return 0


def _check_manifest_command(args: argparse.Namespace) -> int:
    from .devcert import ca_path
    from .manifest import check_manifest, url_fetcher

    app = _light_app()
    fetch = url_fetcher(ca_path(_cert_dir(app)))
    target = args.target or f"{app.config['ADDIN']['PUBLIC_URL']}/manifest.xml"
    try:
        if target.startswith(("https://", "http://")):
            status, _, xml = fetch(target)
            if status != 200:
                print(f"{target}: answered {status}, not 200")
                return 1
        else:
            xml = Path(target).read_bytes()
    except OSError as exc:
        print(f"{target}: could not read the manifest: {exc}")
        return 1
    problems = check_manifest(xml, None if args.offline else fetch)
    print("\n".join(problems) if problems else "manifest OK")
    return 1 if problems else 0


def _migrate(args: argparse.Namespace) -> int:
    """Bring the database to the current schema, or print the SQL that would (--sql)."""
    from . import _default_database
    from .store import Store, migration_config

    app = _light_app()
    url = app.config["ADDIN"]["DATABASE_URL"] or _default_database(app)
    if args.sql:
        from alembic import command

        command.upgrade(migration_config(url), "head", sql=True)
        return 0
    store = Store(url)
    store.create_all()
    store.close()
    print(f"database schema up to date: {store.engine.url.render_as_string()}", file=sys.stderr)
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
    serve.add_argument("--prod", action="store_true",
                       help="production server for many concurrent streams: gunicorn gthread, "
                       "ADDIN_WORKERS x ADDIN_THREADS (waitress on Windows)")
    serve.set_defaults(handler=_serve)
    commands.add_parser("dev-cert", help="make the localhost certificate").set_defaults(
        handler=_dev_cert)
    commands.add_parser("settings", help="list every ADDIN_* setting").set_defaults(
        handler=_settings)
    migrate = commands.add_parser(
        "migrate", help="bring ADDIN_DATABASE_URL to the current schema (also done at start-up)")
    migrate.add_argument("--sql", action="store_true",
                         help="print the SQL instead of running it, for review")
    migrate.set_defaults(handler=_migrate)
    manifest = commands.add_parser("manifest", help="write the add-in manifest for a URL")
    manifest.add_argument("--url", help="public base URL (default ADDIN_PUBLIC_URL)")
    manifest.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    manifest.set_defaults(handler=_manifest)
    check = commands.add_parser(
        "check-manifest", help="check a manifest (file or URL; default: the served one) and "
        "the icons and pages it names")
    check.add_argument("target", nargs="?", metavar="FILE|URL",
                       help="default: ADDIN_PUBLIC_URL/manifest.xml")
    check.add_argument("--offline", action="store_true",
                       help="check the XML only; do not fetch the icons and pages")
    check.set_defaults(handler=_check_manifest_command)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"addin: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
