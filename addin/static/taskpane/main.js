// The task pane: starts when Office is ready, shows the Word or the Excel form, runs one
// request at a time (cancellable), and wires the answer's actions.

import { streamPost } from "./api.js";
import { authConfig, onDevMode } from "./auth.js";
import * as excel from "./excel.js";
import * as feedback from "./feedback.js";
import { setLanguage, t, translate } from "./i18n.js";
import { plainText } from "./render.js";
import * as view from "./view.js";
import * as word from "./word.js";

const $ = (id) => document.getElementById(id);
const HOSTS = {
  word: { adapter: word, endpoint: "/api/v1/summarize" },
  excel: { adapter: excel, endpoint: "/api/v1/analyze" },
};
let host = null;
let controller = null;

async function start(info) {
  setLanguage(Office.context && Office.context.displayLanguage);
  translate(document);
  onDevMode(view.showDevBanner);
  // Before the form shows, so the dev banner cannot push it down under the user's pointer;
  // a failure here shows at the first request instead.
  await authConfig().catch(() => {});
  $("loading").hidden = true;
  const kind = info.host === Office.HostType.Word ? "word"
    : info.host === Office.HostType.Excel ? "excel" : null;
  if (!kind) {
    $("not-office").hidden = false;
    return;
  }
  host = HOSTS[kind];
  document.body.dataset.host = kind;
  for (const node of document.querySelectorAll("[data-host]")) node.hidden = node.dataset.host !== kind;
  $("heading").textContent = t(`${kind}.heading`);
  $("run").textContent = t(`${kind}.run`);
  const form = $("ask");
  host.adapter.setup();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(form);
  });
  $("cancel").addEventListener("click", () => controller && controller.abort());
  view.init({
    onCite: (n) => act(() => host.adapter.showCitation(view.source(n) || {})),
    onRange: (range) => act(() => excel.selectRange(range)),
  });
  $("insert").addEventListener("click", () => act(async () => {
    await word.insert($("insert-where").value, plainText(view.current().text));
    $("action-status").textContent = t("word.inserted");
  }));
  $("write-sheet").addEventListener("click", () => act(async () => {
    const { text, insights, citations } = view.current();
    const name = await excel.writeAnalysis({
      narrative: plainText(text, { keepCitations: true }), insights, citations: [...citations.values()],
    });
    $("action-status").textContent = t("excel.written", { name });
  }));
  $("copy").addEventListener("click", () => act(async () => {
    await copy(plainText(view.current().text));
    $("action-status").textContent = t("copied");
  }));
  feedback.setup(() => view.current().requestId);
  form.hidden = false;
}

async function ask(form) {
  if (controller) return;
  controller = new AbortController();
  const { signal } = controller;
  view.reset();
  feedback.reset();
  running(true);
  try {
    view.setStatus(t("status.reading"));
    const payload = await host.adapter.request(form);
    if (signal.aborted) throw new DOMException("cancelled", "AbortError");
    view.setStatus(t("status.waiting"));
    await streamPost(host.endpoint, payload, { signal, onEvent: view.handle });
    view.setStatus(t("status.done"));
  } catch (error) {
    if (error && error.name === "AbortError") view.cancelled();
    else view.fail(messageOf(error));
  } finally {
    controller = null;
    running(false);
  }
}

function running(on) {
  const run = $("run");
  const cancel = $("cancel");
  const hadFocus = document.activeElement;
  run.disabled = on;
  cancel.hidden = !on;
  if (on && hadFocus === run) cancel.focus();
  if (!on && (hadFocus === cancel || hadFocus === document.body)) run.focus();
}

// An action on the answer (select a source, insert, copy): its error shows like any other.
async function act(action) {
  $("action-status").textContent = "";
  view.showError("");
  try {
    await action();
  } catch (error) {
    view.showError(messageOf(error));
  }
}

function messageOf(error) {
  if (error && ["ApiError", "UserError", "OfficeError", "SignInError"].includes(error.name)) return error.message;
  console.error(error);
  return t("error.unexpected");
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // not allowed in this host: the old way below
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.className = "offscreen";
  area.setAttribute("readonly", "");
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("copy refused");
}

if (typeof Office === "undefined") {
  $("loading").hidden = true;
  $("not-office").hidden = false;
} else {
  Office.onReady().then(start);
}
