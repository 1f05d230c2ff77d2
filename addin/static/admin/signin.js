// The sign-in page (entra mode): MSAL.js signs the admin in (a popup), gets an access token
// for this service, and POST /admin/session turns it into the console's session cookie.
// In dev mode there is nothing to do: the page links straight to the console.

const root = document.getElementById("signin");
const next = root?.dataset.next || "/admin";
const status = document.getElementById("signin-status");
const trigger = document.getElementById("signin-button");

function loadMsal() {
  if (window.msal) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/vendor/msal-browser.min.js";
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(
      "MSAL.js could not be loaded from this server; ask the administrator to run 'npm ci'."));
    document.head.append(script);
  });
}

async function token(app, scopes) {
  let account = app.getAllAccounts()[0];
  if (!account) account = (await app.loginPopup({ scopes })).account;
  try {
    return (await app.acquireTokenSilent({ scopes, account })).accessToken;
  } catch {
    return (await app.acquireTokenPopup({ scopes, account })).accessToken;
  }
}

async function signIn(app, scopes) {
  status.textContent = "Signing in…";
  trigger.disabled = true;
  try {
    const accessToken = await token(app, scopes);
    const response = await fetch("/admin/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json",
                 "Content-Type": "application/json" },
      body: JSON.stringify({ next }),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      status.textContent = data?.error?.message ?? `Sign-in was refused (${response.status}).`;
      return;
    }
    status.textContent = `Signed in as ${data.name}.`;
    window.location.assign(data.next);
  } catch (error) {
    status.textContent = `Sign-in did not complete: ${error?.message ?? error}`;
  } finally {
    trigger.disabled = false;
  }
}

async function setUp() {
  const inPopup = window.opener && window.opener !== window && /[#?&](code|error)=/.test(window.location.href);
  trigger.disabled = true;
  try {
    const response = await fetch("/api/v1/auth/config", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`The sign-in settings could not be read (${response.status}).`);
    const config = await response.json();
    await loadMsal();
    if (inPopup) {  // the popup MSAL opened: hand the answer back to the main window
      if (typeof window.msal.broadcastResponseToMainFrame === "function") {
        await window.msal.broadcastResponseToMainFrame();
      }
      return;
    }
    const app = new window.msal.PublicClientApplication({
      auth: { clientId: config.client_id, authority: config.authority,
              redirectUri: `${window.location.origin}/admin/signin` },
      cache: { cacheLocation: "sessionStorage" },
    });
    await app.initialize();
    trigger.disabled = false;
    trigger.addEventListener("click", () => signIn(app, config.scopes));
  } catch (error) {
    status.textContent = error?.message ?? String(error);
  }
}

if (root?.dataset.mode === "entra") setUp();
