// The Limits page: reads and saves the rate limit and the monthly budgets through
// GET / PUT /api/v1/admin/limits, and shows this month's spend per feature.
import { callApi, missingEndpoint } from "./console.js";

const form = document.getElementById("limits-form");
const status = document.getElementById("limits-status");
const requests = document.getElementById("rate-requests");
const seconds = document.getElementById("rate-seconds");
const budgets = [...form.querySelectorAll("input.budget")];

const dollars = (value) => `$${Number(value || 0).toFixed(2)}`;

function show(state) {
  requests.value = state.rate_limit ? String(state.rate_limit.requests) : "";
  seconds.value = state.rate_limit ? String(state.rate_limit.per_seconds) : "60";
  for (const input of budgets) {
    const feature = input.dataset.feature;
    const budget = state.budgets?.[feature];
    const spent = Number(state.spent?.[feature] ?? 0);
    input.value = budget === null || budget === undefined ? "" : String(budget);
    const line = document.getElementById(`spent-${feature}`);
    const of = budget === null || budget === undefined ? " (no budget)" :
      ` of ${dollars(budget)} (${budget > 0 ? Math.round((100 * spent) / budget) : 100} %)`;
    line.textContent = `Spent in ${state.month ?? "this month"}: ${dollars(spent)}${of}. Empty: no budget.`;
    line.classList.toggle("over", budget !== null && budget !== undefined && spent >= budget);
  }
  form.hidden = false;
}

function wholeNumber(text) {
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

async function load() {
  const result = await callApi("GET", "/api/v1/admin/limits");
  if (result.ok) {
    status.textContent = "";
    show(result.data);
  } else {
    status.textContent = missingEndpoint(result)
      ? "Limits are not available on this server yet." : result.message;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { rate_limit: null, budgets: {} };
  if (requests.value.trim()) {
    body.rate_limit = { requests: wholeNumber(requests.value.trim()),
                        per_seconds: wholeNumber(seconds.value.trim() || "60") };
    if (Number.isNaN(body.rate_limit.requests) || Number.isNaN(body.rate_limit.per_seconds)) {
      status.textContent = "The rate limit needs whole numbers of requests and seconds.";
      return;
    }
  }
  for (const input of budgets) {
    const text = input.value.trim();
    const value = text === "" ? null : Number(text);
    if (value !== null && !Number.isFinite(value)) {
      status.textContent = `The budget of ${input.dataset.feature} must be a number of dollars.`;
      input.focus();
      return;
    }
    body.budgets[input.dataset.feature] = value;
  }
  status.textContent = "Saving…";
  const result = await callApi("PUT", "/api/v1/admin/limits", body);
  if (result.ok) {
    show(result.data);
    status.textContent = "Saved the limits.";
  } else {
    status.textContent = missingEndpoint(result)
      ? "Limits are not available on this server yet." : result.message;
  }
});

load();
