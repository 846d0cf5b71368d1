// amend.js — records already on the server, opened again as drafts (docs/sync-protocol.md "Drafts"). Each child on
// the caseload lists the records pulled for it (and, for a windowed pull, offers its older ones: older-records.js); the
// worker's own can be corrected (awaiting sign-off) or amended (returned or signed off), and a "returned" notice opens
// its record in one tap. The draft carries the pulled revision as its base, so finalizing seals an edit of that
// revision: the server stores the next revision, merges an edit made meanwhile on another device, or holds a clash
// for support staff.

import { initOlderRecords, olderRecordsBlock } from "./older-records.js";
import { LABELS } from "./record-drafts.js";
import { openVisit } from "./records-home.js"; // loads the record editor when first needed
import { listDrafts, listRecords, loadRecord, loadSnapshot, saveDraft } from "./store.js";
import { setNoticeAction } from "./sync-ui.js";
import { addCaseloadAction, announce, el, notice } from "./ui.js";
import { onVaultChange } from "./vault.js";

const STATE_TEXT = { submitted: "Awaiting sign-off", returned: "Returned by your manager", signed_off: "Signed off" };
const dateText = (iso) => (iso ? new Date(`${iso}T12:00:00`).toLocaleDateString("en-GB",
  { day: "numeric", month: "long", year: "numeric" }) : "no date");
const describe = (record) => `${LABELS[record.record_type] || "Record"} of ${dateText(record.occurred_on)}`;

// The signed-in worker's id (from /api/me, kept in the encrypted profile): only their own records are edited here.
async function myId() {
  return (await loadSnapshot("profile").catch(() => null))?.id ?? null;
}

// "Correct" until a manager has looked at it, "Amend" once returned or signed off (the server then stores an
// amendment, which goes back for sign-off); a colleague's record is read-only here.
export function editVerb(record, me) {
  if (me === null || record.author_id !== me) return null;
  return record.review_state === "submitted" ? "Correct" : "Amend";
}

function attachmentIds(body) {
  return Object.values(body || {}).filter((value) => value && typeof value === "object" && value.attachment_id)
    .map((value) => value.attachment_id);
}

// Open the pulled record as a draft based on its revision; a draft already started for it is opened instead.
export async function openRecordAsDraft(recordId) {
  const record = await loadRecord(recordId);
  if (!record) throw new Error("That record is not on this device (yet). Sync, then try again.");
  const existing = (await listDrafts()).find((entry) => entry.ok && entry.draft.kind === "record"
    && entry.draft.recordId === recordId);
  if (existing) {
    await openVisit(existing.draft.groupId || existing.draft.recordId);
    return existing.draft;
  }
  const draft = await saveDraft({
    kind: "record", recordType: record.record_type, childId: record.child_id, recordId,
    baseRevision: record.revision, groupId: recordId, body: structuredClone(record.body),
    amends: { revision: record.revision, reviewState: record.review_state },
    serverAttachmentIds: attachmentIds(record.body), // the photo stays on the server; nothing to send again
  });
  await openVisit(recordId);
  announce(`${describe(record)}, version ${record.revision}, opened as a draft. Finalize to send your changes.`);
  return draft;
}

async function open(recordId) {
  try {
    await openRecordAsDraft(recordId);
  } catch (error) {
    notice("amend", `Could not open the record: ${error.message}`, "error");
  }
}

function recordItem(record, me, childName) {
  const verb = editVerb(record, me);
  const state = STATE_TEXT[record.review_state] || record.review_state;
  const conflict = record.conflict_state && record.conflict_state !== "none" ? ` · conflict (${record.conflict_state})` : "";
  return el("li", { className: "item", "data-record": record.record_id },
    el("span", { className: "item-title", text: describe(record) }),
    el("span", { className: "card-meta", text: `Version ${record.revision} · ${state}${conflict} · ${
      record.author_id === me ? "recorded by you" : "recorded by a colleague"}` }),
    verb ? el("button", { type: "button", className: "secondary", text: verb,
      "aria-label": `${verb} ${describe(record)} for ${childName}`, onClick: () => open(record.record_id) }) : null);
}

// Newest first, by the date each record is about.
async function childRecords(childId) {
  return (await listRecords()).map(({ record }) => record).filter((record) => record.child_id === childId)
    .sort((a, b) => String(b.occurred_on || "").localeCompare(String(a.occurred_on || "")));
}

// Children whose records list is open, so a caseload drawn again keeps it open (ids only, forgotten on lock).
const expandedChildren = new Set();

function recordsToggle(child) {
  const listId = `child-records-${child.public_id}`;
  const list = el("ul", { id: listId, className: "item-list child-records", hidden: "" });
  const older = el("div", { className: "older-records-slot", hidden: "" }); // older-records.js, when windowed
  const render = async () => {
    let records, me;
    try {
      [records, me] = await Promise.all([childRecords(child.public_id), myId()]);
    } catch (error) {
      notice("amend", `Could not show the records: ${error.message}`, "error");
      return;
    }
    list.replaceChildren(...(records.length ? records.map((record) => recordItem(record, me, child.name))
      : [el("li", { className: "empty", text: "No records from the server on this device yet." })]));
  };
  const show = async (expand) => {
    button.setAttribute("aria-expanded", String(expand));
    list.hidden = !expand;
    older.hidden = !expand;
    if (expand) expandedChildren.add(child.public_id); else expandedChildren.delete(child.public_id);
    if (!expand) { list.replaceChildren(); older.replaceChildren(); return; }
    await render();
    try {
      const block = await olderRecordsBlock(child, render);
      older.replaceChildren(...(block ? [block] : []));
    } catch (error) {
      notice("amend", `Could not show the older-records button: ${error.message}`, "error");
    }
  };
  const button = el("button", { type: "button", className: "secondary", "aria-expanded": "false",
    "aria-controls": listId, text: "Records on this device", "aria-label": `Records of ${child.name} on this device`,
    onClick: () => show(button.getAttribute("aria-expanded") !== "true") });
  // The caseload is drawn again after a sync sends something: a list the worker had open stays open.
  if (expandedChildren.has(child.public_id)) show(true);
  return el("div", { className: "child-records-block" }, el("span", { className: "actions" }, button), list, older);
}

async function childName(childId) {
  const caseload = await loadSnapshot("caseload").catch(() => null);
  return caseload?.children?.find((child) => child.public_id === childId)?.name || "a child no longer on your caseload";
}

// "Returned" notices get one button naming the child and the record.
function returnedNoticeAction(item) {
  if (item.kind !== "returned") return null;
  const what = `${LABELS[item.record_type] || "record"}`;
  const button = el("button", { type: "button", className: "secondary", text: `Amend this ${what.toLowerCase()}`,
    "data-amend": item.record_id, onClick: () => open(item.record_id) });
  Promise.all([loadRecord(item.record_id).catch(() => null), childName(item.child_id)]).then(([record, name]) => {
    button.textContent = `Amend ${record ? describe(record) : what} for ${name}`;
  });
  return button;
}

export function initAmend() {
  initOlderRecords();
  onVaultChange((state) => { if (state === "locked") expandedChildren.clear(); });
  addCaseloadAction(recordsToggle);
  setNoticeAction(returnedNoticeAction);
}
