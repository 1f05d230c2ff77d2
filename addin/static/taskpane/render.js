// Markdown-ish answers as DOM nodes, never as HTML: bullets and numbered lines become lists,
// **bold** becomes <strong>, "# " lines headings, and [n] a button that shows its source.
// Server text only ever lands in text nodes.

import { currentLanguage, t } from "./i18n.js";

const INLINE = /\*\*([^*\n]+)\*\*|\[(\d+)\]/g;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// Rebuilds `container` from the whole text so far (a bullet may arrive in several deltas).
// citation(n) returns {title} for a known citation, or null: then "[n]" stays plain text.
export function renderAnswer(container, text, citation) {
  const fragment = document.createDocumentFragment();
  let list = null;
  for (const line of text.split("\n")) {
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    const item = bullet || numbered;
    if (item) {
      const tag = bullet ? "UL" : "OL";
      if (!list || list.tagName !== tag) {
        list = el(tag.toLowerCase());
        fragment.append(list);
      }
      list.append(inline(el("li"), item[1], citation));
      continue;
    }
    list = null;
    if (!line.trim()) continue;
    const heading = HEADING.exec(line);
    fragment.append(heading ? inline(el("p", "heading"), heading[1], citation)
      : inline(el("p"), line, citation));
  }
  container.replaceChildren(fragment);
}

export function inline(parent, text, citation) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    parent.append(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[1] !== undefined) {
      parent.append(el("strong", null, match[1]));
      continue;
    }
    const n = Number(match[2]);
    const known = citation(n);
    parent.append(known ? citeButton(n, known.title) : match[0]);
  }
  parent.append(text.slice(last));
  return parent;
}

export function citeButton(n, title) {
  const button = el("button", "cite", String(n));
  button.type = "button";
  button.dataset.cite = String(n);
  button.setAttribute("aria-label", t("source", { n }));
  if (title) button.title = title;
  return button;
}

// The answer as plain text for the document or the clipboard: no **, "• " bullets, and the
// [n] markers removed unless keepCitations (they only mean something next to the pane).
export function plainText(text, { keepCitations = false } = {}) {
  let out = text.replace(/\*\*([^*\n]+)\*\*/g, "$1");
  if (!keepCitations) out = out.replace(/[ \t]*\[\d+\]/g, "");
  return out.split("\n")
    .map((line) => line.replace(BULLET, "• $1").replace(HEADING, "$1").trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function formatCost(usd) {
  if (!usd) return t("free");
  const options = usd < 0.01
    ? { style: "currency", currency: "USD", maximumSignificantDigits: 2 }
    : { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 };
  return new Intl.NumberFormat(currentLanguage(), options).format(usd);
}
