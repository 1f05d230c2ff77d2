"""In-house OpenAI-compatible servers (``kind = "openai_compatible"``): vLLM, llama.cpp,
LM Studio, TGI, and hosted look-alikes such as xAI or DeepSeek, through ``ChatOpenAI`` with
the entry's ``endpoint`` as ``base_url``.

Differences from ``openai``: the endpoint is required; the key is optional (many in-house
servers take none, but the SDK insists on one, so a placeholder is sent); and the token limit
goes out as ``max_tokens``, which every such server reads, rather than OpenAI's newer
``max_completion_tokens``, which several ignore.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import ProviderEntry
from .common import Call, require
from .openai import OpenAIProvider


class OpenAICompatibleProvider(OpenAIProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset()
    NEEDS_SECRET: ClassVar[bool] = False
    DEFAULT_ENDPOINT: ClassVar[str] = ""

    @classmethod
    def check(cls, entry: ProviderEntry) -> None:
        require(entry, "endpoint")

    def token_limit(self, call: Call) -> dict[str, Any]:
        return {"extra_body": {"max_tokens": call.max_tokens}} if call.max_tokens else {}
