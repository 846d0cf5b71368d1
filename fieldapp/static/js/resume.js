// resume.js — where the worker was in the visit editor (visit, record, section, field), kept encrypted in the
// vault, so that after a reload, a closed tab or a lock, unlocking takes them back to the same place with the
// field they were typing in focused and in view. Cleared when they leave the editor themselves.

import { loadSnapshot, removeRecordRow, saveSnapshot } from "./store.js";
import { $ } from "./ui.js";
import { isUnlocked } from "./vault.js";

const SNAPSHOT = "resume"; // records store, encrypted like the caseload snapshot
let groupId = null;

function remember(place) {
  if (!groupId || !isUnlocked()) return;
  saveSnapshot(SNAPSHOT, { groupId, ...place })
    .catch((error) => console.warn("fieldapp: could not remember the place in the visit", error));
}

// The editor opened a visit.
export function trackVisit(id) {
  groupId = id;
  remember({});
}

// The worker left the editor (back home, finalized): nothing to come back to.
export async function forgetPosition() {
  groupId = null;
  if (isUnlocked()) await removeRecordRow(SNAPSHOT);
}

export function watchPosition() {
  $("screen-record").addEventListener("focusin", (event) => {
    const target = event.target;
    const draftId = target.closest(".record-panel")?.dataset.draft || target.closest("[data-draft]")?.dataset.draft;
    if (!draftId) return;
    const section = Number(target.closest(".form-section")?.dataset.section || 0);
    const fieldId = target.matches("input, textarea, select") ? target.id : null;
    remember({ draftId, section, fieldId });
  });
}

// After unlock: reopen the visit the worker was in, at the same record, section and field. `open(groupId)` and
// `at(place)` are the editor's; a visit no longer on the device (finalized elsewhere, discarded) is forgotten.
export async function resumeEditing({ open, at }) {
  const place = await loadSnapshot(SNAPSHOT).catch(() => null);
  if (!place?.groupId) return false;
  try {
    await open(place.groupId);
  } catch (error) {
    await forgetPosition();
    return false;
  }
  at(place);
  return true;
}
