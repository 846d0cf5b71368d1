// outbox.js — finalized items, sealed to the server's public key (ephemeral ECDH P-256 → HKDF-SHA256 →
// AES-256-GCM). Only the envelope is stored: this device cannot read it back; the server unseals it
// with fieldapp/crypto/sealing.py. Same scheme, constants and envelope as there.

import { currentDeviceId } from "./api.js";
import { b64url, b64urlDecode } from "./base64url.js";
import { STORES, get, getAll, put, remove, settle, transact } from "./idb.js";

const CONTEXT = "fieldapp/seal/v1/";
const SEALING_KEY_ID = "sealing-key";
const encoder = new TextEncoder();

// The server's current public key ({kid, public_key}) as last fetched; public, so kept in plain settings.
export async function getSealingKey() {
  return (await get(STORES.meta, SEALING_KEY_ID))?.value ?? null;
}

export const setSealingKey = ({ kid, public_key: publicKey, alg }) =>
  put(STORES.meta, { id: SEALING_KEY_ID, value: { kid, public_key: publicKey, alg } });

export async function seal(bytes, { kid, public_key: publicKey }) {
  const subtle = crypto.subtle;
  const recipient = await subtle.importKey("raw", b64urlDecode(publicKey), { name: "ECDH", namedCurve: "P-256" },
    false, []);
  const ephemeral = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const epk = new Uint8Array(await subtle.exportKey("raw", ephemeral.publicKey));
  const shared = await subtle.deriveBits({ name: "ECDH", public: recipient }, ephemeral.privateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const context = encoder.encode(CONTEXT + kid);
  const key = await subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: epk, info: context }, ikm,
    { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: context }, key, bytes);
  return { v: 1, kid, epk: b64url(epk), iv: b64url(iv), ct: b64url(ct) };
}

// A sealed outbox entry keeps in clear only random ids and state (docs/sync-protocol.md):
// {id, envelope, opId, recordId, recordType, baseRevision, sealedAt, state, reason, errors}.
// state: waiting → sending → (removed once the server says stored) | rejected (kept, with its reason).
// Tombstones (no envelope): {state: "conflict"|"returned-as-draft", recordId, reason, draftId?} — content-free.
// held: a sealed copy of an unfinished draft, kept for revocation (revocation.js); released to waiting only then.
export const STATE = Object.freeze({
  waiting: "waiting", sending: "sending", rejected: "rejected", conflict: "conflict", draft: "returned-as-draft",
  held: "held",
});
const notHeld = (entry) => entry.state !== STATE.held;
const SEQ_ID = "device-seq";

// The next per-device sequence number, read and written in one transaction.
export function nextDeviceSeq() {
  return transact(STORES.meta, "readwrite", async (tx) => {
    const meta = tx.objectStore(STORES.meta);
    const next = ((await settle(meta.get(SEQ_ID)))?.value || 0) + 1;
    await settle(meta.put({ id: SEQ_ID, value: next }));
    return next;
  });
}

// Seal `item` and add it to the outbox; if `draftId` is given, that draft goes in the same transaction,
// so the work is neither lost nor left behind in readable form. A record op (docs/sync-protocol.md) gets its
// op_id, device_id and device_seq here unless the caller set them; the op id never changes afterwards.
// `extraDraftIds`: drafts sealed inside `item` too (e.g. a photo attachment), deleted in the same transaction.
// `label`: the worker's encrypted label for the item (outbox-labels.js), kept beside the envelope.
export async function addToOutbox(item, { draftId = null, deviceId = null, extraDraftIds = [], label = null } = {}) {
  const key = await getSealingKey();
  if (!key) throw new Error("The server's sealing key is not on this device yet. Connect once to fetch it.");
  const op = {
    ...item,
    op_id: item.op_id || crypto.randomUUID(),
    device_id: item.device_id || deviceId || currentDeviceId(),
    device_seq: item.device_seq ?? await nextDeviceSeq(),
  };
  const envelope = await seal(encoder.encode(JSON.stringify(op)), key);
  const entry = {
    id: crypto.randomUUID(), envelope, opId: op.op_id, recordId: op.record_id ?? null,
    recordType: op.record_type ?? null, baseRevision: op.base_revision ?? 0, deviceId: op.device_id,
    sealedAt: new Date().toISOString(), state: STATE.waiting, reason: null, errors: null,
    ...(label ? { label } : {}),
  };
  await transact([STORES.outbox, STORES.drafts], "readwrite", async (tx) => {
    const outbox = tx.objectStore(STORES.outbox);
    outbox.put(entry);
    for (const id of extraDraftIds) tx.objectStore(STORES.drafts).delete(id);
    if (draftId) {
      tx.objectStore(STORES.drafts).delete(draftId);
      // A draft that came back rejected and is now sent again: its notice has done its job.
      for (const old of await settle(outbox.getAll())) if (old.draftId === draftId) outbox.delete(old.id);
    }
  });
  // Whoever sealed it, sync.js hears of it (and tries to send it now).
  globalThis.dispatchEvent?.(new CustomEvent("fieldapp:outbox-changed"));
  return { id: entry.id, opId: entry.opId, kid: envelope.kid, sealedAt: entry.sealedAt };
}

// What the outbox holds, without content (the device cannot read it): sealed items and tombstones.
export async function listOutbox() {
  const entries = (await getAll(STORES.outbox)).filter(notHeld);
  return entries
    .map(({ envelope, ...rest }) => ({ ...rest, kid: envelope?.kid ?? null, sealed: Boolean(envelope),
      state: rest.state || STATE.waiting }))
    .sort((a, b) => a.sealedAt.localeCompare(b.sealedAt));
}

// Items not yet delivered to the server: every entry still holding an envelope (tombstones are not counted).
export async function countUnsynced() {
  return (await getAll(STORES.outbox)).filter((entry) => entry.envelope && notHeld(entry)).length;
}

// The sealed entries the sync module may send: waiting, or left "sending" by an interrupted sync.
export async function outboxEnvelopes() {
  return (await getAll(STORES.outbox))
    .filter((entry) => entry.envelope && entry.state !== STATE.rejected && notHeld(entry))
    .sort((a, b) => a.sealedAt.localeCompare(b.sealedAt));
}

// Set the state of some entries (sending / back to waiting), in one transaction.
export function setOutboxState(ids, state, { reason = null, errors = null } = {}) {
  return transact(STORES.outbox, "readwrite", async (tx) => {
    const outbox = tx.objectStore(STORES.outbox);
    for (const id of ids) {
      const entry = await settle(outbox.get(id));
      if (entry) outbox.put({ ...entry, state, reason, errors });
    }
  });
}

// The server said stored: the sealed item goes. Only ever called with the server's result in hand.
export const removeConfirmed = (id) => remove(STORES.outbox, id);

// Stored as a conflict: drop the sealed item, keep a content-free tombstone so the worker sees it.
export function replaceWithTombstone(entry, { state, reason, draftId = null, errors = null }) {
  const tombstone = { id: entry.id, opId: entry.opId, recordId: entry.recordId, recordType: entry.recordType,
    sealedAt: entry.sealedAt, state, reason, errors, draftId };
  return put(STORES.outbox, tombstone);
}

// Rejected with the body: in ONE transaction the encrypted draft row is written, and the sealed item becomes a
// tombstone pointing at it. `draftRow` is already encrypted (store.js sealDraftRow).
export function restoreAsDraft(entry, draftRow, { reason, errors }) {
  return transact([STORES.outbox, STORES.drafts], "readwrite", (tx) => {
    tx.objectStore(STORES.drafts).put(draftRow);
    tx.objectStore(STORES.outbox).put({ id: entry.id, opId: entry.opId, recordId: entry.recordId,
      recordType: entry.recordType, sealedAt: entry.sealedAt, state: STATE.draft, reason,
      errors: (errors || []).map((error) => ({ path: error.path })), draftId: draftRow.id });
  });
}

// The worker dismisses a tombstone (conflict or returned draft notice). Sealed items cannot be dismissed.
export async function dismissTombstone(id) {
  const entry = await get(STORES.outbox, id);
  if (entry && !entry.envelope) await remove(STORES.outbox, id);
}
