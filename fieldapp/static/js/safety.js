// The worker's safety check-in: start, countdown, extend, check out (PIN or duress PIN), panic hold, location.
import { api, enablePush, show } from "./safety-common.js";

const $ = (id) => document.getElementById(id);
const HOLD_SECONDS = 3;
const POLL_MS = 10000;
const LOCATION_EVERY_MS = 30000;

let current = null;      // the running session, as the server describes it to the worker
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

function describeNet() {
  if (!navigator.onLine && !current) {
    setNet(false, "Safety net NOT active: you are offline and no safety session is running.",
      "A session can only be started online. If you are worried, call the duty desk or 999. ");
  } else if (!navigator.onLine) {
    setNet(true, "You are offline. The server is still timing your visit and will alert your managers if you do not check out.",
      "You cannot check out, extend or press panic until you are back online: if you are in danger call 999. ");
  } else if (!current) {
    setNet(false, "Safety net NOT active: no safety session is running.", "Start a session before you go in. ");
  } else {
    setNet(true, "Safety net active: your managers will be alerted if you do not check out.", "");
  }
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

function render(view) {
  if (view.server_time) clockOffset = Date.parse(view.server_time) - Date.now();
  current = view.session;
  show($("start"), !current && $("done").hidden);
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

async function refresh() {
  const answer = await api("GET", "/api/safety/me");
  if (answer.ok) render(answer.data);
  else describeNet();
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
  render(answer.data);
  if ($("share-location").checked) startLocation();
  $("running-heading").focus();
}

async function extend(event) {
  const answer = await api("POST", `/api/safety/sessions/${current.id}/extend`,
    { minutes: Number(event.currentTarget.dataset.minutes) });
  if (answer.ok) render(answer.data);
  else { $("prompt").textContent = answer.data.message; show($("prompt"), true); }
}

// Normal and duress check-out run exactly this code and get the same answer: nothing on screen can differ.
async function checkOut(event) {
  event.preventDefault();
  const error = $("checkout-error");
  show(error, false);
  const pin = $("checkout-pin");
  const answer = await api("POST", `/api/safety/sessions/${current.id}/check-out`, { pin: pin ? pin.value : "" });
  if (pin) pin.value = "";
  if (!answer.ok) {
    error.textContent = answer.offline ? "You are offline: you are NOT checked out yet. Try again when online." : answer.data.message;
    show(error, true);
    return;
  }
  show($("done"), true);
  render({ session: null });
  $("done-heading").focus();
}

function setUpPanic() {
  const button = $("panic-button");
  const status = $("panic-status");
  let timer = null;
  let left = 0;
  const cancel = () => {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    button.classList.remove("holding");
    status.textContent = "Panic cancelled.";
  };
  const fire = async () => {
    clearInterval(timer);
    timer = null;
    button.classList.remove("holding");
    status.textContent = "Sending panic alert…";
    const answer = await api("POST", "/api/safety/panic", {});
    status.textContent = answer.ok
      ? `Panic alert sent at ${new Date().toLocaleTimeString("en-GB")}. Your managers are being alerted. If you can, call 999.`
      : "Panic alert could NOT be sent: you are offline or the server failed. Call 999.";
  };
  const begin = (event) => {
    event.preventDefault();
    if (timer !== null) return;
    left = HOLD_SECONDS;
    button.classList.add("holding");
    status.textContent = `Keep holding: ${left}`;
    timer = setInterval(() => {
      left -= 1;
      if (left <= 0) fire();
      else status.textContent = `Keep holding: ${left}`;
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

async function savePins(event) {
  event.preventDefault();
  const answer = await api("POST", "/api/safety/pins",
    { checkout_pin: $("pin-checkout").value, duress_pin: $("pin-duress").value });
  $("pins-status").textContent = answer.ok ? `${answer.data.message} Reload the page to use them.` : answer.data.message;
  if (answer.ok) { $("pin-checkout").value = ""; $("pin-duress").value = ""; }
}

function boot() {
  $("start-form").addEventListener("submit", startSession);
  $("checkout-form").addEventListener("submit", checkOut);
  $("extend-15").addEventListener("click", extend);
  $("extend-30").addEventListener("click", extend);
  $("start-again").addEventListener("click", () => { show($("done"), false); render({ session: null }); });
  $("pins-form").addEventListener("submit", savePins);
  $("push-on").addEventListener("click", () => enablePush($("push-status")));
  $("running-heading").tabIndex = -1;
  $("done-heading").tabIndex = -1;
  setUpPanic();
  window.addEventListener("online", refresh);
  window.addEventListener("offline", describeNet);
  setInterval(tick, 1000);
  setInterval(refresh, POLL_MS);
  refresh();
}

boot();
