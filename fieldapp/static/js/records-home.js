// records-home.js — the home screen's recording parts: "Start a visit" per child, the drafts list (visits with
// their linked records, rejected ones first with the server's messages), the outbox list and unsynced count.

import { countUnsynced, listOutbox } from "./outbox.js";
import { renderSentList, showWaiting } from "./status-strip.js";
import { withLabels } from "./outbox-labels.js";
import { discardVisit, renderStale } from "./draft-lifecycle.js";
import { LABELS, draftGroups, startVisit } from "./record-drafts.js";
import { ScreenUnavailable, ifLoaded, loadScreen } from "./lazy.js";
import { loadSnapshot } from "./store.js";
import { beforeLock } from "./vault.js";
import { $, el, notice, renderOutbox, setCaseloadAction, setUnsynced } from "./ui.js";

export async function refreshUnsynced() {
  const waiting = await countUnsynced();
  setUnsynced(waiting);
  showWaiting(waiting);
}

export async function renderOutboxList() {
  renderOutbox(await withLabels(await listOutbox()));
  await renderSentList();
  await refreshUnsynced();
}

const when = (iso) => new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });

function groupItem(group, children) {
  const child = children.find((c) => c.public_id === group.childId);
  const name = child ? child.name : "Child reassigned — finalize to send or ask your manager";
  const visit = group.drafts.find((d) => d.recordType === "visit")?.body || {};
  const where = [visit.visit_date, visit.location].filter(Boolean).join(" · "); // tells two visits apart
  const title = `Visit: ${name}`;
  const errors = group.drafts.flatMap((draft) => [
    ...(draft.rejectedMessage ? [`${LABELS[draft.recordType]}: ${draft.rejectedMessage}`] : []),
    ...(draft.errors || []).map((e) => `${LABELS[draft.recordType]}: ${e.message}`)]);
  return el("li", { className: group.rejected ? "item item-error" : "item", "data-id": group.id },
    el("span", { className: "item-title", text: title }),
    where ? el("span", { className: "card-meta", text: where }) : null,
    el("span", { className: "card-meta", text: `${group.drafts.map((d) => LABELS[d.recordType]).join(", ")} · saved ${when(group.updatedAt)}` }),
    errors.length ? el("p", { className: "error-message", text: "The server could not accept this yet. Correct and finalize again:" }) : null,
    errors.length ? el("ul", { className: "server-errors" }, ...errors.map((text) => el("li", { text }))) : null,
    el("span", { className: "actions" },
      el("button", { type: "button", "aria-label": `Continue ${title}`, text: "Continue",
        onClick: () => open(group.id) }),
      el("button", { type: "button", className: "secondary", "aria-label": `Discard ${title}`, text: "Discard",
        onClick: () => discardVisit(group, { name, refresh: renderDraftList }) })));
}

export async function renderDraftList() {
  const [{ groups, broken }, caseload] = await Promise.all([draftGroups(), loadSnapshot("caseload").catch(() => null)]);
  const children = caseload?.children || [];
  const items = [
    ...broken.map((entry) => el("li", { className: "item item-error", "data-id": entry.id },
      el("p", { className: "error-message", text: entry.error }),
      el("span", { className: "card-meta", text: `Reference ${entry.id.slice(0, 8)}` }))),
    ...groups.map((group) => groupItem(group, children)),
  ];
  $("drafts-list").replaceChildren(...(items.length ? items : [el("li", { className: "empty", text: "No drafts." })]));
  await renderStale(groups, (group) => children.find((c) => c.public_id === group.childId)?.name || "child reassigned");
}

// The record editor (forms, validation, carry forward, autosave) and the child's own mode, whose button is in the
// editor, load when a visit is first opened; the service worker has them cached for offline use.
let backHomeHook = async () => {};
let afterEditorLoad = async () => {};
export function setAfterEditorLoad(hook) { afterEditorLoad = hook; }
const EDITOR = "record editor";
export const loadEditor = () => loadScreen(EDITOR, () => import("./record-editor.js"), (editor) => {
  editor.configureEditor({ onDone: backHomeHook });
  editor.initEditor();
});

// Nothing can be typed before the editor is loaded, so there is nothing to flush until then.
export async function flushEditor() {
  const editor = await ifLoaded(EDITOR);
  if (editor) await editor.flushEditor();
}

export async function openVisit(groupId) {
  const editor = await loadEditor();
  await afterEditorLoad().catch(() => {}); // the child's own mode, for its button (lazy.js says if it failed)
  await editor.openVisit(groupId);
}

async function open(groupId) {
  try {
    await openVisit(groupId);
    return true;
  } catch (error) {
    if (!(error instanceof ScreenUnavailable)) notice("record", error.message, "error"); // else lazy.js said why
    return false;
  }
}

async function start(child) {
  try {
    if (!(await open(await startVisit(child.public_id, child.legal_status)))) await renderDraftList(); // kept, listed
  } catch (error) {
    notice("record", `Could not start a visit: ${error.message}`, "error");
  }
}

export function initRecording({ backHome }) {
  setCaseloadAction((child) => el("span", { className: "actions" }, el("button", { type: "button",
    "aria-label": `Start a visit to ${child.name}`, text: "Start a visit", onClick: () => start(child) })));
  backHomeHook = backHome;
  beforeLock(flushEditor); // registered first (as before), so revocation's sealed copies hold the last words
}
