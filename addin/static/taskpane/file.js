// The open document's file (.docx or .xlsx bytes) through Office's common API, read slice by
// slice and always closed after: Office keeps one file open at a time per document.

import { t } from "./i18n.js";

const SLICE_SIZE = 65536;

// A sentence for the user about their document (nothing selected, an empty sheet...).
export class UserError extends Error {
  constructor(message) {
    super(message);
    this.name = "UserError";
  }
}

export class OfficeError extends Error {
  constructor(detail) {
    super(t("error.office", { detail }));
    this.name = "OfficeError";
  }
}

// Office's own errors (OfficeExtension.Error, an async result's error) in the pane's words.
export function officeError(error) {
  if (error instanceof OfficeError || error instanceof UserError) return error;
  const detail = (error && (error.message || error.code)) || t("error.unexpected");
  return new OfficeError(detail);
}

function call(fn) {
  return new Promise((resolve, reject) => {
    fn((result) => {
      if (result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
      else reject(officeError(result.error));
    });
  });
}

export async function readDocumentFile() {
  const file = await call((done) => Office.context.document.getFileAsync(
    Office.FileType.Compressed, { sliceSize: SLICE_SIZE }, done));
  try {
    const parts = [];
    let size = 0;
    for (let index = 0; index < file.sliceCount; index++) {
      const slice = await call((done) => file.getSliceAsync(index, done));
      const bytes = slice.data instanceof Uint8Array ? slice.data : Uint8Array.from(slice.data);
      parts.push(bytes);
      size += bytes.length;
    }
    const all = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    return all;
  } finally {
    file.closeAsync(() => {});
  }
}
