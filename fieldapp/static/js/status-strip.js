// status-strip.js — the strip always visible under the top bar: saved on this device (autosave), N waiting to
// send (the sealed outbox), last sent at (sync). No personal data: counts and times only, so it stays up when
// the app is locked. Also the sent history list on the home screen (titles readable only while unlocked).

import { sentHistory } from "./outbox-labels.js";
import { getSetting, setSetting } from "./store.js";
import { onSync } from "./sync.js";
import { $, el } from "./ui.js";
import { onVaultChange } from "./vault.js";

const LAST_SENT = "last-sent-at"; // meta, plain: a time, nothing about a child
const time = (date) => date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const when = (date) => date.toLocaleString("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

export function showWaiting(count) {
  $("strip-waiting").textContent = count ? `${count} waiting to send` : "Nothing waiting to send";
  $("strip-waiting").dataset.state = count ? "some" : "none";
}

function showSent(iso) {
  $("strip-sent").textContent = iso ? `Last sent ${when(new Date(iso))}` : "Nothing sent yet from this device";
}

function showSaved({ state, at }) {
  const node = $("strip-saved");
  node.dataset.state = state;
  if (state === "saved") node.textContent = `Saved on this device ${time(at)}`;
  else if (state === "error") node.textContent = "Not saved yet — keep this page open";
  else node.textContent = "Saving on this device…";
}

export async function renderSentList() {
  const items = await sentHistory();
  $("sent-list").replaceChildren(...(items.length ? items.map((item) => el("li", { className: "item" },
    el("span", { className: "item-title", text: item.title }),
    el("span", { className: "card-meta", text: `Sent ${when(new Date(item.sentAt))}` })))
    : [el("li", { className: "empty", text: "Nothing sent in the last days." })]));
}

export async function initStatusStrip() {
  document.addEventListener("fieldapp:autosave", (event) => showSaved(event.detail));
  onSync(async (event) => {
    if (event.type !== "done" || !event.pushed.stored) return;
    const now = new Date().toISOString();
    await setSetting(LAST_SENT, now);
    showSent(now);
    await renderSentList();
  });
  onVaultChange((state) => { if (state === "locked") $("sent-list").replaceChildren(); });
  showSent(await getSetting(LAST_SENT));
}
