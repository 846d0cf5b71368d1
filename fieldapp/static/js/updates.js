// updates.js — the service worker's life cycle as the worker sees it. A new version installs in the
// background and waits; the app offers "Update now" and only then switches (never under the worker's
// fingers). Drafts and the outbox live in IndexedDB, which no version of the service worker touches.

import { registerServiceWorker } from "./sw-registration.js";
import { $ } from "./ui.js";

const UPDATE_CHECK_MS = 60 * 60 * 1000;

export async function watchForUpdates({ beforeUpdate }) {
  if (!("serviceWorker" in navigator)) {
    document.getElementById("notices").append(Object.assign(document.createElement("div"), {
      className: "notice notice-error", textContent: "This browser cannot keep fieldapp for offline use.",
    }));
    return null;
  }
  const registration = await registerServiceWorker();
  let chosen = false;

  const offer = (worker) => {
    $("update-banner").hidden = false;
    $("update-button").onclick = async () => {
      $("update-button").disabled = true;
      await beforeUpdate();
      chosen = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    };
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    // Decided now, not at "installed": on a first install the new worker may already have claimed the page
    // by the time that state change reaches us, and a first install is no update.
    const isUpdate = Boolean(navigator.serviceWorker.controller);
    worker.addEventListener("statechange", () => {
      if (isUpdate && worker.state === "installed" && registration.waiting === worker) offer(worker);
    });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (chosen) window.location.reload();
  });
  const check = () => registration.update().catch((error) => console.info("fieldapp: update check failed", error));
  window.addEventListener("online", check);
  setInterval(check, UPDATE_CHECK_MS);
  return registration;
}
