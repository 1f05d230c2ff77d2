"""What every LangChain-backed kind shares: messages in, checked stream out, one cache.

A kind subclasses :class:`LangchainProvider` and says only what differs: how to build its
chat model for a :class:`Call` (client, timeouts, auth), which ``response_metadata`` key
carries the vendor's finish marker, and which options it accepts. The rest is here, once:

* the request's ``prompt()`` becomes LangChain messages;
* the secret reference is resolved at call time (a missing one is ``auth``, before any
  request is sent);
* ``model.stream`` is relayed as one :class:`Delta` per non-empty chunk, then exactly one
  :class:`Usage` (the vendor's counts, or an estimate when it sent none);
* a stream that ends without the finish marker is ``stream_cut``, and every exception is
  translated by :func:`.translate.translate`.

SDK retries are always off (``max_retries=0``): the runner owns retrying and failover.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ...errors import ConfigError
from ..base import CallParams, Delta, ModelRequest, Notice, ProviderEntry, Usage
from ..failures import ProviderFailure
from ..secrets import resolve
from ..tokens import estimate_tokens
from .translate import translate

_ROLES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage, "user": HumanMessage, "human": HumanMessage,
    "assistant": AIMessage, "ai": AIMessage,
}

# Once the finish marker has come, the answer is whole: a connection that then breaks or
# hangs (before [DONE], say) costs at most the vendor's counts, which are then estimated.
_HARMLESS_AFTER_FINISH = frozenset({"stream_cut", "stall"})
# Finish markers meaning "stopped at the output-token limit" (OpenAI/Mistral, Anthropic,
# Ollama's done_reason).
_LENGTH_LIMIT = frozenset({"length", "max_tokens", "model_length"})


@dataclass(frozen=True, slots=True)
class Call:
    """What a kind needs to build its chat model for one call; also the model cache's key."""

    secret: str = field(repr=False)
    temperature: float | None
    max_tokens: int | None
    stall_s: float  # the read timeout: the longest silence allowed between two chunks
    timeout_s: float  # connect, write and pool timeouts (the entry's timeout_s)


def to_messages(request: ModelRequest) -> list[BaseMessage]:
    """The request's rendered prompt as LangChain messages; a language model needs one."""
    if request.prompt is None:
        raise ProviderFailure("bad_request", f"the {request.feature!r} request has no prompt")
    messages = []
    for role, content in request.prompt():
        kind = _ROLES.get(role.lower())
        if kind is None:
            raise ProviderFailure("bad_request", f"unknown message role {role!r}")
        messages.append(kind(content=content))
    return messages


def relay(chunks: Iterator[Any], finish_key: str,
          messages: list[BaseMessage]) -> Iterator[Delta | Notice | Usage]:
    """LangChain chunks → Deltas, then one Usage; ProviderFailure for anything wrong. An
    answer the vendor stopped at the output-token limit is complete but may be cut short:
    a Notice tells the user so.

    ``finish_key`` names the ``response_metadata`` entry the vendor sets on its last chunk
    (LangChain's own final ``chunk_position="last"`` chunk comes even when the vendor's never
    did, so it proves nothing).
    """
    started = finished = False
    reason = ""
    usage: dict[str, int] = {}
    produced: list[str] = []
    try:
        for chunk in chunks:
            started = True
            text = chunk.text
            if text:
                produced.append(text)
                yield Delta(text)
            for key, value in (chunk.usage_metadata or {}).items():
                if key in ("input_tokens", "output_tokens") and isinstance(value, int):
                    usage[key] = usage.get(key, 0) + value
            marker = chunk.response_metadata.get(finish_key)
            if marker:
                finished, reason = True, str(marker)
    except Exception as exc:
        failure = translate(exc, started=started)
        if not (finished and failure.reason in _HARMLESS_AFTER_FINISH):
            raise failure from exc
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:  # an abandoned stream releases its connection now, not at GC
            close()
    if not finished:
        raise ProviderFailure("stream_cut", f"the stream ended without {finish_key}")
    if reason in _LENGTH_LIMIT:
        yield Notice("The answer reached the length limit set for this model and may stop "
                     "short; ask for a shorter summary or raise max_output_tokens.")
    if not usage:  # the vendor sent no counts: estimate, so cost and budgets still add up
        usage = {"input_tokens": sum(estimate_tokens(str(m.content)) for m in messages),
                 "output_tokens": estimate_tokens("".join(produced))}
    yield Usage(usage.get("input_tokens", 0), usage.get("output_tokens", 0))


class LangchainProvider:
    """Base of the LangChain kinds. Subclasses set the class attributes and ``build``."""

    OPTIONS: ClassVar[frozenset[str]] = frozenset()  # kind-specific option keys accepted
    FINISH_KEY: ClassVar[str] = "finish_reason"  # response_metadata key of the last chunk
    NEEDS_SECRET: ClassVar[bool] = True  # False: the server may well take no key at all
    CACHE_SIZE: ClassVar[int] = 8  # built models kept (one per secret/temperature/limits)

    def __init__(self, entry: ProviderEntry) -> None:
        self.entry = entry
        self._models: dict[Call, BaseChatModel] = {}
        self._lock = threading.Lock()

    @classmethod
    def check(cls, entry: ProviderEntry) -> None:
        """Kind-specific configuration checks (ConfigError); option names are checked by the
        registry against ``OPTIONS``."""

    def build(self, call: Call) -> BaseChatModel:
        """The kind's chat model for ``call``, retries off, timeouts from ``call``."""
        raise NotImplementedError

    def stream_kwargs(self, call: Call) -> dict[str, Any]:
        """Extra keyword arguments for ``model.stream`` (per-request options)."""
        return {}

    def credential(self) -> str:
        """The resolved secret; ``auth`` when the kind needs one and none is configured."""
        secret = resolve(self.entry.secret)
        if not secret and self.NEEDS_SECRET:
            raise ProviderFailure("auth", f"provider {self.entry.id!r} has no secret reference")
        return secret

    def stream(self, request: ModelRequest,
               params: CallParams | None = None) -> Iterator[Delta | Notice | Usage]:
        params = params or CallParams()
        messages = to_messages(request)
        call = Call(
            secret=self.credential(),
            temperature=request.temperature if params.temperature is None
            else params.temperature,
            max_tokens=params.max_output_tokens or request.max_output_tokens,
            stall_s=params.stall_timeout_s,
            timeout_s=self.entry.timeout_s,
        )
        chunks = self._model(call).stream(messages, **self.stream_kwargs(call))
        yield from relay(chunks, self.FINISH_KEY, messages)

    def _model(self, call: Call) -> BaseChatModel:
        """The cached model for ``call`` (building one holds an HTTP client and its pool)."""
        with self._lock:
            model = self._models.get(call)
            if model is None:
                try:
                    model = self.build(call)
                except (ValueError, TypeError) as exc:  # e.g. a temperature the SDK refuses
                    raise ProviderFailure("bad_request", f"{type(exc).__name__}: {exc}") from exc
                if len(self._models) >= self.CACHE_SIZE:
                    self._models.pop(next(iter(self._models)))
                self._models[call] = model
            return model


def endpoint(entry: ProviderEntry, default: str = "") -> str:
    """The entry's base URL, or the vendor's public one; never read from the environment."""
    return entry.endpoint.rstrip("/") or default


def require(entry: ProviderEntry, *keys: str) -> None:
    """ConfigError naming each required field or option that is missing."""
    values: Mapping[str, Any] = {"endpoint": entry.endpoint, "secret": entry.secret,
                                 **entry.options}
    missing = [key for key in keys if not values.get(key)]
    if missing:
        raise ConfigError(f"provider {entry.id!r} (kind {entry.kind!r}) needs "
                          + ", ".join(missing))
