// outbox.js — finalized items, sealed to the server's public key (ephemeral ECDH P-256 → HKDF-SHA256 →
// AES-256-GCM). Only the envelope is stored: this device cannot read it back; the server unseals it
// with fieldapp/crypto/sealing.py. Same scheme, constants and envelope as there.

import { STORES, count, get, getAll, put, transact } from "./idb.js";
import { getDraft } from "./store.js";

const CONTEXT = "fieldapp/seal/v1/";
const SEALING_KEY_ID = "sealing-key";
const encoder = new TextEncoder();

export function b64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

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

// Seal `item` and add it to the outbox; if `draftId` is given, that draft goes in the same transaction,
// so the work is neither lost nor left behind in readable form.
// `extraDraftIds`: drafts sealed inside `item` too (e.g. a photo attachment), deleted in the same transaction.
export async function addToOutbox(item, { draftId = null, deviceId = null, extraDraftIds = [] } = {}) {
  const key = await getSealingKey();
  if (!key) throw new Error("The server's sealing key is not on this device yet. Connect once to fetch it.");
  const envelope = await seal(encoder.encode(JSON.stringify(item)), key);
  const entry = { id: crypto.randomUUID(), envelope, deviceId, sealedAt: new Date().toISOString() };
  await transact([STORES.outbox, STORES.drafts], "readwrite", (tx) => {
    tx.objectStore(STORES.outbox).put(entry);
    if (draftId) tx.objectStore(STORES.drafts).delete(draftId);
    for (const id of extraDraftIds) tx.objectStore(STORES.drafts).delete(id);
  });
  return { id: entry.id, kid: envelope.kid, sealedAt: entry.sealedAt };
}

// Finalize a draft: seal its content for the server and remove the readable draft.
export async function finalizeDraft(draftId, { deviceId = null } = {}) {
  const draft = await getDraft(draftId);
  if (!draft) throw new Error("That draft is no longer on this device.");
  return addToOutbox({ ...draft, finalizedAt: new Date().toISOString() }, { draftId, deviceId });
}

// What the outbox holds, without content (the device cannot read it).
export async function listOutbox() {
  const entries = await getAll(STORES.outbox);
  return entries
    .map(({ id, envelope, sealedAt, deviceId }) => ({ id, kid: envelope.kid, sealedAt, deviceId }))
    .sort((a, b) => a.sealedAt.localeCompare(b.sealedAt));
}

// Items not yet delivered to the server (the sync issue removes them once the server confirms receipt).
export const countUnsynced = () => count(STORES.outbox);

// The envelopes themselves, for the sync module to deliver.
export const outboxEnvelopes = () => getAll(STORES.outbox);
