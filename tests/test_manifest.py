"""The add-in manifest, its icons and the development CA: what Office needs to load the add-in.

The served manifest must pass :func:`check_manifest` with every icon and page fetched from the
app itself; each kind of mistake Office would choke on must come back as one clear line.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from werkzeug.serving import make_server

from addin import create_app
from addin.cli import main
from addin.devcert import ca_path, ensure_cert
from addin.icons import ASSETS, SIZES, decode_png, png_size, render_icon
from addin.manifest import check_manifest, render_manifest
from tests.entra import CLIENT

PUBLIC = "https://localhost:3000"


def app_fetch(client: FlaskClient, public: str = PUBLIC) -> Callable[[str], tuple[int, str, bytes]]:
    """Fetch URLs under ``public`` through the Flask test client; anything else is a 404."""

    def fetch(url: str) -> tuple[int, str, bytes]:
        if not url.startswith(public + "/"):
            return 404, "text/plain", b""
        response = client.get(url[len(public):])
        return response.status_code, response.content_type or "", response.data

    return fetch


@pytest.fixture()
def manifest(client: FlaskClient) -> str:
    return client.get("/manifest.xml").get_data(as_text=True)


def test_the_served_manifest_passes_every_check(client: FlaskClient, manifest: str) -> None:
    response = client.get("/manifest.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert check_manifest(manifest, app_fetch(client)) == []
    assert f"<SourceLocation DefaultValue=\"{PUBLIC}/taskpane.html\"/>" in manifest


def test_the_manifest_follows_the_public_url() -> None:
    app = create_app({"PUBLIC_URL": "https://addin.example.com/office/"})
    xml = app.test_client().get("/manifest.xml").get_data(as_text=True)
    assert "https://addin.example.com/office/assets/icon-32.png" in xml
    assert "localhost" not in xml
    assert check_manifest(xml) == []


def test_an_element_out_of_order_is_named(manifest: str) -> None:
    swapped = manifest.replace(
        "<Version>1.0.0.0</Version>\n  <ProviderName>AI Assistant add-in</ProviderName>",
        "<ProviderName>AI Assistant add-in</ProviderName>\n  <Version>1.0.0.0</Version>")
    assert swapped != manifest
    assert check_manifest(swapped) == [
        "OfficeApp: element Version must come before ProviderName"]


def test_version_overrides_moved_to_the_top_is_named(manifest: str) -> None:
    start, end = manifest.index("  <VersionOverrides"), manifest.index("</OfficeApp>")
    moved = manifest[:start] + manifest[end:]
    at = moved.index("  <Id>")
    moved = moved[:at] + manifest[start:end] + moved[at:]
    assert check_manifest(moved) == [
        "OfficeApp: element VersionOverrides must come after Permissions"]


def test_an_order_mistake_deep_in_the_ribbon_is_named(manifest: str) -> None:
    swapped = manifest.replace(
        '<Label resid="Group.Label"/>\n                <Icon>',
        '<Icon>', 1).replace(
        '</Icon>\n                <Control xsi:type="Button" id="AIAssistant.Summarize">',
        '</Icon>\n                <Label resid="Group.Label"/>\n'
        '                <Control xsi:type="Button" id="AIAssistant.Summarize">', 1)
    assert check_manifest(swapped) == [
        "OfficeApp/VersionOverrides/Hosts/Host[Document]/DesktopFormFactor/"
        "ExtensionPoint[PrimaryCommandSurface]/OfficeTab[TabHome]/Group[AIAssistant.Group]: "
        "element Label must come before Icon"]


def test_an_http_url_is_named_with_its_element() -> None:
    problems = check_manifest(render_manifest("http://localhost:3000"))
    assert "OfficeApp/IconUrl: http://localhost:3000/assets/icon-32.png is not https " \
           "(Office loads add-ins over HTTPS only)" in problems
    assert any(p.startswith("OfficeApp/VersionOverrides/Resources/Images/Image[Icon.80x80]: "
                            "http://") for p in problems)
    assert all("is not https" in p for p in problems)


def test_a_missing_icon_is_named(client: FlaskClient, manifest: str) -> None:
    broken = manifest.replace("/assets/icon-80.png", "/assets/icon-81.png")
    assert check_manifest(broken) == []  # offline, nothing to see
    assert check_manifest(broken, app_fetch(client)) == [
        "OfficeApp/VersionOverrides/Resources/Images/Image[Icon.80x80]: "
        f"{PUBLIC}/assets/icon-81.png answered 404, not 200"]


def test_a_wrong_size_icon_is_named(client: FlaskClient, manifest: str) -> None:
    broken = manifest.replace(
        f'<HighResolutionIconUrl DefaultValue="{PUBLIC}/assets/icon-64.png"/>',
        f'<HighResolutionIconUrl DefaultValue="{PUBLIC}/assets/icon-32.png"/>').replace(
        f'<bt:Image id="Icon.16x16" DefaultValue="{PUBLIC}/assets/icon-16.png"/>',
        f'<bt:Image id="Icon.16x16" DefaultValue="{PUBLIC}/assets/icon-80.png"/>')
    assert check_manifest(broken, app_fetch(client)) == [
        f"OfficeApp/HighResolutionIconUrl: {PUBLIC}/assets/icon-32.png is 32x32 px, "
        "expected 64x64",
        "OfficeApp/VersionOverrides/Resources/Images/Image[Icon.16x16]: "
        f"{PUBLIC}/assets/icon-80.png is 80x80 px, expected 16x16"]


def test_a_page_served_as_something_else_is_named(manifest: str) -> None:
    def fetch(url: str) -> tuple[int, str, bytes]:
        if url.endswith(".png"):
            return 200, "image/png", (ASSETS / url.rsplit("/", 1)[1]).read_bytes()
        return 200, "text/plain", b"hello"

    problems = check_manifest(manifest, fetch)
    assert (f"OfficeApp/DefaultSettings/SourceLocation: {PUBLIC}/taskpane.html is served as "
            "text/plain, not text/html") in problems


def test_an_unreachable_server_is_named(manifest: str) -> None:
    def fetch(url: str) -> tuple[int, str, bytes]:
        raise ConnectionRefusedError("connection refused")

    problems = check_manifest(manifest, fetch)
    assert (f"OfficeApp/IconUrl: could not fetch {PUBLIC}/assets/icon-32.png: "
            "connection refused") in problems


def test_an_id_that_is_not_a_guid_is_named(manifest: str) -> None:
    broken = manifest.replace("<Id>fe72c9c8-4214-4d66-8f96-1334fe4188a3</Id>", "<Id>my-addin</Id>")
    assert check_manifest(broken) == [
        "OfficeApp/Id: 'my-addin' is not a GUID (like 8c6e0b7f-3a1d-4f5e-9b2a-0d4c6e8f1a2b)"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("<Version>1.0.0.0</Version>", "<Version>1.0-beta</Version>",
     "OfficeApp/Version: '1.0-beta' is not a version like 1.0.0.0"),
    ("<DefaultLocale>en-US</DefaultLocale>", "", "OfficeApp/DefaultLocale is missing"),
    ("<DefaultLocale>en-US</DefaultLocale>", "<DefaultLocale>english</DefaultLocale>",
     "OfficeApp/DefaultLocale: 'english' is not a culture name like en-US"),
    ("<Permissions>ReadWriteDocument</Permissions>", "<Permissions>All</Permissions>",
     "OfficeApp/Permissions: 'All' is not one of"),
    ('<Host Name="Workbook"/>', "",
     'OfficeApp/Hosts: no Host Name="Workbook"; the add-in would not load there'),
    ('<Set Name="CompressedFile" MinVersion="1.1"/>', '<Set Name="WordApi" MinVersion="1.3"/>',
     "OfficeApp/Requirements/Sets/Set[WordApi]: WordApi exists in one host only"),
    ('<bt:Image size="80" resid="Icon.80x80"/>', "",
     "Group[AIAssistant.Group]/Icon: needs bt:Image sizes 80"),
    ('<SourceLocation resid="Taskpane.Url"/>', '<SourceLocation resid="Pane.Url"/>',
     "Action[ShowTaskpane]/SourceLocation[Pane.Url]: no resource with id 'Pane.Url' in "
     "Resources/Urls"),
])
def test_other_mistakes_are_named(manifest: str, old: str, new: str, expected: str) -> None:
    broken = manifest.replace(old, new, 1)
    assert broken != manifest
    problems = check_manifest(broken)
    assert any(expected in p for p in problems), problems


def test_xml_that_is_not_well_formed_or_has_a_dtd_is_refused(manifest: str) -> None:
    assert check_manifest(manifest.replace("</OfficeApp>", ""))[0].startswith(
        "manifest: not well-formed XML")
    with_dtd = manifest.replace(
        "<OfficeApp", '<!DOCTYPE OfficeApp [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<OfficeApp", 1).replace("<ProviderName>AI Assistant add-in", "<ProviderName>&x;")
    assert check_manifest(with_dtd) == ["manifest: has a DTD; a manifest must not declare one"]


def test_the_cli_writes_the_manifest_for_a_url(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    assert main(["manifest", "--url", "https://addin.example.com:8443/"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<OfficeApp')
    assert "https://addin.example.com:8443/taskpane.html" in out
    assert check_manifest(out) == []
    target = tmp_path / "manifest.xml"
    assert main(["manifest", "--url", "https://addin.example.com:8443", "--out",
                 str(target)]) == 0
    assert target.read_text(encoding="utf-8") == out
    assert main(["check-manifest", "--offline", str(target)]) == 0
    assert capsys.readouterr().out.strip() == "manifest OK"
    target.write_text(out.replace("https://addin", "http://addin"), encoding="utf-8")
    assert main(["check-manifest", "--offline", str(target)]) == 1
    assert "OfficeApp/IconUrl: http://addin.example.com:8443/assets/icon-32.png is not https" \
        in capsys.readouterr().out


@pytest.mark.parametrize("size", SIZES)
def test_the_icons_are_real_pngs_equal_to_what_the_generator_draws(size: int) -> None:
    data = (ASSETS / f"icon-{size}.png").read_bytes()
    assert png_size(data) == (size, size)
    width, height, pixels = decode_png(data)
    assert (width, height) == (size, size)
    assert pixels == render_icon(size), "re-make them with: python -m addin.icons"
    assert pixels[3] == 0 and pixels[(size * (size // 2) + size // 2) * 4 + 3] == 255


def test_icons_are_served_cacheable(client: FlaskClient) -> None:
    for size in SIZES:
        response = client.get(f"/assets/icon-{size}.png")
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.cache_control.public and response.cache_control.max_age == 86400
        assert not response.cache_control.no_cache
        assert png_size(response.data) == (size, size)
    assert client.get("/assets/icon-17.png").status_code == 404
    assert client.get("/assets/..%2F..%2Fmanifest.py").status_code == 404


def test_the_ca_signs_the_localhost_certificate_and_is_reused(tmp_path: Path) -> None:
    cert_path, key_path = ensure_cert(tmp_path)
    ca = x509.load_pem_x509_certificate(ca_path(tmp_path).read_bytes())
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    cert.verify_directly_issued_by(ca)  # raises if the CA did not sign it
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    name = ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert str(name).startswith("Office Add-in Dev CA (")
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 3649
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    for private in (key_path, tmp_path / "ca.key"):
        assert private.stat().st_mode & 0o077 == 0
    ca_bytes, cert_bytes = ca_path(tmp_path).read_bytes(), cert_path.read_bytes()
    ensure_cert(tmp_path)
    assert (ca_path(tmp_path).read_bytes(), cert_path.read_bytes()) == (ca_bytes, cert_bytes)
    cert_path.unlink()  # a lost or expiring server certificate: re-issued by the same CA
    ensure_cert(tmp_path)
    assert ca_path(tmp_path).read_bytes() == ca_bytes
    x509.load_pem_x509_certificate(cert_path.read_bytes()).verify_directly_issued_by(ca)
    assert cert_path.read_bytes() != cert_bytes


def test_an_old_self_signed_certificate_is_replaced(tmp_path: Path) -> None:
    cert_path, _ = ensure_cert(tmp_path)
    ca_path(tmp_path).unlink()
    (tmp_path / "ca.key").unlink()  # as left by the version before the CA: a lone cert
    ensure_cert(tmp_path)
    ca = x509.load_pem_x509_certificate(ca_path(tmp_path).read_bytes())
    x509.load_pem_x509_certificate(cert_path.read_bytes()).verify_directly_issued_by(ca)


@pytest.fixture()
def https_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served over HTTPS on localhost with the development CA; yields its URL."""
    certs = tmp_path / "certs"
    cert, key = ensure_cert(certs)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    app: Flask = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    url = f"https://localhost:{server.server_port}"
    monkeypatch.setenv("ADDIN_PUBLIC_URL", url)
    monkeypatch.setenv("ADDIN_CERT_DIR", str(certs))
    app.config["ADDIN"] = {**app.config["ADDIN"], "PUBLIC_URL": url}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_check_manifest_fetches_the_served_manifest_over_https(
        https_app: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-manifest"]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.strip() == "manifest OK"
    assert main(["check-manifest", f"{https_app}/nothing.xml"]) == 1
    assert capsys.readouterr().out.strip() == f"{https_app}/nothing.xml: answered 404, not 200"


def test_entra_sign_in_declares_office_sso_in_the_manifest() -> None:
    xml = render_manifest("https://addin.example.com", "aaaa-bbbb")
    assert check_manifest(xml) == []
    root = etree.fromstring(xml.encode())
    info = root.find(".//{*}VersionOverrides/{*}WebApplicationInfo")
    assert info is not None
    assert info.findtext("{*}Id") == "aaaa-bbbb"
    assert info.findtext("{*}Resource") == "api://addin.example.com/aaaa-bbbb"
    named = render_manifest("https://addin.example.com", "aaaa-bbbb",
                            "aaaa-bbbb, api://addin.example.com/custom")
    assert "<Resource>api://addin.example.com/custom</Resource>" in named


def test_dev_sign_in_leaves_office_sso_out(client: FlaskClient) -> None:
    assert b"WebApplicationInfo" not in client.get("/manifest.xml").data


def test_an_entra_server_serves_the_manifest_with_office_sso(entra_app: Flask) -> None:
    xml = entra_app.test_client().get("/manifest.xml").get_data(as_text=True)
    assert f"<Resource>api://localhost:3000/{CLIENT}</Resource>" in xml
    assert check_manifest(xml) == []
