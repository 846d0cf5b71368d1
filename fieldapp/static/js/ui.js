// ui.js — screens, the status bar and the lists. Text goes in through textContent only, never as HTML.

export const $ = (id) => document.getElementById(id);

const SCREENS = ["loading", "signin", "setpin", "unlock", "home", "record", "wiped", "child"];

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2).toLowerCase(), value);
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function showScreen(name, focusTarget = null) {
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  $("lock-button").hidden = name !== "home" && name !== "record";
  $("signout-button").hidden = name !== "home" && name !== "record";
  const target = focusTarget ? $(focusTarget) : $(`screen-${name}`).querySelector("h1");
  if (target) {
    if (!target.hasAttribute("tabindex") && target.tagName === "H1") target.setAttribute("tabindex", "-1");
    target.focus();
  }
}

export const currentScreen = () => SCREENS.find((screen) => !$(`screen-${screen}`).hidden);

export function announce(text) {
  $("live").textContent = text;
}

function setPill(id, state, text) {
  const pill = $(id);
  pill.dataset.state = state;
  pill.textContent = text;
}

export const setNetwork = (online) => setPill("status-network", online ? "online" : "offline", online ? "Online" : "Offline");
export const setVaultState = (unlocked) => setPill("status-vault", unlocked ? "unlocked" : "locked", unlocked ? "Unlocked" : "Locked");
export const setUnsynced = (n) => setPill("status-unsynced", n ? "some" : "none", `${n} unsynced`);

export function showError(id, message) {
  const node = $(id);
  node.textContent = message;
  node.hidden = !message;
}

export function notice(key, text, kind = "info") {
  const box = $("notices");
  let node = box.querySelector(`[data-key="${key}"]`);
  if (!text) {
    if (node) node.remove();
    return;
  }
  if (!node) {
    node = el("div", { "data-key": key });
    box.append(node);
  }
  node.className = `notice notice-${kind}`;
  node.textContent = text;
}

// A locked app shows no data: everything decrypted leaves the page.
export function clearPersonalData() {
  for (const id of ["caseload-list", "drafts-list", "outbox-list", "sync-notices", "sync-records", "sent-list", "stale-list",
    "confirm-body", "undo-message"]) $(id)?.replaceChildren();
  $("live").textContent = "";
  $("caseload-summary").textContent = "";
}

// Per-child buttons (e.g. "Start a visit"), set by the recording module: (child) => element.
let caseloadAction = () => null;
export function setCaseloadAction(render) { caseloadAction = render; }
const moreCaseloadActions = []; // e.g. the child's records on this device (amend.js)
export function addCaseloadAction(render) { moreCaseloadActions.push(render); }

const dateText = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });

function visitLine(child) {
  if (!("next_visit_due" in child)) return null;
  const last = child.last_seen_visit ? `Last seen ${dateText(child.last_seen_visit)}` : "Not seen on a recorded visit";
  let due = "";
  // One wording with the managers' oversight: "Overdue".
  if (child.next_visit_due) due = `${child.visit_overdue ? "Statutory visit overdue since" : "Next statutory visit due"} ${dateText(child.next_visit_due)}`;
  else if (child.visit_overdue) due = "Statutory visit overdue: no seen visit on record";
  else if (child.visit_finalized_here) due = "Visit finalized on this device; the next due date follows once it is sent";
  return el("p", { className: child.visit_overdue ? "visit-due overdue" : "visit-due", text: [last, due].filter(Boolean).join(" · ") });
}

export function renderCaseload(snapshot) {
  const children = snapshot?.children || [];
  $("caseload-summary").textContent = snapshot
    ? `${children.length} ${children.length === 1 ? "child" : "children"}, as of ${snapshot.as_of}.`
    : "Not downloaded yet: connect to fetch your caseload.";
  $("caseload-list").replaceChildren(...children.map((child) => el("li", { className: "card" },
    el("span", { className: "card-title", text: child.name }),
    el("span", { className: "card-meta", text: `${child.case_number} · age ${child.age} · born ${child.date_of_birth}` }),
    el("span", { className: `tag tag-${child.legal_status}`, text: child.legal_status_label }),
    child.address ? el("span", { className: "card-meta address", text: child.address }) : null,
    child.address_risk_notes ? el("p", { className: "risk", text: `Address risk: ${child.address_risk_notes}` }) : null,
    visitLine(child),
    caseloadAction(child),
    ...moreCaseloadActions.map((render) => render(child)),
  )));
}

const OUTBOX_STATES = {
  waiting: "Waiting to send", sending: "Sending…", rejected: "Not accepted — kept on this device",
  conflict: "Stored as a conflict — support staff will reconcile it", "returned-as-draft": "Not accepted — back in your drafts",
};

// Sealed items (unreadable here) and content-free tombstones, each with its state and reason.
// Buttons ask sync-ui.js by event: "outbox-dismiss" (tombstones) and "outbox-retry" (rejected sealed items).
export function renderOutbox(items) {
  const sealed = items.filter((item) => item.sealed !== false).length;
  $("outbox-summary").textContent = sealed
    ? `${sealed} sealed ${sealed === 1 ? "item is" : "items are"} waiting to be sent. They are encrypted for the server and cannot be read on this device.`
    : "Nothing waiting.";
  const list = $("outbox-list");
  const ask = (type, id) => () => list.dispatchEvent(new CustomEvent(type, { detail: { id } }));
  list.replaceChildren(...items.map((item) => {
    const state = item.state || "waiting";
    const name = item.title || `${item.sealed === false ? "Item" : "Sealed item"} ${item.id.slice(0, 8)}`;
    return el("li", { className: `item${item.reason ? " item-error" : ""}`, "data-id": item.id, "data-state": state },
      el("span", { className: "item-title", text: name }),
      el("span", { className: "tag", text: OUTBOX_STATES[state] || state }),
      el("span", { className: "card-meta", text: `Sealed ${new Date(item.sealedAt).toLocaleString("en-GB")}${item.kid ? ` · key ${item.kid}` : ""}` }),
      item.reason ? el("p", { className: "error-message reason", text: item.reason }) : null,
      item.sealed === false ? el("button", { type: "button", className: "secondary", "aria-label": `Dismiss ${name}`,
        text: "Dismiss", onClick: ask("outbox-dismiss", item.id) }) : null,
      item.sealed !== false && state === "rejected" ? el("button", { type: "button", className: "secondary",
        "aria-label": `Send ${name} again`, text: "Send again", onClick: ask("outbox-retry", item.id) }) : null);
  }));
}

export function showWiped(notice, sealedCount) {
  const reasons = {
    pin: `${notice.attempts || "Too many"} wrong PINs were entered in a row, so fieldapp removed this device’s readable data to protect the children’s information.`,
    revoked: "This device was revoked by an administrator, so fieldapp removed its readable data.",
    reset: "This device’s data was removed at your request.",
  };
  $("wiped-reason").textContent = reasons[notice.reason] || "This device’s readable data was removed.";
  const waiting = `${sealedCount} sealed ${sealedCount === 1 ? "item is" : "items are"} waiting to be delivered; they cannot be read on this device`;
  if (notice.reason === "revoked") {
    $("wiped-sealed").textContent = `This device was revoked: ${waiting}. They will be delivered when a worker whose account is still valid signs in on it again.`;
  } else {
    $("wiped-sealed").textContent = sealedCount ? `${waiting}. They will be sent when you sign in again.` : "Nothing was waiting to be sent.";
  }
  showScreen("wiped");
}
