// The admin console's shared enhancements (the pages work without them, except where noted):
// the fallback-chain editor, the providers' Test buttons, a confirmation before deleting,
// and callApi(), which calls the admin JSON API with the session's CSRF token.

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

// One admin API call → {ok, status, data, message}; never throws.
export async function callApi(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    return { ok: false, status: 0, data: null,
             message: "The server can't be reached. Check your connection and try again." };
  }
  const data = await response.json().catch(() => null);
  const message = data?.error?.message ?? (response.ok ? "" : `The server answered ${response.status}.`);
  return { ok: response.ok, status: response.status, data, message };
}

// Whether a failed call means the endpoint itself does not exist on this server (yet).
export function missingEndpoint(result) {
  return result.status === 404 && result.data?.error?.code === "not_found";
}

function button(text, label, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", onClick);
  return element;
}

// Up / Down / Remove buttons and an "Add" picker over a comma-separated text field.
function chainEditor(input) {
  const known = JSON.parse(input.dataset.providers || "[]");
  const list = document.createElement("ol");
  list.className = "chain-list";
  const picker = document.createElement("select");
  picker.id = `${input.id}-add`;
  const pickerLabel = document.createElement("label");
  pickerLabel.htmlFor = picker.id;
  pickerLabel.textContent = "Add a fallback";
  const live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  const ids = () => input.value.split(/[\s,]+/).filter(Boolean);

  function write(next, said, focus) {
    input.value = next.join(", ");
    live.textContent = said;
    render(focus);
  }

  function render(focus) {
    const current = ids();
    list.replaceChildren(...current.map((id, index) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = id;
      const swap = (to) => {
        const next = [...current];
        [next[index], next[to]] = [next[to], next[index]];
        write(next, `${id} moved to position ${to + 1}.`, [to, to < index ? "up" : "down"]);
      };
      const up = button("Up", `Move ${id} up`, () => swap(index - 1));
      const down = button("Down", `Move ${id} down`, () => swap(index + 1));
      const remove = button("Remove", `Remove ${id}`, () => write(
        current.filter((_, i) => i !== index), `${id} removed.`, [index, "remove"]));
      up.disabled = index === 0;
      down.disabled = index === current.length - 1;
      up.dataset.role = "up";
      down.dataset.role = "down";
      remove.dataset.role = "remove";
      item.append(name, " ", up, " ", down, " ", remove);
      return item;
    }));
    const free = known.filter((id) => !current.includes(id));
    picker.replaceChildren(...free.map((id) => new Option(id, id)));
    addButton.disabled = free.length === 0;
    if (focus) {
      const [index, role] = focus;
      const items = list.children;
      const item = items[Math.min(index, items.length - 1)];
      let target = item?.querySelector(`[data-role="${role}"]`);
      if (target?.disabled) target = item.querySelector(role === "up" ? '[data-role="down"]' : '[data-role="up"]');
      (target && !target.disabled ? target : picker).focus();
    }
  }

  const addButton = button("Add", "Add the chosen fallback", () => {
    if (picker.value) write([...ids(), picker.value], `${picker.value} added.`, null);
  });
  const adder = document.createElement("div");
  adder.className = "chain-add";
  adder.append(pickerLabel, " ", picker, " ", addButton);
  input.after(list, adder, live);
  input.addEventListener("input", () => render(null));
  render(null);
}

async function testProvider(trigger) {
  const id = trigger.dataset.provider;
  const out = document.getElementById(`test-${id}`);
  out.className = "test-result";
  out.textContent = "Testing…";
  trigger.disabled = true;
  const result = await callApi("POST", `/api/v1/admin/providers/${encodeURIComponent(id)}/test`);
  trigger.disabled = false;
  const ms = (value) => `${Math.round(Number(value) || 0)} ms`;
  if (result.ok && result.data?.ok) {
    out.classList.add("good");
    out.textContent = `Works: answered in ${ms(result.data.latency_ms)}.`;
  } else if (result.ok) {
    const error = result.data?.error ?? {};
    out.classList.add("bad");
    out.textContent = `Failed after ${ms(result.data?.latency_ms)}: ${error.message ?? "no answer"}` +
      (error.code ? ` (${error.code})` : "");
  } else {
    out.classList.add("bad");
    out.textContent = missingEndpoint(result)
      ? "Testing a provider is not available on this server yet." : result.message;
  }
}

function init() {
  for (const input of document.querySelectorAll("input.chain[data-providers]")) chainEditor(input);
  for (const trigger of document.querySelectorAll("button.test[data-provider]")) {
    trigger.addEventListener("click", () => testProvider(trigger));
  }
  for (const form of document.querySelectorAll("form.delete")) {
    form.addEventListener("submit", (event) => {
      const id = form.querySelector("button")?.dataset.provider ?? "this provider";
      if (!window.confirm(`Delete ${id}? A provider a feature uses is disabled instead.`)) {
        event.preventDefault();
      }
    });
  }
}

init();
