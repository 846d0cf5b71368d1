// outbox-labels.js — what each sealed item is, for the worker: child and record type. The envelope itself is
// sealed to the server and unreadable here, so a label is kept next to it, encrypted under the vault key (bound
// to the op id), readable only while unlocked. Items the server has stored go to a short sent history, encrypted
// in the vault too, kept for SENT_DAYS days.

import { LABELS, ORDER } from "./record-drafts.js";
import { loadSnapshot, saveSnapshot } from "./store.js";
import { decryptJSON, encryptJSON, isUnlocked } from "./vault.js";

export const SENT_DAYS = 7;
const HISTORY = "sent-history"; // records store, encrypted
const context = (opId) => `fieldapp/outbox-label/${opId}`;

// The encrypted label for a record op about to be sealed.
export async function sealLabel(opId, { childId, recordType }) {
  const caseload = await loadSnapshot("caseload").catch(() => null);
  const child = caseload?.children?.find((c) => c.public_id === childId);
  return encryptJSON({ childId, childName: child?.name || null, recordType }, context(opId));
}

export async function openLabel(entry) {
  if (!entry.label || !entry.opId || !isUnlocked()) return null;
  try {
    return await decryptJSON(entry.label, context(entry.opId));
  } catch (error) {
    return null; // an item sealed by an older version, or a damaged label: the item itself is unaffected
  }
}

const describe = (label) => `${label.childName || "Child no longer on your caseload"} · ${LABELS[label.recordType] || "Record"}`;

// Outbox items with a readable title where the label opens, ordered by child, then record type, then time.
export async function withLabels(items) {
  const labelled = await Promise.all(items.map(async (item) => {
    const label = await openLabel(item);
    return label ? { ...item, title: describe(label), sortKey: `${label.childName || "~"}\u0000${ORDER.indexOf(label.recordType)}` } : item;
  }));
  return labelled.sort((a, b) => String(a.sortKey || "~").localeCompare(String(b.sortKey || "~"))
    || a.sealedAt.localeCompare(b.sealedAt));
}

// The server stored this item: remember it (child, type, when) for the sent history. Never blocks the sync.
export async function noteSent(entry) {
  try {
    const label = await openLabel(entry);
    const history = await sentHistory();
    history.push({ title: label ? describe(label) : `Item ${entry.id.slice(0, 8)}`, sentAt: new Date().toISOString() });
    await saveSnapshot(HISTORY, history);
  } catch (error) {
    console.warn("fieldapp: sent history not updated", error);
  }
}

// What was sent in the last SENT_DAYS days, newest first.
export async function sentHistory() {
  const since = new Date(Date.now() - SENT_DAYS * 86_400_000).toISOString();
  const history = (await loadSnapshot(HISTORY).catch(() => null)) || [];
  return history.filter((item) => item.sentAt >= since).sort((a, b) => b.sentAt.localeCompare(a.sentAt));
}
