"""Mistral (``kind = "mistral"``) through ``langchain_mistralai.ChatMistralAI``.

Quirks: LangChain talks to the API itself over ``httpx`` + ``httpx_sse`` (no SDK), so an HTTP
error is an ``httpx.HTTPStatusError`` (the response, with its ``Retry-After``, is on it);
its ``timeout`` field is a whole number of seconds, so the provider hands it a ready
``httpx.Client`` with the split read/connect timeout and the bearer header. The finish marker
is ``finish_reason``, which LangChain copies only from a chunk that also names its
``model``; usage comes on that last chunk. LangChain skips any chunk without ``choices``,
which would turn an error object inside a 200 stream into a silent cut, so
:class:`_ChatMistral` looks at the raw chunks first. ChatMistralAI refuses a temperature
above 1 when built (reported as ``bad_request``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from langchain_mistralai import ChatMistralAI

from ..failures import ProviderFailure
from .common import Call, LangchainProvider, endpoint

PUBLIC_URL = "https://api.mistral.ai/v1"


class _ChatMistral(ChatMistralAI):
    """ChatMistralAI that raises on an error object in the stream instead of skipping it."""

    def completion_with_retry(self, run_manager: Any = None, **kwargs: Any) -> Any:
        result = super().completion_with_retry(run_manager=run_manager, **kwargs)
        return _checked(result) if kwargs.get("stream") else result


def _checked(chunks: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for chunk in chunks:
        if chunk.get("object") == "error" or chunk.get("error"):
            error = chunk.get("error") or chunk
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ProviderFailure("stream_error", f"error in the stream: {message}"[:500])
        yield chunk


class MistralProvider(LangchainProvider):
    def build(self, call: Call) -> ChatMistralAI:
        base_url = endpoint(self.entry, PUBLIC_URL)
        client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {call.secret}", "Accept": "application/json"},
            timeout=httpx.Timeout(call.timeout_s, read=call.stall_s),
        )
        settings: dict[str, Any] = {"model": self.entry.model, "base_url": base_url,
                                    "api_key": call.secret, "client": client, "max_retries": 0}
        if call.temperature is not None:  # else ChatMistralAI's default (0.7)
            settings["temperature"] = call.temperature
        if call.max_tokens:
            settings["max_tokens"] = call.max_tokens
        return _ChatMistral(**settings)
