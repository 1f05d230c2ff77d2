"""What flows between the features and the model layer: requests in, events out.

A feature builds one :class:`ModelRequest` holding both forms of the job: a structured
``task`` (read by engines that work on structure, like the built-in offline engine) and a
``prompt`` callable that renders chat messages (for language models). Rendering is lazy so
a request served offline never pays for it.

A provider answers with a stream of :class:`Delta`, :class:`Notice` and :class:`Usage`
events; the runner adds :class:`Started` (and, with failover, ``Fallback``) around them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = tuple[str, str]  # (role, content): ("system", ...), ("user", ...)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    feature: str
    task: Any
    prompt: Callable[[], list[Message]] | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    prompt_version: int | None = None


@dataclass(frozen=True, slots=True)
class Started:
    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class Delta:
    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A remark for the user about this answer (e.g. a language the engine cannot produce)."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cost_usd: float = 0.0


ModelEvent = Started | Delta | Notice | Usage


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One configured provider: what the admin declares. Secrets are references, never values."""

    id: str
    kind: str
    model: str = ""
    endpoint: str = ""
    secret: str = ""  # a reference such as "env:ANTHROPIC_API_KEY"
    in_house: bool = False
    region: str = ""
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0
    context_window: int = 0
    timeout_s: float = 60.0
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific, e.g. api_version


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which providers serve a feature: the primary first, then the fallbacks, in order."""

    feature: str
    primary: str = "local"
    fallbacks: tuple[str, ...] = ()
    temperature: float | None = None
    max_output_tokens: int | None = None
    confidential: bool = False  # only in-house providers may serve this feature

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.primary, *(p for p in self.fallbacks if p != self.primary))


@dataclass(frozen=True, slots=True)
class CallParams:
    """Per-call parameters, from the feature assignment and the runner's settings."""

    temperature: float | None = None
    max_output_tokens: int | None = None
    stall_timeout_s: float = 30.0  # longest silence allowed between two chunks


class Provider(Protocol):
    entry: ProviderEntry

    def stream(self, request: ModelRequest,
               params: CallParams) -> Iterator[Delta | Notice | Usage]:
        """Answer one request as a stream of events.

        Raises :class:`addin.models.failures.ProviderFailure` for every failure, including a
        stream that ends without its finish marker, an error event inside the stream, or a
        silence longer than ``params.stall_timeout_s``. Yields exactly one Usage, last.
        """
        ...
