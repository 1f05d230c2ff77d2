"""The vendor simulator itself: each dialect's wire format, seen raw and through the real clients.

Raw httpx checks the bytes; the vendors' own SDKs (openai, anthropic, ollama, msal) and the
langchain chat models (max_retries=0) check that every failure mode reaches the client the way
the real vendor's would.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import msal
import ollama
import openai
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.exceptions import ContextOverflowError, ModelRateLimitError
from langchain_core.language_models import BaseChatModel
from langchain_mistralai import ChatMistralAI
from langchain_ollama import ChatOllama
from langchain_openai import AzureChatOpenAI, ChatOpenAI

from tests.fakes import Simulator, Step, default_answer, split_words, start_simulator

DIALECTS = ["openai", "compat", "azure", "mistral", "anthropic", "ollama"]
MESSAGES = [{"role": "system", "content": "Cite [p1], [tb2] and [fn-3]; also [p1] and [en4]."},
            {"role": "user", "content": "Summarise the memo."}]
PROMPT_WORDS = 12  # words in MESSAGES
ANSWER = ("- Simulated point one [p1]\n- Simulated point two [tb2]\n"
          "- Simulated point three [fn-3]")
ANSWER_WORDS = 15
AUTH = {"Authorization": "Bearer sk-test", "api-key": "az-key", "x-api-key": "sk-ant"}
HTTP = httpx.Client(timeout=5)  # one client: building one (and its SSL context) costs ~20 ms


@pytest.fixture(scope="module")
def server() -> Iterator[Simulator]:
    with start_simulator() as sim:
        yield sim


@pytest.fixture()
def sim(server: Simulator) -> Iterator[Simulator]:
    server.reset()
    yield server
    server.reset()


# ------------------------------------------------------------------------------ raw helpers


def chat_url(sim: Simulator, dialect: str) -> str:
    return {
        "openai": sim.url("openai") + "/chat/completions",
        "compat": sim.url("compat") + "/chat/completions",
        "mistral": sim.url("mistral") + "/chat/completions",
        "azure": sim.url("azure") + "/openai/deployments/dep-1/chat/completions"
                                    "?api-version=2024-10-21",
        "anthropic": sim.url("anthropic") + "/v1/messages",
        "ollama": sim.url("ollama") + "/api/chat",
    }[dialect]


def chat_body(dialect: str, stream: bool, **extra: Any) -> dict[str, Any]:
    if dialect == "anthropic":
        body = {"model": "claude-sim", "max_tokens": 1024, "system": MESSAGES[0]["content"],
                "messages": MESSAGES[1:], "stream": stream}
    else:
        body = {"model": "model-sim", "messages": MESSAGES, "stream": stream}
    body.update(extra)
    return body


def sse(text: str) -> list[tuple[str | None, str]]:
    """SSE text → [(event name or None, data)]."""
    out = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        out.append((event, "\n".join(data)))
    return out


def post(sim: Simulator, dialect: str, stream: bool, timeout: float = 5.0,
         **extra: Any) -> httpx.Response:
    return HTTP.post(chat_url(sim, dialect), json=chat_body(dialect, stream, **extra),
                     headers=AUTH, timeout=timeout)


# ----------------------------------------------------------------------------- basics


def test_urls_and_model_listing(sim: Simulator) -> None:
    base = sim.base_url
    assert base.startswith("http://127.0.0.1:")
    assert sim.url("openai") == base + "/openai/v1"
    assert sim.url("compat") == base + "/compat/v1"
    assert sim.url("azure") == base + "/azure"
    assert sim.url("mistral") == base + "/mistral/v1"
    assert sim.url("anthropic") == base + "/anthropic"
    assert sim.url("ollama") == base + "/ollama"
    assert sim.url("entra") == base + "/entra"
    sim.models = ["qwen2.5-7b"]
    models = HTTP.get(sim.url("compat") + "/models").json()
    assert [m["id"] for m in models["data"]] == ["qwen2.5-7b"]
    assert HTTP.get(sim.url("ollama") + "/api/tags").json()["models"][0]["name"] == "qwen2.5-7b"
    assert HTTP.get(sim.url("ollama")).text == "Ollama is running"
    assert [r.dialect for r in sim.requests] == ["compat", "ollama", "ollama"]
    assert HTTP.post(base + "/nowhere").status_code == 404
    sim.models = ["sim-model"]


def test_default_answer_and_word_split() -> None:
    assert default_answer(["see [p1] [tb12] [fn-3.2] [en4] [cm-5]"]) == (
        "- Simulated point one [p1]\n- Simulated point two [tb12]\n"
        "- Simulated point three [fn-3.2]")
    assert default_answer(["[cm7] and [cm7] then [x1]"]) == "- Simulated point one [cm7]"
    assert default_answer(["no ids here", "[zz9]"]) == "Simulated answer."
    text = "  Hello  wide\nworld. "
    assert "".join(split_words(text)) == text
    assert len(split_words(text)) == 3
    assert split_words("") == []


def test_default_answer_prefers_the_conversation_to_instruction_examples(
        sim: Simulator) -> None:
    messages = [{"role": "system", "content": "Cite like this: [p12]."},
                {"role": "user", "content": "[p1] Lead fell. [p2] Nitrate stayed low."}]
    body = HTTP.post(chat_url(sim, "openai"), headers=AUTH,
                     json={"model": "m", "messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == (
        "- Simulated point one [p1]\n- Simulated point two [p2]\n"
        "- Simulated point three [p12]")
    assert body["usage"]["prompt_tokens"] == 11


def test_step_validation() -> None:
    with pytest.raises(ValueError):
        Step(kind="explode")
    with pytest.raises(ValueError):
        Step(dialect="gemini")
    with pytest.raises(ValueError):
        Step(kind="status", status=200)


def test_script_is_fifo_and_dialect_aware(sim: Simulator) -> None:
    sim.script(Step(kind="status", status=429, dialect="anthropic"),
               Step(kind="status", status=500),
               Step(text="for ollama", dialect="ollama"),
               Step(text="any one"))
    assert post(sim, "openai", False).status_code == 500  # skips the anthropic step
    assert post(sim, "ollama", False).json()["message"]["content"] == "for ollama"
    assert post(sim, "anthropic", False).status_code == 429
    assert post(sim, "mistral", False).json()["choices"][0]["message"]["content"] == "any one"
    assert post(sim, "openai", False).json()["choices"][0]["message"]["content"] == ANSWER
    assert sim.pending == []
    assert [(r.dialect, r.step.kind, r.step.status) for r in sim.requests] == [
        ("openai", "status", 500), ("ollama", "ok", 200), ("anthropic", "status", 429),
        ("mistral", "ok", 200), ("openai", "ok", 200)]
    assert [r.model for r in sim.of("openai")] == ["model-sim", "model-sim"]
    sim.script(Step())
    sim.reset()
    assert sim.pending == [] and sim.requests == []


def test_recorded_request(sim: Simulator) -> None:
    post(sim, "azure", True)
    (rec,) = sim.requests
    assert (rec.dialect, rec.method, rec.model, rec.stream) == ("azure", "POST", "dep-1", True)
    assert rec.path == "/azure/openai/deployments/dep-1/chat/completions"
    assert rec.query == {"api-version": "2024-10-21"}
    assert rec.headers["api-key"] == "az-key"
    assert rec.body["messages"] == MESSAGES
    assert rec.step == Step()
    assert abs(rec.time - time.monotonic()) < 5


# --------------------------------------------------------------------- wire formats (raw)


def test_openai_stream_wire_format(sim: Simulator) -> None:
    r = post(sim, "openai", True, stream_options={"include_usage": True})
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [data for _, data in sse(r.text)]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(d) for d in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "",
                                                "refusal": None}
    content = [c["choices"][0]["delta"]["content"] for c in chunks[1:-2]]
    assert "".join(content) == ANSWER and len(content) == ANSWER_WORDS
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-2])
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None,
                                        "finish_reason": "stop"}
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": PROMPT_WORDS,
                                   "completion_tokens": ANSWER_WORDS,
                                   "total_tokens": PROMPT_WORDS + ANSWER_WORDS}
    assert {c["model"] for c in chunks} == {"model-sim"}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    # without stream_options.include_usage: no usage chunk, no usage key
    events = [data for _, data in sse(post(sim, "openai", True).text)]
    last = json.loads(events[-2])
    assert last["choices"][0]["finish_reason"] == "stop" and "usage" not in last


def test_openai_whole_response_and_length(sim: Simulator) -> None:
    body = post(sim, "openai", False).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": ANSWER,
                                             "refusal": None, "annotations": []}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == PROMPT_WORDS
    body = post(sim, "openai", False, max_completion_tokens=4).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["message"]["content"] == "- Simulated point one "
    assert body["usage"]["completion_tokens"] == 4


def test_compat_puts_finish_on_last_content_chunk(sim: Simulator) -> None:
    events = [data for _, data in sse(post(sim, "compat", True, max_tokens=3).text)]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"][0]["delta"] == {"content": "point "}
    assert last["choices"][0]["finish_reason"] == "length"


def test_azure_wire_format_and_auth(sim: Simulator) -> None:
    events = [data for _, data in sse(post(sim, "azure", True).text)]
    first = json.loads(events[0])
    assert first["choices"] == [] and first["prompt_filter_results"][0]["prompt_index"] == 0
    assert "content_filter_results" in json.loads(events[2])["choices"][0]
    url = chat_url(sim, "azure")
    r = HTTP.post(url, json=chat_body("azure", False))
    assert r.status_code == 401 and r.json()["error"]["code"] == "401"
    r = HTTP.post(url, json=chat_body("azure", False), headers={"Authorization": "Bearer t"})
    assert r.status_code == 200 and sim.requests[-1].headers["authorization"] == "Bearer t"
    r = HTTP.post(url.split("?")[0], json=chat_body("azure", False), headers=AUTH)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "MissingApiVersionParameter"
    sim.script(Step(kind="status", status=429, retry_after=6))
    r = post(sim, "azure", False)
    assert r.status_code == 429 and r.headers["retry-after"] == "6"
    assert r.json()["error"]["code"] == "429"


def test_mistral_final_chunk_carries_usage(sim: Simulator) -> None:
    events = [data for _, data in sse(post(sim, "mistral", True).text)]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"][0] == {"index": 0, "delta": {"content": ""},
                                  "finish_reason": "stop"}
    assert last["usage"]["completion_tokens"] == ANSWER_WORDS
    sim.script(Step(kind="status", status=400, error_type="context_length_exceeded"))
    err = post(sim, "mistral", False).json()
    assert err["object"] == "error" and "maximum context length" in err["message"]


def test_anthropic_named_events(sim: Simulator) -> None:
    r = post(sim, "anthropic", True)
    events = sse(r.text)
    names = [e for e, _ in events]
    assert names == (["message_start", "content_block_start", "ping"]
                     + ["content_block_delta"] * ANSWER_WORDS
                     + ["content_block_stop", "message_delta", "message_stop"])
    data = [json.loads(d) for _, d in events]
    assert all(d["type"] == name for d, name in zip(data, names, strict=True))
    assert data[0]["message"]["usage"]["input_tokens"] == PROMPT_WORDS
    assert data[0]["message"]["model"] == "claude-sim"
    assert "".join(d["delta"]["text"] for d in data[3:-3]) == ANSWER
    assert data[3]["delta"]["type"] == "text_delta"
    assert data[-2]["delta"]["stop_reason"] == "end_turn"
    assert data[-2]["usage"]["output_tokens"] == ANSWER_WORDS
    whole = post(sim, "anthropic", False, max_tokens=2).json()
    assert whole["type"] == "message" and whole["stop_reason"] == "max_tokens"
    assert whole["content"] == [{"type": "text", "text": "- Simulated "}]
    r = HTTP.post(chat_url(sim, "anthropic"), json=chat_body("anthropic", False))
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "authentication_error"


def test_ollama_ndjson(sim: Simulator) -> None:
    r = post(sim, "ollama", True)
    assert r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert "".join(x["message"]["content"] for x in lines) == ANSWER
    assert [x["done"] for x in lines] == [False] * ANSWER_WORDS + [True]
    last = lines[-1]
    assert last["done_reason"] == "stop"
    assert (last["prompt_eval_count"], last["eval_count"]) == (PROMPT_WORDS, ANSWER_WORDS)
    r = HTTP.post(chat_url(sim, "ollama"), json={"model": "m", "messages": MESSAGES})
    assert len(r.text.splitlines()) == ANSWER_WORDS + 1  # Ollama streams by default
    whole = post(sim, "ollama", False, options={"num_predict": 3}).json()
    assert whole["done"] is True and whole["done_reason"] == "length"
    assert whole["message"]["content"] == "- Simulated point "
    sim.script(Step(kind="status", status=404))
    r = post(sim, "ollama", False)
    assert r.status_code == 404 and r.json() == {
        "error": 'model "model-sim" not found, try pulling it first'}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_status_errors_carry_vendor_body_and_retry_after(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="status", status=429, retry_after=1.5, message="slow down"))
    r = post(sim, dialect, True)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1.5"
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    if dialect in ("openai", "compat", "azure"):
        assert body["error"]["message"] == "slow down"
        assert r.headers["retry-after-ms"] == "1500"
    elif dialect == "anthropic":
        assert body["type"] == "error"
        assert body["error"] == {"type": "rate_limit_error", "message": "slow down"}
    elif dialect == "mistral":
        assert body["object"] == "error" and body["message"] == "slow down"
    else:
        assert body == {"error": "slow down"}


def test_context_length_bodies(sim: Simulator) -> None:
    ctx = Step(kind="status", status=400, error_type="context_length_exceeded")
    sim.script(ctx, ctx)
    err = post(sim, "openai", False).json()["error"]
    assert (err["type"], err["code"], err["param"]) == (
        "invalid_request_error", "context_length_exceeded", "messages")
    err = post(sim, "anthropic", False).json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["message"].startswith("prompt is too long")


# ------------------------------------------------------------------ failure kinds (raw)


def test_cut_ends_cleanly_without_finish(sim: Simulator) -> None:
    sim.script(Step(kind="cut", after_chunks=3))
    r = post(sim, "openai", True)
    events = [json.loads(d) for _, d in sse(r.text)]
    assert len(events) == 4  # role chunk + 3 words, no finish chunk, no [DONE]
    assert all(e["choices"][0]["finish_reason"] is None for e in events)
    sim.script(Step(kind="cut", after_chunks=1))
    names = [e for e, _ in sse(post(sim, "anthropic", True).text)]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta"]


def test_abort_breaks_the_chunked_body(sim: Simulator) -> None:
    sim.script(Step(kind="abort", after_chunks=2))
    with pytest.raises(httpx.RemoteProtocolError):
        post(sim, "openai", True)
    sim.script(Step(kind="abort"))
    with pytest.raises(httpx.RemoteProtocolError):
        post(sim, "openai", False)


def test_error_in_stream_and_malformed_raw(sim: Simulator) -> None:
    sim.script(Step(kind="error_in_stream", after_chunks=2, message="boom"),
               Step(kind="error_in_stream", after_chunks=0),
               Step(kind="malformed", after_chunks=1),
               Step(kind="malformed", after_chunks=1))
    events = sse(post(sim, "openai", True).text)
    assert json.loads(events[-1][1]) == {"error": {"message": "boom", "type": "server_error",
                                                  "param": None, "code": None}}
    assert len(events) == 4  # role chunk, 2 words, error
    event, data = sse(post(sim, "anthropic", True).text)[-1]
    assert event == "error"
    assert json.loads(data) == {"type": "error", "error": {"type": "overloaded_error",
                                                           "message": "Overloaded"}}
    assert sse(post(sim, "compat", True).text)[-1][1] == "{not json"
    lines = post(sim, "ollama", True).text.splitlines()
    assert len(lines) == 2
    with pytest.raises(ValueError):
        json.loads(lines[-1])


def test_stall_is_silent_then_ends(sim: Simulator) -> None:
    sim.script(Step(kind="stall", after_chunks=1, stall_seconds=0.25))
    times = []
    start = time.monotonic()
    with HTTP.stream("POST", chat_url(sim, "ollama"), json=chat_body("ollama", True),
                      timeout=5) as r:
        for line in r.iter_lines():
            times.append((time.monotonic() - start, line))
    assert len(times) == 1 and times[0][0] < 0.15
    assert time.monotonic() - start >= 0.25
    sim.script(Step(kind="stall", after_chunks=1, stall_seconds=0.3))
    with pytest.raises(httpx.ReadTimeout):
        post(sim, "openai", True, timeout=0.1)


def test_first_token_delay_and_pace_reach_the_client(sim: Simulator) -> None:
    sim.script(Step(text="one two three four five", first_token_delay=0.25,
                    tokens_per_second=25))
    start = time.monotonic()
    arrivals = []
    with HTTP.stream("POST", chat_url(sim, "anthropic"), json=chat_body("anthropic", True),
                      headers=AUTH, timeout=5) as r:
        headers_at = time.monotonic() - start
        for line in r.iter_lines():
            if line.startswith("data: ") and '"text_delta"' in line:
                arrivals.append(time.monotonic() - start)
    assert headers_at < 0.15  # headers (and message_start) go out at once
    assert len(arrivals) == 5
    assert 0.24 <= arrivals[0] < 0.4  # each chunk is flushed, not buffered
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(0.025 <= g < 0.1 for g in gaps), gaps
    sim.script(Step(kind="status", status=503, first_token_delay=0.1))
    start = time.monotonic()
    assert post(sim, "openai", False).status_code == 503
    assert time.monotonic() - start >= 0.1


def test_many_concurrent_streams(sim: Simulator) -> None:
    """200 streams at once, each 0.2 s to first token and 0.15 s of pacing: not serialised."""
    n = 200
    sim.script(*[Step(first_token_delay=0.2, tokens_per_second=100) for _ in range(n)])
    url = httpx.URL(chat_url(sim, "compat"))
    payload = json.dumps(chat_body("compat", True)).encode()
    request = (f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: x\r\nContent-Type: "
               f"application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload

    async def one() -> bytes:
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(request)
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            more = await reader.read(65536)
            if not more:
                break
            data += more
        writer.close()
        return data

    async def run() -> list[bytes]:
        return await asyncio.gather(*[one() for _ in range(n)])

    start = time.monotonic()
    bodies = asyncio.run(run())
    elapsed = time.monotonic() - start
    assert all(b"data: [DONE]" in b for b in bodies)
    assert len(sim.of("compat")) == n
    assert elapsed < 2.5, elapsed


def test_close_wakes_stalled_streams() -> None:
    with start_simulator() as sim:
        sim.script(Step(kind="stall", after_chunks=0, stall_seconds=60))
        done = threading.Event()

        def client() -> None:
            with pytest.raises(httpx.HTTPError):
                post(sim, "openai", True, timeout=10)
            done.set()

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(0.1)
        start = time.monotonic()
        sim.close()
        assert time.monotonic() - start < 1.0
        assert done.wait(2.0)
        thread.join()
        with pytest.raises(httpx.ConnectError):
            HTTP.get(sim.base_url + "/openai/v1/models", timeout=1)


# ------------------------------------------------------------------------ vendor SDKs


def test_openai_sdk(sim: Simulator) -> None:
    client = openai.OpenAI(base_url=sim.url("openai"), api_key="sk-test", max_retries=0,
                           timeout=2)
    stream = client.chat.completions.create(model="gpt-sim", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert chunks[-1].usage.completion_tokens == ANSWER_WORDS
    assert sim.requests[-1].headers["authorization"] == "Bearer sk-test"

    sim.script(Step(kind="status", status=429, retry_after=2))
    with pytest.raises(openai.RateLimitError) as rate:
        client.chat.completions.create(model="gpt-sim", messages=MESSAGES)
    assert rate.value.response.headers["retry-after"] == "2"
    assert rate.value.code == "rate_limit_exceeded"

    sim.script(Step(kind="status", status=400, error_type="context_length_exceeded"))
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="gpt-sim", messages=MESSAGES)
    assert bad.value.code == "context_length_exceeded"

    sim.script(Step(kind="error_in_stream", message="model crashed"))
    with pytest.raises(openai.APIError, match="model crashed") as err:
        list(client.chat.completions.create(model="gpt-sim", messages=MESSAGES, stream=True))
    assert not isinstance(err.value, openai.APIStatusError)

    sim.script(Step(kind="cut", after_chunks=2))
    chunks = list(client.chat.completions.create(model="gpt-sim", messages=MESSAGES,
                                                 stream=True))
    assert all(c.choices[0].finish_reason is None for c in chunks)

    sim.script(Step(kind="malformed"))
    with pytest.raises(json.JSONDecodeError):
        list(client.chat.completions.create(model="gpt-sim", messages=MESSAGES, stream=True))

    sim.script(Step(kind="abort"))
    with pytest.raises(openai.APIConnectionError):
        list(client.chat.completions.create(model="gpt-sim", messages=MESSAGES, stream=True))

    sim.script(Step(kind="stall", stall_seconds=0.3))
    with pytest.raises(openai.APITimeoutError):
        list(client.with_options(timeout=0.15).chat.completions.create(
            model="gpt-sim", messages=MESSAGES, stream=True))


def test_anthropic_sdk(sim: Simulator) -> None:
    client = anthropic.Anthropic(base_url=sim.url("anthropic"), api_key="sk-ant", max_retries=0,
                                 timeout=2)
    kwargs: dict[str, Any] = {"model": "claude-sim", "max_tokens": 100,
                              "system": MESSAGES[0]["content"], "messages": MESSAGES[1:]}
    with client.messages.stream(**kwargs) as stream:
        assert "".join(stream.text_stream) == ANSWER
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (PROMPT_WORDS,
                                                                     ANSWER_WORDS)
    # this SDK (2.x) sends the key as a Bearer token, not x-api-key; both are accepted
    headers = sim.requests[-1].headers
    assert "sk-ant" in (headers.get("x-api-key", ""), headers.get("authorization", "")[7:])
    assert "anthropic-version" in sim.requests[-1].headers

    sim.script(Step(kind="status", status=529))
    with pytest.raises(anthropic.OverloadedError) as over:
        client.messages.create(**kwargs)
    assert over.value.body["error"]["type"] == "overloaded_error"

    sim.script(Step(kind="status", status=429, retry_after=3))
    with pytest.raises(anthropic.RateLimitError) as rate:
        client.messages.create(**kwargs)
    assert rate.value.response.headers["retry-after"] == "3"

    sim.script(Step(kind="error_in_stream", after_chunks=1))
    with pytest.raises(anthropic.APIStatusError) as err, client.messages.stream(**kwargs) as s:
        list(s.text_stream)
    assert err.value.body["error"]["type"] == "overloaded_error"

    sim.script(Step(kind="status", status=400, error_type="context_length_exceeded"))
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        client.messages.create(**kwargs)


def test_ollama_sdk(sim: Simulator) -> None:
    client = ollama.Client(host=sim.url("ollama"), timeout=2)
    parts = list(client.chat(model="llama-sim", messages=MESSAGES, stream=True))
    assert "".join(p.message.content for p in parts) == ANSWER
    assert parts[-1].done and parts[-1].done_reason == "stop"
    assert parts[-1].eval_count == ANSWER_WORDS
    whole = client.chat(model="llama-sim", messages=MESSAGES)
    assert whole.message.content == ANSWER and whole.prompt_eval_count == PROMPT_WORDS

    sim.script(Step(kind="status", status=404))
    with pytest.raises(ollama.ResponseError) as missing:
        client.chat(model="llama-sim", messages=MESSAGES)
    assert missing.value.status_code == 404 and "not found" in missing.value.error

    sim.script(Step(kind="error_in_stream", message="runner died"))
    with pytest.raises(ollama.ResponseError, match="runner died") as err:
        list(client.chat(model="llama-sim", messages=MESSAGES, stream=True))
    assert err.value.status_code == -1

    sim.script(Step(kind="cut"))
    parts = list(client.chat(model="llama-sim", messages=MESSAGES, stream=True))
    assert len(parts) == 2 and not any(p.done for p in parts)


# ------------------------------------------------------------------ langchain chat models


def make_llm(sim: Simulator, dialect: str, timeout: float = 2.0) -> BaseChatModel:
    if dialect == "openai":
        return ChatOpenAI(model="gpt-sim", base_url=sim.url("openai"), api_key="sk-test",
                          max_retries=0, timeout=timeout, stream_usage=True)
    if dialect == "compat":
        return ChatOpenAI(model="qwen-sim", base_url=sim.url("compat"), api_key="none",
                          max_retries=0, timeout=timeout, stream_usage=True)
    if dialect == "azure":
        return AzureChatOpenAI(azure_deployment="dep-1", azure_endpoint=sim.url("azure"),
                               api_key="az-key", api_version="2024-10-21", max_retries=0,
                               timeout=timeout, stream_usage=True)
    if dialect == "mistral":  # timeout must be an int (seconds) here
        return ChatMistralAI(model="mistral-sim", endpoint=sim.url("mistral"),
                             api_key="mk-test", max_retries=0, timeout=max(1, round(timeout)))
    if dialect == "anthropic":
        return ChatAnthropic(model="claude-sim", base_url=sim.url("anthropic"),
                             api_key="sk-ant", max_retries=0, timeout=timeout)
    return ChatOllama(model="llama-sim", base_url=sim.url("ollama"),
                      client_kwargs={"timeout": timeout})


LC_MESSAGES = [("system", MESSAGES[0]["content"]), ("human", MESSAGES[1]["content"])]


def stream_all(llm: BaseChatModel) -> Any:
    total = None
    for chunk in llm.stream(LC_MESSAGES):
        total = chunk if total is None else total + chunk
    return total


def finish_of(message: Any) -> str | None:
    meta = message.response_metadata
    return meta.get("finish_reason") or meta.get("stop_reason") or meta.get("done_reason")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_invoke_and_stream(sim: Simulator, dialect: str) -> None:
    llm = make_llm(sim, dialect)
    answer = llm.invoke(LC_MESSAGES)
    assert answer.content == ANSWER
    assert finish_of(answer) in ("stop", "end_turn")
    assert answer.usage_metadata["input_tokens"] == PROMPT_WORDS
    assert answer.usage_metadata["output_tokens"] == ANSWER_WORDS
    streamed = stream_all(llm)
    assert streamed.content == ANSWER
    assert finish_of(streamed) in ("stop", "end_turn")
    assert streamed.usage_metadata["input_tokens"] == PROMPT_WORDS
    assert streamed.usage_metadata["output_tokens"] == ANSWER_WORDS
    assert all(r.dialect == dialect for r in sim.requests)
    assert sim.requests[-1].stream is True


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_rate_limit(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="status", status=429, retry_after=4))
    expected: dict[str, type[BaseException]] = {
        "openai": openai.RateLimitError, "compat": openai.RateLimitError,
        "azure": openai.RateLimitError, "anthropic": anthropic.RateLimitError,
        "mistral": httpx.HTTPStatusError, "ollama": ollama.ResponseError,
    }
    with pytest.raises(expected[dialect]) as err:
        stream_all(make_llm(sim, dialect))
    if dialect in ("openai", "compat", "azure", "anthropic"):
        assert isinstance(err.value, ModelRateLimitError)
        assert err.value.response.headers["retry-after"] == "4"
    elif dialect == "mistral":
        assert err.value.response.status_code == 429
        assert err.value.response.headers["retry-after"] == "4"
    else:
        assert err.value.status_code == 429
    assert len(sim.requests) == 1  # max_retries=0: no hidden retry


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_server_errors(sim: Simulator, dialect: str) -> None:
    status = 529 if dialect == "anthropic" else 503
    sim.script(Step(kind="status", status=status), Step(kind="status", status=401))
    server_error: dict[str, type[BaseException]] = {
        "openai": openai.InternalServerError, "compat": openai.InternalServerError,
        "azure": openai.InternalServerError, "anthropic": anthropic.OverloadedError,
        "mistral": httpx.HTTPStatusError, "ollama": ollama.ResponseError,
    }
    auth_error: dict[str, type[BaseException]] = {
        "openai": openai.AuthenticationError, "compat": openai.AuthenticationError,
        "azure": openai.AuthenticationError, "anthropic": anthropic.AuthenticationError,
        "mistral": httpx.HTTPStatusError, "ollama": ollama.ResponseError,
    }
    llm = make_llm(sim, dialect)
    with pytest.raises(server_error[dialect]):
        llm.invoke(LC_MESSAGES)
    with pytest.raises(auth_error[dialect]) as err:
        llm.invoke(LC_MESSAGES)
    code = getattr(err.value, "status_code", None) or err.value.response.status_code
    assert code == 401


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_context_length(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="status", status=400, error_type="context_length_exceeded"))
    with pytest.raises(Exception) as err:
        make_llm(sim, dialect).invoke(LC_MESSAGES)
    exc = err.value
    if dialect == "anthropic":
        assert isinstance(exc, ContextOverflowError)
    elif dialect in ("openai", "compat", "azure"):
        # This openai SDK keeps only the message in str(e), so langchain-openai's
        # "context_length_exceeded" in str(e) test misses it: the code is on e.code.
        assert isinstance(exc, openai.BadRequestError)
        assert exc.code == "context_length_exceeded"
    elif dialect == "mistral":
        assert isinstance(exc, httpx.HTTPStatusError)
        assert "maximum context length" in exc.response.json()["message"]
    else:
        assert isinstance(exc, ollama.ResponseError) and exc.status_code == 400


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_error_in_stream(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="error_in_stream", after_chunks=2))
    llm = make_llm(sim, dialect)
    if dialect == "mistral":
        # langchain-mistralai skips any chunk without "choices": the error is dropped and the
        # stream just ends early, with no finish_reason.
        streamed = stream_all(llm)
        assert streamed.content == "- Simulated "
        assert finish_of(streamed) is None
        return
    expected: dict[str, type[BaseException]] = {
        "openai": openai.APIError, "compat": openai.APIError, "azure": openai.APIError,
        "anthropic": anthropic.APIStatusError, "ollama": ollama.ResponseError,
    }
    seen = []
    with pytest.raises(expected[dialect]):
        for chunk in llm.stream(LC_MESSAGES):
            seen.append(chunk.content)
    assert "".join(c for c in seen if isinstance(c, str)) == "- Simulated "


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_cut_stream_has_no_finish(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="cut", after_chunks=3))
    streamed = stream_all(make_llm(sim, dialect))
    assert streamed.content == "- Simulated point "
    assert finish_of(streamed) is None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_stall(sim: Simulator, dialect: str) -> None:
    stall = 0.25
    sim.script(Step(kind="stall", after_chunks=1, stall_seconds=stall))
    start = time.monotonic()
    if dialect == "mistral":  # no sub-second client timeout: the stall runs out, then EOF
        streamed = stream_all(make_llm(sim, dialect))
        assert streamed.content == "- " and finish_of(streamed) is None
        assert time.monotonic() - start >= stall
        return
    timeouts = (openai.APITimeoutError, anthropic.APITimeoutError, httpx.TimeoutException,
                httpx2.TimeoutException)
    with pytest.raises(timeouts):
        stream_all(make_llm(sim, dialect, timeout=0.1))
    assert time.monotonic() - start < stall


@pytest.mark.parametrize("dialect", DIALECTS)
def test_langchain_malformed_and_abort(sim: Simulator, dialect: str) -> None:
    sim.script(Step(kind="malformed"), Step(kind="abort"))
    llm = make_llm(sim, dialect)
    with pytest.raises(json.JSONDecodeError):
        stream_all(llm)
    broken = (openai.APIConnectionError, anthropic.APIConnectionError, httpx.TransportError,
              httpx2.TransportError)
    with pytest.raises(broken):
        stream_all(llm)


# ------------------------------------------------------------------ Entra ID over HTTPS


def test_msal_acquires_tokens_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's verify=, which is
    # how MSAL applies its verify= argument: clear them so verify=sim.ca_file is used.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    scope = ["https://cognitiveservices.azure.com/.default"]
    with start_simulator(tls=True) as sim:
        assert sim.base_url.startswith("https://") and sim.ca_file
        authority = sim.url("entra") + "/tenant-1"
        app = msal.ConfidentialClientApplication(
            "client-1", client_credential="secret-1", authority=authority,
            instance_discovery=False, verify=sim.ca_file)
        token = app.acquire_token_for_client(scopes=scope)
        assert token["access_token"] == "sim-token-1" and token["expires_in"] == 3600
        assert app.acquire_token_for_client(scopes=scope)["token_source"] == "cache"
        assert sim.tokens_issued == 1
        discovery, grant = sim.of("entra")
        assert discovery.path == "/entra/tenant-1/v2.0/.well-known/openid-configuration"
        assert grant.path == "/entra/tenant-1/oauth2/v2.0/token"
        assert grant.body["grant_type"] == "client_credentials"
        assert grant.body["client_secret"] == "secret-1"
        assert grant.body["scope"] == scope[0]

        sim.token_lifetime = 60  # MSAL treats tokens within 5 minutes of expiry as expired
        assert app.acquire_token_for_client(scopes=["b/.default"])["access_token"] == (
            "sim-token-2")
        assert app.acquire_token_for_client(scopes=["b/.default"])["access_token"] == (
            "sim-token-3")

        sim.script(Step(kind="status", status=401, dialect="entra"))
        failed = app.acquire_token_for_client(scopes=["c/.default"])
        assert failed["error"] == "invalid_client" and "access_token" not in failed

        # Azure OpenAI with Entra auth, end to end over HTTPS
        llm = AzureChatOpenAI(
            azure_deployment="gpt-4o", azure_endpoint=sim.url("azure"),
            api_version="2024-10-21", max_retries=0,
            azure_ad_token_provider=lambda: app.acquire_token_for_client(
                scopes=scope)["access_token"],
            http_client=httpx2.Client(verify=ssl.create_default_context(cafile=sim.ca_file)))
        assert llm.invoke("Hello [p7]").content == "- Simulated point one [p7]"
        assert sim.of("azure")[-1].headers["authorization"] == "Bearer sim-token-1"

    with pytest.raises(ValueError, match="https"):  # why the simulator has a TLS mode
        msal.ConfidentialClientApplication(
            "client-1", client_credential="s", authority="http://127.0.0.1:9/entra/t",
            instance_discovery=False)
