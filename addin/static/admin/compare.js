// The Compare page: runs one prompt or document on 2 to 4 providers through
// POST /api/v1/admin/compare and shows the answers side by side.
import { callApi, missingEndpoint } from "./console.js";

const form = document.getElementById("compare-form");
const status = document.getElementById("compare-status");
const results = document.getElementById("compare-results");

function money(value) {
  const number = Number(value) || 0;
  if (number === 0) return "free";
  return number >= 1 ? `$${number.toFixed(2)}` : `$${number.toPrecision(2)}`;
}

function field(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function card(result) {
  const article = document.createElement("article");
  article.className = `result ${result.ok ? "good" : "bad"}`;
  const title = document.createElement("h2");
  title.textContent = result.provider;
  const model = document.createElement("p");
  model.className = "model";
  model.textContent = result.model ? `Model: ${result.model}` : "";
  const facts = document.createElement("dl");
  field(facts, "Latency", `${Math.round(Number(result.latency_ms) || 0)} ms`);
  field(facts, "Tokens in / out", `${result.input_tokens ?? 0} / ${result.output_tokens ?? 0}`);
  field(facts, "Cost", money(result.cost_usd));
  article.append(title, model, facts);
  if (result.ok) {
    const answer = document.createElement("div");
    answer.className = "answer";
    answer.textContent = result.answer ?? "";
    article.append(answer);
  } else {
    const problem = document.createElement("p");
    problem.className = "problem";
    const error = result.error ?? {};
    problem.textContent = `${error.message ?? "No answer."}${error.code ? ` (${error.code})` : ""}`;
    article.append(problem);
  }
  return article;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const chosen = [...form.querySelectorAll('input[name="providers"]:checked')].map((box) => box.value);
  const file = form.querySelector("#file").files[0];
  const prompt = form.querySelector("#prompt").value.trim();
  const feature = form.querySelector("#cmp-feature").value;
  if (chosen.length < 2 || chosen.length > 4) {
    status.textContent = "Choose 2 to 4 providers.";
    return;
  }
  if (!file && !prompt) {
    status.textContent = "Enter a prompt or choose a document.";
    return;
  }
  let body;
  if (file) {
    body = new FormData();
    for (const id of chosen) body.append("providers", id);
    body.append("file", file);
    if (feature) body.append("feature", feature);
  } else {
    body = { providers: chosen, prompt };
  }
  const run = form.querySelector("#compare-run");
  run.disabled = true;
  results.replaceChildren();
  results.setAttribute("aria-busy", "true");
  status.textContent = `Running on ${chosen.join(", ")}…`;
  const result = await callApi("POST", "/api/v1/admin/compare", body);
  run.disabled = false;
  results.setAttribute("aria-busy", "false");
  if (!result.ok) {
    status.textContent = missingEndpoint(result)
      ? "Comparing providers is not available on this server yet." : result.message;
    return;
  }
  const items = result.data?.results ?? [];
  results.replaceChildren(...items.map(card));
  status.textContent = `Done: ${items.filter((r) => r.ok).length} of ${items.length} answered` +
    (result.data?.feature ? ` (${result.data.feature}).` : ".");
});
