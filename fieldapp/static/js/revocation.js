// revocation.js — revocation without loss (README "Devices and revocation").
// - While unlocked, every unfinished draft (with its photo) is also kept sealed to the server key as a held
//   `unfinished_draft` outbox item, refreshed when drafts are sealed, before a lock, when the app is hidden and
//   after each sync. The device cannot read these copies back; they are not sent while held.
// - On a 410 (revoked), even one that arrives while locked, the held copies are released for delivery in the same
//   transaction that wipes the readable data; the wipe screen says exactly what was kept and what was removed.
// - After each sync the device reports counts only (drafts, undelivered items) for the admin's revoke page, and
//   offers the unfinished drafts a revoked device handed over, for the worker to continue here.

import { api, currentDeviceId } from "./api.js";
import { STORES, getAll, settle, transact, wipeReadable } from "./idb.js";
import { STATE, countUnsynced, getSealingKey, seal } from "./outbox.js";
import { LABELS } from "./record-drafts.js";
import { flushEditor, renderDraftList, renderOutboxList } from "./records-home.js";
import { listDrafts, loadSnapshot, saveDraft } from "./store.js";
import { onSync } from "./sync.js";
import { $, announce, el } from "./ui.js";
import { beforeLock, forgetKey, isUnlocked, onVaultChange } from "./vault.js";

const KIND = "unfinished_draft";
const encoder = new TextEncoder();
let refreshing = Promise.resolve();

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

async function heldEntries() {
  return (await getAll(STORES.outbox)).filter((entry) => entry.state === STATE.held);
}

async function sealedCopy(draft, photos, key, deviceId) {
  const item = { kind: KIND, op_id: crypto.randomUUID(), device_id: deviceId, device_seq: 0, child_id: draft.childId,
    record_id: draft.recordId, record_type: draft.recordType, draft,
    attachments: photos.map(({ attachment_id: id, mime, size, data }) => ({ attachment_id: id, mime, size, data })) };
  const envelope = await seal(encoder.encode(JSON.stringify(item)), key);
  // In clear only random ids, the type and timestamps, as for every outbox entry.
  return { id: `held:${draft.id}`, kind: KIND, envelope, opId: item.op_id, recordId: draft.recordId,
    recordType: draft.recordType, baseRevision: draft.baseRevision || 0, deviceId, sealedAt: new Date().toISOString(),
    state: STATE.held, reason: null, errors: null, heldFor: draft.id, heldAt: draft.updatedAt,
    heldPhotos: photos.map((photo) => photo.id) };
}

async function refreshHeld() {
  if (!isUnlocked()) return;
  const [key, held] = await Promise.all([getSealingKey(), heldEntries()]);
  const deviceId = currentDeviceId();
  if (!key || !deviceId) return; // nothing can be delivered before the device is registered
  const drafts = (await listDrafts()).filter((entry) => entry.ok).map((entry) => entry.draft);
  const photos = drafts.filter((draft) => draft.kind === "attachment");
  const byDraft = new Map(held.map((entry) => [entry.heldFor, entry]));
  const keep = new Set();
  const fresh = [];
  for (const draft of drafts.filter((d) => d.kind === "record")) {
    const mine = photos.filter((photo) => photo.ownerDraftId === draft.id);
    const old = byDraft.get(draft.id);
    const samePhotos = old && JSON.stringify(old.heldPhotos) === JSON.stringify(mine.map((photo) => photo.id));
    if (old && old.heldAt === draft.updatedAt && samePhotos) keep.add(old.id);
    else fresh.push(await sealedCopy(draft, mine, key, deviceId));
  }
  await transact(STORES.outbox, "readwrite", async (tx) => {
    const outbox = tx.objectStore(STORES.outbox);
    for (const entry of await settle(outbox.getAll())) {
      if (entry.state === STATE.held && !keep.has(entry.id)) outbox.delete(entry.id);
    }
    for (const entry of fresh) outbox.put(entry);
  });
}

// Bring the held copies in line with the drafts (one refresh at a time, in order).
export function refreshSealedDrafts() {
  refreshing = refreshing.then(refreshHeld, refreshHeld);
  return refreshing;
}

// What the device has, counted without reading anything (it may be locked).
async function inventory() {
  const [drafts, records, outbox] = await Promise.all([getAll(STORES.drafts), getAll(STORES.records),
    getAll(STORES.outbox)]);
  const held = outbox.filter((entry) => entry.state === STATE.held);
  const covered = new Set(held.flatMap((entry) => [entry.heldFor, ...(entry.heldPhotos || [])]));
  return {
    held,
    finalized: outbox.filter((entry) => entry.envelope && entry.state !== STATE.held).length,
    draftRows: drafts.length,
    notSealed: drafts.filter((row) => !covered.has(row.id)).length,
    pulled: records.filter((row) => row.id.startsWith("record:")).length,
    caseload: records.some((row) => row.id === "caseload"),
  };
}

// The 410 path (api.js → app.js): seal what can still be sealed, release it, then wipe everything readable.
// Several calls may meet a 410 at once: they all wait for the one wipe (a second would miscount what was kept).
let wiping = null;
export function sealDraftsAndWipe(reason = "revoked") {
  wiping ||= sealAndWipe(reason);
  return wiping;
}

async function sealAndWipe(reason) {
  if (isUnlocked()) {
    try {
      await flushEditor();
      await refreshSealedDrafts();
    } catch (error) {
      console.error("fieldapp: sealing drafts before the wipe failed; the last sealed copies are used", error);
    }
  }
  const found = await inventory();
  const notice = { reason, at: new Date().toISOString(), sealed: found.finalized + found.held.length,
    kept: { finalized: found.finalized, unfinished: found.held.length },
    removed: { draftRows: found.draftRows, notSealed: found.notSealed, pulled: found.pulled, caseload: found.caseload } };
  forgetKey(reason);
  await wipeReadable(notice, (outbox) => {
    for (const entry of found.held) outbox.put({ ...entry, state: STATE.waiting });
  });
  return notice;
}

// After a wipe for wrong PINs (vault.js) the drafts are gone, but their sealed copies are as safe to keep as the
// finalized items: they are released for delivery too.
export function releaseSealedDrafts() {
  return transact(STORES.outbox, "readwrite", async (tx) => {
    const outbox = tx.objectStore(STORES.outbox);
    for (const entry of await settle(outbox.getAll())) {
      if (entry.state === STATE.held) outbox.put({ ...entry, state: STATE.waiting });
    }
  });
}

// The wipe screen's exact account (its first lines are ui.showWiped's).
export function showWipeDetail(notice) {
  const list = $("wiped-detail");
  if (!notice?.kept) { list.replaceChildren(); list.hidden = true; return; }
  const { kept, removed } = notice;
  const keptLines = [
    plural(kept.finalized, "finalized record waiting to be delivered", "finalized records waiting to be delivered"),
    `${plural(kept.unfinished, "unfinished draft", "unfinished drafts")} sealed for the server, to continue on your next device`,
  ];
  const removedLines = [
    `${plural(removed.draftRows, "readable draft or photo", "readable drafts and photos")} (the sealed copies above are kept)`,
    removed.notSealed ? `${plural(removed.notSealed, "draft item", "draft items")} that had not been sealed yet: lost` : null,
    `${plural(removed.pulled, "record", "records")} pulled from the server`,
    removed.caseload ? "your caseload" : null,
    "the PIN key and this device's settings",
  ].filter(Boolean);
  list.replaceChildren(
    el("li", {}, el("strong", { text: "Kept, sealed (this device cannot read them): " }),
      el("ul", {}, ...keptLines.map((text) => el("li", { text })))),
    el("li", {}, el("strong", { text: "Removed: " }), el("ul", {}, ...removedLines.map((text) => el("li", { text })))));
  list.hidden = false;
}

// ---- after each sync: the device's report, and drafts handed over by a revoked device -----------------------

async function report() {
  const drafts = (await listDrafts()).filter((entry) => !entry.ok || entry.draft.kind === "record").length;
  await api("/devices/report", { method: "POST", body: { drafts, outbox: await countUnsynced() } });
}

let offered = [];

async function offerHandover() {
  offered = (await api("/drafts/unfinished")).drafts || [];
  const caseload = await loadSnapshot("caseload").catch(() => null);
  const name = (id) => caseload?.children?.find((child) => child.public_id === id)?.name || "a child no longer on your caseload";
  $("handover-list").replaceChildren(...offered.map((item) => el("li", { className: "item", "data-id": item.id },
    el("span", { className: "item-title", text: `${LABELS[item.record_type] || "Record"} for ${name(item.child_id)}` }),
    el("span", { className: "card-meta", text: `Handed over ${new Date(item.received_at).toLocaleString("en-GB")}` }))));
  $("handover").hidden = offered.length === 0;
}

async function takeHandover() {
  const button = $("handover-take");
  button.disabled = true;
  try {
    const { drafts } = await api("/drafts/unfinished/take", { method: "POST", body: { ids: offered.map((item) => item.id) } });
    for (const item of drafts) {
      await saveDraft({ ...item.draft, handedOverFrom: item.id });
      for (const photo of item.attachments || []) {
        await saveDraft({ id: photo.attachment_id, kind: "attachment", ownerDraftId: item.draft.id, ...photo });
      }
    }
    offered = [];
    $("handover").hidden = true;
    await renderDraftList();
    announce(`${plural(drafts.length, "unfinished draft is", "unfinished drafts are")} now in your drafts.`);
  } catch (error) {
    $("handover-error").textContent = `Could not take them: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

function afterSync(event) {
  if (event.type !== "done" || !isUnlocked()) return;
  const warn = (what) => (error) => console.warn(`fieldapp: ${what} failed`, error);
  report().catch(warn("the sync report"));
  offerHandover().catch(warn("asking for handed-over drafts"));
  refreshSealedDrafts().catch(warn("sealing copies of drafts"));
}

export function initRevocation() {
  beforeLock(refreshSealedDrafts); // registered after the editor's own flush, so the last words are in it
  onSync(afterSync);
  $("handover-take").addEventListener("click", () => takeHandover());
  const refreshLater = () => { refreshSealedDrafts().then(renderOutboxList, (error) => console.warn(error)); };
  window.addEventListener("fieldapp:outbox-changed", refreshLater); // a finalized draft's copy goes
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") refreshLater(); });
  onVaultChange((state) => {
    if (state !== "locked") return;
    offered = [];
    $("handover-list").replaceChildren();
    $("handover").hidden = true;
  });
}
