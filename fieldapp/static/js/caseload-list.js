// caseload-list.js — the caseload on the home screen: most urgent first (statutory visit overdue, then due
// soonest), a search box that filters on the device (works offline), and a child's card brought up to date as
// soon as a visit to them is finalized (before the server has it: the server's next due date replaces it later).

import { api } from "./api.js";
import { loadSnapshot, saveSnapshot } from "./store.js";
import { $, renderCaseload } from "./ui.js";
import { onSync } from "./sync.js";
import { isUnlocked, onVaultChange } from "./vault.js";

const STATUTORY = new Set(["looked_after_reg28", "child_protection_plan", "child_in_need", "private_fostering"]);
let shown = null; // the last caseload snapshot rendered (cleared on lock)

// Overdue first (never seen before overdue since a date), then by due date, then children with no date; by name.
export function byUrgency(a, b) {
  const rank = (child) => (child.visit_overdue ? (child.next_visit_due ? 1 : 0) : child.next_visit_due ? 2 : 3);
  return rank(a) - rank(b) || String(a.next_visit_due || "").localeCompare(String(b.next_visit_due || ""))
    || a.name.localeCompare(b.name);
}

const fold = (text) => String(text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

export function showCaseload(snapshot) {
  shown = snapshot;
  const query = fold($("caseload-search").value.trim());
  const all = [...(snapshot?.children || [])].sort(byUrgency);
  const children = query ? all.filter((c) => fold(`${c.name} ${c.case_number}`).includes(query)) : all;
  renderCaseload(snapshot ? { ...snapshot, children } : snapshot);
  if (snapshot && query) {
    $("caseload-summary").textContent = `${children.length} of ${all.length} children match “${$("caseload-search").value.trim()}”.`;
  }
}

// A visit sealed on this device where the child was seen: the card says so at once.
async function visitFinalized(records) {
  const visit = records.map((r) => r.body).find((body) => body.record_type === "visit");
  if (!visit || visit.child_seen !== true || !STATUTORY.has(visit.visit_type) || !isUnlocked()) return;
  const snapshot = await loadSnapshot("caseload");
  const child = snapshot?.children?.find((c) => c.public_id === visit.child_id);
  if (!child) return;
  if (!child.last_seen_visit || visit.visit_date > child.last_seen_visit) child.last_seen_visit = visit.visit_date;
  child.visit_overdue = false;
  child.next_visit_due = null;
  child.visit_finalized_here = visit.visit_date;
  await saveSnapshot("caseload", snapshot);
  showCaseload(snapshot);
}

// After records reached the server, its own due dates replace the provisional ones.
async function refreshCaseloadAfterSend() {
  if (!isUnlocked() || !navigator.onLine) return;
  await saveSnapshot("caseload", await api("/caseload"));
  if (shown) showCaseload(await loadSnapshot("caseload"));
}

export function initCaseloadList() {
  $("caseload-search").addEventListener("input", () => { if (shown) showCaseload(shown); });
  document.addEventListener("fieldapp:records-sealed", (event) => {
    visitFinalized(event.detail.records).catch((error) => console.warn("fieldapp: caseload card not updated", error));
  });
  onSync((event) => {
    if (event.type !== "done" || !event.pushed.stored) return;
    refreshCaseloadAfterSend().catch((error) => console.warn("fieldapp: caseload not refreshed", error));
  });
  onVaultChange((state) => {
    if (state !== "locked") return;
    shown = null;
    $("caseload-search").value = ""; // what was searched for can be a name
  });
}
