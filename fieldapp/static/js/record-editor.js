// record-editor.js — the visit editor: one forms.js form per linked record (visit, seen alone, map, ratings,
// Three Houses), shown one at a time; every change saved encrypted at once (autosave.js), and flushed when the
// app is hidden, closed or locked; finalize validates every record and seals each into the outbox.

import { renderForm } from "./forms.js";
import {
  LABELS, ORDER, addToVisit, definitions, groupDrafts, saveAttachment, sealRecords,
} from "./record-drafts.js";
import { deleteDraft, loadSnapshot, saveDraft } from "./store.js";
import { $, announce, el, showError, showScreen } from "./ui.js";
import { beforeLock, isUnlocked, onVaultChange } from "./vault.js";
import { createAutosaver } from "./autosave.js";
import { forgetPosition, trackVisit, watchPosition } from "./resume.js";
import { removeFromVisit } from "./draft-lifecycle.js";
import { latestPulled, sameAsLastVisit } from "./carry-forward.js";
import { dateText } from "./carried.js";

let open = null; // {groupId, childId, forms: Map(draftId → {draft, form, panel}), current}
let onClose = async () => {};

export function configureEditor({ onDone }) { onClose = onDone; }

// Every change is written at once (autosave.js: no debounce, coalesced while a write is in flight).
const saver = createAutosaver({ write: writeDraft, onState: showSaveState });
export const flushEditor = () => saver.flush();

async function writeDraft(draftId, body) {
  const draft = open?.forms.get(draftId)?.draft;
  if (!draft) return;
  if (!isUnlocked()) throw new Error("The app is locked.");
  draft.body = body;
  Object.assign(draft, await saveDraft(draft));
}

function showSaveState({ state, error, at }) {
  if (state === "saved") $("record-saved").textContent = `All changes saved on this device at ${at.toLocaleTimeString("en-GB")}.`;
  else if (state === "error") $("record-saved").textContent = `Not saved yet: ${error.message}`;
  else $("record-saved").textContent = "Saving…";
  document.dispatchEvent(new CustomEvent("fieldapp:autosave", { detail: { state, at } }));
}

function changed(draftId, body) {
  saver.change(draftId, body);
}

function showRecord(draftId) {
  open.current = draftId;
  for (const [id, { panel }] of open.forms) panel.hidden = id !== draftId;
  for (const tab of $("record-tabs").querySelectorAll("button")) {
    tab.setAttribute("aria-current", tab.dataset.draft === draftId ? "step" : "false");
  }
}

function tabs() {
  const child = open.child;
  $("record-title").textContent = child ? `Visit: ${child.name}` : "Visit (child no longer on your caseload)";
  $("record-child").textContent = child
    ? `${child.case_number} · ${child.legal_status_label}${child.address ? ` · ${child.address}` : ""}` : "";
  $("record-risk").textContent = child?.address_risk_notes ? `Address risk: ${child.address_risk_notes}` : "";
  $("record-risk").hidden = !child?.address_risk_notes;
  $("record-tabs").replaceChildren(...[...open.forms.values()].map(({ draft }) => el("li", {},
    el("button", { type: "button", className: "secondary", "data-draft": draft.id, text: LABELS[draft.recordType],
      onClick: () => showRecord(draft.id) }),
    draft.recordType === "visit" ? null : el("button", { type: "button", className: "secondary remove-record",
      "aria-label": `Remove ${LABELS[draft.recordType]} from this visit`, text: "Remove",
      onClick: () => removeRecord(draft.id).catch((e) => showError("record-error", e.message)) }))));
  const present = new Set([...open.forms.values()].map(({ draft }) => draft.recordType));
  $("record-add").replaceChildren(...ORDER.filter((type) => !present.has(type)).map((type) => el("button", {
    type: "button", className: "secondary", text: `Add ${LABELS[type]}`, onClick: () => addRecord(type) })));
  const map = child?.latest_sos_map;
  const pulled = open.previousMap;
  $("record-map-note").textContent = present.has("sos_map") ? "" : pulled
    ? `Adding a Signs of Safety map continues the map of ${dateText(pulled.on)}: its answers come with it, each marked `
      + "as carried until you confirm, edit or remove it."
    : map ? `A Signs of Safety map from ${dateText(map.mapped_on)} is on the server but not on this device yet: sync `
      + "before adding a map to continue it." : "";
  if (open.current) showRecord(open.current);
}

function mount(definitionsByType, draft) {
  const panel = el("section", { className: "record-panel", "aria-label": LABELS[draft.recordType], hidden: "",
    "data-draft": draft.id });
  $("record-forms").append(panel);
  const form = renderForm(panel, definitionsByType[draft.recordType], {
    value: draft.body,
    idPrefix: `rf-${draft.recordType}`,
    onChange: (body) => changed(draft.id, body),
    onFile: (file, meta) => keepPhoto(draft, file, meta),
    annotate: (path) => (draft.recordType === "visit" && path === "/location" ? lastVisitOffer(draft.id) : null),
  });
  if (draft.errors?.length) form.showServerErrors(draft.errors);
  open.forms.set(draft.id, { draft, form, panel });
}

// "Same as last visit": the previous visit's location and people present, in one tap (carry-forward.js).
function lastVisitOffer(draftId) {
  const previous = open?.previousVisit;
  const body = previous?.record.body;
  if (!body?.location && !body?.others_present?.length) return null;
  const people = (body.others_present || []).map((person) => person.name).join(", ");
  const button = el("button", { type: "button", className: "secondary", id: "rf-visit-same-as-last",
    text: "Same as last visit", onClick: () => copyLastVisit(draftId) });
  return el("div", { className: "carry-offer" }, el("p", { text: `Last visit (${dateText(previous.on)}): ${
    [body.location, people && `with ${people}`].filter(Boolean).join(", ")}.` }), button);
}

function copyLastVisit(draftId) {
  const entry = open?.forms.get(draftId);
  if (!entry) return;
  const { body, copied } = sameAsLastVisit(entry.form.getValue(), open.previousVisit.record.body);
  if (!copied.length) {
    announce("Nothing to copy: the location is already filled in and everyone present is listed.");
    return;
  }
  entry.form.setValue(body);
  changed(draftId, body);
  document.getElementById("rf-visit-same-as-last")?.focus();
  announce(`Copied from the visit of ${dateText(open.previousVisit.on)}: ${copied.join(" and ")}.`);
}

// The visit's link to its seen-alone record follows that record being removed or put back.
function linkSeenAlone(recordId) {
  const visit = [...open.forms.values()].find(({ draft }) => draft.recordType === "visit");
  if (!visit) return;
  const body = visit.form.getValue();
  if (recordId) body.seen_alone_record_id = recordId;
  else delete body.seen_alone_record_id;
  visit.form.setValue(body);
  changed(visit.draft.id, body);
}

async function removeRecord(draftId) {
  await flushEditor();
  const { draft } = open.forms.get(draftId);
  const group = open.groupId;
  await removeFromVisit(draft, {
    detach: () => {
      const entry = open.forms.get(draftId);
      entry.form.destroy();
      entry.panel.remove();
      open.forms.delete(draftId);
      if (draft.recordType === "seen_alone") linkSeenAlone(null);
      open.current = open.forms.keys().next().value;
      tabs();
    },
    reattach: async (restored) => {
      if (open?.groupId !== group) return; // the visit is closed: it is back in the drafts list
      mount(await definitions(), restored);
      if (restored.recordType === "seen_alone") linkSeenAlone(restored.recordId);
      open.current = restored.id;
      tabs();
    },
  });
}

async function keepPhoto(draft, file, meta) {
  const previous = open.forms.get(draft.id)?.draft.body?.drawing?.attachment_id;
  try {
    await saveAttachment(file, meta, draft.id);
    if (previous && previous !== meta.attachment_id) await deleteDraft(previous);
    announce("Photo saved, encrypted, on this device.");
  } catch (error) {
    showError("record-error", `The photo was not saved: ${error.message}`);
  }
}

// The visit on show (child-mode.js hands the tablet over from it): its group and child, or null.
export const currentVisit = () => (open ? { groupId: open.groupId, childId: open.childId } : null);

export async function openVisit(groupId) {
  await closeEditor({ save: true });
  const defs = await definitions();
  const drafts = await groupDrafts(groupId);
  if (!drafts.length) throw new Error("That visit is no longer on this device.");
  const caseload = await loadSnapshot("caseload").catch(() => null);
  const child = caseload?.children?.find((c) => c.public_id === drafts[0].childId) || null;
  const visitId = drafts.find((draft) => draft.recordType === "visit")?.recordId;
  const [previousVisit, previousMap] = await Promise.all([
    latestPulled(drafts[0].childId, "visit", { except: visitId }), latestPulled(drafts[0].childId, "sos_map")]);
  open = { groupId, childId: drafts[0].childId, child, forms: new Map(), current: drafts[0].id, previousVisit, previousMap };
  $("record-forms").replaceChildren();
  showError("record-error", "");
  $("record-saved").textContent = "Everything you type is saved on this device as you go.";
  for (const draft of drafts) mount(defs, draft);
  tabs();
  showScreen("record");
  trackVisit(groupId);
}

// Back where the worker was (resume.js): the record, its section, and the field focused and scrolled into view.
export function resumeAt({ draftId, section, fieldId }) {
  const entry = open?.forms.get(draftId);
  if (!entry) return;
  showRecord(draftId);
  entry.form.showSection(section || 0);
  const field = fieldId ? document.getElementById(fieldId) : null;
  if (!field || !entry.panel.contains(field)) return;
  field.focus();
  if (field.type === "text" || field.type === "textarea") {
    field.setSelectionRange(field.value.length, field.value.length); // the caret after the last word typed
  }
  field.scrollIntoView({ block: "center" });
}

async function addRecord(type) {
  await flushEditor();
  const draft = await addToVisit(open.groupId, open.childId, type, [...open.forms.values()].map((f) => f.draft),
    open.child?.latest_sos_map?.record_id);
  mount(await definitions(), draft);
  if (type === "seen_alone") linkSeenAlone(draft.recordId);
  open.current = draft.id;
  tabs();
  $("record-tabs").querySelector(`[data-draft="${draft.id}"]`).focus();
  announce(`${LABELS[type]} added.`);
}

async function finalize() {
  await flushEditor();
  showError("record-error", "");
  const problems = [];
  for (const [id, { draft, form }] of open.forms) {
    const errors = form.validate();
    if (errors.length) problems.push({ id, label: LABELS[draft.recordType], count: errors.length });
  }
  if (problems.length) {
    showRecord(problems[0].id);
    showError("record-error", `Not sent yet: ${problems.map((p) => `${p.label} has ${p.count} ${
      p.count === 1 ? "problem" : "problems"}`).join("; ")}. Correct them, then finalize again.`);
    open.forms.get(problems[0].id).panel.querySelector(".error-summary").focus();
    return;
  }
  const records = [...open.forms.values()].map(({ draft, form }) => ({ draft, body: form.getRecord() }));
  try {
    // A record sealed is gone from the editor at once, so a retry after a failure never seals it twice.
    await sealRecords(records, (draft) => { open.forms.get(draft.id)?.panel.remove(); open.forms.delete(draft.id); });
  } catch (error) {
    open.current = open.forms.has(open.current) ? open.current : open.forms.keys().next().value;
    tabs();
    showError("record-error", `Not finalized: ${error.message} Your drafts are kept.`);
    return;
  }
  document.dispatchEvent(new CustomEvent("fieldapp:records-sealed", { detail: { records } })); // caseload card
  announce(`${records.length} records sealed and waiting to be sent.`);
  await closeEditor({ save: false });
}

export async function closeEditor({ save = true } = {}) {
  if (save) await flushEditor();
  saver.drop();
  if (!open) return;
  for (const { form } of open.forms.values()) form.destroy();
  open = null;
  await forgetPosition();
  $("record-forms").replaceChildren();
  $("record-tabs").replaceChildren();
  await onClose();
}

export function initEditor() {
  $("record-back").addEventListener("click", () => closeEditor().catch((e) => showError("record-error", e.message)));
  $("record-finalize").addEventListener("click", () => finalize().catch((e) => showError("record-error", e.message)));
  beforeLock(flushEditor);
  watchPosition();
  const flushIfHidden = () => { if (document.visibilityState === "hidden") flushEditor(); };
  document.addEventListener("visibilitychange", flushIfHidden);
  window.addEventListener("pagehide", () => flushEditor());
  onVaultChange((state) => {
    if (state !== "locked") return;
    // A locked app holds no personal data, also when the editor was closed before (its header kept the child).
    for (const id of ["record-title", "record-child", "record-risk", "record-map-note"]) $(id).textContent = "";
    if (!open) return;
    for (const { form } of open.forms.values()) form.destroy();
    open = null;
    saver.drop();
    $("record-forms").replaceChildren();
    $("record-tabs").replaceChildren();
  });
}
