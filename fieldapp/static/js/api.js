// api.js — calls to /api/*: the device id header on every call, CSRF on changes, and the three answers
// the app must act on: 410 (device revoked: wipe), 401 (session expired: ask for the password, then retry)
// and a stale CSRF token (refresh it, then retry).

export const DEVICE_HEADER = "X-Fieldapp-Device";

let csrfToken = null;
let deviceId = null;
let onDeviceRevoked = async () => {};
let onSessionExpired = async () => { throw new SessionExpired(); };

export class OfflineError extends Error {
  constructor() { super("No connection to the fieldapp server."); }
}
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `The server answered ${status}.`);
    this.status = status;
    this.code = code;
  }
}
export class SessionExpired extends ApiError {
  constructor() { super(401, "session_expired", "Your session has ended. Enter your password to carry on."); }
}

export function configureApi(options) {
  if ("deviceId" in options) deviceId = options.deviceId;
  if (options.onDeviceRevoked) onDeviceRevoked = options.onDeviceRevoked;
  if (options.onSessionExpired) onSessionExpired = options.onSessionExpired;
}

export const currentDeviceId = () => deviceId;

// Server-rendered pages (the safety board) carry their token in a meta tag until an answer brings one.
export function setCsrfToken(token) { csrfToken = token || null; }
const currentCsrfToken = () => csrfToken || document.querySelector('meta[name="csrf-token"]')?.content || null;

const send = (path, method, body) => request(`/api${path}`, method, body);

// One JSON request: the device header, CSRF on changes; OfflineError when the server cannot be reached.
export async function request(url, method = "GET", body = undefined) {
  const headers = { Accept: "application/json" };
  if (deviceId) headers[DEVICE_HEADER] = deviceId;
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    const token = currentCsrfToken();
    if (token) headers["X-CSRFToken"] = token;
  }
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new OfflineError();
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("application/json") ? await response.json() : null;
  if (data && data.csrf_token) csrfToken = data.csrf_token;
  return { response, data };
}

// `reauth: false` for calls made while the app is locked: a 401 then just means "not signed in".
export async function api(path, { method = "GET", body, reauth = true } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const { response, data } = await send(path, method, body);
    const code = data?.error;
    if (response.status === 410 && code === "device_revoked") {
      await onDeviceRevoked(data);
      throw new ApiError(410, code, data.message);
    }
    if (attempt === 0 && response.status === 400 && code === "csrf_failed") {
      const status = await send("/session", "GET");
      if (!status.data?.authenticated && reauth) await onSessionExpired();
      continue;
    }
    if (response.status === 401 && code === "session_expired") {
      if (attempt === 0 && reauth) {
        await onSessionExpired();
        continue;
      }
      throw new SessionExpired();
    }
    if (!response.ok) throw new ApiError(response.status, code, data?.message);
    return data;
  }
}

// Sign in again from inside the app (POST /api/session), keeping everything on the page as it is.
export async function signIn(username, password) {
  if (!csrfToken) await send("/session", "GET");
  let { response, data } = await send("/session", "POST", { username, password });
  if (response.status === 400 && data?.error === "csrf_failed") {
    await send("/session", "GET");
    ({ response, data } = await send("/session", "POST", { username, password }));
  }
  if (response.status === 410 && data?.error === "device_revoked") {
    await onDeviceRevoked(data);
  }
  if (!response.ok) throw new ApiError(response.status, data?.error, data?.message);
  return data;
}
