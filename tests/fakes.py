"""A local simulator of the AI vendors' HTTP APIs, for tests that must never reach the internet.

The real SDK clients (``openai``, ``anthropic``, ``ollama``, httpx inside ``langchain-mistralai``,
``msal``) are pointed at :meth:`Simulator.url` and talk to a real threaded HTTP server on
127.0.0.1, which answers in each vendor's wire format, streaming included, and can be scripted
to fail in the ways vendors fail.

Usage::

    with start_simulator() as sim:
        sim.script(Step(kind="status", status=429, retry_after=2), Step())
        llm = ChatOpenAI(base_url=sim.url("openai"), api_key="sk-test", max_retries=0)
        ...
        assert [r.step.kind for r in sim.of("openai")] == ["status", "ok"]

Routes (``url(d)`` is what a client takes as its base URL):

============  =================================  ==============================================
dialect       ``url(dialect)``                    requests served
============  =================================  ==============================================
openai        ``base/openai/v1``                 POST chat/completions, GET models
compat        ``base/compat/v1``                 same (vLLM / llama.cpp / LM Studio style)
azure         ``base/azure`` (azure_endpoint)    POST openai/deployments/{dep}/chat/completions
mistral       ``base/mistral/v1`` (endpoint)     POST chat/completions, GET models
anthropic     ``base/anthropic``                 POST v1/messages
ollama        ``base/ollama`` (host)             POST api/chat, GET api/tags, POST api/show
entra         ``base/entra`` (+ ``/{tenant}``)   GET {tenant}/v2.0/.well-known/openid-configuration,
                                                 POST {tenant}/oauth2/v2.0/token
============  =================================  ==============================================

What each dialect emits on a stream (``kind="ok"``):

* **openai** / **azure** — ``text/event-stream``; ``data: {chat.completion.chunk}`` lines: a
  role chunk (``delta={"role": "assistant", "content": ""}``), one chunk per word
  (``choices[0].delta.content``), a separate finish chunk with an empty delta and
  ``finish_reason`` ``"stop"`` (or ``"length"`` when the request's ``max_tokens`` /
  ``max_completion_tokens`` cut the answer), then — only when the request has
  ``stream_options.include_usage`` — a chunk with ``choices: []`` and ``usage``, then
  ``data: [DONE]``. Azure adds a first chunk with ``choices: []`` and ``prompt_filter_results``,
  and ``content_filter_results`` in each choice, as Azure does.
* **compat** — as openai, but vLLM-style: ``finish_reason`` rides on the last content chunk.
* **mistral** — as openai, but the final chunk (``delta.content == ""``, ``finish_reason``)
  always carries ``usage`` (Mistral needs no ``stream_options``), then ``data: [DONE]``.
* **anthropic** — named SSE events: ``message_start`` (``message.usage.input_tokens``),
  ``content_block_start``, ``ping`` (these three at once), then ``content_block_delta``
  (``text_delta``) per word, ``content_block_stop``, ``message_delta`` (``stop_reason``
  ``"end_turn"`` / ``"max_tokens"``, ``usage.output_tokens`` and, as the API does today, the
  cumulative ``usage.input_tokens``), ``message_stop``.
* **ollama** — ``application/x-ndjson``; one JSON object per line with ``message.content``
  and ``done: false``; a last line ``done: true`` with ``done_reason`` (``"stop"`` /
  ``"length"`` when ``options.num_predict`` cut it), ``prompt_eval_count``, ``eval_count`` and
  the ``*_duration`` fields. Ollama streams unless the request says ``"stream": false``.

Non-stream requests get the vendor's JSON object (``chat.completion`` / ``message`` / the
single Ollama object) with usage.

The answer: ``Step.text``, or by default one bullet per citation id found in the request
(regex :data:`CITATION`, first 3 distinct; user/assistant turns are searched before system
text, so an example id in the instructions does not win):
``"- Simulated point one [p1]\n- Simulated point two [tb2]\n- Simulated point three [fn-3]"``,
or ``"Simulated answer."`` with no id. It streams one chunk per word (spaces kept). The
model is echoed. Usage is deterministic: prompt tokens = words in all message texts (system
included), completion tokens = words in the answer. A request's ``max_tokens`` /
``max_completion_tokens`` / Ollama ``options.num_predict`` below the answer's word count cuts
it there, with finish reason ``length`` / ``max_tokens``.

Failures (:class:`Step` ``kind``):

* ``status`` — the HTTP ``status`` with the vendor's error body (below) and ``Retry-After``
  (plus ``retry-after-ms`` on the OpenAI dialects) when ``retry_after`` is set; the body is a
  plain JSON response even for stream requests, as vendors do. Bodies:
  openai/azure/compat ``{"error": {"message", "type", "param", "code"}}`` (context length:
  ``code="context_length_exceeded"``; Azure's 401/404/429 use Azure's ``code``/``message``);
  anthropic ``{"type": "error", "error": {"type", "message"}, "request_id"}`` (context
  length: ``invalid_request_error`` "prompt is too long: …"); mistral
  ``{"object": "error", "message", "type", "param", "code"}``; ollama ``{"error": "..."}``.
* ``error_in_stream`` — 200, ``after_chunks`` content chunks, then the vendor's in-stream
  error and the end of the body: openai dialects ``data: {"error": {...}}``; mistral
  ``data: {"object": "error", ...}``; anthropic ``event: error`` /
  ``{"type": "error", "error": {"type": "overloaded_error", ...}}``; ollama
  ``{"error": "..."}`` line. Without a stream it becomes an error status (500; Anthropic:
  529 for ``overloaded_error``, 429 for ``rate_limit_error``).
* ``cut`` — ``after_chunks`` chunks, then the body ends cleanly (chunked terminator, then the
  connection is closed): no finish marker, no ``[DONE]``, no ``message_stop``, no ``done``
  line. The client sees a normal EOF; spotting the missing finish is the caller's job.
  Without a stream: a JSON body cut in half under its full Content-Length (read error).
* ``stall`` — ``after_chunks`` chunks, then ``stall_seconds`` of silence, then ends like
  ``cut``. Without a stream: ``stall_seconds`` of silence, then the connection closes.
* ``malformed`` — ``after_chunks`` chunks, then ``data: {not json`` (a broken NDJSON line for
  ollama), then the end of the body. Without a stream: a 200 whose JSON body does not parse.
* ``abort`` (added) — ``after_chunks`` chunks, then the socket is shut mid-body without the
  chunked terminator: the HTTP client raises a protocol/connection error ("incomplete chunked
  read"). Without a stream: the connection closes with no response.

Timing: stream headers go out at once; content chunk *i* goes out at
``first_token_delay + i / tokens_per_second`` after the request arrived, and a failure
takes the slot of chunk ``after_chunks``. A ``status`` error and a non-stream answer are sent
after ``first_token_delay`` (plus the paced generation time for an answer). Sleeps end early
when the simulator closes, so nothing hangs.

Unscripted requests: a chat request that no queued step matches gets
``sim.responder(dialect)`` when a responder is set (a benchmark's "every call answers like
this", or a failure mix by time or chance), else ``Step()``.

Authentication: openai, azure, anthropic and mistral requests without their key header
(``Authorization`` / ``api-key`` / ``x-api-key``) get the vendor's 401 without consuming a
scripted step; the headers are recorded (lower-cased names) for tests to check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import itertools
import json
import re
import shutil
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

DIALECTS = ("openai", "compat", "azure", "mistral", "anthropic", "ollama")
KINDS = ("ok", "status", "error_in_stream", "cut", "stall", "malformed", "abort")
_FAILING = frozenset({"error_in_stream", "cut", "stall", "malformed", "abort"})
CITATION = re.compile(r"\[((?:p|tb)\d+|(?:fn|en|cm)-?\d+(?:\.\d+)?)\]")
_ORDINALS = ("one", "two", "three")
_WORD = re.compile(r"\s*\S+\s*")


# --------------------------------------------------------------------------------- public API


@dataclass
class Step:
    """What the simulator does with one request (see the module docstring for each kind)."""

    kind: str = "ok"  # ok | status | error_in_stream | cut | stall | malformed | abort
    status: int = 200  # for kind="status"
    retry_after: float | None = None  # Retry-After header (seconds) with an error status
    error_type: str = ""  # vendor error type, e.g. "overloaded_error", "context_length_exceeded"
    message: str = ""  # error message in the vendor's error body ("" → the vendor's usual one)
    text: str | None = None  # answer text; None → default answer (citations of the request)
    first_token_delay: float = 0.0  # seconds before the first content chunk
    tokens_per_second: float | None = None  # pace of content chunks (one word each)
    after_chunks: int = 2  # for the failing kinds: content chunks sent first
    stall_seconds: float = 5.0  # for stall: silence, then the stream ends with no finish
    dialect: str | None = None  # consumed only by requests of this dialect; None = any chat

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown Step kind {self.kind!r}; one of {KINDS}")
        if self.dialect is not None and self.dialect not in (*DIALECTS, "entra"):
            raise ValueError(f"unknown dialect {self.dialect!r}")
        if self.kind == "status" and self.status < 400:
            raise ValueError("kind='status' needs an error status (>= 400)")


@dataclass
class Recorded:
    """One request as the simulator saw it (``headers`` names are lower-cased).

    ``body`` is the parsed JSON (a dict of form fields for the Entra token request, None when
    there is none or it does not parse); ``model`` is the requested model (the deployment for
    Azure); ``time`` is ``time.monotonic()`` at arrival.
    """

    dialect: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    model: str | None
    stream: bool
    step: Step
    time: float


class Simulator:
    """The running server. Build it with :func:`start_simulator` (or directly, then close())."""

    def __init__(self, tls: bool = False, port: int = 0) -> None:
        """``port`` 0: a free port. A given port is bound with SO_REUSEPORT, so that several
        simulator processes can share it and the kernel spreads connections between them
        (load benchmarks: one process's threads contend for its GIL)."""
        self.requests: list[Recorded] = []
        self.tokens_issued = 0  # Entra access tokens handed out
        self.token_lifetime = 3600  # expires_in of those tokens, seconds
        self.models: list[str] = ["sim-model"]  # listed by GET models / ollama api/tags
        self.ca_file: str | None = None  # in TLS mode: the CA certificate to verify against
        # The step of a chat request that no scripted step matches (called with its dialect,
        # on the request's thread); None: Step(), an immediate answer. For load benchmarks.
        self.responder: Callable[[str], Step] | None = None
        self._lock = threading.Lock()
        self._queue: deque[Step] = deque()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._seq = itertools.count(1)
        self._tmp: str | None = None
        self._server = (_SharedServer if port else _Server)(("127.0.0.1", port), _Handler)
        self._server.sim = self
        scheme = "http"
        if tls:
            self._tmp = tempfile.mkdtemp(prefix="vendor-sim-")
            ca_path, cert_path, key_path = _make_certificates(Path(self._tmp))
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert_path, key_path)
            self._server.socket = ctx.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            self.ca_file = str(ca_path)
            scheme = "https"
        self.port: int = self._server.server_address[1]
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="vendor-sim",
            daemon=True,
        )
        self._thread.start()

    # -- what tests use

    def url(self, dialect: str) -> str:
        """The base URL a client of ``dialect`` (or ``"entra"``) takes."""
        suffix = {
            "openai": "/openai/v1",
            "compat": "/compat/v1",
            "azure": "/azure",
            "mistral": "/mistral/v1",
            "anthropic": "/anthropic",
            "ollama": "/ollama",
            "entra": "/entra",
        }
        if dialect not in suffix:
            raise ValueError(f"unknown dialect {dialect!r}")
        return self.base_url + suffix[dialect]

    def script(self, *steps: Step) -> None:
        """Queue steps (FIFO); each chat request takes the first queued step of its dialect."""
        with self._lock:
            self._queue.extend(steps)

    @property
    def pending(self) -> list[Step]:
        """Scripted steps not consumed yet."""
        with self._lock:
            return list(self._queue)

    def reset(self) -> None:
        """Clear the queue and the request log; restore tokens_issued, token_lifetime, models,
        responder."""
        with self._lock:
            self.responder = None
            self._queue.clear()
            self.requests.clear()
            self.tokens_issued = 0
            self.token_lifetime = 3600
            self.models = ["sim-model"]

    def of(self, dialect: str) -> list[Recorded]:
        """The recorded requests of one dialect (all routes of it), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.dialect == dialect]

    def close(self) -> None:
        """Stop serving, wake every sleeping stream, drop open connections."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- internals used by the handler

    def _take(self, dialect: str) -> Step:
        with self._lock:
            for i, step in enumerate(self._queue):
                if step.dialect == dialect or (step.dialect is None and dialect in DIALECTS):
                    del self._queue[i]
                    return step
            responder = self.responder
        return responder(dialect) if responder is not None and dialect in DIALECTS else Step()

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def _issue_token(self) -> tuple[str, int]:
        with self._lock:
            self.tokens_issued += 1
            return f"sim-token-{self.tokens_issued}", self.token_lifetime


@contextlib.contextmanager
def start_simulator(tls: bool = False) -> Iterator[Simulator]:
    """Run a :class:`Simulator` for the ``with`` block. ``tls=True`` serves HTTPS with a
    throwaway certificate for 127.0.0.1/localhost; its CA is at ``sim.ca_file``."""
    sim = Simulator(tls=tls)
    try:
        yield sim
    finally:
        sim.close()


# ------------------------------------------------------------------------------------ server


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    sim: Simulator

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind's getfqdn(): a reverse DNS look-up can stall here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-stream is routine here; anything else is a simulator bug.
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError | _Aborted):
            traceback.print_exc()


class _SharedServer(_Server):
    allow_reuse_port = True


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class _Aborted(Exception):
    """The connection went away (client hung up, or the simulator closed)."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "vendor-sim/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections give their thread back after this
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()
        with self.server.sim._lock:
            self.server.sim._conns.add(self.connection)

    def finish(self) -> None:
        with self.server.sim._lock:
            self.server.sim._conns.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        with contextlib.suppress(OSError, _Aborted):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # -- plumbing

    @property
    def sim(self) -> Simulator:
        return self.server.sim

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _start_chunked(self, ctype: str, headers: dict[str, str], close: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for k, v in headers.items():
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        if not data:
            return
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        except OSError as exc:
            raise _Aborted from exc

    def _end_chunked(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
        except OSError as exc:
            raise _Aborted from exc

    def _drop(self) -> None:
        """Close the connection now, mid-body if need be."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _wait_until(self, deadline: float) -> None:
        delay = deadline - time.monotonic()
        if delay > 0 and self.sim._stopping.wait(delay):
            self._drop()
            raise _Aborted
        if self.sim._stopping.is_set():
            self._drop()
            raise _Aborted

    # -- routing

    def _dispatch(self) -> None:
        arrived = time.monotonic()
        split = urlsplit(self.path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        body: Any = None
        if raw:
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
        req = _Request(self.command, path, query, headers, body, arrived)
        segments = path.strip("/").split("/")
        first = segments[0] if segments and segments[0] else ""
        post = self.command == "POST"
        m = re.fullmatch(r"/(openai|compat|mistral)/v1/chat/completions", path)
        if m and post:
            return self._chat(m.group(1), req)
        m = re.fullmatch(r"/azure/openai/deployments/([^/]+)/chat/completions", path)
        if m and post:
            return self._chat("azure", req, deployment=m.group(1))
        if path == "/anthropic/v1/messages" and post:
            return self._chat("anthropic", req)
        if path == "/ollama/api/chat" and post:
            return self._chat("ollama", req)
        if re.fullmatch(r"/(openai|compat|mistral)/v1/models", path):
            self._log(first, req)
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "vendor-sim"}
                    for m in self.sim.models]
            return self._send(200, _json({"object": "list", "data": data}))
        if first == "ollama":
            return self._ollama_misc(path, req)
        if first == "entra":
            return self._entra(segments, req)
        self._log(first if first in DIALECTS else "unknown", req)
        return self._send(404, _json({"error": {"message": f"no route for {self.command} "
                                                f"{path}", "type": "not_found"}}))

    def _log(self, dialect: str, req: _Request, step: Step | None = None,
             model: str | None = None, stream: bool = False) -> None:
        self.sim._record(Recorded(
            dialect=dialect, method=req.method, path=req.path, query=req.query,
            headers=req.headers, body=req.body, model=model, stream=stream,
            step=step or Step(), time=req.arrived,
        ))

    def _ollama_misc(self, path: str, req: _Request) -> None:
        self._log("ollama", req)
        if path in ("/ollama", "/ollama/"):
            return self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        if path == "/ollama/api/version":
            return self._send(200, _json({"version": "0.6.0"}))
        if path == "/ollama/api/tags":
            models = [{"name": m, "model": m, "modified_at": "2025-01-01T00:00:00Z",
                       "size": 1, "digest": "0" * 64,
                       "details": {"format": "gguf", "family": "llama",
                                   "parameter_size": "1B", "quantization_level": "Q4_0"}}
                      for m in self.sim.models]
            return self._send(200, _json({"models": models}))
        if path == "/ollama/api/show":
            return self._send(200, _json({
                "modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
                "details": {"format": "gguf", "family": "llama", "parameter_size": "1B",
                            "quantization_level": "Q4_0"},
                "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
                "capabilities": ["completion"],
            }))
        return self._send(404, _json({"error": "404 page not found"}), "text/plain")

    def _entra(self, segments: list[str], req: _Request) -> None:
        tail = "/".join(segments[2:])
        tenant = segments[1] if len(segments) > 1 else ""
        root = f"{self.sim.base_url}/entra/{tenant}"
        if tail == "v2.0/.well-known/openid-configuration" and req.method == "GET":
            self._log("entra", req)
            return self._send(200, _json({
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                          "private_key_jwt"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
            }))
        if tail == "oauth2/v2.0/token" and req.method == "POST":
            step = self.sim._take("entra")
            self._log("entra", req, step)
            form = req.body if isinstance(req.body, dict) else {}
            if step.kind == "status":
                return self._send(step.status, _json({
                    "error": step.error_type or "invalid_client",
                    "error_description": step.message
                    or "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                }), headers=_retry_headers(step, "entra"))
            if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
                return self._send(400, _json({
                    "error": "unsupported_grant_type",
                    "error_description": "AADSTS70003: The app requested an unsupported "
                                         "grant type (simulator: client_credentials only).",
                }))
            if not (form.get("client_secret") or form.get("client_assertion")):
                return self._send(401, _json({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000216: 'client_assertion', "
                                         "'client_secret' or 'request' is required.",
                }))
            token, lifetime = self.sim._issue_token()
            return self._send(200, _json({
                "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                "access_token": token,
            }))
        self._log("entra", req)
        return self._send(404, _json({"error": "invalid_request",
                                      "error_description": "AADSTS900561: not served"}))

    # -- chat

    def _chat(self, dialect: str, req: _Request, deployment: str | None = None) -> None:
        body = req.body if isinstance(req.body, dict) else {}
        d = _DIALECT_CLASSES[dialect]()
        model = deployment if dialect == "azure" else body.get("model")
        model = model if isinstance(model, str) else None
        if dialect == "ollama":
            stream = body.get("stream", True) is not False
        else:
            stream = body.get("stream") is True
        step = d.precheck(req)
        if step is None:
            step = self.sim._take(dialect)
        self._log(dialect, req, step, model=model, stream=stream)
        ctx = _Context.build(dialect, body, model or "", step, next(self.sim._seq))
        t0 = req.arrived
        if step.kind == "status":
            self._wait_until(t0 + step.first_token_delay)
            status, err = d.error(ctx, step.status, step)
            return self._send(status, _json(err), headers={
                **d.headers(ctx), **_retry_headers(step, dialect)})
        if stream:
            return self._stream(d, ctx, step, t0)
        return self._whole(d, ctx, step, t0)

    def _schedule(self, step: Step, t0: float, i: int) -> float:
        pace = 1.0 / step.tokens_per_second if step.tokens_per_second else 0.0
        return t0 + step.first_token_delay + i * pace

    def _whole(self, d: _Dialect, ctx: _Context, step: Step, t0: float) -> None:
        n = len(ctx.pieces)
        if step.kind == "abort":
            return self._drop()
        if step.kind == "stall":
            self._wait_until(t0 + step.stall_seconds)
            return self._drop()
        self._wait_until(self._schedule(step, t0, max(n - 1, 0)))
        if step.kind == "error_in_stream":
            status = d.stream_failure_status(step)
            _, err = d.error(ctx, status, step)
            return self._send(status, _json(err), headers=d.headers(ctx))
        if step.kind == "malformed":
            return self._send(200, b'{"id": "broken", {not json', headers=d.headers(ctx))
        payload = _json(d.whole(ctx))
        if step.kind == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(payload[: len(payload) // 2])
            return self._drop()
        return self._send(200, payload, headers=d.headers(ctx))

    def _stream(self, d: _Dialect, ctx: _Context, step: Step, t0: float) -> None:
        failing = step.kind in _FAILING
        self._start_chunked(d.stream_type, d.headers(ctx), close=failing)
        self._chunk(d.preamble(ctx))
        n = len(ctx.pieces)
        emit = min(step.after_chunks, n) if failing else n
        for i in range(emit):
            self._wait_until(self._schedule(step, t0, i))
            lead = d.lead_in(ctx) if i == 0 else b""
            self._chunk(lead + d.content(ctx, i, final=not failing and i == n - 1))
        if not failing:
            if n == 0:
                self._wait_until(self._schedule(step, t0, 0))
                self._chunk(d.lead_in(ctx))
            self._chunk(d.finish(ctx))
            return self._end_chunked()
        self._wait_until(self._schedule(step, t0, emit))
        if step.kind == "abort":
            return self._drop()
        if step.kind == "error_in_stream":
            self._chunk(d.stream_error(ctx, step))
        elif step.kind == "malformed":
            self._chunk(d.malformed(ctx))
        elif step.kind == "stall":
            self._wait_until(time.monotonic() + step.stall_seconds)
        self._end_chunked()
        self.close_connection = True


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    arrived: float


def _retry_headers(step: Step, dialect: str) -> dict[str, str]:
    if step.retry_after is None:
        return {}
    secs = float(step.retry_after)
    out = {"Retry-After": str(int(secs)) if secs.is_integer() else f"{secs:g}"}
    if dialect in ("openai", "azure", "compat"):
        out["retry-after-ms"] = str(round(secs * 1000))
    return out


# ------------------------------------------------------------------------------ the answers


def _texts(content: Any) -> list[str]:
    """The text parts of a message content: a string, or a list of content blocks."""
    if isinstance(content, str):
        return [content]
    out: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                for key in ("text", "content"):
                    if key in part:
                        out.extend(_texts(part[key]))
    return out


def request_texts(body: dict[str, Any]) -> list[str]:
    """Every message text of a chat request: user/assistant turns first, in order, then the
    system texts (system messages and Anthropic's ``system``), so that the default answer
    cites the document's ids before any example id an instruction may show."""
    texts: list[str] = []
    system = _texts(body.get("system")) if "system" in body else []
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            role = message.get("role")
            (system if role in ("system", "developer") else texts).extend(
                _texts(message.get("content")))
    return texts + system


def default_answer(texts: list[str]) -> str:
    """The answer given when a step has no text: a bullet per citation id (up to 3)."""
    ids: list[str] = []
    for text in texts:
        for found in CITATION.findall(text):
            if found not in ids:
                ids.append(found)
    ids = ids[:3]
    if not ids:
        return "Simulated answer."
    return "\n".join(
        f"- Simulated point {_ORDINALS[i]} [{cid}]" for i, cid in enumerate(ids)
    )


def split_words(text: str) -> list[str]:
    """One chunk per word, spaces kept: ``"".join(split_words(t)) == t``."""
    pieces = _WORD.findall(text)
    return pieces if pieces else ([text] if text else [])


def count_words(texts: list[str] | str) -> int:
    if isinstance(texts, str):
        texts = [texts]
    return sum(len(t.split()) for t in texts)


@dataclass
class _Context:
    dialect: str
    model: str
    rid: str
    created: int
    text: str
    pieces: list[str]
    prompt_tokens: int
    completion_tokens: int
    truncated: bool
    include_usage: bool
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, dialect: str, body: dict[str, Any], model: str, step: Step,
              seq: int) -> _Context:
        texts = request_texts(body)
        text = step.text if step.text is not None else default_answer(texts)
        pieces = split_words(text)
        limit = _max_tokens(dialect, body)
        truncated = limit is not None and len(pieces) > limit
        if truncated:
            pieces = pieces[:limit]
            text = "".join(pieces)
        opts = body.get("stream_options")
        include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
        prefix = {"anthropic": "msg_sim", "mistral": "cmpl-sim", "ollama": "ollama-sim"}
        return cls(
            dialect=dialect, model=model, rid=f"{prefix.get(dialect, 'chatcmpl-sim')}{seq:06d}",
            created=int(time.time()), text=text, pieces=pieces,
            prompt_tokens=count_words(texts), completion_tokens=count_words(text),
            truncated=truncated, include_usage=include_usage, body=body,
        )

    @property
    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}


def _max_tokens(dialect: str, body: dict[str, Any]) -> int | None:
    if dialect == "ollama":
        options = body.get("options")
        value = options.get("num_predict") if isinstance(options, dict) else None
    else:
        value = body.get("max_completion_tokens") or body.get("max_tokens")
    return value if isinstance(value, int) and value > 0 else None


# ------------------------------------------------------------------------------- dialects


def _sse(obj: Any) -> bytes:
    return b"data: " + _json(obj) + b"\n\n"


class _Dialect:
    stream_type = "text/event-stream; charset=utf-8"

    def precheck(self, req: _Request) -> Step | None:
        """A 401 step when the request lacks the vendor's key header, else None."""
        return None

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {}

    def preamble(self, ctx: _Context) -> bytes:
        return b""

    def lead_in(self, ctx: _Context) -> bytes:
        return b""

    def content(self, ctx: _Context, i: int, final: bool) -> bytes:
        raise NotImplementedError

    def finish(self, ctx: _Context) -> bytes:
        raise NotImplementedError

    def whole(self, ctx: _Context) -> dict[str, Any]:
        raise NotImplementedError

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def stream_error(self, ctx: _Context, step: Step) -> bytes:
        raise NotImplementedError

    def stream_failure_status(self, step: Step) -> int:
        return 500

    def malformed(self, ctx: _Context) -> bytes:
        return b"data: {not json\n\n"


def _is_context(step: Step) -> bool:
    return step.error_type == "context_length_exceeded"


_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request (simulated)."),
    401: ("invalid_request_error", "invalid_api_key",
          "Incorrect API key provided: sk-sim***. You can find your API key at "
          "https://platform.openai.com/account/api-keys."),
    403: ("invalid_request_error", "unsupported_country_region_territory",
          "Country, region, or territory not supported"),
    404: ("invalid_request_error", "model_not_found",
          "The model `{model}` does not exist or you do not have access to it."),
    429: ("requests", "rate_limit_exceeded",
          "Rate limit reached for {model} in organization org-sim on requests per min (RPM): "
          "Limit 3, Used 3, Requested 1. Please try again in 20s."),
    500: ("server_error", None,
          "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}
_OPENAI_CODES = frozenset({"context_length_exceeded", "content_filter", "rate_limit_exceeded",
                           "invalid_api_key", "model_not_found", "insufficient_quota"})


class _OpenAI(_Dialect):
    """OpenAI chat completions: role chunk, word chunks, finish chunk, usage chunk, [DONE]."""

    name = "openai"
    finish_on_last_content = False

    def precheck(self, req: _Request) -> Step | None:
        if req.headers.get("authorization", "").startswith("Bearer "):
            return None
        return Step(kind="status", status=401, message=(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."))

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {"x-request-id": f"req_{ctx.rid}", "openai-processing-ms": "1"}

    def _choice(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def _chunk(self, ctx: _Context, choices: list[dict[str, Any]],
               usage: dict[str, int] | None = None) -> bytes:
        obj: dict[str, Any] = {
            "id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
            "model": ctx.model, "system_fingerprint": "fp_sim", "choices": choices,
        }
        if ctx.include_usage:
            obj["usage"] = usage
        return _sse(obj)

    @staticmethod
    def _finish_reason(ctx: _Context) -> str:
        return "length" if ctx.truncated else "stop"

    def lead_in(self, ctx: _Context) -> bytes:
        return self._chunk(ctx, [self._choice({"role": "assistant", "content": "",
                                               "refusal": None}, None)])

    def content(self, ctx: _Context, i: int, final: bool) -> bytes:
        finish = self._finish_reason(ctx) if final and self.finish_on_last_content else None
        return self._chunk(ctx, [self._choice({"content": ctx.pieces[i]}, finish)])

    def finish(self, ctx: _Context) -> bytes:
        out = b""
        if not (self.finish_on_last_content and ctx.pieces):
            out += self._chunk(ctx, [self._choice({}, self._finish_reason(ctx))])
        if ctx.include_usage:
            out += self._chunk(ctx, [], ctx.usage)
        return out + b"data: [DONE]\n\n"

    def whole(self, ctx: _Context) -> dict[str, Any]:
        return {
            "id": ctx.rid, "object": "chat.completion", "created": ctx.created,
            "model": ctx.model, "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ctx.text,
                                                 "refusal": None, "annotations": []},
                         "logprobs": None, "finish_reason": self._finish_reason(ctx)}],
            "usage": ctx.usage,
        }

    def _error_fields(self, ctx: _Context, status: int, step: Step) -> dict[str, Any]:
        etype, code, message = _OPENAI_ERRORS.get(status, ("api_error", None, f"HTTP {status}"))
        param = None
        if _is_context(step):
            etype, code, param = "invalid_request_error", "context_length_exceeded", "messages"
            message = ("This model's maximum context length is 128000 tokens. However, your "
                       f"messages resulted in {max(ctx.prompt_tokens, 128001)} tokens. Please "
                       "reduce the length of the messages.")
        elif step.error_type in _OPENAI_CODES:
            code = step.error_type
            if step.error_type == "insufficient_quota":
                etype = "insufficient_quota"
        elif step.error_type:
            etype = step.error_type
        return {"message": step.message or message.format(model=ctx.model), "type": etype,
                "param": param, "code": code}

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        return status, {"error": self._error_fields(ctx, status, step)}

    def stream_error(self, ctx: _Context, step: Step) -> bytes:
        return _sse({"error": self._error_fields(ctx, 500, step)})


class _Compat(_OpenAI):
    """vLLM / llama.cpp style OpenAI: finish_reason on the last content chunk; no key needed."""

    name = "compat"
    finish_on_last_content = True

    def precheck(self, req: _Request) -> Step | None:
        return None

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {}


class _Azure(_OpenAI):
    """Azure OpenAI: OpenAI's format plus prompt/content filter results; api-key or Bearer."""

    name = "azure"

    def precheck(self, req: _Request) -> Step | None:
        if not req.query.get("api-version"):
            return Step(kind="status", status=404, error_type="MissingApiVersionParameter",
                        message="The api-version query parameter (?api-version=) is required "
                                "for all requests.")
        if req.headers.get("api-key") or req.headers.get("authorization", "").startswith(
                "Bearer "):
            return None
        return Step(kind="status", status=401, message=(
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
            "provide a valid key for an active subscription and use a correct regional API "
            "endpoint for your resource."))

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {"apim-request-id": ctx.rid, "x-ms-region": "Sim Europe"}

    _FILTERS: ClassVar[dict[str, Any]] = {
        k: {"filtered": False, "severity": "safe"}
        for k in ("hate", "self_harm", "sexual", "violence")}

    def _choice(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {**super()._choice(delta, finish), "content_filter_results": self._FILTERS}

    def preamble(self, ctx: _Context) -> bytes:
        return _sse({"choices": [], "created": 0, "id": "", "model": "", "object": "",
                     "prompt_filter_results": [{"prompt_index": 0,
                                                "content_filter_results": self._FILTERS}]})

    def whole(self, ctx: _Context) -> dict[str, Any]:
        out = super().whole(ctx)
        out["choices"][0]["content_filter_results"] = self._FILTERS
        out["prompt_filter_results"] = [{"prompt_index": 0,
                                         "content_filter_results": self._FILTERS}]
        return out

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        if _is_context(step) or step.error_type in _OPENAI_CODES:
            return super().error(ctx, status, step)
        azure = {
            401: ("401", None),
            404: ("DeploymentNotFound", "The API deployment for this resource does not exist. "
                  "If you created the deployment within the last 5 minutes, please wait a "
                  "moment and try again."),
            429: ("429", "Requests to the ChatCompletions_Create Operation under Azure OpenAI "
                  "API version 2024-10-21 have exceeded token rate limit of your current "
                  "OpenAI S0 pricing tier. Please retry after 6 seconds."),
        }
        if status in azure and not step.error_type.startswith(("server", "invalid")):
            code, message = azure[status]
            if step.error_type:
                code = step.error_type
            return status, {"error": {"code": code,
                                      "message": step.message or message or ""}}
        return super().error(ctx, status, step)


_MISTRAL_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (simulated)."),
    401: ("authentication_error", "Unauthorized"),
    403: ("permission_error", "Forbidden"),
    404: ("invalid_model", "Invalid model: {model}"),
    429: ("rate_limited", "Requests rate limit exceeded"),
    500: ("internal_server_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable: the model is overloaded"),
}


class _Mistral(_OpenAI):
    """Mistral: OpenAI-like chunks; the final chunk carries finish_reason and usage."""

    name = "mistral"

    def precheck(self, req: _Request) -> Step | None:
        if req.headers.get("authorization", "").startswith("Bearer "):
            return None
        return Step(kind="status", status=401, message="Unauthorized")

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {"mistral-correlation-id": ctx.rid}

    def _choice(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "finish_reason": finish}

    def _chunk(self, ctx: _Context, choices: list[dict[str, Any]],
               usage: dict[str, int] | None = None) -> bytes:
        obj: dict[str, Any] = {"id": ctx.rid, "object": "chat.completion.chunk",
                               "created": ctx.created, "model": ctx.model, "choices": choices}
        if usage:
            obj["usage"] = usage
        return _sse(obj)

    def lead_in(self, ctx: _Context) -> bytes:
        return self._chunk(ctx, [self._choice({"role": "assistant", "content": ""}, None)])

    def finish(self, ctx: _Context) -> bytes:
        last = self._chunk(ctx, [self._choice({"content": ""}, self._finish_reason(ctx))],
                           ctx.usage)
        return last + b"data: [DONE]\n\n"

    def whole(self, ctx: _Context) -> dict[str, Any]:
        return {
            "id": ctx.rid, "object": "chat.completion", "created": ctx.created,
            "model": ctx.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ctx.text,
                                                 "tool_calls": None},
                         "finish_reason": self._finish_reason(ctx)}],
            "usage": ctx.usage,
        }

    def _mistral_error(self, ctx: _Context, status: int, step: Step) -> dict[str, Any]:
        etype, message = _MISTRAL_ERRORS.get(status, ("api_error", f"HTTP {status}"))
        code: str | None = None
        if _is_context(step):
            etype, code = "invalid_request_message_error", "3051"
            message = (f"Prompt contains {max(ctx.prompt_tokens, 32769)} tokens and 0 draft "
                       "tokens, too large for model with 32768 maximum context length")
        elif step.error_type:
            etype = step.error_type
        return {"object": "error", "message": step.message or message.format(model=ctx.model),
                "type": etype, "param": None, "code": code}

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        return status, self._mistral_error(ctx, status, step)

    def stream_error(self, ctx: _Context, step: Step) -> bytes:
        return _sse(self._mistral_error(ctx, 500, step))


_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (simulated)."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified "
                              "resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate "
                              "limit (https://docs.anthropic.com/en/api/rate-limits); see the "
                              "response headers for current usage. Please reduce the prompt "
                              "length or the maximum tokens requested, or try again later."),
    500: ("api_error", "Internal server error"),
    503: ("overloaded_error", "Overloaded"),
    529: ("overloaded_error", "Overloaded"),
}


def _anthropic_event(name: str, obj: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _json(obj) + b"\n\n"


class _Anthropic(_Dialect):
    """Anthropic Messages: named SSE events, message_start … message_stop."""

    name = "anthropic"

    def precheck(self, req: _Request) -> Step | None:
        if req.headers.get("x-api-key") or req.headers.get("authorization"):
            return None
        return Step(kind="status", status=401, message="x-api-key header is required")

    def headers(self, ctx: _Context) -> dict[str, str]:
        return {"request-id": f"req_{ctx.rid}", "anthropic-organization-id": "org-sim"}

    def _usage(self, ctx: _Context, output: int) -> dict[str, Any]:
        return {"input_tokens": ctx.prompt_tokens, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0, "output_tokens": output,
                "service_tier": "standard"}

    def _stop_reason(self, ctx: _Context) -> str:
        return "max_tokens" if ctx.truncated else "end_turn"

    def preamble(self, ctx: _Context) -> bytes:
        message = {"id": ctx.rid, "type": "message", "role": "assistant", "model": ctx.model,
                   "content": [], "stop_reason": None, "stop_sequence": None,
                   "usage": self._usage(ctx, 1)}
        return (_anthropic_event("message_start", {"type": "message_start", "message": message})
                + _anthropic_event("content_block_start", {
                    "type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}})
                + _anthropic_event("ping", {"type": "ping"}))

    def content(self, ctx: _Context, i: int, final: bool) -> bytes:
        return _anthropic_event("content_block_delta", {
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": ctx.pieces[i]}})

    def finish(self, ctx: _Context) -> bytes:
        return (_anthropic_event("content_block_stop", {"type": "content_block_stop",
                                                        "index": 0})
                + _anthropic_event("message_delta", {
                    "type": "message_delta",
                    "delta": {"stop_reason": self._stop_reason(ctx), "stop_sequence": None},
                    # cumulative, as the API sends it today (langchain reads usage here only)
                    "usage": {"input_tokens": ctx.prompt_tokens,
                              "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                              "output_tokens": ctx.completion_tokens}})
                + _anthropic_event("message_stop", {"type": "message_stop"}))

    def whole(self, ctx: _Context) -> dict[str, Any]:
        return {"id": ctx.rid, "type": "message", "role": "assistant", "model": ctx.model,
                "content": [{"type": "text", "text": ctx.text}],
                "stop_reason": self._stop_reason(ctx), "stop_sequence": None,
                "usage": self._usage(ctx, ctx.completion_tokens)}

    def _error(self, ctx: _Context, status: int, step: Step) -> dict[str, Any]:
        etype, message = _ANTHROPIC_ERRORS.get(status, ("api_error", f"HTTP {status}"))
        if _is_context(step):
            etype = "invalid_request_error"
            message = f"prompt is too long: {max(ctx.prompt_tokens, 200001)} tokens > " \
                      "200000 maximum"
        elif step.error_type:
            etype = step.error_type
        return {"type": "error",
                "error": {"type": etype, "message": step.message or message.format(
                    model=ctx.model)}}

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        return status, {**self._error(ctx, status, step), "request_id": f"req_{ctx.rid}"}

    def stream_error(self, ctx: _Context, step: Step) -> bytes:
        if not step.error_type:
            step = Step(**{**step.__dict__, "error_type": "overloaded_error"})
        return _anthropic_event("error", self._error(ctx, 529, step))

    def stream_failure_status(self, step: Step) -> int:
        return {"rate_limit_error": 429, "api_error": 500}.get(step.error_type, 529)

    def malformed(self, ctx: _Context) -> bytes:
        return b"event: content_block_delta\ndata: {not json\n\n"


_OLLAMA_ERRORS: dict[int, str] = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    404: 'model "{model}" not found, try pulling it first',
    429: "too many requests",
    500: "llama runner process has terminated: exit status 2",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


class _Ollama(_Dialect):
    """Ollama /api/chat: NDJSON lines, last one ``done: true`` with counts and durations."""

    name = "ollama"
    stream_type = "application/x-ndjson"

    @staticmethod
    def _now() -> str:
        return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")

    def _line(self, obj: Any) -> bytes:
        return _json(obj) + b"\n"

    def content(self, ctx: _Context, i: int, final: bool) -> bytes:
        return self._line({"model": ctx.model, "created_at": self._now(),
                           "message": {"role": "assistant", "content": ctx.pieces[i]},
                           "done": False})

    def _done(self, ctx: _Context, content: str) -> dict[str, Any]:
        return {"model": ctx.model, "created_at": self._now(),
                "message": {"role": "assistant", "content": content}, "done": True,
                "done_reason": "length" if ctx.truncated else "stop",
                "total_duration": 1_000_000 * (ctx.prompt_tokens + ctx.completion_tokens + 1),
                "load_duration": 1_000_000, "prompt_eval_count": ctx.prompt_tokens,
                "prompt_eval_duration": 1_000_000 * ctx.prompt_tokens,
                "eval_count": ctx.completion_tokens,
                "eval_duration": 1_000_000 * ctx.completion_tokens}

    def finish(self, ctx: _Context) -> bytes:
        return self._line(self._done(ctx, ""))

    def whole(self, ctx: _Context) -> dict[str, Any]:
        return self._done(ctx, ctx.text)

    def _message(self, ctx: _Context, status: int, step: Step) -> str:
        if step.message:
            return step.message
        if _is_context(step):
            return "the input length exceeds the context length"
        return _OLLAMA_ERRORS.get(status, f"HTTP {status}").format(model=ctx.model)

    def error(self, ctx: _Context, status: int, step: Step) -> tuple[int, dict[str, Any]]:
        return status, {"error": self._message(ctx, status, step)}

    def stream_error(self, ctx: _Context, step: Step) -> bytes:
        return self._line({"error": self._message(ctx, 500, step)})

    def malformed(self, ctx: _Context) -> bytes:
        return b'{"model":"' + ctx.model.encode() + b'","message":{not json\n'


_DIALECT_CLASSES: dict[str, type[_Dialect]] = {
    "openai": _OpenAI, "compat": _Compat, "azure": _Azure, "mistral": _Mistral,
    "anthropic": _Anthropic, "ollama": _Ollama,
}


# ------------------------------------------------------------------------------------ TLS


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 / localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vendor-sim test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return ca_path, cert_path, key_path
