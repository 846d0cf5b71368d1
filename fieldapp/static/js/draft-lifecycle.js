// draft-lifecycle.js — drafts that should go, and drafts that have waited too long. Discarding a visit, or
// removing a record added to a visit, asks first (saying what will be lost), then hides the draft and offers
// Undo for UNDO_MS. The draft stays in the vault, only flagged `removedAt`, until the undo has expired; only
// then is it deleted (also after a reload: purgeRemoved). Drafts not changed for the configured number of days
// are listed for the worker's attention — never deleted by the app.

import { LABELS } from "./record-drafts.js";
import { deleteDraft, getDraft, getSetting, listDrafts, saveDraft, setSetting } from "./store.js";
import { $, announce, el } from "./ui.js";
import { onVaultChange } from "./vault.js";

export const UNDO_MS = 10_000;
const STALE_SETTING = "stale-draft-days"; // meta, plain: a number from the server's settings
const NOT_WORDS = new Set(["id", "child_id", "record_type", "schema_version", "visit_id", "seen_alone_record_id",
  "sos_map_id", "attachment_id", "mime"]);
const undos = new Map(); // key → {message, undo, expire, timer, until}

// ---- what would be lost --------------------------------------------------------------------------------

function tally(value, key = "", out = { answers: 0, characters: 0 }) {
  if (NOT_WORDS.has(key) || value === undefined || value === null) return out;
  if (Array.isArray(value)) value.forEach((item) => tally(item, "", out));
  else if (typeof value === "object") Object.entries(value).forEach(([k, v]) => tally(v, k, out));
  else {
    out.answers += 1;
    if (typeof value === "string" && !/^\d{4}-\d{2}-\d{2}$|^\d{2}:\d{2}$/.test(value)) out.characters += value.length;
  }
  return out;
}

export function describeLoss(drafts) {
  return drafts.map((draft) => {
    const { answers, characters } = tally(draft.body);
    const photo = draft.body?.drawing?.attachment_id ? ", and the photo of the drawing" : "";
    return `${LABELS[draft.recordType] || "Record"}: ${answers} ${answers === 1 ? "answer" : "answers"}, ${characters} characters written${photo}`;
  });
}

// ---- confirm, then undo --------------------------------------------------------------------------------

export function confirmLoss({ title, lost, action }) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(el("p", { text: "This will be removed from this device:" }),
    el("ul", {}, ...lost.map((line) => el("li", { text: line }))),
    el("p", { text: `You can undo for ${UNDO_MS / 1000} seconds afterwards.` }));
  $("confirm-yes").textContent = action;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      $("confirm-body").replaceChildren(); // it names the child
      resolve(dialog.returnValue === "yes");
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("confirm-no").focus(); // the safe choice first
  });
}

function showLatestUndo() {
  const latest = [...undos.values()].at(-1);
  $("undo-bar").hidden = !latest;
  $("undo-message").textContent = latest ? latest.message : "";
}

// Offer Undo until `until`; `expire` runs once it can no longer be undone.
export function offerUndo(key, { message, undo, expire, until = Date.now() + UNDO_MS }) {
  const entry = { message, undo, expire, until };
  entry.timer = setTimeout(() => finish(key, false), Math.max(0, until - Date.now()));
  undos.set(key, entry);
  showLatestUndo();
  announce(`${message} Undo is available for ${Math.round((until - Date.now()) / 1000)} seconds.`);
}

async function finish(key, undone) {
  const entry = undos.get(key);
  if (!entry) return;
  clearTimeout(entry.timer);
  undos.delete(key);
  showLatestUndo();
  try {
    await (undone ? entry.undo() : entry.expire());
  } catch (error) {
    announce(`${undone ? "Could not undo" : "Could not finish removing"}: ${error.message}`);
  }
}

// ---- the drafts themselves -----------------------------------------------------------------------------

const attachmentsOf = (drafts) => drafts.map((d) => d.body?.drawing?.attachment_id).filter(Boolean);

// Flag (not delete) the drafts; returns what `expire` must delete for good (by id: it needs no key, so an undo
// that expires while the app is locked still finishes).
async function markRemoved(drafts) {
  const at = new Date().toISOString();
  for (const draft of drafts) await saveDraft({ ...draft, removedAt: at });
  const ids = [...drafts.map((d) => d.id), ...attachmentsOf(drafts)];
  return async () => { for (const id of ids) await deleteDraft(id); };
}

async function unmark(ids) {
  const restored = [];
  for (const id of ids) {
    const draft = await getDraft(id);
    if (!draft) continue;
    delete draft.removedAt;
    restored.push(await saveDraft(draft));
  }
  return restored;
}

// Home: discard a whole visit (all its records). `refresh` redraws the drafts list.
export async function discardVisit(group, { name, refresh }) {
  const visit = group.drafts.find((d) => d.recordType === "visit")?.body;
  const title = `Discard the visit to ${name}${visit?.visit_date ? ` on ${visit.visit_date}` : ""}?`;
  if (!await confirmLoss({ title, lost: describeLoss(group.drafts), action: "Discard visit" })) return false;
  const expire = await markRemoved(group.drafts);
  await refresh();
  offerUndo(group.id, { message: `Visit to ${name} discarded.`, expire,
    undo: async () => { await unmark(group.drafts.map((d) => d.id)); await refresh(); announce("Visit restored."); } });
  return true;
}

// Editor: remove one record from the visit. `detach()` takes it out of the editor, `reattach(draft)` puts it back.
export async function removeFromVisit(draft, { detach, reattach }) {
  const label = LABELS[draft.recordType];
  if (!await confirmLoss({ title: `Remove ${label} from this visit?`, lost: describeLoss([draft]), action: `Remove ${label}` })) {
    return false;
  }
  detach(); // first, so the editor writes nothing more to it
  const expire = await markRemoved([draft]);
  offerUndo(draft.id, { message: `${label} removed from this visit.`, expire,
    undo: async () => { const [restored] = await unmark([draft.id]); if (restored) reattach(restored); announce(`${label} restored.`); } });
  return true;
}

// After unlock: removals whose undo expired (the app was closed meanwhile) are finished; the others offer Undo
// again for the time they have left.
export async function purgeRemoved(refresh) {
  const removed = (await listDrafts()).filter((e) => e.ok && e.draft.removedAt).map((e) => e.draft);
  for (const draft of removed) {
    if (undos.has(draft.id) || undos.has(draft.groupId)) continue;
    const until = Date.parse(draft.removedAt) + UNDO_MS;
    const expire = async () => { for (const id of [draft.id, ...attachmentsOf([draft])]) await deleteDraft(id); };
    if (until <= Date.now()) await expire();
    else {
      offerUndo(draft.id, { message: `${LABELS[draft.recordType]} removed.`, expire, until,
        undo: async () => { await unmark([draft.id]); await refresh(); } });
    }
  }
  showLatestUndo();
}

// ---- drafts waiting too long ---------------------------------------------------------------------------

export const rememberDraftSettings = (me) => (me?.drafts ? setSetting(STALE_SETTING, me.drafts.stale_after_days) : null);

export async function renderStale(groups, nameOf) {
  const days = (await getSetting(STALE_SETTING)) ?? 14;
  const before = new Date(Date.now() - days * 86_400_000).toISOString();
  const stale = groups.filter((group) => group.updatedAt < before);
  $("stale-title").hidden = $("stale-hint").hidden = stale.length === 0;
  $("stale-hint").textContent = `Not changed for more than ${days} days. Finalize them, or discard those no longer needed: the app never deletes them by itself.`;
  $("stale-list").replaceChildren(...stale.map((group) => el("li", { className: "item", "data-id": group.id },
    el("span", { className: "item-title", text: `Visit: ${nameOf(group)}` }),
    el("span", { className: "card-meta", text: `Last changed ${new Date(group.updatedAt).toLocaleDateString("en-GB",
      { day: "numeric", month: "short", year: "numeric" })}` }))));
}

export function initDraftLifecycle() {
  $("undo-button").addEventListener("click", () => {
    const key = [...undos.keys()].at(-1);
    if (key) finish(key, true);
  });
  onVaultChange((state) => {
    if (state !== "locked") return;
    $("undo-bar").hidden = true; // its message names the child; the timers go on and expire as planned
    $("undo-message").textContent = "";
    if ($("confirm-dialog").open) $("confirm-dialog").close("no");
  });
}

export const undoPending = () => undos.size > 0;
