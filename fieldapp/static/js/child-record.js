// child-record.js — what the child's own mode keeps: the mode flag (random ids only, readable before unlock so a
// reload comes back to the PIN prompt in child mode), the child's work in progress (encrypted, like any snapshot),
// and, when the worker takes the tablet back, the child's words and drawing written into the visit's drafts.

import { STORES, get, put, remove } from "./idb.js";
import { addToVisit, groupDrafts, saveAttachment } from "./record-drafts.js";
import { deleteDraft, loadSnapshot, removeRecordRow, saveDraft, saveSnapshot } from "./store.js";

const FLAG = "child-mode"; // meta: {groupId, childId, since}; no personal data (ids are random)
const WORK = "child-work"; // records store, sealed under the vault key
export const HOUSES = ["worries", "good_things", "dreams"];
export const emptyWork = () => ({ worries: "", good_things: "", dreams: "", for_worker: "", drawing: null,
  read_back: false });

export const readFlag = async () => (await get(STORES.meta, FLAG))?.value || null;
export const writeFlag = (value) => put(STORES.meta, { id: FLAG, value });

export const saveWork = (work) => saveSnapshot(WORK, work);
export async function loadWork() {
  return { ...emptyWork(), ...((await loadSnapshot(WORK).catch(() => null)) || {}) };
}

export async function endChildMode() {
  await removeRecordRow(WORK);
  await remove(STORES.meta, FLAG);
}

const said = (text) => typeof text === "string" && text.trim() !== "";
// The child's words kept exactly as typed; after words already there, they follow on a new paragraph.
const joined = (before, words) => (said(before) ? `${before}\n\n${words}` : words);

// Decoded here, not fetched: the page's CSP allows no data: connections.
function pngOf(dataUrl) {
  const bytes = Uint8Array.from(atob(dataUrl.split(",", 2)[1]), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], { type: "image/png" });
  return { blob, meta: { attachment_id: crypto.randomUUID(), mime: "image/png", size: blob.size } };
}

async function writeHouses({ groupId, childId }, work, group) {
  const draft = group.find((d) => d.recordType === "three_houses")
    || await addToVisit(groupId, childId, "three_houses", group);
  const body = { ...draft.body };
  const workerWords = HOUSES.some((house) => said(body[house])) && body.written_by !== "child";
  for (const house of HOUSES) if (said(work[house])) body[house] = joined(body[house], work[house]);
  // The record says whose words these are: the child's own, or the child's added to the worker's.
  body.written_by = workerWords ? "child_and_worker" : "child";
  delete body.written_by_detail;
  if (work.read_back) body.read_back = true;
  if (work.drawing) {
    const { blob, meta } = pngOf(work.drawing);
    // The same path as a photo of a paper drawing: an encrypted attachment draft sealed with its record.
    await saveAttachment(blob, meta, draft.id);
    if (body.drawing?.attachment_id) await deleteDraft(body.drawing.attachment_id);
    body.drawing = meta;
  }
  await saveDraft({ ...draft, body });
}

async function writeForWorker({ groupId, childId }, work, group) {
  let draft = group.find((d) => d.recordType === "seen_alone");
  if (!draft) {
    draft = await addToVisit(groupId, childId, "seen_alone", group);
    const visit = group.find((d) => d.recordType === "visit");
    if (visit) await saveDraft({ ...visit, body: { ...visit.body, seen_alone_record_id: draft.recordId } });
  }
  const body = { ...draft.body, wishes_and_feelings: joined(draft.body.wishes_and_feelings, work.for_worker) };
  body.how_captured = [...new Set([...(body.how_captured || []), "child_wrote"])];
  await saveDraft({ ...draft, body });
}

// Into the visit's drafts: Three Houses (worries, good things, dreams, drawing) and "what I want my worker to
// know" as the seen-alone record's wishes and feelings, captured as "the child wrote it".
export async function commitWork(flag, work) {
  const group = await groupDrafts(flag.groupId);
  if (HOUSES.some((house) => said(work[house])) || work.drawing) await writeHouses(flag, work, group);
  if (said(work.for_worker)) await writeForWorker(flag, work, group);
}
