// Thumbs up or down on the answer shown, with an optional comment: POST /api/v1/feedback.
// Rating again (or adding a comment) replaces the earlier feedback on the same answer.

import { postJson } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let rating = null;

export function setup(requestId) {
  $("thumb-up").addEventListener("click", () => rate("up", requestId()));
  $("thumb-down").addEventListener("click", () => rate("down", requestId()));
  $("send-comment").addEventListener("click", () => send(requestId(), $("comment").value));
}

export function reset() {
  rating = null;
  press();
  $("comment").value = "";
  $("comment-box").hidden = true;
  $("feedback-status").textContent = "";
}

function press() {
  $("thumb-up").setAttribute("aria-pressed", String(rating === "up"));
  $("thumb-down").setAttribute("aria-pressed", String(rating === "down"));
}

function rate(value, requestId) {
  rating = value;
  press();
  $("comment-box").hidden = false;
  return send(requestId, $("comment").value);
}

// One request at a time, in order: the last click is the feedback that stays.
let queue = Promise.resolve();

function send(requestId, comment) {
  if (!rating || !requestId) return queue;
  const body = { request_id: requestId, rating };
  if (comment.trim()) body.comment = comment.trim();
  $("feedback-status").textContent = "";
  queue = queue.then(async () => {
    try {
      await postJson("/api/v1/feedback", body);
      $("feedback-status").textContent = t("feedback.thanks");
    } catch (error) {
      $("feedback-status").textContent = error.message;
    }
  });
  return queue;
}
