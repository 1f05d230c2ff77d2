// Excel: what to analyze (the selected cells, the sheet's used range, or the workbook's file),
// selecting a cited range, and writing the analysis to a new sheet.

import { officeError, readDocumentFile, UserError } from "./file.js";
import { t } from "./i18n.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async function run(batch) {
  try {
    return await Excel.run(batch);
  } catch (error) {
    throw officeError(error);
  }
}

export function setup() {}

// "'My Sheet'!B2:C9" → {sheet: "My Sheet", address: "B2:C9"}; no sheet → sheet null.
export function parseAddress(reference) {
  const match = /^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$/.exec(reference.trim());
  if (!match) return { sheet: null, address: reference.trim().replace(/\$/g, "") };
  const sheet = match[1] !== undefined ? match[1].replace(/''/g, "'") : match[2];
  return { sheet, address: match[3].replace(/\$/g, "") };
}

export async function request(form) {
  const data = new FormData(form);
  const question = (data.get("question") || "").trim();
  const scope = data.get("excel-scope");
  if (scope === "workbook") {
    return { bytes: await readDocumentFile(), type: XLSX, query: { question } };
  }
  const sheet = await readRange(scope === "sheet");
  const json = { sheets: [sheet] };
  if (question) json.question = question;
  return { json };
}

function readRange(usedRange) {
  return run(async (context) => {
    const range = usedRange
      ? context.workbook.worksheets.getActiveWorksheet().getUsedRange(true)
      : context.workbook.getSelectedRange();
    range.load("values,address");
    await context.sync();
    // a blank sheet's used range is its top-left cell
    if (usedRange && range.values.every((row) => row.every((v) => v === "" || v == null))) {
      throw new UserError(t("excel.emptySheet"));
    }
    const { sheet, address } = parseAddress(range.address);
    return { name: sheet, address, values: range.values };
  });
}

export function selectRange(reference) {
  const { sheet, address } = parseAddress(reference);
  return run(async (context) => {
    const sheets = context.workbook.worksheets;
    const worksheet = sheet ? sheets.getItem(sheet) : sheets.getActiveWorksheet();
    worksheet.activate();
    worksheet.getRange(address).select();
    await context.sync();
  });
}

// A citation {n, range} (Excel's) or an insight with its range.
export function showCitation(citation) {
  return selectRange(citation.range);
}

// Text that starts like a formula is written as text (a leading apostrophe), never run.
function cell(value) {
  const text = value == null ? "" : String(value);
  return /^[=+\-@]/.test(text) ? "'" + text : text;
}

// A new sheet "Analysis" (or "Analysis 2"...): the narrative, then a table of the insights
// and cited ranges, numbered as the narrative's [n].
export function writeAnalysis({ narrative, insights, citations }) {
  return run(async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    await context.sync();
    const taken = new Set(sheets.items.map((s) => s.name.toLowerCase()));
    const base = t("excel.sheetName");
    let name = base;
    for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} ${i}`;
    const sheet = sheets.add(name);
    sheet.getRange("A1").values = [[t("excel.narrative")]];
    sheet.getRange("A2").values = [[cell(narrative)]];
    const rows = [t("excel.columns").split("|")];
    for (const i of insights) {
      rows.push([i.n, cell(i.title), cell(i.detail), cell(i.range), t(`severity.${i.severity}`)]);
    }
    for (const c of citations) rows.push([c.n, t("excel.citedRange"), "", cell(c.range), ""]);
    sheet.getRange(`A4:E${3 + rows.length}`).values = rows;
    sheet.getRange("A1").format.font.bold = true;
    sheet.getRange("A4:E4").format.font.bold = true;
    sheet.activate();
    await context.sync();
    return name;
  });
}
