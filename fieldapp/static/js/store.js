// store.js — encrypted records in IndexedDB. Each write is AES-GCM with a fresh IV under the vault key;
// ids are random; nothing readable sits in a store name, key or index.

import { STORES, get, getAll, put, remove } from "./idb.js";
import { VaultLocked, decryptJSON, encryptJSON } from "./vault.js";

const contextFor = (store, id) => `fieldapp/${store}/${id}`;

async function writeSealed(store, id, value) {
  const { iv, ct } = await encryptJSON(value, contextFor(store, id));
  await put(store, { id, v: 1, iv, ct });
}

// One record that cannot be decrypted (damaged, or copied from elsewhere) is reported for itself and kept:
// it is never deleted and never stops the others from showing.
async function openRecord(store, row) {
  try {
    return { id: row.id, ok: true, value: await decryptJSON(row, contextFor(store, row.id)) };
  } catch (error) {
    if (error instanceof VaultLocked) throw error;
    return { id: row.id, ok: false, error: "This item could not be decrypted on this device. It has been kept, not deleted." };
  }
}

export async function saveDraft(draft) {
  const id = draft.id || crypto.randomUUID();
  const now = new Date().toISOString();
  const value = { ...draft, id, createdAt: draft.createdAt || now, updatedAt: now };
  await writeSealed(STORES.drafts, id, value);
  return value;
}

// Every draft, newest first; each entry is {id, ok, draft} or {id, ok: false, error}.
export async function listDrafts() {
  const rows = await getAll(STORES.drafts);
  const opened = await Promise.all(rows.map((row) => openRecord(STORES.drafts, row)));
  return opened
    .map(({ value, ...rest }) => (rest.ok ? { ...rest, draft: value } : rest))
    .sort((a, b) => String(b.draft?.updatedAt || "").localeCompare(String(a.draft?.updatedAt || "")));
}

export async function getDraft(id) {
  const row = await get(STORES.drafts, id);
  if (!row) return null;
  const opened = await openRecord(STORES.drafts, row);
  if (!opened.ok) throw new Error(opened.error);
  return opened.value;
}

export const deleteDraft = (id) => remove(STORES.drafts, id);

// An encrypted draft row, not yet written: for callers that must write it in one transaction with something else.
export async function sealDraftRow(draft) {
  const id = draft.id || crypto.randomUUID();
  const now = new Date().toISOString();
  const value = { ...draft, id, createdAt: draft.createdAt || now, updatedAt: now };
  const { iv, ct } = await encryptJSON(value, contextFor(STORES.drafts, id));
  return { id, v: 1, iv, ct };
}

// Snapshots of server data kept for offline use, e.g. "caseload" and "profile".
export const saveSnapshot = (name, value) => writeSealed(STORES.records, name, value);

export async function loadSnapshot(name) {
  const row = await get(STORES.records, name);
  if (!row) return null;
  const opened = await openRecord(STORES.records, row);
  if (!opened.ok) throw new Error(opened.error);
  return opened.value;
}

// Records pulled from the server (docs/sync-protocol.md), encrypted, one row each under a random-id key.
const RECORD_PREFIX = "record:";
export const saveRecord = (record) => writeSealed(STORES.records, RECORD_PREFIX + record.record_id, record);
export const loadRecord = (recordId) => loadSnapshot(RECORD_PREFIX + recordId);

// Every pulled record that opens: [{id, record}] (rows that cannot be decrypted are left alone).
export async function listRecords() {
  const rows = (await getAll(STORES.records)).filter((row) => row.id.startsWith(RECORD_PREFIX));
  const opened = await Promise.all(rows.map((row) => openRecord(STORES.records, row)));
  return opened.filter((entry) => entry.ok).map((entry) => ({ id: entry.id, record: entry.value }));
}

export const removeRecordRow = (id) => remove(STORES.records, id);

// Plain settings: nothing in them is about a child or readable work.
export const getSetting = async (id) => (await get(STORES.meta, id))?.value ?? null;
export const setSetting = (id, value) => put(STORES.meta, { id, value });
export const clearSetting = (id) => remove(STORES.meta, id);
export const getWipeNotice = () => get(STORES.meta, "wipe-notice");

// Ask the browser not to evict our data under storage pressure; report what it answered.
export async function requestPersistence() {
  if (!navigator.storage || !navigator.storage.persist) return { supported: false, persisted: false };
  const persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  return { supported: true, persisted };
}
