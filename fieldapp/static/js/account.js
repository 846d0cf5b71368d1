// account.js — "Sign out" in the worker's app: the typing is saved and the vault locked first (nothing on the
// page is lost), then the server session ends and the sign-in page shows. Offline, the app locks and says that
// the server session ends on the next sign-out with a connection.

import { api } from "./api.js";
import { $, notice } from "./ui.js";
import { lock } from "./vault.js";

async function signOut() {
  await lock("signout"); // runs the before-lock saves
  if (!navigator.onLine) {
    notice("signout", "Locked. You are offline, so the server session could not be ended: sign out again when you are back online.", "info");
    return;
  }
  try {
    const { csrf_token: token } = await api("/session", { reauth: false });
    const body = new URLSearchParams({ csrf_token: token });
    await fetch("/logout", { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": token } });
    location.assign("/login");
  } catch (error) {
    notice("signout", `Locked, but the server could not be reached to sign out: ${error.message}`, "error");
  }
}

export function initAccount() {
  $("signout-button").addEventListener("click", () => { signOut(); });
}
