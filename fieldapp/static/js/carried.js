// carried.js — draft-only marks on answers carried forward from an earlier record (issue 18).
//
// A carried item of a repeating group holds `_carried: "<YYYY-MM-DD>"` (the earlier record's date) inside the item,
// so the mark moves with the item when it is moved, removed or restored; a carried top-level answer is listed in the
// record's `_carried: {field: date}`. A rating's `_previous: {score, on}` is the score the same person gave last
// time, shown for comparison only. These keys live in the encrypted draft only: getRecord() strips them, and a
// record with an unconfirmed carried answer does not validate, so nothing carried becomes the worker's new
// statement without the worker confirming, editing or removing it.

import { h } from "./form-fields.js";
import { lowerFirst, parsePointer } from "./schema-validate.js";

export const DRAFT_ONLY = new Set(["_carried", "_previous"]);

export const dateText = (iso) => (iso ? new Date(`${iso}T12:00:00`).toLocaleDateString("en-GB",
  { day: "numeric", month: "long", year: "numeric" }) : "an earlier record");

/** Where the carried mark for `path` lives: {owner, key} (an item and its own key, or the root and a field). */
function markAt(value, path) {
  const parts = parsePointer(path);
  let node = value;
  let owner = null;
  for (let i = 0; i < parts.length && node && typeof node === "object"; i += 1) {
    node = node[parts[i]];
    if (/^[0-9]+$/.test(parts[i]) && node && typeof node._carried === "string") owner = { item: node };
  }
  if (owner) return owner;
  const field = parts[0];
  if (field && value?._carried && typeof value._carried === "object" && value._carried[field]) {
    return { root: value, field };
  }
  return null;
}

/** The date an answer at exactly `path` (an item, or a top-level field) was carried from, or null. */
export function carriedFrom(value, path) {
  const parts = parsePointer(path);
  if (parts.length === 1) return value?._carried?.[parts[0]] || null;
  const node = parts.reduce((n, part) => (n == null ? n : n[part]), value);
  return parts.length >= 2 && /^[0-9]+$/.test(parts.at(-1)) && typeof node?._carried === "string" ? node._carried : null;
}

/** An edit at `path` makes the answer the worker's own: drop the mark it falls under. True if one was dropped. */
export function clearCarried(value, path) {
  const found = markAt(value, path);
  if (!found) return false;
  if (found.item) delete found.item._carried;
  else {
    delete found.root._carried[found.field];
    if (!Object.keys(found.root._carried).length) delete found.root._carried;
  }
  return true;
}

/** A copy without draft-only keys, at any depth. */
export function stripDraftOnly(value) {
  if (Array.isArray(value)) return value.map(stripDraftOnly);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([name]) => !DRAFT_ONLY.has(name))
    .map(([name, item]) => [name, stripDraftOnly(item)]));
}

/** One error per answer still marked as carried: finalize needs each confirmed, edited or removed. */
export function carriedErrors(definition, value) {
  const ui = definition.ui;
  const errors = [];
  for (const [field, on] of Object.entries(value?._carried || {})) {
    errors.push({ path: `/${field}`, message: `${(ui.labels || {})[field] || field} is carried from ${dateText(on)}: `
      + "confirm, edit or remove it" });
  }
  for (const [field, items] of Object.entries(value || {})) {
    if (!Array.isArray(items)) continue;
    const title = (ui.items || {})[field] || field;
    items.forEach((item, i) => {
      if (typeof item?._carried === "string") {
        errors.push({ path: `/${field}/${i}`, message: `${title} ${i + 1} is carried from ${dateText(item._carried)}: `
          + "confirm, edit or remove it" });
      }
    });
  }
  return errors;
}

/** The mark shown above a carried answer, with its Confirm button (the control errors lead to). */
export function carriedMark(ctx, path, what) {
  const on = carriedFrom(ctx.get(""), path);
  if (!on) return null;
  // An item's button takes the item's own id, so an error about the item leads straight to it.
  const id = /\/[0-9]+$/.test(path) ? ctx.idFor(path) : `${ctx.idFor(path)}-confirm`;
  const button = h("button", { type: "button", class: "secondary carried-confirm", id },
    "Confirm", h("span", { class: "visually-hidden" }, ` ${lowerFirst(what)} as still right`));
  button.addEventListener("click", () => ctx.confirmCarried(path, what));
  return h("div", { class: "carried-mark", "data-carried-for": path },
    h("p", {}, h("strong", {}, `Carried from ${dateText(on)}. `),
      "Confirm it if it is still right, edit it, or remove it."), button);
}

/** "Last time: 4 out of 10 (27 March 2025)" above a rating that repeats an earlier one. */
export function previousNote(ctx, path) {
  const previous = ctx.get(path)?._previous;
  if (!previous || typeof previous.score !== "number") return null;
  return h("p", { class: "previous-score" },
    `Last time (${dateText(previous.on)}): ${previous.score} out of 10. For comparison only: choose today's rating.`);
}
