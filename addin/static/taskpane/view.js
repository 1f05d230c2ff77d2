// The answer as it streams: the service's events (meta, fallback, citation, insight, delta,
// usage, done) update one state object and the result section.

import { t } from "./i18n.js";
import { el, formatCost, inline, renderAnswer } from "./render.js";

const $ = (id) => document.getElementById(id);
let state = newState();
let handlers = { onCite: () => {}, onRange: () => {} };

function newState() {
  return { requestId: null, text: "", citations: new Map(), insights: [], done: false };
}

export function init(callbacks) {
  handlers = callbacks;
  $("answer").addEventListener("click", (event) => {
    const button = event.target.closest("button.cite");
    if (button) handlers.onCite(Number(button.dataset.cite));
  });
  $("insights").addEventListener("click", (event) => {
    const button = event.target.closest("button.range");
    if (button) handlers.onRange(button.dataset.range);
  });
}

export function current() {
  return state;
}

// What [n] points to: a citation ({paragraph_ids} or {range}), or an insight ({range}).
export function source(n) {
  return state.citations.get(n) || state.insights.find((insight) => insight.n === n) || null;
}

export function reset() {
  state = newState();
  $("result").hidden = true;
  for (const id of ["answer", "insights", "notes"]) $(id).replaceChildren();
  $("insights").hidden = $("insights-heading").hidden = true;
  $("fallback").hidden = true;
  $("model").textContent = $("cost").textContent = $("action-status").textContent = "";
  $("actions").hidden = $("feedback").hidden = true;
  $("answer").setAttribute("aria-busy", "false");
  showError("");
}

// The service signs everyone in without a check (dev mode): said at the top, once.
export function showDevBanner() {
  const banner = $("dev-banner");
  banner.hidden = false;
  banner.textContent = t("devBanner");
}

export function setStatus(text) {
  $("status").textContent = text;
}

export function showError(message) {
  $("error").textContent = message;
}

export function fail(message) {
  setStatus("");
  $("answer").setAttribute("aria-busy", "false");
  showError(message);
}

export function cancelled() {
  setStatus(t("status.cancelled"));
  $("answer").setAttribute("aria-busy", "false");
}

export function handle(event, data) {
  switch (event) {
    case "meta":
      state.requestId = data.request_id;
      showModel(data.provider, data.model);
      $("result").hidden = false;
      $("answer").setAttribute("aria-busy", "true");
      setStatus(t("status.writing"));
      break;
    case "fallback":
      if (data.restarted) {
        state.text = "";
        state.citations.clear();
        state.insights = [];
        renderInsights();
      }
      showModel(data.to, data.model);
      $("fallback").textContent = t("fallback", { to: data.to, from: data.from });
      $("fallback").hidden = false;
      break;
    case "citation":
      state.citations.set(data.n, data);
      break;
    case "insight":
      state.insights.push(data);
      renderInsights();
      break;
    case "delta":
      state.text += data.text;
      break;
    case "usage":
      $("cost").textContent = t("cost", { cost: formatCost(data.cost_usd) });
      break;
    case "done":
      state.done = true;
      state.requestId = data.request_id || state.requestId;
      for (const note of data.notes || []) $("notes").append(el("li", null, note));
      $("answer").setAttribute("aria-busy", "false");
      $("actions").hidden = $("feedback").hidden = false;
      break;
    default:
      return; // events this pane does not know are ignored
  }
  if (event === "delta" || event === "fallback") renderText();
}

function showModel(provider, model) {
  $("model").textContent = t("model", { provider, model: model || provider });
}

function renderText() {
  renderAnswer($("answer"), state.text, (n) => {
    const known = source(n);
    return known ? { title: known.preview || known.range || "" } : null;
  });
}

function renderInsights() {
  const list = $("insights");
  list.replaceChildren(...state.insights.map(insightItem));
  list.hidden = $("insights-heading").hidden = !state.insights.length;
}

function insightItem(insight) {
  const item = el("li", `insight severity-${insight.severity}`);
  const head = el("p", "insight-head");
  head.append(el("span", `badge badge-${insight.severity}`, t(`severity.${insight.severity}`)),
    " ", el("strong", null, insight.title));
  const detail = inline(el("p", "insight-detail"), insight.detail, () => null);
  const range = el("button", "range", insight.range);
  range.type = "button";
  range.dataset.range = insight.range;
  range.setAttribute("aria-label", t("excel.go", { range: insight.range }));
  item.value = insight.n;
  item.append(head, detail, range);
  return item;
}
