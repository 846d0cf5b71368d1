// sync-ui.js — the "Sending" panel: a real <progress> ("Sending 12 of 40") with an aria-live line, the
// per-item states in the outbox list, notices after a sync (e.g. a visit returned by a manager), and the status
// of the worker's pulled records (returned, in conflict). Decrypted text leaves the page when the app locks.

import { renderDraftList, renderOutboxList } from "./records-home.js";
import { STATE, dismissTombstone, setOutboxState } from "./outbox.js";
import { listRecords } from "./store.js";
import { markNoticesRead, onSync, requestSync } from "./sync.js";
import { $, el } from "./ui.js";
import { onVaultChange } from "./vault.js";

const TYPE_LABELS = { visit: "Visit", seen_alone: "Seen alone", sos_map: "Signs of Safety map",
  safety_rating: "Safety rating", three_houses: "Three houses" };
export const recordLabel = (type) => TYPE_LABELS[type] || "Record";

let shownNotices = [];
let noticeAction = () => null; // (notice) => element or null; amend.js adds "Amend …" to returned records
export function setNoticeAction(render) { noticeAction = render; }

function setStatus(text) {
  $("sync-status").textContent = text;
}

function showProgress(done, total) {
  const bar = $("sync-progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  $("sync-progress-row").hidden = total === 0;
  $("sync-progress-label").textContent = `Sending ${done} of ${total}`;
}

function summary({ pushed, pulled }) {
  const parts = [];
  if (pushed.stored) parts.push(`${pushed.stored} sent`);
  if (pushed.conflict) parts.push(`${pushed.conflict} held as a conflict for support staff`);
  if (pushed.drafts) parts.push(`${pushed.drafts} not accepted and back in your drafts to correct`);
  if (pushed.rejected) parts.push(`${pushed.rejected} not accepted and kept here`);
  if (pulled.purged) parts.push(`${pulled.purged} records of children no longer allocated to you removed`);
  const time = new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return `${parts.length ? `${parts.join(", ")}. ` : ""}Up to date at ${time}.`;
}

function renderNotices(notices) {
  shownNotices = notices;
  $("sync-notices").replaceChildren(...notices.map((notice) => el("li", { className: "item", "data-notice": notice.id },
    el("span", { text: notice.message }), noticeAction(notice))));
  $("sync-notices-read").hidden = notices.length === 0;
  $("sync-notices-title").hidden = notices.length === 0;
}

const inConflict = (record) => Boolean(record.conflict_state) && record.conflict_state !== "none";

// Pulled records needing the worker's attention: returned by a manager, or in conflict.
async function renderRecordStates() {
  const flagged = (await listRecords()).map(({ record }) => record)
    .filter((record) => record.review_state === "returned" || inConflict(record));
  $("sync-records-title").hidden = flagged.length === 0;
  $("sync-records").replaceChildren(...flagged.map((record) => el("li", { className: "item", "data-record": record.record_id },
    el("span", { className: "item-title", text: `${recordLabel(record.record_type)} of ${record.occurred_on || "no date"}` }),
    record.review_state === "returned" ? el("span", { className: "tag tag-risk", text: "Returned by your manager" }) : null,
    inConflict(record) ? el("span", { className: "tag tag-child_protection", text: `Conflict (${record.conflict_state})` }) : null)));
}

async function onEvent(event) {
  if (event.type === "progress") {
    showProgress(event.done, event.total);
    setStatus(`Sending ${event.done} of ${event.total}`);
    await renderOutboxList();
  } else if (event.type === "done") {
    setStatus(summary(event));
    await renderOutboxList();
    await renderDraftList();
    renderNotices(event.notices);
    await renderRecordStates();
    if (event.pulled.rescoped) document.dispatchEvent(new CustomEvent("fieldapp:caseload-changed"));
  } else if (event.type === "retry") {
    await renderOutboxList();
    setStatus(`Could not send just now (${event.error.message}). Nothing is lost: trying again in ${Math.ceil(event.delay / 1000)} s.`);
  } else if (event.type === "error") {
    await renderOutboxList();
    setStatus(`Not synced: ${event.error.message}`);
  }
}

export function initSyncUi() {
  onSync((event) => { onEvent(event).catch((error) => setStatus(`Could not show the sync result: ${error.message}`)); });
  $("sync-now").addEventListener("click", () => {
    if (!navigator.onLine) setStatus("You are offline. Your items are kept and will be sent when you are back online.");
    requestSync("button");
  });
  $("sync-notices-read").addEventListener("click", async () => {
    try {
      await markNoticesRead(shownNotices.map((notice) => notice.id));
      renderNotices([]);
    } catch (error) {
      setStatus(`Could not mark the notices read: ${error.message}`);
    }
  });
  window.addEventListener("fieldapp:outbox-changed", () => { renderOutboxList(); });
  // Buttons in the outbox list (ui.renderOutbox) ask for these by event.
  $("outbox-list").addEventListener("outbox-dismiss", async (event) => {
    await dismissTombstone(event.detail.id);
    await renderOutboxList();
  });
  $("outbox-list").addEventListener("outbox-retry", async (event) => {
    await setOutboxState([event.detail.id], STATE.waiting);
    await renderOutboxList();
    requestSync("button");
  });
  onVaultChange((state) => {
    if (state !== "locked") return;
    renderNotices([]);
    $("sync-records").replaceChildren();
    $("sync-records-title").hidden = true;
  });
}
