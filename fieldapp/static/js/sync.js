// sync.js — delivers the sealed outbox and pulls the worker's records, exactly as docs/sync-protocol.md says.
// Triggers: app open and every contact with the server (app.js), a timer while unlocked and online, and a
// Background Sync message from the service worker where the browser has it (never relied on). One sync at a
// time; failures (offline, 5xx, "retry") back off exponentially with jitter; success resets the back-off.
// Items leave the outbox only when the server's result says they are stored.

import { ApiError, OfflineError, SessionExpired, api, currentDeviceId } from "./api.js";
import {
  STATE, outboxEnvelopes, removeConfirmed, replaceWithTombstone, restoreAsDraft, setOutboxState,
} from "./outbox.js";
import {
  getSetting, listDrafts, listRecords, removeRecordRow, saveDraft, saveRecord, saveSnapshot, sealDraftRow, setSetting,
} from "./store.js";
import { isUnlocked } from "./vault.js";
import { noteSent } from "./outbox-labels.js";

export const PUSH_BATCH = 200; // the server's limit per request
const PUSH_BYTES = 32 * 1024 * 1024; // below the server's 48 MiB push limit (SYNC_PUSH_MAX_BYTES)
const PULL_LIMIT = 200;
const TIMER_MS = 60_000;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_MAX_MS = 5 * 60_000;
export const SYNC_TAG = "fieldapp-sync";
const CURSOR = "sync-cursor";
const SCOPE = "sync-scope-hash";
const WINDOW = "sync-window"; // the last pull's window: {since, latest_types} or null (no personal data)
const NOTICES_AFTER = "notices-after";
const STORED = new Set(["applied", "merged"]);
export const REASSIGNED = "Child reassigned — finalize to send or ask your manager.";

let running = null;
let again = false;
let failures = 0;
let notBefore = 0;
let paused = false; // signed out and the worker chose "Not now": wait for them (open, online, "Send now")
let retryTimer = null;
const listeners = new Set();

export const onSync = (listener) => listeners.add(listener);
// What the server held back from this device's pulls (docs/sync-protocol.md "window"), or null: nothing.
export const lastPullWindow = () => getSetting(WINDOW);
const emit = (event) => listeners.forEach((listener) => listener(event));

// Full back-off for the n-th failure in a row, with jitter: between half and all of base·2^(n-1), capped.
export function backoffDelay(failure, random = Math.random) {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failure - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

const retryable = (error) => error instanceof OfflineError || (error instanceof ApiError
  && !(error instanceof SessionExpired) && (error.status >= 500 || error.status === 429 || error.status === 408));

class RetryLater extends Error {}

// Ask for a sync; resolves with its outcome. While one runs, one more is queued to run after it.
export function requestSync(reason = "manual") {
  if (reason !== "timer" && reason !== "retry") paused = false;
  if (running) {
    again = true;
    return running;
  }
  if (!isUnlocked() || !navigator.onLine || !currentDeviceId() || paused) return Promise.resolve(null);
  if ((reason === "timer") && Date.now() < notBefore) return Promise.resolve(null);
  running = runSync(reason).then((outcome) => {
    running = null;
    // A failed sync waits for its back-off; a request that came in meanwhile does not jump it.
    if (again && !outcome?.retryIn) {
      again = false;
      requestSync("again");
    }
    again = false;
    return outcome;
  });
  return running;
}


async function runSync(reason) {
  emit({ type: "start", reason });
  try {
    const pushed = await pushAll();
    const pulled = await pullAll();
    const notices = await fetchNotices();
    if (pushed.retry) throw new RetryLater("The server asked to send some items again later.");
    failures = 0;
    notBefore = 0;
    clearTimeout(retryTimer);
    emit({ type: "done", pushed, pulled, notices });
    return { ok: true, pushed, pulled, notices };
  } catch (error) {
    if (error instanceof SessionExpired) paused = true;
    if (!(retryable(error) || error instanceof RetryLater)) {
      emit({ type: "error", error });
      return { ok: false, error };
    }
    failures += 1;
    const delay = backoffDelay(failures);
    notBefore = Date.now() + delay;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => requestSync("retry"), delay);
    registerBackgroundSync();
    emit({ type: "retry", error, delay });
    return { ok: false, error, retryIn: delay };
  }
}

// ---- push ------------------------------------------------------------------------------------------------

async function pushAll() {
  const tally = { stored: 0, conflict: 0, rejected: 0, drafts: 0, retry: 0, storedIds: [] };
  const entries = await outboxEnvelopes();
  // Items sealed before ops had ids cannot be sent under the contract: keep them, visible, for support.
  const legacy = entries.filter((entry) => !entry.opId);
  if (legacy.length) {
    await setOutboxState(legacy.map((entry) => entry.id), STATE.rejected,
      { reason: "Sealed by an older version without an operation id; it is kept here — ask support to collect it." });
  }
  const sendable = entries.filter((entry) => entry.opId);
  const total = sendable.length;
  let done = 0;
  if (total) emit({ type: "progress", done, total });
  for (const batch of pushBatches(sendable)) {
    const ids = batch.map((entry) => entry.id);
    await setOutboxState(ids, STATE.sending);
    let data;
    try {
      data = await api("/sync/push", { method: "POST",
        body: { ops: batch.map((entry) => ({ op_id: entry.opId, envelope: entry.envelope })) } });
    } catch (error) {
      // Nothing is known to be stored: everything goes again later, with the same op ids.
      await setOutboxState(ids, STATE.waiting);
      throw error;
    }
    const results = new Map((data?.results || []).map((result) => [result.op_id, result]));
    for (const entry of batch) {
      await applyResult(entry, results.get(entry.opId), tally);
      done += 1;
      emit({ type: "progress", done, total });
    }
  }
  return tally;
}

// At most PUSH_BATCH ops and about PUSH_BYTES per request, under the server's push size limit; an item
// bigger than that on its own (a photo at its limit) still goes, alone.
function pushBatches(entries) {
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = JSON.stringify(entry.envelope).length;
    if (batch.length && (batch.length >= PUSH_BATCH || bytes + size > PUSH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

async function applyResult(entry, result, tally) {
  if (!result) {
    await setOutboxState([entry.id], STATE.waiting);
    tally.retry += 1;
  } else if (STORED.has(result.status)) {
    await noteSent(entry); // the worker's sent history (outbox-labels.js)
    await removeConfirmed(entry.id);
    tally.stored += 1;
    tally.storedIds.push(entry.recordId); // older-records.js refreshes an older record the worker amended
  } else if (result.status === "conflict") {
    await replaceWithTombstone(entry, { state: STATE.conflict, reason: result.message
      || "Changed on the server too: both versions are kept for support staff to reconcile." });
    tally.conflict += 1;
  } else if (result.code === "retry") {
    await setOutboxState([entry.id], STATE.waiting);
    tally.retry += 1;
  } else if (result.status === "rejected" && result.body) {
    // The server alone decides which refusals the worker can correct (RETURNED_FOR_CORRECTION in
    // fieldapp/api/push_pipeline.py): only those come back with their body, and only to the author's device.
    const body = result.body;
    const errors = result.errors || [];
    const row = await sealDraftRow({
      kind: "record", recordType: entry.recordType || body.record_type, childId: body.child_id,
      recordId: entry.recordId || body.id, baseRevision: entry.baseRevision ?? 0, body, errors,
      rejectedCode: result.code, rejectedMessage: result.message || "The server could not accept this record.",
    });
    // A photo handed back with its record is saved first: if what follows fails, the sealed item is still there.
    for (const photo of result.attachments || []) {
      await saveDraft({ id: photo.attachment_id, kind: "attachment", ownerDraftId: row.id, ...photo });
    }
    await restoreAsDraft(entry, row, { reason: `Not accepted: ${result.message || result.code}. It is back in your drafts to correct.`, errors });
    tally.drafts += 1;
  } else {
    // unsealable, op_id_reused or anything unknown: the sealed item stays, with its reason, for support.
    await setOutboxState([entry.id], STATE.rejected, { reason: `Not accepted: ${result.message || result.code}.`,
      errors: (result.errors || []).map((error) => ({ path: error.path })) });
    tally.rejected += 1;
  }
}

// ---- pull ------------------------------------------------------------------------------------------------

async function pullAll() {
  let after = (await getSetting(CURSOR)) || 0;
  let known = await getSetting(SCOPE);
  let held = await getSetting(WINDOW);
  const tally = { records: 0, purged: 0, rescoped: false };
  for (let pages = 0; pages < 10_000; pages += 1) {
    // The cursor is the server's to read: a number, or a token in the middle of a first pull ("first.<seq>.<n>").
    const data = await api(`/sync/pull?after=${encodeURIComponent(after)}&limit=${PULL_LIMIT}`);
    const hash = data.scope?.hash ?? null;
    if (hash !== known && (known !== null || String(after) !== "0")) {
      // The worker's scope changed: the cursor goes back first, so an interruption can only cause a re-pull.
      await setSetting(CURSOR, 0);
      tally.purged += await rescope(data.scope.child_ids);
      await setSetting(SCOPE, hash);
      known = hash;
      after = 0;
      tally.rescoped = true;
      continue;
    }
    if (known === null) {
      await setSetting(SCOPE, hash);
      known = hash;
    }
    const sent = data.window ?? null;
    if (String(after) !== "0" && widened(held, sent)) {
      // The server now sends more than this device was sent (the window was switched off or widened): pull again
      // from the start, so the records the narrower window left on the server come too.
      await setSetting(CURSOR, 0);
      await setSetting(WINDOW, sent);
      held = sent;
      after = 0;
      continue;
    }
    if (JSON.stringify(sent) !== JSON.stringify(held)) {
      await setSetting(WINDOW, sent);
      held = sent;
    }
    for (const record of data.records || []) await saveRecord(record);
    tally.records += (data.records || []).length;
    after = data.cursor;
    await setSetting(CURSOR, after);
    if (!data.more) break;
  }
  return tally;
}

// A window that sends more than `before` did: none at all, an earlier month, or the latest of another type.
function widened(before, now) {
  if (!before) return false; // this device was sent everything (or pulled before windows were remembered)
  if (!now) return true;
  return now.since < before.since || (now.latest_types || []).some((type) => !(before.latest_types || []).includes(type));
}

// Refresh the caseload, purge pulled records of children no longer in scope, mark (never delete) their drafts.
async function rescope(childIds) {
  const inScope = new Set(childIds);
  await saveSnapshot("caseload", await api("/caseload"));
  let purged = 0;
  for (const { id, record } of await listRecords()) {
    if (!inScope.has(record.child_id)) {
      await removeRecordRow(id);
      purged += 1;
    }
  }
  for (const entry of await listDrafts()) {
    const childId = entry.ok ? (entry.draft.childId || entry.draft.body?.child_id) : null;
    if (childId && !inScope.has(childId) && !entry.draft.childReassigned) {
      await saveDraft({ ...entry.draft, childReassigned: true, reassignedNote: REASSIGNED });
    }
  }
  return purged;
}

// ---- notices ---------------------------------------------------------------------------------------------

// Unread notices (returns, sign-offs, reconciled conflicts). The stored cursor stays before the first unread one.
async function fetchNotices() {
  const after = (await getSetting(NOTICES_AFTER)) || 0;
  const notices = (await api(`/notifications?after=${after}`)).notifications || [];
  const unread = notices.filter((notice) => !notice.read);
  const next = unread.length ? unread[0].id - 1 : (notices.at(-1)?.id ?? after);
  if (next > after) await setSetting(NOTICES_AFTER, next);
  return unread;
}

export const markNoticesRead = (ids) => api("/notifications/read", { method: "POST", body: { ids } });

// ---- scheduling ------------------------------------------------------------------------------------------

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(SYNC_TAG);
  } catch (error) {
    // Background Sync is a bonus where it exists; the timer and the online event do the work anyway.
  }
}

let started = false;
export function startSync() {
  if (started) return;
  started = true;
  setInterval(() => { if (isUnlocked() && navigator.onLine) requestSync("timer"); }, TIMER_MS);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "RUN_SYNC") requestSync("background");
  });
  window.addEventListener("fieldapp:outbox-changed", () => { outboxChanged(); });
}

// After something new was sealed: try now, and ask for Background Sync in case the app is closed first.
export function outboxChanged() {
  registerBackgroundSync();
  return requestSync("outbox");
}
