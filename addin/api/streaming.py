"""Writes feature events as Server-Sent Events, or gathers them into one JSON body."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context

from ..errors import AddinError, TooSlow
from ..features.events import Event
from ..logs import log_unexpected


def wants_stream() -> bool:
    """True when the client asked for ``text/event-stream`` explicitly."""
    return any(mime == "text/event-stream" and quality > 0
               for mime, quality in request.accept_mimetypes)


def within(events: Iterator[Event], seconds: float) -> Iterator[Event]:
    """``events`` until ``seconds`` have passed since the call; then TooSlow, and the
    feature's generator is closed (which stops its model call)."""
    deadline = time.monotonic() + seconds
    try:
        for event in events:
            yield event
            if time.monotonic() > deadline and event.name != "done":
                raise TooSlow(f"The answer took longer than the {seconds:g} s limit and was "
                              "stopped. Try a shorter document or selection.")
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def sse(event: Event) -> str:
    return f"event: {event.name}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"


def stream_response(events: Iterator[Event], request_id: str) -> Response:
    """Stream ``events``; the first is computed before the response starts, so errors raised
    while the request is prepared still get their HTTP status. A failure later becomes an
    ``error`` event and the stream ends without ``done``."""
    first = next(events)

    def generate() -> Iterator[str]:
        yield sse(first)
        try:
            for event in events:
                yield sse(event)
        except AddinError as exc:
            yield sse(Event("error", exc.payload(request_id)["error"]))
        except Exception as exc:  # a worker must survive anything
            log_unexpected(exc, request_id)
            yield sse(Event("error", {"code": "internal_error", "request_id": request_id,
                                      "message": "The answer failed part-way. Try again."}))

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def gather(events: Iterator[Event]) -> dict[str, Any]:
    """One JSON body with the same content as the stream."""
    body: dict[str, Any] = {"text": "", "citations": [], "fallbacks": []}
    insights: list[dict[str, Any]] = []
    parts: list[str] = []
    for event in events:
        if event.name == "meta":
            body = {**event.data, **body}
        elif event.name == "delta":
            parts.append(event.data["text"])
        elif event.name == "citation":
            body["citations"].append(event.data)
        elif event.name == "insight":
            insights.append(event.data)
        elif event.name == "fallback":  # the answer restarted on another model
            body["fallbacks"].append(event.data)
            body.update(provider=event.data["to"], model=event.data["model"])
            parts.clear()
            body["citations"] = []
        elif event.name == "usage":
            body["usage"] = event.data
        elif event.name == "done":
            body["notes"] = event.data.get("notes", [])
    body["text"] = "".join(parts)
    if body.get("feature") == "analyze":
        body["narrative"] = body.pop("text")
        body["insights"] = insights
    return body
