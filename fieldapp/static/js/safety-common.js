// Shared by the worker's safety page and the managers' board: JSON calls with CSRF, and push subscription.

import { DEVICE_HEADER } from "./api.js";
import { STORES, get } from "./idb.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

// The device id the offline app registered in this browser (meta "device"), if it was ever set up here:
// the server checks it on every /api call, as it does for the app's own client (api.js).
let devicePromise = null;
const registeredDevice = () => {
  devicePromise ??= get(STORES.meta, "device").then((row) => row?.value?.id || null, () => null);
  return devicePromise;
};

export async function api(method, url, body) {
  const options = { method, headers: { Accept: "application/json", "X-CSRFToken": csrf() }, credentials: "same-origin" };
  const device = await registeredDevice();
  if (device) options.headers[DEVICE_HEADER] = device;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    return { ok: false, offline: true, status: 0, data: { message: "Cannot reach the fieldapp server." } };
  }
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = { message: `Unexpected answer from the server (${response.status}).` };
  }
  return { ok: response.ok, offline: false, status: response.status, data };
}

export function show(element, visible) {
  element.hidden = !visible;
}

function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
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
    const registration = (await navigator.serviceWorker.getRegistration("/")) || (await navigator.serviceWorker.register("/sw.js"));
    await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(key.data.public_key),
    });
    const saved = await api("POST", "/api/safety/push-subscriptions", subscription.toJSON());
    say(saved.ok ? "Safety notifications are on for this device." : saved.data.message);
    return saved.ok;
  } catch (error) {
    say(`Could not turn on notifications: ${error.message}`);
    return false;
  }
}
