"""OpenAI (``kind = "openai"``) through ``langchain_openai.ChatOpenAI``.

Quirks: usage only arrives when asked for (``stream_usage=True`` adds
``stream_options.include_usage``, a final chunk with no choices); the finish marker is
``finish_reason`` on the last choice; an error object inside a 200 stream makes the SDK raise
a status-less ``APIError``. ``openai`` ships on ``httpx2``, so its timeout is ``openai.Timeout``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import openai
from langchain_openai import ChatOpenAI

from .common import Call, LangchainProvider, endpoint

PUBLIC_URL = "https://api.openai.com/v1"


class OpenAIProvider(LangchainProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"organization"})
    DEFAULT_ENDPOINT: ClassVar[str] = PUBLIC_URL

    def build(self, call: Call) -> ChatOpenAI:
        return ChatOpenAI(
            model=self.entry.model,
            base_url=endpoint(self.entry, self.DEFAULT_ENDPOINT),
            api_key=call.secret or "none",  # type: ignore[arg-type]
            organization=self.entry.options.get("organization"),
            timeout=openai_timeout(call),
            max_retries=0,
            stream_usage=True,
            temperature=call.temperature,
            **self.token_limit(call),
        )

    def token_limit(self, call: Call) -> dict[str, Any]:
        """OpenAI's current name for the limit (ChatOpenAI sends ``max_completion_tokens``)."""
        return {"max_tokens": call.max_tokens}


def openai_timeout(call: Call) -> openai.Timeout:
    """Read timeout = the stall limit; connect/write/pool = the entry's timeout."""
    return openai.Timeout(call.timeout_s, read=call.stall_s)
