// The worker's safety check-in: start, countdown, extend, check out (PIN or duress PIN), location, and the panic
// button, which works offline (safety-panic.js). The page itself is cached by the service worker: everything
// personal comes from /api/safety/me, and what the SMS needs is kept encrypted on the device (safety-queue.js).
import { api, enablePush, setCsrfToken, show } from "./safety-common.js";
import { clockTime, configurePanic, connectionBack, sendPending, setUpPanicButton } from "./safety-panic.js";
import { clearContext, loadContext, pendingPanics, saveContext } from "./safety-queue.js";
import { renderOfflineHelp } from "./safety-offline.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 10000;
const LOCATION_EVERY_MS = 30000;

let current = null;      // the running session, as the server describes it to the worker
let context = null;      // what the offline help needs (last known; kept encrypted on the device)
let reachable = null;    // did the last call reach the server? null: not tried yet
let signedIn = null;
let waiting = [];        // panics saved on the device, not yet confirmed by the server
let hasToken = false;
let clockOffset = 0;     // server time minus this device's time: the server owns the timer
let watchId = null;
let lastLocationPost = 0;

function setNet(active, text, help) {
  const box = $("net-status");
  box.classList.toggle("net-on", active);
  box.classList.toggle("net-off", !active);
  $("net-status-text").textContent = text;
  $("net-status-help").textContent = help;
}

const offline = () => !navigator.onLine || reachable === false;

function describeNet() {
  if (offline() && !current) {
    setNet(false, "Safety net NOT active: you are offline and no safety session is running.",
      "A session can only be started online. The panic button still works: it is sent once there is a connection. ");
  } else if (offline()) {
    setNet(true, "You are offline. The server is still timing your visit and will alert your managers if you do not check out.",
      "You cannot check out or extend until you are back online. Panic is saved and sent the moment there is a connection; if you are in danger call 999. ");
  } else if (signedIn === false) {
    setNet(false, "Safety net NOT active: you are not signed in.", "");
  } else if (!current) {
    setNet(false, "Safety net NOT active: no safety session is running.", "Start a session before you go in. ");
  } else {
    setNet(true, "Safety net active: your managers will be alerted if you do not check out.", "");
  }
  renderOfflineHelp(offline() || waiting.length > 0, context, waiting);
}

function remainingSeconds() {
  return Math.round((Date.parse(current.expected_end) - (Date.now() + clockOffset)) / 1000);
}

function formatRemaining(seconds) {
  const sign = seconds < 0 ? "overdue by " : "";
  const s = Math.abs(seconds);
  return `${sign}${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

function tick() {
  if (!current) return;
  const seconds = remainingSeconds();
  $("countdown").textContent = formatRemaining(seconds);
  const prompt = $("prompt");
  let text = "";
  if (current.state === "alert") {
    text = "Your managers have been alerted because you did not check out. Check out now if you are safe.";
  } else if (seconds <= 0) {
    text = "Your visit time has ended: check out, extend, or press Extend to confirm you are safe.";
  } else if (seconds <= 600) {
    text = `Your visit time ends in ${Math.ceil(seconds / 60)} minutes: check out or extend.`;
  }
  prompt.textContent = text;
  show(prompt, Boolean(text));
}

function renderSession(session) {
  current = session;
  show($("start"), !current && $("done").hidden && signedIn === true && !offline());
  show($("running"), Boolean(current));
  if (current) {
    $("run-address").textContent = current.address;
    show($("done"), false);
  } else {
    show($("prompt"), false);
    stopLocation();
  }
  describeNet();
  tick();
}

function renderUpdates(updates) {
  const list = $("updates-list");
  list.replaceChildren(...updates.map((u) => {
    const item = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = `${u.at_local}: ${u.title}`;
    const body = document.createElement("p");
    body.textContent = u.body;
    item.append(title, body);
    return item;
  }));
  show($("updates"), updates.length > 0);
}

function fillChildren(children) {
  const select = $("child");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...children.map((c) => new Option(c.label, c.id)));
  select.value = chosen;
}

// What the SMS and the timer statement need with no signal. Only the running visit's details are kept.
async function keep(data) {
  const session = data.session;
  context = {
    name: data.me.name, duty_phone: data.duty_phone, grace_minutes: data.grace_minutes,
    session: session && { state: session.state, expected_end: session.expected_end, address: session.address },
    address: session?.address || "", case_number: session ? data.case_number : null, alert_at: data.alert_at,
  };
  try {
    await saveContext(context);
  } catch (error) {
    console.warn("fieldapp safety: could not keep the visit details for offline use", error);
  }
}

async function refresh() {
  const answer = await api("GET", "/api/safety/me");
  reachable = !answer.offline;
  if (answer.ok) {
    signedIn = true;
    setCsrfToken(answer.data.csrf_token);
    hasToken = true;
    if (answer.data.server_time) clockOffset = Date.parse(answer.data.server_time) - Date.now();
    show($("signed-out"), false);
    show($("online-tools"), true);
    show($("checkout-pin-field"), answer.data.me.has_pins);
    // Changing PINs already set needs the account password: whoever holds an unlocked tablet must not be able to
    // choose a new duress PIN.
    show($("pins-password-field"), answer.data.me.has_pins);
    fillChildren(answer.data.children);
    renderUpdates(answer.data.updates);
    await keep(answer.data);
    renderSession(answer.data.session);
    if (waiting.length) sendPending();
  } else if (answer.status === 401 || answer.status === 403) {
    signedIn = false;
    show($("signed-out"), true);
    renderSession(null);
  } else {
    describeNet();
  }
  return answer.ok;
}

async function ensureToken(force) {
  if (hasToken && !force) return true;
  return refresh();
}

function startLocation() {
  if (!("geolocation" in navigator) || watchId !== null) return;
  watchId = navigator.geolocation.watchPosition(async (position) => {
    $("run-location").textContent = `Shared (±${Math.round(position.coords.accuracy)} m)`;
    if (!current || Date.now() - lastLocationPost < LOCATION_EVERY_MS) return;
    lastLocationPost = Date.now();
    await api("POST", `/api/safety/sessions/${current.id}/location`,
      { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy });
  }, (error) => {
    $("run-location").textContent = `Not shared: ${error.message}`;
  }, { enableHighAccuracy: true, maximumAge: 30000 });
}

function stopLocation() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  $("run-location").textContent = "Not shared";
}

async function startSession(event) {
  event.preventDefault();
  const error = $("start-error");
  show(error, false);
  const answer = await api("POST", "/api/safety/sessions", {
    child_id: $("child").value, address: $("address").value, minutes: $("minutes").value, notes: $("notes").value,
  });
  if (!answer.ok) {
    error.textContent = answer.offline ? "You are offline: the safety session was NOT started." : answer.data.message;
    show(error, true);
    return;
  }
  await refresh();
  if ($("share-location").checked) startLocation();
  $("running-heading").focus();
}

async function extend(event) {
  const answer = await api("POST", `/api/safety/sessions/${current.id}/extend`,
    { minutes: Number(event.currentTarget.dataset.minutes) });
  if (answer.ok) await refresh();
  else { $("prompt").textContent = answer.data.message; show($("prompt"), true); }
}

// Normal and duress check-out run exactly this code and get the same answer: nothing on screen can differ.
async function checkOut(event) {
  event.preventDefault();
  const error = $("checkout-error");
  show(error, false);
  const pin = $("checkout-pin");
  const answer = await api("POST", `/api/safety/sessions/${current.id}/check-out`, { pin: pin.value });
  pin.value = "";
  if (!answer.ok) {
    error.textContent = answer.offline ? "You are offline: you are NOT checked out yet. Try again when online." : answer.data.message;
    show(error, true);
    return;
  }
  show($("done"), true);
  await clearContext();
  renderSession(null);
  $("done-heading").focus();
  refresh();
}

async function savePins(event) {
  event.preventDefault();
  const changing = !$("pins-password-field").hidden;
  const answer = await api("POST", "/api/safety/pins", { checkout_pin: $("pin-checkout").value,
    duress_pin: $("pin-duress").value, ...(changing ? { password: $("pins-password").value } : {}) });
  $("pins-status").textContent = answer.data.message;
  $("pins-password").value = ""; // never left on the page, right or wrong
  if (answer.ok) { $("pin-checkout").value = ""; $("pin-duress").value = ""; refresh(); }
}

function panicHooks() {
  const status = $("panic-status");
  configurePanic({
    ensureToken,
    status: (text) => { status.textContent = text; },
    sent: (panic, data) => {
      waiting = waiting.filter((p) => p.id !== panic.id);
      reachable = true;
      status.textContent = `Panic alert sent at ${clockTime(data.received_at)} (pressed at ${clockTime(panic.pressed_at)}). ` +
        "Your managers are being alerted. If you can, call 999.";
      refresh();
    },
    waiting: (list) => {
      waiting = list;
      status.textContent = signedIn === false
        ? "Panic NOT sent: you are not signed in. It is saved on this device and will be sent once you sign in. Call 999 now."
        : "Panic NOT sent yet: no connection. It is saved on this device and will be sent the moment there is a " +
          "connection. Call 999 or text the duty desk now.";
      describeNet();
    },
    signedOut: () => { signedIn = false; show($("signed-out"), true); },
  });
}

async function restoreFromDevice() {
  try {
    [context, waiting] = await Promise.all([loadContext(), pendingPanics()]);
  } catch (error) {
    $("panic-status").textContent = `This device's safety storage cannot be read (${error.message}). Call 999 if you are in danger.`;
  }
  if (reachable === null && context?.session && !current) {
    // Offline reload: show the visit as last known, until the server answers.
    renderSession({ ...context.session, id: null });
  }
  if (waiting.length) {
    $("panic-status").textContent = `A panic pressed at ${clockTime(waiting[0].pressed_at)} is saved on this device and will be sent the moment there is a connection.`;
  }
  describeNet();
}

function boot() {
  show($("panic"), true);  // first, before any storage or network: the button must be there with no signal
  setUpPanicButton($("panic-button"), $("panic-status"));
  panicHooks();
  $("start-form").addEventListener("submit", startSession);
  $("checkout-form").addEventListener("submit", checkOut);
  $("extend-15").addEventListener("click", extend);
  $("extend-30").addEventListener("click", extend);
  $("start-again").addEventListener("click", () => { show($("done"), false); renderSession(null); });
  $("pins-form").addEventListener("submit", savePins);
  $("push-on").addEventListener("click", () => enablePush($("push-status")));
  $("running-heading").tabIndex = -1;
  $("done-heading").tabIndex = -1;
  window.addEventListener("online", async () => { await refresh(); connectionBack(); });
  window.addEventListener("offline", describeNet);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "SEND_PANICS") connectionBack();
  });
  // Keeps /safety in the offline shell even for a worker who never opened /app on this device.
  navigator.serviceWorker?.register("/sw.js", { scope: "/", updateViaCache: "none" })
    .catch((error) => console.warn("fieldapp safety: no service worker, so this page will not open offline", error));
  setInterval(tick, 1000);
  setInterval(async () => { if (await refresh()) sendPending(); }, POLL_MS);
  restoreFromDevice().then(refresh).then((ok) => { if (ok) sendPending(); });
}

boot();
