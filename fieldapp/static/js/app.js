// app.js — boot and flow: first run online (sign-in check → PIN → register device), later boots unlock
// offline with the PIN; status bar always up to date; revocation wipes; an expired session is renewed in place.

import { ApiError, OfflineError, SessionExpired, api, configureApi, signIn } from "./api.js";
import { countUnsynced, setSealingKey } from "./outbox.js";
import { cacheDefinitions } from "./record-drafts.js";
import { flushEditor, initRecording, refreshUnsynced, renderDraftList, renderOutboxList } from "./records-home.js";
import {
  clearSetting, getSetting, getWipeNotice, loadSnapshot, requestPersistence, saveSnapshot, setSetting,
} from "./store.js";
import {
  $, announce, clearPersonalData, currentScreen, notice, setNetwork, setVaultState, showError,
  showScreen, showWiped,
} from "./ui.js";
import {
  VaultWiped, WrongPin, createVault, isUnlocked, lock, onVaultChange, readVault, unlock, watchIdle,
} from "./vault.js";
import { watchForUpdates } from "./updates.js";
import { openVisit, resumeAt } from "./record-editor.js";
import { resumeEditing } from "./resume.js";
import { initCaseloadList, showCaseload } from "./caseload-list.js";
import { initStatusStrip } from "./status-strip.js";
import { initAccount } from "./account.js";
import { initDraftLifecycle, purgeRemoved, rememberDraftSettings } from "./draft-lifecycle.js";
import { requestSync, startSync } from "./sync.js";
import { initSyncUi } from "./sync-ui.js";
import { initAmend } from "./amend.js";
import { initRevocation, releaseSealedDrafts, sealDraftsAndWipe, showWipeDetail } from "./revocation.js";
import { initChildMode, resumeChildMode } from "./child-mode.js";

const DEVICE_SETTING = "device";
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
    const finish = (ok, error) => {
      form.removeEventListener("submit", submit);
      $("reauth-cancel").removeEventListener("click", cancel);
      dialog.close();
      reauthPending = null;
      if (ok) resolve(); else reject(error);
    };
    const submit = async (event) => {
      event.preventDefault();
      try {
        serverInfo = await signIn($("reauth-username").value, $("reauth-password").value);
        $("reauth-password").value = "";
        announce("Signed in again.");
        finish(true);
      } catch (error) {
        showError("reauth-error", error instanceof OfflineError ? error.message : (error.message || "Sign-in failed."));
        if (error instanceof ApiError && error.code === "device_revoked") finish(false, error);
      }
    };
    const cancel = () => finish(false, new SessionExpired());
    form.addEventListener("submit", submit);
    $("reauth-cancel").addEventListener("click", cancel);
    dialog.showModal();
    $("reauth-password").focus();
  });
  return reauthPending;
}

// ---- unlocked app ----------------------------------------------------------------------------------

async function enterHome() {
  showScreen("home");
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
    if (await resumeChildMode()) { contactServer(); return; } // unlocked in the child's own mode: back to it
    await enterHome();
    await resumeEditing({ open: openVisit, at: resumeAt });
    contactServer();
  } catch (error) {
    $("unlock-form").reset();
    if (error instanceof VaultWiped) {
      clearPersonalData();
      await releaseSealedDrafts();
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
  // The record editor saves as the worker types, and at once before a lock, on hiding and on pagehide.
  initRecording({ backHome: enterHome });
  $("setpin-form").addEventListener("submit", completeSetup);
  $("unlock-form").addEventListener("submit", submitUnlock);
  $("lock-button").addEventListener("click", () => lock("button"));
  $("setup-again").addEventListener("click", firstRun);
  window.addEventListener("online", () => setOnline(true));
  window.addEventListener("offline", () => setOnline(false));
  setNetwork(navigator.onLine);
  setVaultState(false);
  if (location.pathname !== "/app") history.replaceState(null, "", "/app");
  initSyncUi();
  initAmend();
  initRevocation();
  startSync();
  document.addEventListener("fieldapp:caseload-changed", async () => showCaseload(await loadSnapshot("caseload")));
  initCaseloadList();
  initAccount();
  initDraftLifecycle();
  await initStatusStrip();
  await initChildMode({ reopen: (groupId) => openVisit(groupId).catch(() => enterHome()) });
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
