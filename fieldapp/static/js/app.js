// app.js — boot and flow: first run online (sign-in check → PIN → register device), later boots unlock
// offline with the PIN; status bar always up to date; revocation wipes; an expired session is renewed in place.

import { ApiError, OfflineError, SessionExpired, api, configureApi, sessionStatus, signIn } from "./api.js";
import { signInThroughProvider } from "./sso.js";
import { countUnsynced, setSealingKey } from "./outbox.js";
import {
  clearSetting, getSetting, getWipeNotice, loadSnapshot, requestPersistence, saveSnapshot, setSetting,
} from "./store.js";
import {
  $, announce, clearPersonalData, currentScreen, notice, setNetwork, setUnsynced, setVaultState, showError,
  showScreen, showWiped,
} from "./ui.js";
import {
  VaultWiped, WrongPin, createVault, isUnlocked, lock, onVaultChange, readVault, unlock, watchIdle,
} from "./vault.js";
import { watchForUpdates } from "./updates.js";
import { readFlag } from "./child-flag.js";
import { ifLoaded, loadScreen } from "./lazy.js";

const DEVICE_SETTING = "device";

// Loaded when first needed (lazy.js), so first load of /app is only the sign-in, PIN and unlock screens: the
// unlocked app (home.js) at the first unlock or setup; the record editor when a visit is opened (records-home.js);
// the child's own mode with the editor (its button is there), or at boot if it was left on. All precached.
const HOME = "home screen";
const loadHome = () => loadScreen(HOME, () => import("./home.js"),
  (home) => home.initHome({ backHome: enterHome, afterEditorLoad: loadChildMode }));
const CHILD_MODE = "child's own mode";
const loadChildMode = () => loadScreen(CHILD_MODE, async () => {
  await (await loadHome()).loadEditor();
  return import("./child-mode.js");
}, (childMode) => childMode.initChildMode({ reopen: (groupId) => openVisit(groupId).catch(() => enterHome()) }));
const openVisit = async (groupId) => (await loadHome()).openVisit(groupId);
const requestSync = (reason) => ifLoaded(HOME).then((home) => home?.requestSync(reason));
const flushEditor = async () => (await ifLoaded(HOME))?.flushEditor();
const refreshUnsynced = async () => setUnsynced(await countUnsynced()); // the status bar; home.js adds the rest
let serverInfo = null; // the last /api/me answer (no personal data is kept from it outside the vault)

function setOnline(online) {
  setNetwork(online);
  if (online) contactServer();
}

// ---- first run: sign-in check, PIN, device registration -------------------------------------------

async function firstRun() {
  if (!navigator.onLine) {
    $("signin-message").textContent = "You are offline. The first sign-in on a device needs a connection; connect and try again.";
    showScreen("signin");
    return;
  }
  try {
    serverInfo = await api("/me", { reauth: false });
  } catch (error) {
    if (!(error instanceof SessionExpired || error instanceof OfflineError)) throw error;
    $("signin-message").textContent = error instanceof OfflineError
      ? "The server cannot be reached. The first sign-in on a device needs a connection."
      : "Sign in once with your password to set this device up. After that the app opens offline with your PIN.";
    showScreen("signin");
    return;
  }
  if (serverInfo.role !== "worker") {
    $("signin-message").textContent = "The field app is for social workers. Use the main fieldapp pages instead.";
    $("signin-link").textContent = "Go to fieldapp";
    $("signin-link").href = "/";
    showScreen("signin");
    return;
  }
  $("device-name").value ||= /Mobi|Android/.test(navigator.userAgent) ? "Work phone" : "Work tablet";
  showScreen("setpin");
}

async function completeSetup(event) {
  event.preventDefault();
  const pin = $("new-pin").value;
  showError("setpin-error", "");
  if (pin !== $("confirm-pin").value) {
    showError("setpin-error", "The two PINs are not the same.");
    return;
  }
  const button = event.submitter || $("setpin-form").querySelector("button");
  button.disabled = true;
  try {
    await createVault(pin, { idleSeconds: serverInfo.vault.idle_seconds, maxAttempts: serverInfo.vault.max_pin_attempts });
    await saveSnapshot("profile", serverInfo.user);
    await setSetting(DEVICE_SETTING, { id: null, name: $("device-name").value.trim() || "Work tablet" });
    await clearSetting("wipe-notice");
    $("setpin-form").reset();
    // The vault exists now; if the connection drops here, registration and downloads finish on next contact.
    await refreshFromServer().catch(reportContactError);
    await enterHome();
    requestSync("setup");
  } catch (error) {
    showError("setpin-error", error.message);
  } finally {
    button.disabled = false;
  }
}

async function ensureRegistered() {
  const device = await getSetting(DEVICE_SETTING);
  if (!device || device.id) return;
  // A fresh random id each time: an id refused (revoked, or another worker's) is never reused.
  const id = crypto.randomUUID();
  await api("/devices", { method: "POST", body: { id, name: device.name } });
  await setSetting(DEVICE_SETTING, { ...device, id });
  configureApi({ deviceId: id });
}

// ---- contact with the server -----------------------------------------------------------------------

// While locked (boot) we only ask "is this device still allowed?" — a revoked one wipes before unlocking.
async function contactServer() {
  if (!navigator.onLine) return;
  try {
    if (isUnlocked()) {
      await refreshFromServer();
      requestSync("contact"); // app open (after unlock) and back online
    } else serverInfo = await api("/me", { reauth: false });
    setNetwork(true);
  } catch (error) {
    reportContactError(error);
  }
}

function reportContactError(error) {
  if (error instanceof OfflineError) setNetwork(false);
  else if (error instanceof SessionExpired) notice("session", "Signed out of the server: your work is kept on this device. Sign in to send it.", "info");
  else if (error instanceof ApiError && error.code === "device_revoked") return;
  else notice("server", `The server answered with a problem: ${error.message}`, "error");
}

async function refreshFromServer() {
  const { cacheDefinitions, rememberDraftSettings, showCaseload } = await loadHome();
  serverInfo = await api("/me");
  await rememberDraftSettings(serverInfo);
  notice("session", "");
  await ensureRegistered();
  await setSealingKey(await api("/keys/sealing"));
  await saveSnapshot("profile", serverInfo.user); // kept fresh: amend.js needs the worker's id
  await cacheDefinitions(); // record forms, so they render offline (no personal data)
  await saveSnapshot("caseload", await api("/caseload"));
  if (currentScreen() === "home") showCaseload(await loadSnapshot("caseload"));
}

async function onDeviceRevoked() {
  const { sealDraftsAndWipe, showWipeDetail } = await loadHome();
  const wiped = await sealDraftsAndWipe("revoked"); // unfinished drafts sealed for the server first (revocation.js)
  configureApi({ deviceId: null });
  clearPersonalData();
  showWiped(wiped, await countUnsynced());
  showWipeDetail(wiped);
}

// The password dialog: resolves once signed in again, rejects if the worker chooses "Not now".
let reauthPending = null;
function askForPassword() {
  if (reauthPending) return reauthPending;
  reauthPending = new Promise((resolve, reject) => {
    const dialog = $("reauth-dialog");
    const form = $("reauth-form");
    loadSnapshot("profile").then((profile) => { $("reauth-username").value = profile?.username || ""; },
      () => { $("reauth-username").readOnly = false; });
    showError("reauth-error", "");
    let methods = serverInfo?.sign_in || null;
    // Which ways in: the council's provider (a popup) and/or the password; fresh from the server when reachable.
    const showMethods = () => {
      $("reauth-oidc").hidden = !methods?.oidc;
      if (methods?.oidc) $("reauth-oidc").textContent = methods.oidc.label;
      const passwords = !methods || methods.passwords === "all"; // this app is for workers: not break-glass admins
      $("reauth-password-fields").hidden = !passwords;
      $("reauth-submit").hidden = !passwords;
      $("reauth-password").required = passwords;
    };
    showMethods();
    sessionStatus().then((status) => { methods = status.sign_in || methods; showMethods(); },
      (error) => showError("reauth-error", error.message));
    const finish = (ok, error) => {
      form.removeEventListener("submit", submit);
      $("reauth-oidc").removeEventListener("click", viaProvider);
      $("reauth-cancel").removeEventListener("click", cancel);
      dialog.close();
      reauthPending = null;
      if (ok) resolve(); else reject(error);
    };
    const submit = async (event) => {
      event.preventDefault();
      try {
        const codeField = $("reauth-code-field");
        serverInfo = await signIn($("reauth-username").value, $("reauth-password").value,
          codeField.hidden ? undefined : $("reauth-code").value);
        $("reauth-password").value = "";
        $("reauth-code").value = "";
        announce("Signed in again.");
        finish(true);
      } catch (error) {
        showError("reauth-error", error instanceof OfflineError ? error.message : (error.message || "Sign-in failed."));
        if (error instanceof ApiError && error.code?.startsWith("second_factor_")) {
          // The password was right and the account has a second factor: ask for the code, keep the password.
          $("reauth-code-field").hidden = false;
          $("reauth-code").value = "";
          $("reauth-code").focus();
        }
        if (error instanceof ApiError && error.code === "device_revoked") finish(false, error);
      }
    };
    const viaProvider = async () => {
      showError("reauth-error", "");
      if (!navigator.onLine) { // offline the popup would only show the cached app
        showError("reauth-error", "You are offline. Connect, then sign in; your work stays on this device.");
        return;
      }
      try {
        await signInThroughProvider(methods.oidc.start);
        serverInfo = await api("/me", { reauth: false });
        announce("Signed in again.");
        finish(true);
      } catch (error) {
        showError("reauth-error", error.message || "Sign-in failed.");
        if (error instanceof ApiError && error.code === "device_revoked") finish(false, error);
      }
    };
    const cancel = () => finish(false, new SessionExpired());
    form.addEventListener("submit", submit);
    $("reauth-oidc").addEventListener("click", viaProvider);
    $("reauth-cancel").addEventListener("click", cancel);
    dialog.showModal();
    ($("reauth-password-fields").hidden ? $("reauth-oidc") : $("reauth-password")).focus();
  });
  return reauthPending;
}

// ---- unlocked app ----------------------------------------------------------------------------------

async function enterHome() {
  showScreen("home");
  const { purgeRemoved, renderDraftList, renderOutboxList, showCaseload } = await loadHome();
  showCaseload(await loadSnapshot("caseload").catch((error) => {
    notice("caseload", error.message, "error");
    return null;
  }));
  await purgeRemoved(renderDraftList);
  await renderDraftList();
  await renderOutboxList();
  showPersistence(await requestPersistence());
}

function showPersistence({ supported, persisted }) {
  if (persisted) notice("storage", "Storage on this device is persistent.", "success");
  else if (!supported) notice("storage", "This browser cannot promise to keep the app’s data. Send your work as soon as you can.", "error");
  else notice("storage", "Storage is not persistent: the browser may clear the app’s data when space runs low. Install fieldapp to the home screen and send your work promptly.", "error");
}

// ---- unlock ----------------------------------------------------------------------------------------

async function submitUnlock(event) {
  event.preventDefault();
  const button = $("unlock-button");
  button.disabled = true;
  showError("unlock-error", "");
  try {
    await unlock($("unlock-pin").value);
    $("unlock-form").reset();
    const childMode = await ifLoaded(CHILD_MODE);
    if (await childMode?.resumeChildMode()) { contactServer(); return; } // unlocked in the child's own mode: back to it
    await enterHome();
    const { loadEditor, resumeEditing } = await loadHome();
    await resumeEditing({ open: openVisit, at: async (place) => (await loadEditor()).resumeAt(place) });
    contactServer();
  } catch (error) {
    $("unlock-form").reset();
    if (error instanceof VaultWiped) {
      clearPersonalData();
      await (await loadHome()).releaseSealedDrafts();
      showWiped(await getWipeNotice() || { reason: "pin" }, await countUnsynced());
    } else {
      showError("unlock-error", error instanceof WrongPin ? error.message : `Could not unlock: ${error.message}`);
      $("unlock-pin").focus();
    }
  } finally {
    button.disabled = false;
  }
}

function onVault(state, detail) {
  setVaultState(state === "unlocked");
  if (state === "locked") {
    clearPersonalData();
    if (detail.reason !== "revoked") {
      showScreen("unlock");
      if (detail.reason === "idle") showError("unlock-error", "Locked after a while without use. Your work was saved as a draft.");
    }
  }
}

// ---- boot ------------------------------------------------------------------------------------------

async function boot() {
  configureApi({ onDeviceRevoked, onSessionExpired: askForPassword });
  onVaultChange(onVault);
  watchIdle();
  $("setpin-form").addEventListener("submit", completeSetup);
  $("unlock-form").addEventListener("submit", submitUnlock);
  $("lock-button").addEventListener("click", () => lock("button"));
  $("setup-again").addEventListener("click", firstRun);
  window.addEventListener("online", () => setOnline(true));
  window.addEventListener("offline", () => setOnline(false));
  setNetwork(navigator.onLine);
  setVaultState(false);
  if (location.pathname !== "/app") history.replaceState(null, "", "/app");
  // A reload in the child's own mode stays sealed at the PIN prompt (lazy.js says so if it cannot load).
  if (await readFlag().catch(() => null)) await loadChildMode().catch(() => {});
  watchForUpdates({ beforeUpdate: flushEditor });

  const device = await getSetting(DEVICE_SETTING);
  configureApi({ deviceId: device?.id || null });
  await refreshUnsynced();
  if (await readVault()) {
    showScreen("unlock");
    contactServer();
    return;
  }
  const wiped = await getWipeNotice();
  if (wiped) {
    const { releaseSealedDrafts, showWipeDetail } = await loadHome();
    await releaseSealedDrafts(); // in case the app closed between a wipe and the release
    showWiped(wiped, await countUnsynced());
    showWipeDetail(wiped);
    return;
  }
  await firstRun();
}

boot().catch((error) => {
  console.error("fieldapp: start-up failed", error);
  notice("boot", `fieldapp could not start: ${error.message}`, "error");
});
