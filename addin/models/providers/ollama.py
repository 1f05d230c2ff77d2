"""Ollama (``kind = "ollama"``) through ``langchain_ollama.ChatOllama``.

Quirks: the stream is JSON lines, not SSE; the finish marker is ``done: true`` on the last
line (with ``done_reason``), which also carries the counts (``prompt_eval_count``,
``eval_count``, read by LangChain as usage); an ``{"error": ...}`` line inside a 200 stream
becomes ``ollama.ResponseError`` with status -1; HTTP errors become ``ResponseError`` with the
status but without the response, whose headers survive only on the exception's context.
Ollama silently truncates prompts longer than its context (2048 tokens by default), so
``num_ctx`` is sent: the ``num_ctx`` option, else the entry's ``context_window``.
An empty endpoint means the local daemon; a secret, if given, goes out as a bearer token
(for an Ollama behind an authenticating proxy).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from langchain_ollama import ChatOllama

from ...errors import ConfigError
from ..base import ProviderEntry
from .common import Call, LangchainProvider, endpoint

LOCAL_URL = "http://localhost:11434"


class OllamaProvider(LangchainProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"num_ctx", "keep_alive"})
    FINISH_KEY: ClassVar[str] = "done"
    NEEDS_SECRET: ClassVar[bool] = False

    @classmethod
    def check(cls, entry: ProviderEntry) -> None:
        num_ctx = entry.options.get("num_ctx")
        if num_ctx is not None and (not isinstance(num_ctx, int) or num_ctx <= 0):
            raise ConfigError(f"provider {entry.id!r}: num_ctx must be a positive whole number")

    def build(self, call: Call) -> ChatOllama:
        headers = {"Authorization": f"Bearer {call.secret}"} if call.secret else {}
        client: dict[str, Any] = {
            "timeout": httpx.Timeout(call.timeout_s, read=call.stall_s),
            "headers": headers,
        }
        options = self.entry.options
        return ChatOllama(
            model=self.entry.model,
            base_url=endpoint(self.entry, LOCAL_URL),
            client_kwargs=client,
            temperature=call.temperature,
            num_predict=call.max_tokens,
            num_ctx=options.get("num_ctx") or self.entry.context_window or None,
            keep_alive=options.get("keep_alive"),
        )
