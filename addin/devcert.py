"""A local certificate authority and a localhost certificate it signs, made with `cryptography`.

Office only loads add-ins over HTTPS, and Office (like browsers) rejects a certificate it does
not trust, often without saying why: the task pane just stays blank. Trusting a self-signed
server certificate works in some places and not others (Office on Mac and WebView2 want a
root), so on first use we make a small CA, valid 10 years, that the developer trusts once as a
root, and a server certificate for localhost, 127.0.0.1 and ::1 that it signs, valid one year.
The server certificate is re-issued (by the same CA, so nothing needs trusting again) when it
is missing, expires within a week, or was not signed by the current CA. Keys are written 0600.

Files in the folder (default ``<instance>/certs``): ``ca.crt``, ``ca.key``, ``localhost.crt``,
``localhost.key``. The CA key only ever signs localhost certificates on this machine; it is
never sent anywhere.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_NAME, CA_KEY_NAME = "ca.crt", "ca.key"
CERT_NAME, KEY_NAME = "localhost.crt", "localhost.key"
CA_DAYS, SERVER_DAYS = 3650, 365
RENEW_BEFORE = dt.timedelta(days=7)


def ca_path(folder: Path) -> Path:
    """Where the CA certificate (the file to trust) lives in ``folder``."""
    return folder / CA_CERT_NAME


def ca_common_name() -> str:
    """``Office Add-in Dev CA (<hostname>)``: says which machine's CA a trusted root is."""
    return f"Office Add-in Dev CA ({socket.gethostname() or 'localhost'})"


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _lasts(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > RENEW_BEFORE


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write ``key`` readable by its owner only, from the moment the file exists."""
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)  # the file may have existed with a wider mode


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_common_name()),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                         "Office add-in (development)")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(folder / CA_KEY_NAME, key)
    _write_cert(folder / CA_CERT_NAME, cert)
    return cert, key


def ensure_ca(folder: Path) -> tuple[Path, Path]:
    """Return (CA certificate, CA key) paths in ``folder``, making the CA if it is missing,
    unreadable or expiring within a week. A new CA has to be trusted again."""
    _ca(folder)
    return folder / CA_CERT_NAME, folder / CA_KEY_NAME


def _ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = _load_cert(folder / CA_CERT_NAME), _load_key(folder / CA_KEY_NAME)
    if (cert is not None and key is not None and _lasts(cert)
            and cert.public_key() == key.public_key()):
        return cert, key
    return _make_ca(folder)


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def ensure_cert(folder: Path) -> tuple[Path, Path]:
    """Return (certificate, key) paths of the localhost server certificate in ``folder``,
    making the CA and the certificate as needed (see the module docstring)."""
    ca_cert, ca_key = _ca(folder)
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    cert, key = _load_cert(cert_path), _load_key(key_path)
    if (cert is not None and key is not None and _lasts(cert) and _signed_by(cert, ca_cert)
            and cert.public_key() == key.public_key()):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    not_after = min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Office add-in (development)")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, key)
    _write_cert(cert_path, cert)
    return cert_path, key_path


def trust_instructions(ca: Path, system: str) -> str:
    """How to trust ``ca`` as a root on ``system`` (``platform.system()``: Windows, Darwin,
    Linux), as commands to copy. Office on the web runs in the browser, so the browser's own
    store matters too (Firefox keeps its own; Chrome and Edge use the system's, except Chrome
    on Linux, which uses the NSS database)."""
    if system == "Windows":
        return (f"  certutil -user -addstore Root \"{ca}\"\n"
                "  (or double-click the file > Install Certificate > Current User > "
                "Place all certificates in: Trusted Root Certification Authorities)")
    if system == "Darwin":
        return ("  sudo security add-trusted-cert -d -r trustRoot "
                f"-k /Library/Keychains/System.keychain \"{ca}\"")
    return ("  Chrome/Edge:  certutil -d sql:$HOME/.pki/nssdb -A -t \"C,,\" -n addin-dev "
            f"-i \"{ca}\"   (certutil is in libnss3-tools)\n"
            f"  system (curl, Python): sudo cp \"{ca}\" "
            "/usr/local/share/ca-certificates/addin-dev.crt && sudo update-ca-certificates")
