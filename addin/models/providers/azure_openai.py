"""Azure OpenAI (``kind = "azure_openai"``) through ``langchain_openai.AzureChatOpenAI``.

``endpoint`` is the resource URL (``https://<name>.openai.azure.com``) and ``model`` the
*deployment* name. Two ways to authenticate:

* an API key: ``secret = "env:AZURE_OPENAI_API_KEY"``;
* Entra ID (a service principal): options ``tenant_id``, ``client_id``, ``client_secret``
  (a reference), and optionally ``authority`` (the login host, for sovereign clouds, e.g.
  ``https://login.microsoftonline.us``; the tenant is appended) and ``scope``. An
  :class:`EntraToken` owned by the provider fetches the token through MSAL, reuses it and
  renews it ahead of expiry; LangChain calls it as its ``azure_ad_token_provider``.

``api_version`` defaults to :data:`API_VERSION`. Streaming quirks are OpenAI's (see
:mod:`.openai`).
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import msal
from langchain_openai import AzureChatOpenAI

from ...errors import ConfigError
from ..base import ProviderEntry
from ..failures import ProviderFailure
from ..secrets import resolve
from .common import Call, LangchainProvider, endpoint, require
from .openai import openai_timeout
from .translate import translate

API_VERSION = "2024-10-21"
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
SCOPE = "https://cognitiveservices.azure.com/.default"
_ENTRA = ("tenant_id", "client_id", "client_secret")


class EntraToken:
    """A client-credentials access token for Azure OpenAI, cached until shortly before expiry.

    Renewal happens ``RENEW_EARLY_S`` before expiry (at most half the lifetime, so short-lived
    tokens are still reused). MSAL keeps its own cache too, but it treats any token with less
    than five minutes left as expired, so it is not enough on its own.
    """

    RENEW_EARLY_S: ClassVar[float] = 300.0

    def __init__(self, entry: ProviderEntry) -> None:
        self.entry = entry
        self._app: Any = None
        self._token = ""
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._renew_at:
                return self._token
            try:
                result = self._application().acquire_token_for_client(scopes=[self._scope()])
            except ProviderFailure:
                raise
            except ValueError as exc:  # MSAL: the authority or its discovery document
                self._app = None
                raise ProviderFailure("auth", f"Entra ID: {exc}") from exc
            except Exception as exc:
                self._app = None
                raise translate(exc, started=False) from exc
            token = result.get("access_token")
            if not token:
                self._app = None  # the secret may have been rotated: re-read it next time
                raise ProviderFailure("auth", f"Entra ID refused the token request: "
                                              f"{result.get('error')}: "
                                              f"{result.get('error_description', '')}"[:300])
            lifetime = float(result.get("expires_in") or 0)
            self._token = token
            self._renew_at = time.monotonic() + lifetime - min(self.RENEW_EARLY_S, lifetime / 2)
            return str(token)

    def _scope(self) -> str:
        return str(self.entry.options.get("scope") or SCOPE)

    def _application(self) -> Any:
        if self._app is None:
            options = self.entry.options
            host = str(options.get("authority") or "").rstrip("/")
            self._app = msal.ConfidentialClientApplication(
                options["client_id"],
                client_credential=resolve(options["client_secret"]),
                authority=f"{host or PUBLIC_AUTHORITY}/{options['tenant_id']}",
                instance_discovery=False if host else None,  # an explicit host is trusted
                timeout=self.entry.timeout_s,
            )
        return self._app


class AzureOpenAIProvider(LangchainProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"api_version", "authority", "scope", *_ENTRA})

    def __init__(self, entry: ProviderEntry) -> None:
        super().__init__(entry)
        self.token = EntraToken(entry) if uses_entra(entry) else None

    def credential(self) -> str:
        """The API key; none when Entra ID tokens authenticate instead."""
        return "" if self.token else super().credential()

    @classmethod
    def check(cls, entry: ProviderEntry) -> None:
        require(entry, "endpoint")
        if not uses_entra(entry):
            return
        require(entry, *_ENTRA)
        if entry.secret:
            raise ConfigError(f"provider {entry.id!r}: give either an API key (secret) or "
                              f"Entra ID options ({', '.join(_ENTRA)}), not both")
        authority = str(entry.options.get("authority") or "")
        if authority and not authority.startswith("https://"):
            raise ConfigError(f"provider {entry.id!r}: authority must be an https:// URL")

    def build(self, call: Call) -> AzureChatOpenAI:
        settings: dict[str, Any] = {
            "azure_endpoint": endpoint(self.entry),
            "azure_deployment": self.entry.model,
            "api_version": self.entry.options.get("api_version") or API_VERSION,
            "timeout": openai_timeout(call),
            "max_retries": 0,
            "stream_usage": True,
            "temperature": call.temperature,
            "max_tokens": call.max_tokens,
        }
        if self.token:
            settings["azure_ad_token_provider"] = self.token
        else:
            settings["api_key"] = call.secret
        return AzureChatOpenAI(**settings)


def uses_entra(entry: ProviderEntry) -> bool:
    return any(entry.options.get(key) for key in _ENTRA)
