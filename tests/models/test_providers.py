"""The provider contract: every remote kind, through its real LangChain client, against the
local vendor simulator (``tests/fakes.py``), passes the same tests.

Each kind streams several Deltas and exactly one Usage, sends what the call asked for
(model or deployment, temperature, token limit, streaming, the key its secret reference
points to), never retries on its own, and reports each way a vendor fails with the same
:class:`ProviderFailure` reason.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage

from addin.errors import ConfigError
from addin.models import registry
from addin.models.base import CallParams, Delta, ModelRequest, Notice, ProviderEntry, Usage
from addin.models.failures import ProviderFailure
from addin.models.providers.common import relay
from addin.models.providers.translate import retry_after
from tests.fakes import Simulator, Step, count_words, default_answer, start_simulator

KEY_VAR, KEY = "ADDIN_TEST_VENDOR_KEY", "sk-test-1234"
PROMPT = [("system", "You summarise documents. Cite passage ids."),
          ("user", "Summarise: [p1] The cat sat. [p2] The dog ran. [p3] Birds sang.")]
REQUEST = ModelRequest(feature="summarize", task=None, prompt=lambda: PROMPT)
PARAMS = CallParams(temperature=0.3, max_output_tokens=200, stall_timeout_s=5.0)


@dataclass(frozen=True)
class Kind:
    """A provider kind, the simulator dialect it speaks, and where the sim finds each setting."""

    kind: str
    dialect: str
    auth_header: str  # the header the key travels in, and its prefix
    auth_prefix: str = "Bearer "
    limit_key: tuple[str, ...] = ("max_tokens",)  # path to the token limit in the body
    options: dict[str, Any] = field(default_factory=dict)

    def entry(self, sim: Simulator, **changes: Any) -> ProviderEntry:
        entry = ProviderEntry(id=f"test-{self.kind}", kind=self.kind, model="sim-model",
                              endpoint=sim.url(self.dialect), secret=f"env:{KEY_VAR}",
                              options=dict(self.options), timeout_s=10.0)
        return replace(entry, **changes)


KINDS = [
    Kind("openai", "openai", "authorization", limit_key=("max_completion_tokens",)),
    Kind("openai_compatible", "compat", "authorization"),
    Kind("azure_openai", "azure", "api-key", "", limit_key=("max_completion_tokens",),
         options={"api_version": "2024-10-21"}),
    Kind("mistral", "mistral", "authorization"),
    Kind("anthropic", "anthropic", "authorization"),
    Kind("ollama", "ollama", "authorization", limit_key=("options", "num_predict")),
]
KIND_IDS = [k.kind for k in KINDS]

# mode → (the simulator's step, the reason expected)
FAILURES: dict[str, tuple[Step, str]] = {
    "rate_limited": (Step(kind="status", status=429, retry_after=7), "rate_limited"),
    "server_error": (Step(kind="status", status=500), "server_error"),
    "overloaded": (Step(kind="status", status=529, error_type="overloaded_error"),
                   "overloaded"),
    "auth": (Step(kind="status", status=401), "auth"),
    "context_length": (Step(kind="status", status=400, error_type="context_length_exceeded"),
                       "context_length"),
    "bad_request": (Step(kind="status", status=400), "bad_request"),
    "not_found": (Step(kind="status", status=404), "bad_request"),
    "error_in_stream": (Step(kind="error_in_stream"), "stream_error"),
    "cut": (Step(kind="cut"), "stream_cut"),
    "abort": (Step(kind="abort"), "stream_cut"),
    "stall": (Step(kind="stall", stall_seconds=1.0), "stall"),
    "malformed": (Step(kind="malformed"), "malformed"),
}


@pytest.fixture()
def sim(simulator: Simulator) -> Simulator:
    """The shared simulator, with an empty script and request log for this test."""
    simulator.reset()
    return simulator


@pytest.fixture(params=KINDS, ids=KIND_IDS)
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Kind:
    monkeypatch.setenv(KEY_VAR, KEY)
    return request.param  # type: ignore[no-any-return]


def consume(events: Iterator[Any]) -> tuple[list[Any], ProviderFailure | None]:
    """The events a stream yielded, and the failure that ended it, if one did."""
    seen: list[Any] = []
    try:
        for event in events:
            seen.append(event)
    except ProviderFailure as failure:
        return seen, failure
    return seen, None


def text_of(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta))


def dig(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body.get(key) or {}
    return body


# ------------------------------------------------------------------------- streaming answers


def test_streams_deltas_then_exactly_one_usage(kind: Kind, sim: Simulator) -> None:
    provider = registry.build(kind.entry(sim))
    events, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is None
    deltas = [e for e in events if isinstance(e, Delta)]
    usages = [e for e in events if isinstance(e, Usage)]
    answer = default_answer([text for _, text in PROMPT])
    assert len(deltas) > 3 and all(d.text for d in deltas)
    assert text_of(events) == answer
    assert usages == [events[-1]]
    assert (usages[0].input_tokens, usages[0].output_tokens) == (
        count_words([text for _, text in PROMPT]), count_words(answer))


def test_request_carries_the_call_settings(kind: Kind, sim: Simulator) -> None:
    provider = registry.build(kind.entry(sim))
    consume(provider.stream(REQUEST, PARAMS))
    [sent] = sim.of(kind.dialect)
    assert sent.model == "sim-model"  # the deployment, for Azure
    assert sent.stream is True
    options = sent.body.get("options", {}) if kind.dialect == "ollama" else sent.body
    assert options["temperature"] == pytest.approx(0.3)
    assert dig(sent.body, kind.limit_key) == 200
    assert sent.headers[kind.auth_header] == kind.auth_prefix + KEY


def test_the_request_s_own_settings_apply_when_the_call_has_none(
        kind: Kind, sim: Simulator) -> None:
    provider = registry.build(kind.entry(sim))
    request = replace(REQUEST, temperature=0.0, max_output_tokens=3)
    events, failure = consume(provider.stream(request, CallParams()))
    [sent] = sim.of(kind.dialect)
    assert failure is None
    assert dig(sent.body, kind.limit_key) == 3
    assert len([e for e in events if isinstance(e, Delta)]) == 3  # cut at the limit


# ----------------------------------------------------------------------------------- failures


@pytest.mark.parametrize("mode", list(FAILURES))
def test_each_failure_maps_to_its_reason_without_retrying(
        kind: Kind, sim: Simulator, mode: str) -> None:
    step, reason = FAILURES[mode]
    sim.script(replace(step))
    provider = registry.build(kind.entry(sim))
    params = replace(PARAMS, stall_timeout_s=0.3)
    started = time.monotonic()
    events, failure = consume(provider.stream(REQUEST, params))
    assert failure is not None, f"{kind.kind}/{mode}: no failure, got {events}"
    assert failure.reason == reason, f"{kind.kind}/{mode}: {failure}"
    assert len(sim.of(kind.dialect)) == 1  # the SDK did not retry
    assert not [e for e in events if isinstance(e, Usage)]
    if mode == "rate_limited":
        assert failure.retry_after == 7
    if mode in ("cut", "abort", "stall", "error_in_stream", "malformed"):
        assert text_of(events), "text streamed before the failure reached the caller"
    if mode == "stall":
        assert time.monotonic() - started < 1.0  # the read timeout fired, not the sim's end


def test_a_closed_port_is_a_connection_failure(kind: Kind, sim: Simulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = kind.entry(sim).endpoint.replace(f":{sim.port}", f":{port}")
    provider = registry.build(kind.entry(sim, endpoint=endpoint))
    _, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is not None and failure.reason == "connection"


def test_a_missing_secret_is_auth_before_any_request(
        kind: Kind, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VAR)
    provider = registry.build(kind.entry(sim))
    _, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is not None and failure.reason == "auth"
    assert KEY_VAR in failure.detail
    assert sim.of(kind.dialect) == []


def test_a_request_without_a_prompt_is_a_bad_request(kind: Kind, sim: Simulator) -> None:
    provider = registry.build(kind.entry(sim))
    _, failure = consume(provider.stream(replace(REQUEST, prompt=None), PARAMS))
    assert failure is not None and failure.reason == "bad_request"


# ------------------------------------------------------------------------- kinds' own details


@pytest.mark.parametrize("kind_name", ["openai_compatible", "ollama"])
def test_servers_without_keys_need_no_secret(kind_name: str, sim: Simulator) -> None:
    kind = next(k for k in KINDS if k.kind == kind_name)
    provider = registry.build(kind.entry(sim, secret=""))
    events, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is None and isinstance(events[-1], Usage)


def test_anthropic_in_stream_overload_is_a_stream_error(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, KEY)
    sim.script(Step(kind="error_in_stream", error_type="overloaded_error"))
    provider = registry.build(KINDS[4].entry(sim))
    events, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is not None and failure.reason == "stream_error"
    assert "overloaded" in failure.detail and text_of(events)


@pytest.fixture(scope="module")
def tls_sim() -> Iterator[Simulator]:
    """A simulator of its own serving HTTPS: MSAL accepts only an https authority."""
    with start_simulator(tls=True) as server:
        yield server


@pytest.fixture()
def entra(tls_sim: Simulator,
          monkeypatch: pytest.MonkeyPatch) -> Callable[..., ProviderEntry]:
    """An Azure entry authenticated by Entra ID against the TLS simulator."""
    tls_sim.reset()
    assert tls_sim.ca_file
    monkeypatch.setenv("SSL_CERT_FILE", tls_sim.ca_file)  # httpx2 (openai)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_sim.ca_file)  # requests (msal)
    monkeypatch.setenv("ADDIN_TEST_CLIENT_SECRET", "client-secret")

    def make(**options: Any) -> ProviderEntry:
        return ProviderEntry(
            id="azure-entra", kind="azure_openai", model="dep-1",
            endpoint=tls_sim.url("azure"), timeout_s=10.0,
            options={"tenant_id": "tenant-1", "client_id": "client-1",
                     "client_secret": "env:ADDIN_TEST_CLIENT_SECRET",
                     "authority": tls_sim.url("entra"), **options})
    return make


def test_azure_entra_token_is_fetched_once_and_reused(
        entra: Callable[..., ProviderEntry], tls_sim: Simulator) -> None:
    provider = registry.build(entra())
    for _ in range(3):
        events, failure = consume(provider.stream(REQUEST, PARAMS))
        assert failure is None and text_of(events)
    assert tls_sim.tokens_issued == 1
    chats = tls_sim.of("azure")
    assert [r.headers["authorization"] for r in chats] == ["Bearer sim-token-1"] * 3
    assert all("api-key" not in r.headers for r in chats)
    [token_request] = [r for r in tls_sim.of("entra") if r.method == "POST"]
    assert token_request.body["client_secret"] == "client-secret"
    assert token_request.body["scope"] == "https://cognitiveservices.azure.com/.default"


def test_azure_entra_token_is_renewed_before_it_expires(
        entra: Callable[..., ProviderEntry], tls_sim: Simulator) -> None:
    tls_sim.token_lifetime = 1  # renewed from half its lifetime on
    provider = registry.build(entra())
    consume(provider.stream(REQUEST, PARAMS))
    consume(provider.stream(REQUEST, PARAMS))
    assert tls_sim.tokens_issued == 1
    time.sleep(0.6)
    _, failure = consume(provider.stream(REQUEST, PARAMS))
    assert failure is None and tls_sim.tokens_issued == 2
    assert tls_sim.of("azure")[-1].headers["authorization"] == "Bearer sim-token-2"


def test_azure_entra_refusal_is_auth(entra: Callable[..., ProviderEntry],
                                     tls_sim: Simulator) -> None:
    tls_sim.script(Step(kind="status", status=401, dialect="entra"))
    _, failure = consume(registry.build(entra()).stream(REQUEST, PARAMS))
    assert failure is not None and failure.reason == "auth"
    assert "AADSTS7000215" in failure.detail and tls_sim.of("azure") == []


# -------------------------------------------------------------------------- the registry


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown kind 'claude'.*anthropic.*ollama"):
        registry.build(ProviderEntry(id="x", kind="claude", model="m"))


@pytest.mark.parametrize(("kind_name", "package", "extra"), [
    ("anthropic", "langchain_anthropic", "anthropic"),
    ("openai", "langchain_openai", "openai"),
    ("azure_openai", "msal", "openai"),
    ("openai_compatible", "langchain_openai", "openai"),
    ("mistral", "langchain_mistralai", "mistral"),
    ("ollama", "langchain_ollama", "ollama"),
])
def test_a_missing_partner_package_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch, kind_name: str, package: str, extra: str) -> None:
    for name in list(sys.modules):
        if name.startswith("addin.models.providers.") and not name.endswith(
                (".common", ".translate")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # import → ImportError(name=package)
    entry = ProviderEntry(id="p", kind=kind_name, model="m", endpoint="http://h",
                          options={"tenant_id": "t"} if kind_name == "azure_openai" else {})
    with pytest.raises(ConfigError) as caught:
        registry.validate(entry)
    message = str(caught.value)
    assert f'pip install "addin[{extra}]"' in message
    assert f"pip install {package.replace('_', '-')}" in message


def test_the_base_install_works_without_any_partner_package() -> None:
    blocked = ["anthropic", "openai", "msal", "ollama", "langchain_anthropic",
               "langchain_openai", "langchain_mistralai", "langchain_ollama"]
    script = (f"import sys\nfor name in {blocked!r}: sys.modules[name] = None\n"
              "from addin.models import registry\n"
              "from addin.models.base import ProviderEntry\n"
              "registry.build(ProviderEntry(id='local', kind='local'))\n"
              "try:\n    registry.build(ProviderEntry(id='c', kind='anthropic', model='m'))\n"
              "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.startswith("ConfigError") and "addin[anthropic]" in done.stdout


@pytest.mark.parametrize(("entry", "complaint"), [
    (ProviderEntry(id="a", kind="anthropic", model="m", options={"api_version": "x"}),
     r"unknown option 'api_version'"),
    (ProviderEntry(id="a", kind="azure_openai", model="m", endpoint="https://r",
                   options={"tenant_idd": "t"}),
     r"unknown option 'tenant_idd'\. Did you mean 'tenant_id'\?"),
    (ProviderEntry(id="a", kind="azure_openai", model="m", endpoint="https://r",
                   options={"tenant_id": "t", "client_id": "c"}),
     r"needs client_secret"),
    (ProviderEntry(id="a", kind="azure_openai", model="m", endpoint="https://r",
                   secret="env:K", options={"tenant_id": "t", "client_id": "c",
                                            "client_secret": "env:S"}),
     r"not both"),
    (ProviderEntry(id="a", kind="azure_openai", model="m"), r"needs endpoint"),
    (ProviderEntry(id="a", kind="openai_compatible", model="m"), r"needs endpoint"),
    (ProviderEntry(id="a", kind="ollama", model="m", options={"num_ctx": "big"}),
     r"num_ctx must be"),
    (ProviderEntry(id="a", kind="local", options={"x": 1}), r"takes no options"),
])
def test_validate_rejects_bad_options_clearly(entry: ProviderEntry, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        registry.validate(entry)


def test_validate_accepts_each_kind_s_options() -> None:
    registry.validate(ProviderEntry(
        id="a", kind="azure_openai", model="m", endpoint="https://r",
        options={"api_version": "2024-10-21", "tenant_id": "t", "client_id": "c",
                 "client_secret": "env:S", "authority": "https://login.microsoftonline.us",
                 "scope": "https://cognitiveservices.azure.us/.default"}))
    registry.validate(ProviderEntry(id="o", kind="ollama", model="m",
                                    options={"num_ctx": 8192, "keep_alive": "5m"}))


# ------------------------------------------------------------------------- shared pieces


def test_relay_estimates_usage_when_the_vendor_sends_none() -> None:
    chunks = iter([AIMessageChunk(content="two words"),
                   AIMessageChunk(content="", response_metadata={"finish_reason": "stop"})])
    events = list(relay(chunks, "finish_reason", [HumanMessage(content="a b c d")]))
    assert events == [Delta("two words"), Usage(4, 2)]


class RemoteProtocolError(Exception):
    """Named like httpx's: the connection broke mid-body."""


def _broken_after(*chunks: AIMessageChunk) -> Iterator[AIMessageChunk]:
    yield from chunks
    raise RemoteProtocolError("peer closed connection without sending complete message body")


def test_a_break_after_the_finish_marker_keeps_the_answer() -> None:
    finish = AIMessageChunk(content="", response_metadata={"finish_reason": "stop"})
    events = list(relay(_broken_after(AIMessageChunk(content="done"), finish),
                        "finish_reason", [HumanMessage(content="q")]))
    assert events == [Delta("done"), Usage(1, 1)]


def test_a_break_before_the_finish_marker_is_a_cut() -> None:
    with pytest.raises(ProviderFailure) as caught:
        list(relay(_broken_after(AIMessageChunk(content="half")), "finish_reason", []))
    assert caught.value.reason == "stream_cut"


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after-ms": "2500"}, 2.5),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


@pytest.mark.parametrize("kind_name", ["openai", "anthropic", "mistral"])
def test_an_answer_stopped_at_the_token_limit_says_so(kind_name: str, sim: Simulator,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, KEY)
    kind = next(k for k in KINDS if k.kind == kind_name)
    provider = registry.build(kind.entry(sim))
    events, failure = consume(provider.stream(REQUEST, replace(PARAMS, max_output_tokens=3)))
    notices = [e for e in events if isinstance(e, Notice)]
    assert failure is None and len(notices) == 1 and "length limit" in notices[0].text
    full, _ = consume(provider.stream(REQUEST, PARAMS))
    assert not [e for e in full if isinstance(e, Notice)]
