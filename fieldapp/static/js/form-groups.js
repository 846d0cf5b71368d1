// Repeating groups for forms.js (danger statement ↔ safety goal pairs, next steps, ratings, actions): add,
// move up, move down and remove with 44px buttons; every change is announced. A removed item can be restored
// with "Undo", because words typed in a home must never be lost to a mis-tap.

import { h } from "./form-fields.js";
import { lowerFirst, resolve } from "./schema-validate.js";

function newItem(ctx, itemSchema) {
  const item = {};
  for (const [name, property] of Object.entries(itemSchema.properties || {})) {
    const resolved = resolve(property, ctx.root);
    if ("default" in resolved) item[name] = structuredClone(resolved.default);
  }
  return item;
}

function itemActions(ctx, path, index, count, itemTitle) {
  const which = `${lowerFirst(itemTitle)} ${index + 1}`;
  const button = (action, text, disabled, extraClass = "secondary") => h("button", {
    type: "button", class: `${extraClass} group-action`, id: `${ctx.idFor(path)}-${index}-${action}`,
    "data-action": action, "data-index": index, disabled,
  }, text, h("span", { class: "visually-hidden" }, ` ${which}`));
  return h("div", { class: "group-item-actions" },
    button("up", "Move up", index === 0), button("down", "Move down", index === count - 1),
    button("remove", "Remove", false, "danger"));
}

/** A repeating group for the array at `path`; items render through ctx.renderFields. */
export function renderGroup(ctx, path, key, schema) {
  const id = ctx.idFor(path);
  const itemSchema = resolve(schema.items, ctx.root);
  const itemTitle = ctx.itemTitle(key);
  const items = ctx.get(path) || [];
  const order = ctx.order(key) || Object.keys(itemSchema.properties);
  const hint = ctx.hint(key);
  const list = h("ol", { class: "group-items" }, items.map((_, index) => h("li", { class: "group-item" },
    h("fieldset", { class: "group-item-set" },
      h("legend", { class: "group-item-title", id: `${id}-${index}-title`, tabindex: -1 },
        `${itemTitle} ${index + 1} of ${items.length}`),
      ctx.annotate ? ctx.annotate(`${path}/${index}`, `${itemTitle} ${index + 1}`) : null,
      ctx.renderFields(`${path}/${index}`, order),
      itemActions(ctx, path, index, items.length, itemTitle)))));
  const add = h("button", { type: "button", class: "secondary group-add", id, "data-action": "add" },
    `Add ${items.length ? "another " : ""}${lowerFirst(itemTitle)}`);
  const undo = ctx.lastRemoved(path) ? h("button", { type: "button", class: "secondary group-undo",
    id: `${id}-undo`, "data-action": "undo" }, `Undo remove ${lowerFirst(itemTitle)}`) : null;
  const group = h("div", { class: "group", role: "group", "aria-labelledby": `${id}-heading` },
    h("h3", { class: "group-heading", id: `${id}-heading` }, ctx.label(key)),
    hint ? h("p", { class: "hint" }, hint) : null,
    items.length ? list : h("p", { class: "group-empty" }, `No ${lowerFirst(ctx.label(key))} yet.`),
    h("div", { class: "group-controls" }, add, undo));
  group.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || button.closest(".group") !== group) return;
    onAction(ctx, path, itemSchema, itemTitle, button.dataset.action, Number(button.dataset.index));
  });
  return group;
}

function onAction(ctx, path, itemSchema, itemTitle, action, index) {
  const items = [...(ctx.get(path) || [])];
  const id = ctx.idFor(path);
  const title = itemTitle;
  if (action === "add") {
    items.push(newItem(ctx, itemSchema));
    ctx.setGroup(path, items, `${id}-${items.length - 1}-title`, `${title} ${items.length} added.`);
  } else if (action === "up" || action === "down") {
    const target = action === "up" ? index - 1 : index + 1;
    [items[index], items[target]] = [items[target], items[index]];
    const focus = target === 0 || target === items.length - 1 ? `${id}-${target}-title` : `${id}-${target}-${action}`;
    ctx.setGroup(path, items, focus, `${title} moved ${action} to position ${target + 1} of ${items.length}.`);
  } else if (action === "remove") {
    const [removed] = items.splice(index, 1);
    ctx.rememberRemoved(path, { index, item: removed });
    ctx.setGroup(path, items, `${id}-undo`, `${title} ${index + 1} removed. Undo is available.`);
  } else if (action === "undo") {
    const { index: at, item } = ctx.lastRemoved(path);
    items.splice(Math.min(at, items.length), 0, item);
    ctx.rememberRemoved(path, null);
    ctx.setGroup(path, items, `${id}-${Math.min(at, items.length - 1)}-title`, `${title} restored.`);
  }
}
