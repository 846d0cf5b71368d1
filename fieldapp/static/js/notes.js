// notes.js — the shell's simple note drafts (until the recording forms arrive): save encrypted, edit,
// finalize (seal into the outbox), and the lists and unsynced count that go with them.

import { currentDeviceId } from "./api.js";
import { countUnsynced, finalizeDraft, listOutbox } from "./outbox.js";
import { getDraft, listDrafts, saveDraft } from "./store.js";
import { $, announce, renderDrafts, renderOutbox, setUnsynced, showError } from "./ui.js";

export async function refreshUnsynced() {
  setUnsynced(await countUnsynced());
}

export async function renderDraftList() {
  renderDrafts(await listDrafts(), { onOpen: openDraft, onFinalize: finalize });
}

export async function renderOutboxList() {
  renderOutbox(await listOutbox());
  await refreshUnsynced();
}

async function openDraft(id) {
  try {
    const draft = await getDraft(id);
    $("note-id").value = draft.id;
    $("note-title").value = draft.title || "";
    $("note-body").value = draft.body || "";
    $("note-form-title").textContent = "Edit note";
    $("note-title").focus();
  } catch (error) {
    showError("note-error", error.message);
  }
}

// What is in the form, or null if nothing has been typed.
export function noteFromForm() {
  const title = $("note-title").value;
  const body = $("note-body").value;
  if (!title.trim() && !body.trim()) return null;
  return { id: $("note-id").value || undefined, type: "note", title, body };
}

export async function saveNote(event) {
  event?.preventDefault();
  showError("note-error", "");
  const note = noteFromForm();
  if (!note) {
    showError("note-error", "Write a title or a note first.");
    return;
  }
  try {
    const saved = await saveDraft(note);
    $("note-id").value = saved.id;
    announce("Draft saved.");
    await renderDraftList();
  } catch (error) {
    showError("note-error", `Not saved: ${error.message}`);
  }
}

async function finalize(id) {
  try {
    await finalizeDraft(id, { deviceId: currentDeviceId() });
    if ($("note-id").value === id) clearNoteForm();
    announce("Sealed and added to the items waiting to be sent.");
    await renderDraftList();
    await renderOutboxList();
  } catch (error) {
    showError("note-error", `Not finalized: ${error.message}`);
  }
}

export function clearNoteForm() {
  $("note-form").reset();
  $("note-id").value = "";
  $("note-form-title").textContent = "New note";
}
