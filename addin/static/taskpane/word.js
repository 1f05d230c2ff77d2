// Word: what to summarize (the document's file, or the selected paragraphs with their indexes
// in body.paragraphs), selecting a cited paragraph, and inserting the answer.

import { officeError, readDocumentFile, UserError } from "./file.js";
import { t } from "./i18n.js";

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

async function run(batch) {
  try {
    return await Word.run(batch);
  } catch (error) {
    throw officeError(error);
  }
}

export function setup() {
  if (!Office.context.requirements.isSetSupported("WordApi", "1.4")) {
    document.querySelector("#insert-where option[value='comment']").remove();
  }
}

export async function request(form) {
  const data = new FormData(form);
  const options = {};
  for (const key of ["length", "style", "focus", "language"]) options[key] = data.get(key) || "";
  if (data.get("scope") === "selection") {
    const paragraphs = (await readSelection()).filter((p) => p.text.trim());
    if (!paragraphs.length) throw new UserError(t("word.emptySelection"));
    return { json: { paragraphs, ...options } };
  }
  return { bytes: await readDocumentFile(), type: DOCX, query: options };
}

// The selected paragraphs as {id: "p<N>", text, style}, N being the index in body.paragraphs.
// The first selected paragraph is found by its text; when several paragraphs have that text,
// by comparing their ranges with it. The selection's paragraphs follow it in order.
export function readSelection() {
  return run(async (context) => {
    const body = context.document.body.paragraphs;
    const selected = context.document.getSelection().paragraphs;
    body.load("items/text,items/style");
    selected.load("items/text,items/style");
    await context.sync();
    if (!selected.items.length) return [];
    const first = selected.items[0];
    const candidates = [];
    body.items.forEach((p, index) => { if (p.text === first.text) candidates.push(index); });
    let start = candidates.length === 1 ? candidates[0] : undefined;
    if (candidates.length > 1) {
      const target = first.getRange();
      const relations = candidates.map((i) => body.items[i].getRange().compareLocationWith(target));
      await context.sync();
      start = candidates[relations.findIndex((r) => r.value === "Equal")];
    }
    if (start === undefined) throw new UserError(t("word.selectionNotFound"));
    return selected.items.map((p, k) => ({ id: `p${start + k}`, text: p.text, style: p.style }));
  });
}

// A citation {n, paragraph_ids}: select its first body paragraph (p<N>).
export function showCitation(citation) {
  const ids = (citation.paragraph_ids || []).map((id) => /^p(\d+)$/.exec(id)).filter(Boolean);
  if (!ids.length) return Promise.reject(new UserError(t("word.notInBody")));
  const index = Number(ids[0][1]);
  return run(async (context) => {
    const paragraphs = context.document.body.paragraphs;
    paragraphs.load("items/text");
    await context.sync();
    const paragraph = paragraphs.items[index];
    if (!paragraph) throw new UserError(t("word.selectionNotFound"));
    paragraph.select();
    await context.sync();
  });
}

// where: "after" (the cursor or selection: the default, it never overwrites the user's text),
// "replace" (the selection), "end" (of the document), "comment" (on the selection).
export function insert(where, text) {
  return run(async (context) => {
    const document = context.document;
    if (where === "end") {
      for (const line of text.split("\n")) document.body.insertParagraph(line, "End");
    } else if (where === "comment") {
      document.getSelection().insertComment(text);
    } else {
      document.getSelection().insertText(text, where === "after" ? "After" : "Replace");
    }
    await context.sync();
  });
}
