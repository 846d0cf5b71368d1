// older-records.js — a long-open case reaches the device as a window (docs/sync-protocol.md "window"): records about
// the last months, plus the latest map and rating. A child's older records come on request, online, from
// GET /api/sync/history, page by page, and are kept like every pulled record: encrypted in the vault's record store
// (marked fromHistory), so they stay readable offline and open and amend the same way. Offline the button says it
// needs a connection; an error says what failed and leaves what is shown.

import { OfflineError, api } from "./api.js";
import { listRecords, loadRecord, saveRecord } from "./store.js";
import { lastPullWindow, onSync } from "./sync.js";
import { el, notice } from "./ui.js";
import { VaultLocked } from "./vault.js";

const PAGE = 200; // the server's largest history page
const MAX_PAGES = 5_000;
const OFFLINE = "Connect to load older records.";
const redraws = new WeakMap(); // block on the page → redraw of its child's records list

const monthYear = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString("en-GB", { month: "long", year: "numeric" });
export const olderLabel = (window) => `Older records (before ${monthYear(window.since)})`;
const plural = (n) => `${n} older ${n === 1 ? "record" : "records"}`;

// The device's copy of a record, or null; a copy that cannot be decrypted is reported as such (store.js keeps it).
async function heldCopy(recordId) {
  try {
    return { record: await loadRecord(recordId) };
  } catch (error) {
    if (error instanceof VaultLocked) throw error;
    return { damaged: true };
  }
}

// Kept as it comes, page by page (an error part-way keeps what arrived); never over a newer copy on the device, nor
// over one that cannot be decrypted (kept, never replaced, as store.js promises).
async function keep(record) {
  const { record: held, damaged } = await heldCopy(record.record_id);
  if (damaged || (held && (held.revision || 0) > (record.revision || 0))) return;
  await saveRecord({ ...record, fromHistory: true });
}

/** Every page of one child's older records, kept on the device; resolves with how many came. */
export async function fetchOlderRecords(childId, onProgress = () => {}) {
  let offset = 0;
  let received = 0;
  for (let pages = 0; pages < MAX_PAGES; pages += 1) {
    const data = await api(`/sync/history?child_id=${encodeURIComponent(childId)}&offset=${offset}&limit=${PAGE}`);
    const records = data.records || [];
    for (const record of records) await keep(record);
    received += records.length;
    if (!data.more || !records.length) return received;
    onProgress(received);
    offset = data.next_offset;
  }
  return received;
}

const heldFor = async (childId) => (await listRecords())
  .filter(({ record }) => record.child_id === childId && record.fromHistory).length;

// Online: a working button, and the last outcome or what is on the device; offline: it needs a connection.
function paint(block) {
  const button = block.querySelector("button");
  const status = block.querySelector(".older-records-status");
  if (button.getAttribute("aria-busy") === "true") return;
  const held = Number(block.dataset.held || 0);
  let text = block.dataset.message || (held ? `${plural(held)} on this device, kept encrypted.` : "");
  let kind = block.dataset.kind || "info";
  if (navigator.onLine) {
    button.removeAttribute("aria-disabled");
  } else {
    button.setAttribute("aria-disabled", "true");
    text = held ? `${OFFLINE} ${plural(held)} already on this device.` : OFFLINE;
    kind = "info";
  }
  status.className = `${kind === "error" ? "error-message" : "card-meta"} older-records-status`;
  if (status.textContent !== text) status.textContent = text;
}

/** The control under a child's records; `refresh` redraws their list. Null when nothing was held back. */
export async function olderRecordsBlock(child, refresh) {
  const sent = await lastPullWindow();
  if (!sent) return null;
  const label = olderLabel(sent);
  const statusId = `older-records-status-${child.public_id}`;
  const status = el("p", { id: statusId, className: "card-meta older-records-status", role: "status" });
  const button = el("button", { type: "button", className: "secondary", text: label,
    "aria-label": `${label} for ${child.name}`, "aria-describedby": statusId });
  const block = el("div", { className: "older-records", "data-child": child.public_id }, button, status);
  redraws.set(block, refresh);
  block.dataset.held = String(await heldFor(child.public_id));
  const say = (text, kind = "info") => {
    Object.assign(block.dataset, { message: text, kind });
    status.className = `${kind === "error" ? "error-message" : "card-meta"} older-records-status`;
    status.textContent = text;
  };
  button.addEventListener("click", async () => {
    if (!navigator.onLine) {
      paint(block); // says it needs a connection
      return;
    }
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    say("Loading older records…");
    try {
      const received = await fetchOlderRecords(child.public_id, (n) => say(`Loading older records… ${n} so far.`));
      say(received ? `${plural(received)} loaded from the server. They are kept encrypted on this device.`
        : "No older records on the server.");
    } catch (error) {
      const why = error instanceof OfflineError ? "the server could not be reached." : error.message;
      say(`Could not load older records: ${why} The records shown are kept.`, "error");
    } finally {
      button.removeAttribute("aria-busy");
      block.dataset.held = String(await heldFor(child.public_id));
      await refresh();
    }
  });
  paint(block);
  return block;
}

// After a sync stored the worker's change to an older record, fetch that child's older records again: the pull
// does not send records outside the window, so this is how the device gets the server's new version.
async function refreshAmended(recordIds) {
  const children = new Set();
  for (const id of recordIds) {
    const { record } = await heldCopy(id);
    if (record?.fromHistory) children.add(record.child_id);
  }
  for (const childId of children) {
    try {
      await fetchOlderRecords(childId);
      for (const block of document.querySelectorAll(".older-records")) { // a list on show gets the new version
        if (block.dataset.child !== childId) continue;
        block.dataset.held = String(await heldFor(childId));
        await redraws.get(block)?.();
        paint(block);
      }
    } catch (error) {
      notice("older-records", `Could not refresh an older record you changed: ${error.message} Tap “Older records” to try again.`, "error");
    }
  }
}

let started = false;
export function initOlderRecords() {
  if (started) return;
  started = true;
  const repaint = () => document.querySelectorAll(".older-records").forEach(paint);
  window.addEventListener("online", repaint);
  window.addEventListener("offline", repaint);
  onSync((event) => {
    if (event.type !== "done" || !event.pushed.storedIds?.length) return;
    refreshAmended(event.pushed.storedIds)
      .catch((error) => notice("older-records", `Could not refresh older records: ${error.message}`, "error"));
  });
}
