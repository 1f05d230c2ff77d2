"""Anthropic Claude (``kind = "anthropic"``) through ``langchain_anthropic.ChatAnthropic``.

Quirks: the finish marker is ``stop_reason``, carried with the usage on the
``message_delta`` event (LangChain drops ``message_start``'s usage and reads both counts
from there); an ``event: error`` inside a 200 stream (e.g. ``overloaded_error``) makes the
SDK raise a status error whose status is the stream's 200; a 529 is ``OverloadedError``.
``anthropic`` ships on ``httpx2`` and refuses ``httpx`` objects, and ChatAnthropic's own
``timeout`` is a single float, so the split read/connect timeout goes per request as an
``anthropic.Timeout``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anthropic
from langchain_anthropic import ChatAnthropic

from .common import Call, LangchainProvider, endpoint

PUBLIC_URL = "https://api.anthropic.com"


class AnthropicProvider(LangchainProvider):
    FINISH_KEY: ClassVar[str] = "stop_reason"

    def build(self, call: Call) -> ChatAnthropic:
        settings: dict[str, Any] = {
            "model": self.entry.model,
            "base_url": endpoint(self.entry, PUBLIC_URL),
            "api_key": call.secret,
            "max_retries": 0,
            "temperature": call.temperature,
        }
        if call.max_tokens:  # else ChatAnthropic's per-model default (the API requires one)
            settings["max_tokens"] = call.max_tokens
        return ChatAnthropic(**settings)

    def stream_kwargs(self, call: Call) -> dict[str, Any]:
        return {"timeout": anthropic.Timeout(call.timeout_s, read=call.stall_s)}
