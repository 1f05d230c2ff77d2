// Talks to the service: POST a request and read its Server-Sent Events from the fetch stream
// (EventSource cannot POST), cancellable through an AbortSignal; errors become ApiError
// with a sentence a person can act on. Every call carries the user's token (auth.js).

import { getToken, noteResponse } from "./auth.js";
import { t } from "./i18n.js";

const STREAM = "text/event-stream";

export class ApiError extends Error {
  constructor(message, code = "error", requestId = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.requestId = requestId;
  }
}

// payload: {json: object} or {bytes: Uint8Array, type: "application/..."}, plus query: {k: v}.
export async function streamPost(path, payload, { signal, onEvent }) {
  const { body, contentType } = encode(payload);
  const response = await send(path + queryString(payload.query), {
    method: "POST",
    body,
    headers: { "Accept": STREAM, "Content-Type": contentType },
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  if (!(response.headers.get("Content-Type") || "").startsWith(STREAM)) {
    throw new ApiError(t("error.unexpected"), "not_a_stream");
  }
  let done = false;
  for await (const { event, data } of readEvents(response.body, signal)) {
    if (event === "error") {
      throw new ApiError(data.message || t("error.cut"), data.code, data.request_id);
    }
    onEvent(event, data);
    if (event === "done") done = true;
  }
  if (!done) throw new ApiError(t("error.cut"), "stream_cut");
}

export async function postJson(path, object) {
  const response = await send(path, {
    method: "POST",
    body: JSON.stringify(object),
    headers: { "Accept": "application/json", "Content-Type": "application/json" },
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

// One call with the user's token (none in dev mode). A 401 means the token was refused
// (expired, revoked, or the service now wants one): a fresh token and one more try. A 403
// is not retried: its message says what to ask for. Sign-in failures stay SignInError.
async function send(url, init) {
  let token = await getToken();
  let response = await attempt(url, init, token);
  if (response.status === 401) {
    token = await getToken({ forceRefresh: true });
    if (token) {
      response.body?.cancel().catch(() => {});
      response = await attempt(url, init, token);
    }
  }
  noteResponse(response);
  return response;
}

async function attempt(url, init, token) {
  const headers = token ? { ...init.headers, "Authorization": `Bearer ${token}` } : init.headers;
  try {
    return await fetch(url, { ...init, headers, credentials: "same-origin" });
  } catch (error) {
    throw failure(error, init.signal);
  }
}

async function* readEvents(stream, signal) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw failure(error, signal);
      }
      const { value, done } = chunk;
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseBlock(block);
        if (parsed) yield parsed;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseBlock(block) {
  let event = "message";
  const data = [];
  for (const raw of block.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  try {
    return { event, data: JSON.parse(data.join("\n")) };
  } catch {
    throw new ApiError(t("error.garbled"), "garbled");
  }
}

function encode(payload) {
  if (payload.bytes) return { body: payload.bytes, contentType: payload.type };
  return { body: JSON.stringify(payload.json), contentType: "application/json" };
}

function queryString(query) {
  const pairs = Object.entries(query || {}).filter(([, value]) => value !== "" && value != null);
  return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
}

// The service's own error shape gives the message; anything else gets a plain sentence.
async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) {
      return new ApiError(body.error.message, body.error.code, body.error.request_id);
    }
  } catch {
    // not JSON: a proxy's page, an empty body
  }
  return new ApiError(t("error.http", { status: response.status }), `http_${response.status}`);
}

// An abort stays an AbortError (the caller shows "cancelled"); fetch reports a network failure
// as a TypeError, said here in plain words; anything else is a bug and stays as it is.
function failure(error, signal) {
  if ((signal && signal.aborted) || (error && error.name === "AbortError")) return error;
  if (error instanceof TypeError) return new ApiError(t("error.network"), "network");
  return error;
}
