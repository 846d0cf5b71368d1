// The managers' live safety board: polls every 2 s, alerts red, overdue amber, alarm sound after a gesture.
import { api, enablePush, show } from "./safety-common.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;
const LEVEL_TEXT = {
  alert: "ALERT", overdue: "Overdue: in grace, not yet alerted", acknowledged: "Acknowledged",
  active: "Visit in progress", closed: "Closed",
};
const KIND_TEXT = { panic: "PANIC button pressed", duress: "DURESS check-out (silent alert)", overdue: "Did not check out" };

let audio = null;        // AudioContext, created only after the manager presses the sound button
let alarmTimer = null;
let activeAlerts = 0;

function beep() {
  if (!audio || activeAlerts === 0) return;
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.frequency.value = 880;
  gain.gain.value = 0.3;
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start();
  oscillator.stop(audio.currentTime + 0.4);
}

function minutes(seconds) {
  const m = Math.round(Math.abs(seconds) / 60);
  return seconds >= 0 ? `${m} min left` : `overdue by ${m} min`;
}

function fill(card, s) {
  card.className = `board-card level-${s.level}`;
  card.id = `session-${s.id}`;
  card.querySelector(".board-worker").textContent = s.worker;
  const kind = s.alert_kind ? ` · ${KIND_TEXT[s.alert_kind]}` : "";
  card.querySelector(".board-level").textContent = `${LEVEL_TEXT[s.level] || s.level}${kind}`;
  card.querySelector(".f-address").textContent = s.address + (s.case_number ? ` (case ${s.case_number})` : "");
  card.querySelector(".f-risk").textContent = s.risk_notes || "None recorded";
  card.querySelector(".f-notes").textContent = s.notes || "None";
  // A closed card never counts "overdue": it says when it ended.
  card.querySelector(".f-end").textContent = s.state === "closed"
    ? `${s.expected_end_local} (closed at ${s.closed_at_local})` : `${s.expected_end_local} (${minutes(s.seconds_remaining)})`;
  show(card.querySelector(".g-panic"), Boolean(s.panic_times));
  card.querySelector(".f-panic").textContent = s.panic_times || "";
  const phone = card.querySelector(".f-phone");
  phone.replaceChildren();
  if (s.worker_phone) {
    const link = document.createElement("a");
    link.href = `tel:${s.worker_phone.replace(/[^0-9+]/g, "")}`;
    link.textContent = s.worker_phone;
    phone.append(link);
  } else {
    phone.textContent = "Not recorded";
  }
  card.querySelector(".f-location").textContent = s.location
    ? `${s.location.lat.toFixed(5)}, ${s.location.lon.toFixed(5)} (±${Math.round(s.location.accuracy_m || 0)} m), ${Math.round(s.location.age_seconds / 60)} min old`
    : "Not shared";
  const taken = s.acknowledged_by ? `${s.acknowledged_by} at ${s.acknowledged_at_local}` : "Nobody yet";
  card.querySelector(".f-ack").textContent = s.outcome ? `${taken}. Resolved: ${s.outcome}` : taken;
  const ack = card.querySelector(".ack-button");
  show(ack, (s.level === "alert" || s.level === "overdue") && !s.acknowledged_by);
  ack.setAttribute("aria-label", `Acknowledge the alert for ${s.worker}`);
  show(card.querySelector(".resolve-form"), s.state !== "closed" && (s.level === "alert" || s.state === "acknowledged"));
}

function newCard(s) {
  const card = $("session-card").content.firstElementChild.cloneNode(true);
  const outcome = card.querySelector(".resolve-outcome");
  const notes = card.querySelector(".resolve-notes");
  outcome.id = `outcome-${s.id}`;
  notes.id = `notes-${s.id}`;
  card.querySelector(".resolve-outcome-label").htmlFor = outcome.id;
  card.querySelector(".resolve-notes-label").htmlFor = notes.id;
  card.querySelector(".ack-button").addEventListener("click", async () => {
    const answer = await api("POST", `/api/safety/sessions/${s.id}/acknowledge`);
    $("action-status").textContent = !answer.ok ? answer.data.message
      : answer.data.acknowledged ? `You have taken the alert for ${s.worker}.`
        : `Already taken by ${answer.data.session.acknowledged_by}.`;
    poll();
  });
  card.querySelector(".resolve-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await api("POST", `/api/safety/sessions/${s.id}/resolve`, { outcome: outcome.value, notes: notes.value });
    $("action-status").textContent = answer.ok ? `Resolved: ${s.worker}.` : answer.data.message;
    poll();
  });
  return card;
}

// Put `cards` into `list` in this order, moving only what is out of place (moving a card would blur a note
// being typed in it).
function place(list, cards) {
  cards.forEach((card, index) => {
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
  });
}

function renderCheckedOut(sessions) {
  const notices = sessions.filter((s) => s.checked_out_after_alert).map((s) => {
    const item = document.createElement("li");
    item.textContent = `${s.worker} checked out at ${s.closed_at_local} after the alert: no action needed unless you know otherwise.`;
    return item;
  });
  $("checked-out-notices").replaceChildren(...notices);
}

function render(feed) {
  const open = [];
  const closed = [];
  for (const s of feed.sessions) {
    const card = document.getElementById(`session-${s.id}`) || newCard(s);
    fill(card, s);  // update in place, so a half-typed resolution note survives the next poll
    (s.state === "closed" ? closed : open).push(card);
  }
  const keep = new Set([...open, ...closed]);
  for (const card of [...$("sessions").children, ...$("closed-sessions").children]) if (!keep.has(card)) card.remove();
  place($("sessions"), open);
  place($("closed-sessions"), closed);
  show($("board-empty"), open.length === 0);
  show($("closed"), closed.length > 0);
  $("closed-summary").textContent = `Closed in the last 12 hours (${closed.length})`;
  renderCheckedOut(feed.sessions);
  activeAlerts = feed.alerts;
  const banner = $("alarm-banner");
  banner.textContent = activeAlerts ? `${activeAlerts} unacknowledged safety alert${activeAlerts > 1 ? "s" : ""}: act now.` : "";
  show(banner, activeAlerts > 0);
  $("board-status").textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
}

async function poll() {
  const answer = await api("GET", "/api/safety/board");
  if (answer.ok) render(answer.data);
  else $("board-status").textContent = answer.offline
    ? "Cannot reach the server: this board is NOT up to date." : answer.data.message;
}

function soundOn(event) {
  const button = event.currentTarget;
  if (audio) {
    audio.close();
    audio = null;
    clearInterval(alarmTimer);
    button.setAttribute("aria-pressed", "false");
    button.textContent = "Turn on alarm sound";
    return;
  }
  audio = new AudioContext();  // browsers allow sound only after a user gesture like this click
  alarmTimer = setInterval(beep, 1500);
  button.setAttribute("aria-pressed", "true");
  button.textContent = "Alarm sound is on (press to turn off)";
}

function boot() {
  $("sound-on").addEventListener("click", soundOn);
  $("push-on").addEventListener("click", () => enablePush($("action-status")));
  $("test-alert").addEventListener("click", async () => {
    const answer = await api("POST", "/api/safety/test-alert");
    $("action-status").textContent = answer.data.message;
  });
  setInterval(poll, POLL_MS);
  poll();
}

boot();
