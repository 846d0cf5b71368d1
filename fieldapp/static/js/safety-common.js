// Shared by the worker's safety page and the managers' board: JSON calls with CSRF, and push subscription.

import { OfflineError, configureApi, currentDeviceId, request, setCsrfToken } from "./api.js";
import { b64urlDecode } from "./base64url.js";
import { registerServiceWorker } from "./sw-registration.js";
import { STORES, get } from "./idb.js";

export { setCsrfToken }; // safety.js hands over the token /api/safety/me gives

// The device id the offline app registered in this browser (meta "device"), if it was ever set up here:
// the server checks it on every /api call.
let devicePromise = null;
const registeredDevice = () => {
  devicePromise ??= get(STORES.meta, "device").then((row) => row?.value?.id || null, () => null);
  return devicePromise;
};

// The safety pages' calls go through the app's one client (api.js) but answer with a plain result instead of
// throwing: a panic press must learn "offline" and queue itself, never stop on an exception.
export async function api(method, url, body) {
  if (!currentDeviceId()) configureApi({ deviceId: await registeredDevice() });
  let answer;
  try {
    answer = await request(url, method, body);
  } catch (error) {
    if (!(error instanceof OfflineError)) throw error;
    return { ok: false, offline: true, status: 0, data: { message: "Cannot reach the fieldapp server." } };
  }
  const { response, data } = answer;
  return { ok: response.ok, offline: false, status: response.status,
    data: data || { message: `Unexpected answer from the server (${response.status}).` } };
}

export function show(element, visible) {
  element.hidden = !visible;
}

// The service worker (sw.js, from the offline shell) shows every push as a notification.
export async function enablePush(statusElement) {
  const say = (text) => { statusElement.textContent = text; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    say("This browser cannot receive push notifications: keep this page open, and rely on email.");
    return false;
  }
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    say("Notifications are blocked for fieldapp in this browser's settings.");
    return false;
  }
  const key = await api("GET", "/api/safety/push-key");
  if (!key.ok) {
    say(key.data.message);
    return false;
  }
  try {
    const registration = (await navigator.serviceWorker.getRegistration("/")) || (await registerServiceWorker());
    await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: b64urlDecode(key.data.public_key),
    });
    const saved = await api("POST", "/api/safety/push-subscriptions", subscription.toJSON());
    say(saved.ok ? "Safety notifications are on for this device." : saved.data.message);
    return saved.ok;
  } catch (error) {
    say(`Could not turn on notifications: ${error.message}`);
    return false;
  }
}
