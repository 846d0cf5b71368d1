// record-drafts.js — record drafts on the device (docs/sync-protocol.md "Drafts"): definitions cached for
// offline forms, linked drafts for a visit, photos kept as encrypted attachment drafts, and sealing a whole
// visit's records into the outbox, one item per record.

import { api, currentDeviceId } from "./api.js";
import { STORES, get, put } from "./idb.js";
import { addToOutbox, getSealingKey } from "./outbox.js";
import { carriedMapAnswers, latestPulled, sameRaters } from "./carry-forward.js";
import { sealLabel } from "./outbox-labels.js";
import { getDraft, listDrafts, saveDraft } from "./store.js";

const DEFINITIONS = "record-types"; // meta: the record definitions (no personal data)
const DEVICE_SEQ = "device-seq"; // meta: last device_seq handed out
export const LABELS = { visit: "Visit", seen_alone: "Seen alone", sos_map: "Signs of Safety map",
  safety_rating: "Safety-scale ratings", three_houses: "Three Houses" };
export const ORDER = ["visit", "seen_alone", "sos_map", "safety_rating", "three_houses"];

export async function cacheDefinitions() {
  const { record_types: types } = await api("/record-types");
  await put(STORES.meta, { id: DEFINITIONS, value: types });
}

export async function definitions() {
  const cached = (await get(STORES.meta, DEFINITIONS))?.value;
  if (!cached) throw new Error("The record forms are not on this device yet. Connect once to fetch them.");
  return Object.fromEntries((Array.isArray(cached) ? cached : Object.values(cached)).map((d) => [d.type, d]));
}

const today = () => new Date().toLocaleDateString("en-CA"); // YYYY-MM-DD in the device's time zone
const DATE_FIELD = { visit: "visit_date", sos_map: "mapped_on", safety_rating: "rated_on", three_houses: "completed_on" };

function newDraft(definition, childId, groupId, extra = {}) {
  const recordId = crypto.randomUUID();
  const body = { record_type: definition.type, schema_version: definition.schema_version, id: recordId,
    child_id: childId, ...extra };
  if (DATE_FIELD[definition.type]) body[DATE_FIELD[definition.type]] = today();
  return { id: crypto.randomUUID(), kind: "record", recordType: definition.type, childId, recordId,
    baseRevision: 0, groupId, body };
}

// The statutory visit type that goes with a child's legal status (pre-selected; the worker can change it).
export const VISIT_TYPE_FOR = { looked_after: "looked_after_reg28", child_protection: "child_protection_plan",
  child_in_need: "child_in_need", private_fostering: "private_fostering" };

// A visit, with the visit type of the child's legal status; for a statutory visit also its seen-alone record,
// ids generated here and linked both ways. Other visits can add a seen-alone record in the editor.
export async function startVisit(childId, legalStatus = null) {
  const defs = await definitions();
  const visitId = crypto.randomUUID();
  const visitType = VISIT_TYPE_FOR[legalStatus];
  const visit = newDraft(defs.visit, childId, visitId, { planned_date: today(), ...(visitType ? { visit_type: visitType } : {}) });
  visit.recordId = visit.body.id = visitId;
  if (visitType) {
    const alone = newDraft(defs.seen_alone, childId, visitId, { visit_id: visitId });
    alone.recordId = alone.body.id = visit.body.seen_alone_record_id = crypto.randomUUID();
    await saveDraft(alone);
  }
  await saveDraft(visit);
  return visitId;
}

// Another record for the same child and visit (a map, ratings, Three Houses). Ratings answer the map of this
// visit, else the latest map on the server (`latestMapId`, from the caseload). A map continues the latest map on
// this device and ratings start with the same people (carry-forward.js).
export async function addToVisit(groupId, childId, recordType, group, latestMapId = null) {
  const defs = await definitions();
  const extra = {};
  const mapId = group.find((d) => d.recordType === "sos_map")?.recordId || latestMapId;
  if (recordType === "safety_rating" && mapId) extra.sos_map_id = mapId;
  if (recordType === "seen_alone") extra.visit_id = groupId; // a visit's group id is the visit's record id
  // Carried forward from the latest pulled record of the child (carry-forward.js); marked until confirmed.
  const previous = recordType === "sos_map" || recordType === "safety_rating" ? await latestPulled(childId, recordType) : null;
  if (previous && recordType === "sos_map") Object.assign(extra, carriedMapAnswers(previous));
  if (previous?.record.body.ratings?.length && recordType === "safety_rating") extra.ratings = sameRaters(previous);
  return saveDraft(newDraft(defs[recordType], childId, groupId, extra));
}

// Record drafts grouped by visit; groups with a rejected record first, then newest first.
export async function draftGroups() {
  const groups = new Map();
  const broken = [];
  for (const entry of await listDrafts()) {
    if (!entry.ok) { broken.push(entry); continue; }
    const draft = entry.draft;
    if (draft.kind !== "record") continue; // attachments travel with their record
    if (draft.removedAt) continue; // discarded or removed, still undoable (draft-lifecycle.js)
    const key = draft.groupId || draft.recordId;
    if (!groups.has(key)) groups.set(key, { id: key, childId: draft.childId, drafts: [], updatedAt: "" });
    const group = groups.get(key);
    group.drafts.push(draft);
    if (draft.updatedAt > group.updatedAt) group.updatedAt = draft.updatedAt;
  }
  const list = [...groups.values()];
  for (const group of list) {
    group.drafts.sort((a, b) => ORDER.indexOf(a.recordType) - ORDER.indexOf(b.recordType));
    group.rejected = group.drafts.some((d) => d.errors?.length || d.rejectedCode);
  }
  list.sort((a, b) => (b.rejected - a.rejected) || b.updatedAt.localeCompare(a.updatedAt));
  return { groups: list, broken };
}

export async function groupDrafts(groupId) {
  return (await draftGroups()).groups.find((group) => group.id === groupId)?.drafts || [];
}

// A photo, read as base64 and kept encrypted in its own draft (re-encrypting it on every keystroke would be slow).
export async function saveAttachment(file, meta, ownerDraftId) {
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  await saveDraft({ id: meta.attachment_id, kind: "attachment", ownerDraftId, ...meta, data });
}

async function nextDeviceSeq() {
  const seq = ((await get(STORES.meta, DEVICE_SEQ))?.value || 0) + 1;
  await put(STORES.meta, { id: DEVICE_SEQ, value: seq }); // stored before use: a seq is never handed out twice
  return seq;
}

// Seal each record as its own outbox item; `records` are [{draft, body}] already validated by the caller.
export async function sealRecords(records, onSealed = () => {}) {
  if (!(await getSealingKey())) {
    throw new Error("The server's sealing key is not on this device yet. Connect once, then finalize.");
  }
  const deviceId = currentDeviceId();
  for (const { draft, body } of records) {
    const op = { op_id: crypto.randomUUID(), record_id: draft.recordId, record_type: draft.recordType,
      schema_version: body.schema_version, device_id: deviceId, device_seq: await nextDeviceSeq(),
      base_revision: draft.baseRevision || 0, child_id: draft.childId, body };
    const extraDraftIds = [];
    if (body.drawing?.attachment_id) {
      const photo = await getDraft(body.drawing.attachment_id);
      if (!photo && (draft.serverAttachmentIds || []).includes(body.drawing.attachment_id)) {
        await addToOutbox(op, { draftId: draft.id, deviceId }); // amended record: its photo is on the server
        onSealed(draft);
        continue;
      }
      if (!photo) throw new Error("The drawing's photo is no longer on this device. Choose the photo again.");
      op.attachments = [{ attachment_id: photo.attachment_id, mime: photo.mime, size: photo.size, data: photo.data }];
      extraDraftIds.push(photo.id);
    }
    await addToOutbox(op, { draftId: draft.id, deviceId, extraDraftIds, label: await sealLabel(op.op_id, draft) });
    onSealed(draft);
  }
}
