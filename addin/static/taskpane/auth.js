// Sign-in: a token for this service's API, as its /api/v1/auth/config says. In dev mode there
// is none. In entra mode: nested app authentication (MSAL.js, served by this service from
// node_modules) where Office supports it, Office's single sign-on otherwise, or when MSAL.js
// is not installed. A token is kept until shortly before it expires; a failure becomes one
// translated sentence (SignInError).

import { t } from "./i18n.js";

const MSAL_SCRIPT = "/vendor/msal-browser.min.js";
const RENEW_EARLY_MS = 5 * 60 * 1000;
const SSO_OPTIONS = { allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false };

// Office SSO error codes (learn.microsoft.com: "Troubleshoot error messages for single sign-on").
const SSO_ERRORS = {
  13000: "signin.unsupported", 13001: "signin.required", 13002: "signin.cancelled",
  13003: "signin.account", 13004: "signin.config", 13005: "signin.consent",
  13006: "signin.unsupported", 13007: "signin.unavailable", 13008: "signin.busy",
  13010: "signin.unsupported", 13012: "signin.unsupported", 13013: "signin.busy",
  50001: "signin.unsupported",
};
// MSAL.js errorCode values.
const MSAL_ERRORS = {
  user_canceled: "signin.cancelled", user_cancelled: "signin.cancelled",
  no_network_connectivity: "signin.unavailable", endpoints_resolution_error: "signin.unavailable",
  popup_window_error: "signin.popupBlocked", empty_window_error: "signin.popupBlocked",
  consent_required: "signin.consent", interaction_required: "signin.required",
  login_required: "signin.required", no_account_found: "signin.required",
  invalid_client: "signin.config", unauthorized_client: "signin.config",
  invalid_resource: "signin.config", invalid_scope: "signin.config",
  invalid_request: "signin.config",
};
// Errors saying nested app authentication is not available here: Office SSO is tried instead.
const NO_BRIDGE = new Set(["nested_app_auth_bridge_disabled", "no_account_error",
  "unsupported_method"]);

export class SignInError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "SignInError";
    this.code = code;
  }
}

let settings = null; // promise of the service's sign-in settings
let cached = null; // {token, renewAt}
let pending = null; // the token request under way
let nestable = null; // promise of MSAL's nestable app, or of null where it cannot be had
let devListener = null;
let devSeen = false;

// Called once the service is seen signing everyone in without a check (dev mode).
export function onDevMode(listener) {
  devListener = listener;
  if (devSeen) listener();
}

// Every response from the service passes here: dev mode says so in a header.
export function noteResponse(response) {
  if (response.headers.get("X-Addin-Auth") === "dev") devMode();
}

function devMode() {
  if (devSeen) return;
  devSeen = true;
  if (devListener) devListener();
}

export function authConfig({ reload = false } = {}) {
  if (settings && !reload) return settings;
  const request = readConfig();
  settings = request;
  request.catch(() => {
    if (settings === request) settings = null; // asked again next time
  });
  return request;
}

async function readConfig() {
  let response;
  try {
    response = await fetch("/api/v1/auth/config", {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    });
  } catch {
    throw new SignInError(t("error.network"), "network");
  }
  noteResponse(response);
  const config = response.ok ? await response.json().catch(() => null) : null;
  if (!config) throw new SignInError(t("signin.failed"), `config_${response.status}`);
  if (config.mode !== "entra") devMode();
  return config;
}

// The token to send, or null in dev mode. forceRefresh: the last one was refused (401).
export async function getToken({ forceRefresh = false } = {}) {
  const config = await authConfig({ reload: forceRefresh });
  if (config.mode !== "entra") return null;
  if (!forceRefresh) {
    if (cached && Date.now() < cached.renewAt) return cached.token;
    if (pending) return pending;
  }
  cached = null;
  const request = newToken(config, forceRefresh).then(keep, (error) => {
    if (error instanceof SignInError) throw error;
    console.error(error);
    throw new SignInError(t("signin.failed"), "unknown");
  });
  pending = request;
  try {
    return await request;
  } finally {
    if (pending === request) pending = null;
  }
}

function keep({ token, expiresAt }) {
  cached = { token, renewAt: expiresAt - RENEW_EARLY_MS };
  return token;
}

async function newToken(config, forceRefresh) {
  const app = naaSupported() ? await nestableApp(config) : null;
  if (app) {
    try {
      const { accessToken, expiresOn } = await naaToken(app, config.scopes, forceRefresh);
      return { token: accessToken, expiresAt: expiresOn ? +expiresOn : expiryOf(accessToken) };
    } catch (error) {
      if (!NO_BRIDGE.has(error && error.errorCode)) throw msalFailure(error);
      console.warn("nested app authentication is not available here; using Office SSO", error);
    }
  }
  const token = await ssoToken();
  return { token, expiresAt: expiryOf(token) };
}

function naaSupported() {
  const requirements = Office.context && Office.context.requirements;
  return !!requirements && requirements.isSetSupported("NestedAppAuth", "1.1");
}

// MSAL's nestable app for this registration, made once; null (Office SSO then) when MSAL.js
// cannot be loaded, e.g. when the server has no node_modules.
function nestableApp(config) {
  nestable ??= loadMsal()
    .then((msal) => msal.createNestablePublicClientApplication({
      auth: { clientId: config.client_id, authority: config.authority },
    }))
    .catch((error) => {
      console.warn("MSAL.js is not available; using Office SSO", error);
      return null;
    });
  return nestable;
}

function loadMsal() {
  if (globalThis.msal) return Promise.resolve(globalThis.msal);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = MSAL_SCRIPT;
    script.onload = () => (globalThis.msal ? resolve(globalThis.msal) : reject(new Error("no msal")));
    script.onerror = () => reject(new Error(`${MSAL_SCRIPT} did not load`));
    document.head.append(script);
  });
}

async function naaToken(app, scopes, forceRefresh) {
  try {
    return await app.acquireTokenSilent({ scopes, forceRefresh });
  } catch (error) {
    if (!error || error.name !== "InteractionRequiredAuthError") throw error;
  }
  return app.acquireTokenPopup({ scopes });
}

async function ssoToken() {
  if (!Office.auth || typeof Office.auth.getAccessToken !== "function") {
    throw new SignInError(t("signin.unsupported"), "no_sso");
  }
  try {
    return await Office.auth.getAccessToken(SSO_OPTIONS);
  } catch (error) {
    const code = error && error.code;
    if (!SSO_ERRORS[code]) console.warn("Office SSO failed", error);
    throw new SignInError(t(SSO_ERRORS[code] || "signin.failed"), `sso_${code}`);
  }
}

function msalFailure(error) {
  const code = (error && error.errorCode) || "unknown";
  let key = MSAL_ERRORS[code];
  if (!key && error && error.name === "InteractionRequiredAuthError") key = "signin.required";
  if (!key && error && error.name === "ServerError") key = "signin.unavailable";
  if (!key) console.warn("MSAL sign-in failed", error);
  return new SignInError(t(key || "signin.failed"), `msal_${code}`);
}

// When a JWT expires (ms since the epoch); 0 when it cannot be read (then it is not kept).
function expiryOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "="))).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}
