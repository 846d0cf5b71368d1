// Render a record form from its definition (fieldapp/schemas/<type>.json, served at /api/record-types/<type>).
//
//   const form = renderForm(container, definition, { value, onChange, onFile, idPrefix });
//   form.getValue()   → the whole draft, including answers hidden by a condition (nothing typed is dropped)
//   form.getRecord()  → the record to finalise: the draft without fields whose condition is not met
//   form.setValue(v)  → replace the draft and re-render (does not call onChange)
//   form.validate()   → [{path, message}] for getRecord(); shows the error summary and inline messages
//   form.showServerErrors(fieldErrors) → show errors the server returned ({path: JSON pointer, message})
//   form.clearErrors(), form.showSection(index), form.destroy()
// onChange(value) fires after every edit with getValue(); the caller debounces saving into the vault.
// onFile(file, {attachment_id, mime, size}) hands a chosen photo to the caller, which stores it.

import { h, isShown, renderFields } from "./form-fields.js";
import { renderGroup } from "./form-groups.js";
import { DRAFT_ONLY, carriedErrors, carriedFrom, carriedMark, clearCarried, previousNote } from "./carried.js";
import { conditionalRequirements, fieldKey, isValid, Messages, parsePointer, resolve, validateRecord }
  from "./schema-validate.js";

function getAt(value, path) {
  return parsePointer(path).reduce((node, part) => (node === undefined || node === null ? undefined : node[part]), value);
}

function setAt(value, path, newValue) {
  const parts = parsePointer(path);
  const last = parts.pop();
  const parent = parts.reduce((node, part, i) => {
    if (node[part] === undefined) node[part] = /^[0-9]+$/.test(parts[i + 1] ?? last) ? [] : {};
    return node[part];
  }, value);
  if (newValue === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = newValue;
}

/** The draft without answers whose showing condition is not met (what finalising would send). */
function pruneHidden(schema, value, root) {
  schema = resolve(schema, root);
  if (Array.isArray(value)) return value.map((item) => pruneHidden(schema.items || {}, item, root));
  if (!value || typeof value !== "object") return value;
  const conditions = conditionalRequirements(schema, root);
  const result = {};
  for (const [name, item] of Object.entries(value)) {
    if (DRAFT_ONLY.has(name)) continue; // carried.js marks stay in the draft; they never reach the record
    const rules = conditions.get(name);
    if (rules && !rules.some((rule) => isValid(rule, value, root))) continue;
    result[name] = pruneHidden((schema.properties || {})[name] || {}, item, root);
  }
  return result;
}

export function renderForm(container, definition, options = {}) {
  const ui = definition.ui;
  const root = definition.schema;
  const messages = new Messages(definition);
  const prefix = options.idPrefix || `rf-${definition.type}`;
  const onChange = options.onChange || (() => {});
  let value = structuredClone(options.value || {});
  let current = 0;
  let errors = [];
  const removed = new Map();

  const live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: -1, hidden: true });
  const form = h("form", { class: "record-form", novalidate: true, id: `${prefix}-form` });
  form.addEventListener("submit", (event) => event.preventDefault());
  container.replaceChildren(summary, live, form);

  const changed = () => {
    refreshConditions();
    onChange(structuredClone(value));
  };
  const ctx = {
    root,
    idFor: (path) => `${prefix}${path.replaceAll("/", "-")}`,
    keyOf: fieldKey,
    label: (key) => messages.label(key),
    hint: (key) => (ui.hints || {})[key],
    widget: (key) => (ui.widgets || {})[key],
    options: (key) => (ui.options || {})[key] || {},
    order: (key) => (ui.order || {})[key],
    itemTitle: (key) => (ui.items || {})[key] || messages.label(key),
    alwaysShown: (key) => (ui.always_show || []).includes(key),
    schemaAt: (path) => messages.schemaAt(path),
    get: (path) => (path === "" ? value : getAt(value, path)),
    set: (path, newValue) => {
      setAt(value, path, newValue);
      if (clearCarried(value, path)) dropStaleMarks();
      changed();
    },
    confirmCarried: (path, what) => {
      clearCarried(value, path);
      const item = /\/[0-9]+$/.test(path);
      render(item ? `${ctx.idFor(path.slice(0, path.lastIndexOf("/")))}-${path.split("/").at(-1)}-title` : ctx.idFor(path));
      announce(`${what} confirmed.`);
      onChange(structuredClone(value));
    },
    // Shown at the top of a field or group item: its carried mark, a previous score, the caller's extras.
    annotate: (path, what) => [carriedMark(ctx, path, what), previousNote(ctx, path), options.annotate?.(path)],
    setGroup: (path, items, focusId, announcement) => {
      setAt(value, path, items.length ? items : undefined);
      render(focusId);
      announce(announcement);
      onChange(structuredClone(value));
    },
    lastRemoved: (path) => removed.get(path) || null,
    rememberRemoved: (path, entry) => (entry ? removed.set(path, entry) : removed.delete(path)),
    announce: (text) => announce(text),
    onFile: options.onFile || (() => {}),
  };
  ctx.renderFields = (parentPath, names) => renderFields(ctx, parentPath, names);
  ctx.renderGroup = (path, key, schema) => renderGroup(ctx, path, key, schema);

  function announce(text) {
    live.textContent = "";
    // A fresh text node after a tick makes screen readers announce a repeated message again.
    setTimeout(() => { live.textContent = text; }, 50);
  }

  // An edit made a carried answer the worker's own: its mark goes, without re-rendering under the caret.
  function dropStaleMarks() {
    for (const mark of form.querySelectorAll("[data-carried-for]")) {
      if (!carriedFrom(value, mark.dataset.carriedFor)) mark.remove();
    }
    announce("Edited: no longer marked as carried.");
  }

  function refreshConditions() {
    for (const field of form.querySelectorAll("[data-conditional]")) {
      field.hidden = !isShown(ctx, field.dataset.parent, field.dataset.name);
    }
  }

  function sectionElement(section, index) {
    const count = ui.sections.length;
    const headingId = `${prefix}-section-${section.id}`;
    const nav = h("div", { class: "section-nav" },
      index > 0 ? h("button", { type: "button", class: "secondary", "data-go": index - 1 },
        `Previous: ${ui.sections[index - 1].title}`) : null,
      index < count - 1 ? h("button", { type: "button", "data-go": index + 1 },
        `Next: ${ui.sections[index + 1].title}`) : null);
    nav.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-go]");
      if (button) showSection(Number(button.dataset.go));
    });
    return h("section", { class: "form-section", "aria-labelledby": headingId, hidden: index !== current,
      "data-section": index },
    h("p", { class: "progress" }, `Section ${index + 1} of ${count}`),
    h("h2", { id: headingId, tabindex: -1 }, section.title),
    renderFields(ctx, "", section.fields), nav);
  }

  function render(focusId) {
    form.replaceChildren(...ui.sections.map(sectionElement));
    paintErrors();
    if (focusId) document.getElementById(focusId)?.focus();
  }

  function showSection(index, { focusHeading = true } = {}) {
    current = Math.max(0, Math.min(index, ui.sections.length - 1));
    for (const section of form.querySelectorAll(".form-section")) section.hidden = Number(section.dataset.section) !== current;
    if (focusHeading) form.querySelector(`[data-section="${current}"] h2`).focus();
  }

  function fieldFor(path) {
    for (let at = path; ; at = at.slice(0, at.lastIndexOf("/"))) {
      const field = form.querySelector(`.field[data-path="${CSS.escape(at)}"]`);
      if (field || at === "") return field;
    }
  }

  function focusTarget(path) {
    const field = fieldFor(path);
    if (!field) return null;
    return document.getElementById(ctx.idFor(path)) || field.querySelector("input, select, textarea, button");
  }

  function goTo(path) {
    const target = focusTarget(path);
    const section = target?.closest(".form-section");
    if (!target || !section) return;
    showSection(Number(section.dataset.section), { focusHeading: false });
    target.focus();
    target.scrollIntoView({ block: "center" });
  }

  function paintErrors() {
    form.querySelectorAll(".error-message[data-generated]").forEach((node) => node.remove());
    form.querySelectorAll(".field-error").forEach((node) => node.classList.remove("field-error"));
    form.querySelectorAll("[data-error-for]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      if (node.dataset.describedBefore) node.setAttribute("aria-describedby", node.dataset.describedBefore);
      else node.removeAttribute("aria-describedby");
      delete node.dataset.errorFor;
      delete node.dataset.describedBefore;
    });
    summary.hidden = errors.length === 0;
    if (!errors.length) return summary.replaceChildren();
    const fieldOrder = [...form.querySelectorAll(".field")].map((field) => field.dataset.path);
    const rank = (error) => { const i = fieldOrder.indexOf(fieldFor(error.path)?.dataset.path); return i < 0 ? 1e9 : i; };
    const ordered = [...errors].sort((a, b) => rank(a) - rank(b));
    summary.replaceChildren(h("h2", { id: `${prefix}-problem` }, "There is a problem"),
      h("ul", { class: "error-summary-list" }, ordered.map((error) => {
        const target = focusTarget(error.path);
        const link = h("a", { href: `#${target ? target.id : form.id}` }, error.message);
        link.addEventListener("click", (event) => { event.preventDefault(); goTo(error.path); });
        return h("li", {}, link);
      })));
    ordered.forEach((error, i) => markField(error, i));
  }

  function markField(error, i) {
    const field = fieldFor(error.path);
    if (!field) return;
    const messageId = `${prefix}-error-${i}`;
    field.classList.add("field-error");
    const message = h("p", { class: "error-message", id: messageId, "data-generated": true },
      h("span", { class: "visually-hidden" }, "Error: "), error.message);
    const anchor = field.querySelector(":scope > .hint, :scope > .field-set > .hint, :scope > .group > .hint")
      || field.querySelector(":scope > label, :scope > .field-set > legend, :scope > .group > .group-heading")
      || field.firstChild;
    anchor.after(message);
    const control = focusTarget(error.path);
    if (!control) return;
    const fieldset = control.closest(".field-set");
    markDescribed(fieldset || control, messageId);
    markDescribed(control, null);
    control.setAttribute("aria-invalid", "true");
  }

  // Remember what a control was described by before errors, so clearing errors restores it exactly.
  function markDescribed(node, messageId) {
    if (!node.dataset.errorFor) {
      node.dataset.describedBefore = node.getAttribute("aria-describedby") || "";
      node.dataset.errorFor = "true";
    }
    if (messageId) node.setAttribute("aria-describedby", `${node.getAttribute("aria-describedby") || ""} ${messageId}`.trim());
  }

  function showErrors(fieldErrors) {
    errors = fieldErrors.map(({ path, message }) => ({ path, message }));
    paintErrors();
    if (errors.length) summary.focus();
    return errors;
  }

  render();
  return {
    getValue: () => structuredClone(value),
    getRecord: () => pruneHidden(root, structuredClone(value), root),
    setValue(newValue) { value = structuredClone(newValue || {}); removed.clear(); render(); },
    validate() {
      return showErrors([...validateRecord(definition, pruneHidden(root, structuredClone(value), root)),
        ...carriedErrors(definition, value)]);
    },
    showServerErrors: (fieldErrors) => showErrors(fieldErrors),
    clearErrors: () => showErrors([]),
    showSection: (index) => showSection(index),
    destroy: () => container.replaceChildren(),
  };
}
