// child-mode.js — "Hand the tablet to the child": a full-screen space for the child's own words and drawing.
// While it is on, nothing else of the app is reachable: links do nothing, the back button stays here, keys that
// navigate are swallowed, a reload comes back to the PIN prompt and then here (the flag is in IndexedDB), and the
// idle lock waits. Leaving needs the worker's PIN; what the child made then goes into the visit's drafts.

import { commitWork, emptyWork, endChildMode, loadWork, readFlag, saveWork, writeFlag } from "./child-record.js";
import { STEPS, leavePage, stepPage } from "./child-pages.js";
import { currentVisit, flushEditor } from "./record-editor.js";
import { $, announce, el, showError, showScreen } from "./ui.js";
import { VaultWiped, WrongPin, suspendIdleLock, verifyPin } from "./vault.js";

let flag = null; // {groupId, childId, since} while the mode is on (also before unlock, after a reload)
let work = null; // the child's work in progress, once unlocked
let step = STEPS[0].id;
let afterLeave = async () => {};
const TRAP = { fieldappChildMode: true };

// Keys that would leave the page or the mode (those a page can catch: Ctrl+W and the like it cannot).
function leavingKey(event) {
  const key = event.key;
  if (["Escape", "BrowserBack", "BrowserForward", "BrowserHome", "F5", "F6"].includes(key)) return true;
  if (event.altKey && ["ArrowLeft", "ArrowRight", "Home"].includes(key)) return true;
  if ((event.ctrlKey || event.metaKey) && ["r", "R", "l", "L", "[", "]"].includes(key)) return true;
  return false;
}

function installGuards() {
  document.addEventListener("click", (event) => {
    if (flag && event.target.closest?.("a[href]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("auxclick", (event) => { if (flag) event.preventDefault(); }, true);
  document.addEventListener("keydown", (event) => {
    if (flag && leavingKey(event)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // The back button returns to the entry below ours; put ours back at once.
  window.addEventListener("popstate", () => { if (flag) history.pushState(TRAP, "", "/app"); });
}

// Everything outside <main> (top bar with its links, banners) is made inert and hidden; dialogs and the live
// region stay usable.
function seal(on) {
  document.body.classList.toggle("child-mode", on);
  for (const node of document.body.children) {
    if (node.tagName === "MAIN" || node.tagName === "DIALOG" || node.tagName === "SCRIPT" || node.id === "live") continue;
    node.inert = on;
  }
  if (on && !history.state?.fieldappChildMode) history.pushState(TRAP, "", "/app");
}

let saving = Promise.resolve();
function save() {
  const snapshot = structuredClone(work);
  saving = saving.then(() => saveWork(snapshot)).catch((error) => showError("child-error", `Not saved: ${error.message}`));
  return saving;
}

function showSteps() {
  $("child-steps").replaceChildren(...STEPS.map((s) => el("li", {}, el("button", {
    type: "button", className: "child-step", "aria-current": s.id === step ? "step" : "false",
    onClick: () => showStep(s.id),
  }, el("span", { "aria-hidden": "true", className: "child-emoji", text: s.icon }), el("span", { text: s.short })))));
}

function showStep(id) {
  step = id;
  showSteps();
  const index = STEPS.findIndex((s) => s.id === id);
  const previous = STEPS[index - 1];
  const next = STEPS[index + 1];
  $("child-page").replaceChildren(...stepPage(STEPS[index], work, save, { leave: showLeave }), el("div",
    { className: "child-nav" },
    previous ? el("button", { type: "button", className: "child-secondary", text: `Back: ${previous.short}`,
      onClick: () => showStep(previous.id) }) : null,
    next ? el("button", { type: "button", className: "child-main-action", text: `Next: ${next.short}`,
      onClick: () => showStep(next.id) }) : null));
  $(`child-${id}-title`).focus();
}

function showLeave() {
  step = "leave";
  showSteps();
  $("child-page").replaceChildren(...leavePage({ submit: leave, stay: () => showStep(STEPS.at(-1).id) }));
  $("child-pin").focus();
}

async function leave(pin, problem) {
  if (!pin) { problem("Enter the worker’s PIN."); return; }
  try {
    await verifyPin(pin);
  } catch (error) {
    if (error instanceof VaultWiped) { location.reload(); return; } // the device's data is gone: the app says so
    problem(error instanceof WrongPin ? error.message : `Could not check the PIN: ${error.message}`);
    return;
  }
  await saving;
  const ending = flag;
  try {
    await commitWork(ending, work);
  } catch (error) {
    problem(`The child’s work could not be added to the visit: ${error.message}. It is kept here.`);
    return;
  }
  await endChildMode();
  flag = null;
  work = null;
  seal(false);
  suspendIdleLock(false);
  $("child-page").replaceChildren();
  await afterLeave(ending.groupId);
  announce("The child’s words and drawing are in this visit’s records, marked as their own.");
}

function show() {
  suspendIdleLock(true);
  showScreen("child", "child-title");
  showError("child-error", "");
  showStep(STEPS[0].id);
}

// From the visit editor: the mode starts for the visit on show.
async function start() {
  const visit = currentVisit();
  if (!visit) return;
  await flushEditor();
  flag = { ...visit, since: new Date().toISOString() };
  work = emptyWork();
  await saveWork(work);
  await writeFlag(flag);
  seal(true);
  show();
}

// After unlock: true if the mode was on (a reload or a lock in child mode) and is shown again.
export async function resumeChildMode() {
  if (!flag) return false;
  work = await loadWork();
  show();
  return true;
}

export const childModeOn = () => flag !== null;

// At boot, before unlock: a reload in child mode stays sealed at the PIN prompt.
export async function initChildMode({ reopen }) {
  afterLeave = reopen;
  installGuards();
  $("child-mode-start").addEventListener("click", () => start().catch((e) => showError("record-error", e.message)));
  $("child-leave").addEventListener("click", showLeave);
  flag = await readFlag().catch(() => null);
  if (flag) seal(true);
}
