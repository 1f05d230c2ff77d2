"""Entra ID test tokens: a test RSA key, a JWKS served on 127.0.0.1, and token builders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
KID = "test-key-1"
BODY = {"text": "The city tested water at 120 sites. Lead levels fell in every district."}

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = _KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)


class Jwks:
    """A JWKS endpoint on 127.0.0.1 that counts how often it is fetched."""

    def __init__(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(_KEY.public_key()))
        self.document = {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps(jwks.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/keys"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "aud": CLIENT,
            "tid": TENANT, "oid": "user-oid-1", "name": "Ada Lovelace", "scp": "access_as_user",
            "iat": now, "nbf": now, "exp": now + 3600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(key: Any = _KEY, kid: str = KID, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(alg: str, secret: bytes = b"") -> str:
    """A token built by hand: PyJWT refuses to sign HS256 with a PEM key, attackers do not."""
    head = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": KID}).encode())
    body = _b64(json.dumps(claims()).encode())
    signing_input = f"{head}.{body}".encode()
    signature = _b64(hmac.new(secret, signing_input, hashlib.sha256).digest()) if secret else ""
    return f"{head}.{body}.{signature}"
