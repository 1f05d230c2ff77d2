// A test double of office.js: the subset of Office, Word and Excel the task pane uses.
//
// The browser tests serve this file in place of Microsoft's office.js (page.route). What the
// document holds comes from window.__officeConfig, set by an init script before the page loads:
//
//   {host: "Word" | "Excel", displayLanguage: "en-US", sets: {WordApi: "1.4"},
//    file: "<base64 of a real .docx/.xlsx>", maxSlice: 4096,           // getFileAsync
//    paragraphs: [{text, style}], selection: [start, end],            // Word (end exclusive)
//    sheets: {Name: {address: "B3:E11", values: [[...]]}}, activeSheet: "Name",
//    selectedRange: {sheet, address, values},                         // Excel
//    accessToken: "<jwt>" | [item, ...],                              // Office.auth.getAccessToken
//    naa: {silent: [item, ...], popup: [item, ...]}}                  // nestedAppAuthBridge
//
// Sign-in: getAccessToken hands out accessToken's items in turn (the last one again once they
// run out); an item {code, message} is a failure with that Office SSO error code. With `naa`,
// window.nestedAppAuthBridge plays the host's side of nested app authentication as MSAL.js
// speaks it (JSON strings: GetInitContext, GetToken for acquireTokenSilent, GetTokenPopup for
// acquireTokenPopup), handing out silent's or popup's items in turn; an item {status, code,
// description} is a bridge error (e.g. status USER_INTERACTION_REQUIRED). Each is recorded in
// __officeCalls: {api: "auth.getAccessToken", options} or {api: "naa.<method>", clientId,
// authority, scope, forceRefresh}. NestedAppAuth support itself follows `sets`.
//
// Like Office, it batches: scalar properties and collections' items can be read only after
// load() and context.sync() (PropertyNotLoaded otherwise), and ClientResult.value only after
// a sync. Every call that acts on the document is recorded in window.__officeCalls as
// {api, ...details, synced}; `synced` turns true when a context.sync() sends it.
(() => {
  const config = window.__officeConfig || {};
  const calls = [];
  window.__officeCalls = calls;
  window.__officeDouble = {
    config,
    setFile(base64) { config.file = base64; },
  };

  const later = (fn) => setTimeout(fn, 0);
  const officeError = (code, message) => Object.assign(new Error(message), { name: "RichApi.Error", code });

  // --- batching --------------------------------------------------------------------------

  class Context {
    constructor() { this.loads = []; this.results = []; this.sent = []; this.failure = null; }
    record(api, details) {
      const call = { api, ...details, synced: false };
      calls.push(call);
      this.sent.push(call);
    }
    sync() {
      return new Promise((resolve, reject) => later(() => {
        for (const call of this.sent.splice(0)) call.synced = true;
        if (this.failure) {
          const failure = this.failure;
          this.failure = null;
          reject(failure);
          return;
        }
        for (const [object, props] of this.loads.splice(0)) object._loaded(props);
        for (const result of this.results.splice(0)) result._resolve();
        resolve();
      }));
    }
  }

  class ClientObject {
    constructor(context) { this.context = context; this.loadedProps = new Set(); }
    load(props) {
      const list = Array.isArray(props) ? props : String(props || "").split(",");
      this.context.loads.push([this, list.map((p) => p.trim()).filter(Boolean)]);
      return this;
    }
    _loaded(props) { for (const p of props) this.loadedProps.add(p); }
    _get(name, value) {
      if (!this.loadedProps.has(name)) {
        throw officeError("PropertyNotLoaded", `The property '${name}' is not available. Call load() and context.sync() first.`);
      }
      return value;
    }
  }

  class Collection extends ClientObject {
    constructor(context, make, count) { super(context); this.make = make; this.count = count; this._items = null; }
    _loaded(props) {
      this._items = [];
      const itemProps = props.filter((p) => p.startsWith("items/")).map((p) => p.slice(6));
      for (let i = 0; i < this.count(); i++) {
        const item = this.make(i);
        item._loaded(itemProps);
        this._items.push(item);
      }
    }
    get items() {
      if (!this._items) throw officeError("PropertyNotLoaded", "The property 'items' is not available.");
      return this._items;
    }
  }

  class ClientResult {
    constructor(compute) { this.compute = compute; this.ready = false; }
    _resolve() { this._value = this.compute(); this.ready = true; }
    get value() {
      if (!this.ready) throw officeError("PropertyNotLoaded", "ClientResult.value is not available before sync.");
      return this._value;
    }
  }

  // --- Word ------------------------------------------------------------------------------

  const paragraphs = () => config.paragraphs || [];

  class WordRange extends ClientObject {
    constructor(context, start, end) { super(context); this.start = start; this.end = end; }
    get paragraphs() {
      const { start, end } = this;
      return new Collection(this.context, (i) => new Paragraph(this.context, start + i), () => end - start);
    }
    compareLocationWith(other) {
      const result = new ClientResult(() => relation(this, other));
      this.context.results.push(result);
      return result;
    }
    insertText(text, location) { this.context.record("Range.insertText", { text, location, start: this.start, end: this.end }); return this; }
    insertComment(text) { this.context.record("Range.insertComment", { text, start: this.start, end: this.end }); return {}; }
    select() { this.context.record("Range.select", { start: this.start, end: this.end }); }
  }

  function relation(a, b) {
    if (a.start === b.start && a.end === b.end) return "Equal";
    if (a.start >= b.start && a.end <= b.end) return "Inside";
    if (a.start <= b.start && a.end >= b.end) return "Contains";
    if (a.end <= b.start) return a.end === b.start ? "AdjacentBefore" : "Before";
    if (a.start >= b.end) return a.start === b.end ? "AdjacentAfter" : "After";
    return a.start < b.start ? "OverlapsBefore" : "OverlapsAfter";
  }

  class Paragraph extends ClientObject {
    constructor(context, index) { super(context); this.index = index; }
    get text() { return this._get("text", paragraphs()[this.index].text); }
    get style() { return this._get("style", paragraphs()[this.index].style || "Normal"); }
    getRange() { return new WordRange(this.context, this.index, this.index + 1); }
    select() { this.context.record("Paragraph.select", { index: this.index }); }
  }

  class WordContext extends Context {
    constructor() {
      super();
      const context = this;
      const body = {
        get paragraphs() { return new Collection(context, (i) => new Paragraph(context, i), () => paragraphs().length); },
        insertParagraph(text, location) {
          context.record("Body.insertParagraph", { text, location });
          return new Paragraph(context, paragraphs().length - 1);
        },
      };
      this.document = {
        body,
        getSelection() {
          const [start, end] = config.selection || [0, 0];
          return new WordRange(context, start, end);
        },
      };
    }
  }

  // --- Excel -----------------------------------------------------------------------------

  const quoteSheet = (name) => (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`);

  class ExcelRange extends ClientObject {
    constructor(context, sheet, address, values) {
      super(context);
      this.sheet = sheet; this.rangeAddress = address; this.cells = values;
      const record = (property) => (value) => context.record("Range.format", { sheet, address, property, value });
      this.format = { font: { set bold(v) { record("font.bold")(v); } } };
    }
    get address() { return this._get("address", `${quoteSheet(this.sheet)}!${this.rangeAddress}`); }
    get values() { return this._get("values", this.cells); }
    set values(values) { this.context.record("Range.values", { sheet: this.sheet, address: this.rangeAddress, values }); }
    select() { this.context.record("Range.select", { sheet: this.sheet, address: this.rangeAddress }); }
  }

  class Worksheet extends ClientObject {
    constructor(context, name) { super(context); this.sheetName = name; }
    get name() { return this._get("name", this.sheetName); }
    getRange(address) {
      this.context.record("Worksheet.getRange", { sheet: this.sheetName, address });
      return new ExcelRange(this.context, this.sheetName, address, null);
    }
    getUsedRange(valuesOnly) {
      const sheet = config.sheets[this.sheetName];
      this.context.record("Worksheet.getUsedRange", { sheet: this.sheetName, valuesOnly: !!valuesOnly });
      return new ExcelRange(this.context, this.sheetName, sheet.address, sheet.values);
    }
    activate() { this.context.record("Worksheet.activate", { sheet: this.sheetName }); }
  }

  class ExcelContext extends Context {
    constructor() {
      super();
      const context = this;
      const names = () => Object.keys(config.sheets || {});
      const worksheets = new Collection(context, (i) => new Worksheet(context, names()[i]), () => names().length);
      worksheets.getActiveWorksheet = () => new Worksheet(context, config.activeSheet || names()[0]);
      worksheets.getItem = (name) => {
        context.record("Worksheets.getItem", { name });
        if (!names().includes(name)) context.failure = officeError("ItemNotFound", `The worksheet '${name}' does not exist.`);
        return new Worksheet(context, name);
      };
      worksheets.add = (name) => {
        context.record("Worksheets.add", { name });
        config.sheets[name] = { address: "A1", values: [[""]] };
        return new Worksheet(context, name);
      };
      this.workbook = {
        worksheets,
        getSelectedRange() {
          const s = config.selectedRange;
          return new ExcelRange(context, s.sheet, s.address, s.values);
        },
      };
    }
  }

  // --- Office (common API) ---------------------------------------------------------------

  let fileOpen = false;

  function getFileAsync(fileType, options, callback) {
    const sliceSize = Math.min((options && options.sliceSize) || 4194304, config.maxSlice || Infinity);
    calls.push({ api: "Document.getFileAsync", fileType, sliceSize: options && options.sliceSize, synced: true });
    later(() => {
      if (fileOpen) {
        callback({ status: "failed", error: { code: 11, message: "The file is already open; close it first." } });
        return;
      }
      if (config.fileError || !config.file) {
        callback({ status: "failed", error: { code: 5001, message: config.fileError || "No file." } });
        return;
      }
      const bytes = Uint8Array.from(atob(config.file), (c) => c.charCodeAt(0));
      fileOpen = true;
      const file = {
        size: bytes.length,
        sliceCount: Math.max(1, Math.ceil(bytes.length / sliceSize)),
        getSliceAsync(index, cb) {
          calls.push({ api: "File.getSliceAsync", index, synced: true });
          later(() => cb({
            status: "succeeded",
            value: { index, data: Array.from(bytes.subarray(index * sliceSize, (index + 1) * sliceSize)) },
          }));
        },
        closeAsync(cb) {
          calls.push({ api: "File.closeAsync", synced: true });
          fileOpen = false;
          later(() => cb && cb({ status: "succeeded" }));
        },
      };
      callback({ status: "succeeded", value: file });
    });
  }

  function versionAtLeast(have, want) {
    const a = String(have).split(".").map(Number);
    const b = String(want || "1.1").split(".").map(Number);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
    }
    return true;
  }

  // --- sign-in ---------------------------------------------------------------------------

  const turns = new Map();
  function nextItem(name, items) {  // items in turn, the last one again once they run out
    const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
    const n = turns.get(name) || 0;
    turns.set(name, n + 1);
    return list.length ? list[Math.min(n, list.length - 1)] : undefined;
  }

  function getAccessToken(options) {
    calls.push({ api: "auth.getAccessToken", options: options || null, synced: true });
    const item = nextItem("sso", config.accessToken);
    return new Promise((resolve, reject) => later(() => {
      if (typeof item === "string") resolve(item);
      else reject(Object.assign(new Error((item && item.message) || "No token configured."),
        { name: "Error", code: (item && item.code) || 13000 }));
    }));
  }

  const b64url = (object) => btoa(JSON.stringify(object)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const claimsOf = (jwt) => {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
  };

  function bridgeAnswer(request) {
    const base = { messageType: "NestedAppAuthResponse", requestId: request.requestId };
    if (request.method === "GetInitContext") {
      return { ...base, success: true, initContext: { sdkName: "office-double", sdkVersion: "1.0", capabilities: {} } };
    }
    const item = nextItem(request.method, request.method === "GetTokenPopup" ? config.naa.popup : config.naa.silent);
    if (typeof item !== "string") {
      return { ...base, success: false, error: item || { status: "PERSISTENT_ERROR", code: "no_token", description: "No token configured." } };
    }
    const claims = claimsOf(item);
    const idToken = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({
      aud: request.tokenParams.clientId, iss: `https://login.microsoftonline.com/${claims.tid}/v2.0`,
      tid: claims.tid, oid: claims.oid, name: claims.name, preferred_username: "ada@contoso.example",
      iat: claims.iat, exp: claims.exp, ver: "2.0" })}.`;
    return {
      ...base, success: true,
      token: { access_token: item, id_token: idToken, token_type: "Bearer", scope: request.tokenParams.scope,
               expires_in: claims.exp - Math.floor(Date.now() / 1000) },
      account: { environment: "login.microsoftonline.com", tenantId: claims.tid, localAccountId: claims.oid,
                 homeAccountId: `${claims.oid}.${claims.tid}`, username: "ada@contoso.example", name: claims.name },
    };
  }

  if (config.naa) {
    const listeners = [];
    window.nestedAppAuthBridge = {
      addEventListener(type, listener) { if (type === "message") listeners.push(listener); },
      removeEventListener(type, listener) { const i = listeners.indexOf(listener); if (i >= 0) listeners.splice(i, 1); },
      postMessage(message) {
        const request = JSON.parse(message);
        const params = request.tokenParams || {};
        calls.push({ api: `naa.${request.method}`, clientId: params.clientId, authority: params.authority,
                     scope: params.scope, forceRefresh: !!params.forceRefresh, synced: true });
        later(() => {
          const answer = JSON.stringify(bridgeAnswer(request));
          for (const listener of [...listeners]) listener(answer);
        });
      },
    };
  }

  // No sync at the end: what the pane queues without syncing stays `synced: false`.
  const run = (Kind) => async (batch) => batch(new Kind());

  window.Office = {
    HostType: { Word: "Word", Excel: "Excel", PowerPoint: "PowerPoint", Outlook: "Outlook" },
    FileType: { Compressed: "compressed", Pdf: "pdf", Text: "text" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    auth: { getAccessToken },
    context: {
      displayLanguage: config.displayLanguage || "en-US",
      requirements: {
        isSetSupported(name, version) {
          const have = (config.sets || {})[name];
          return have !== undefined && versionAtLeast(have, version);
        },
      },
      document: { getFileAsync },
    },
    onReady(callback) {
      const info = { host: config.host || null, platform: config.host ? "PC" : null };
      return new Promise((resolve) => later(() => {
        if (callback) callback(info);
        resolve(info);
      }));
    },
  };
  window.Word = { run: run(WordContext), InsertLocation: { replace: "Replace", after: "After", end: "End" } };
  window.Excel = { run: run(ExcelContext) };
})();
