// safety-panic.js — the panic button: hold 3 s, saved on the device first, then sent the moment any connection
// exists (at once, on "online", on a Background Sync wake-up where the browser has it, and by retries with
// back-off). Each press carries its own id, so a press sent twice raises one alert.
import { api } from "./safety-common.js";
import { forgetPanic, pendingPanics, queuePanic, updatePanic } from "./safety-queue.js";

const HOLD_SECONDS = 3;
const BACKOFF_MS = [2000, 4000, 8000, 15000, 30000, 60000];
export const SYNC_TAG = "fieldapp-safety-panic";

const time = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

let hooks = { status: () => {}, sent: () => {}, waiting: () => {}, signedOut: () => {}, ensureToken: async () => true };
let flushing = null;
let retryTimer = null;
let retryIndex = 0;

export function configurePanic(options) {
  hooks = { ...hooks, ...options };
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => { sendPending(); }, BACKOFF_MS[Math.min(retryIndex, BACKOFF_MS.length - 1)]);
  retryIndex += 1;
}

// One panic: true when the server has it (or refused it for good, which is said), false to try again later.
async function sendOne(panic) {
  const answer = await api("POST", "/api/safety/panic",
    { client_id: panic.id, pressed_at: panic.pressed_at, sent_at: new Date().toISOString() });
  if (answer.ok) {
    await forgetPanic(panic.id);
    hooks.sent(panic, answer.data);
    return true;
  }
  if (answer.status === 401 || answer.status === 403) hooks.signedOut();
  if (answer.status === 400 && answer.data.error === "csrf_failed") await hooks.ensureToken(true);
  if ((answer.status === 400 && answer.data.error !== "csrf_failed") || answer.status === 422) {
    // Refused for good (too old, malformed): keeping it would retry forever. Say so, never silently.
    await forgetPanic(panic.id);
    hooks.status(`The panic pressed at ${time(panic.pressed_at)} was NOT raised: ${answer.data.message}`);
    return true;
  }
  await updatePanic({ ...panic, tries: panic.tries + 1 });
  return false;
}

async function flush() {
  const waiting = await pendingPanics();
  if (!waiting.length) return 0;
  if (!(await hooks.ensureToken(false))) {
    hooks.waiting(waiting);
    scheduleRetry();
    return waiting.length;
  }
  let left = 0;
  for (const panic of waiting) {
    if (!(await sendOne(panic))) left += 1;
  }
  if (left) {
    hooks.waiting(await pendingPanics());
    scheduleRetry();
  } else {
    retryIndex = 0;
  }
  return left;
}

// Send everything waiting; calls made while a send is running share it. Resolves with how many are still waiting.
export function sendPending() {
  if (!flushing) flushing = flush().finally(() => { flushing = null; });
  return flushing;
}

export function connectionBack() {
  retryIndex = 0;
  return sendPending();
}

async function askBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration("/");
    if (registration && "sync" in registration) await registration.sync.register(SYNC_TAG);
  } catch (error) {
    console.warn("fieldapp safety: Background Sync unavailable; retrying from the page", error);
  }
}

async function fire() {
  let panic;
  try {
    panic = await queuePanic();
  } catch (error) {
    // Even without storage, try to send this press straight away.
    hooks.status(`This device could not save the panic (${error.message}). Sending it now; call 999 if you can.`);
    panic = { id: crypto.randomUUID(), pressed_at: new Date().toISOString(), tries: 0 };
    if (await sendOne(panic)) return;
    hooks.waiting([panic]);
    return;
  }
  hooks.status(`Panic saved on this device at ${time(panic.pressed_at)}. Sending…`);
  askBackgroundSync();
  await sendPending();
}

export function setUpPanicButton(button, statusElement) {
  let timer = null;
  let left = 0;
  const stop = () => {
    clearInterval(timer);
    timer = null;
    button.classList.remove("holding");
  };
  const cancel = () => {
    if (timer === null) return;
    stop();
    statusElement.textContent = "Panic cancelled.";
  };
  const begin = (event) => {
    event.preventDefault();
    if (timer !== null) return;
    left = HOLD_SECONDS;
    button.classList.add("holding");
    statusElement.textContent = `Keep holding: ${left}`;
    timer = setInterval(() => {
      left -= 1;
      if (left > 0) { statusElement.textContent = `Keep holding: ${left}`; return; }
      stop();
      fire();
    }, 1000);
  };
  button.addEventListener("pointerdown", begin);
  ["pointerup", "pointerleave", "pointercancel"].forEach((name) => button.addEventListener(name, cancel));
  button.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) begin(event);
  });
  button.addEventListener("keyup", (event) => { if (event.key === " " || event.key === "Enter") cancel(); });
  button.addEventListener("contextmenu", (event) => event.preventDefault());
}

export { time as clockTime };
