// Field widgets for forms.js: each renders one property of a record from its schema and ui hints,
// with a visible label, an optional hint, and a slot where error messages are placed.

import { conditionalRequirements, isValid, resolve } from "./schema-validate.js";

/** Create an element: h('p', {class: 'hint'}, 'text', childNode). Attributes false/undefined are omitted. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const WHOLE_NUMBER = /^-?[0-9]+$/;

export function formatBytes(bytes) {
  const megabytes = bytes / (1024 * 1024);
  return `${Number.isInteger(megabytes) ? megabytes : megabytes.toFixed(1)} MB`;
}

function labelText(ctx, key, optional) {
  return optional ? `${ctx.label(key)} (optional)` : ctx.label(key);
}

function hintFor(ctx, id, key, extra) {
  const text = [ctx.hint(key), extra].filter(Boolean).join(" ");
  return text ? h("p", { class: "hint", id: `${id}-hint` }, text) : null;
}

function wrapper(path, parentPath, name, ...children) {
  return h("div", { class: "field", "data-path": path, "data-parent": parentPath, "data-name": name }, ...children);
}

function textField(ctx, path, key, schema, optional) {
  const id = ctx.idFor(path);
  const widget = ctx.widget(key);
  const hint = hintFor(ctx, id, key);
  const attributes = { id, name: id, "aria-describedby": hint ? hint.id : undefined, autocomplete: "off" };
  let input;
  if (widget === "textarea") {
    input = h("textarea", { ...attributes, rows: 5, spellcheck: "true" });
  } else if (schema.type === "integer" || schema.type === "number") {
    input = h("input", { ...attributes, type: "text", inputmode: "numeric" });
  } else {
    const type = schema.format === "date" ? "date" : widget === "time" ? "time" : "text";
    input = h("input", { ...attributes, type });
  }
  const current = ctx.get(path);
  input.value = current === undefined ? "" : String(current);
  input.addEventListener("input", () => {
    const raw = input.value;
    const numeric = (schema.type === "integer" || schema.type === "number") && WHOLE_NUMBER.test(raw.trim());
    ctx.set(path, raw === "" ? undefined : numeric ? Number(raw.trim()) : raw);
  });
  return [h("label", { for: id, class: "label" }, labelText(ctx, key, optional)), hint, input];
}

function choiceOptions(ctx, key, schema) {
  if (schema.type === "boolean") return [[true, "Yes"], [false, "No"]];
  if (ctx.widget(key) === "scale") {
    return Array.from({ length: schema.maximum - schema.minimum + 1 }, (_, i) => [schema.minimum + i, String(schema.minimum + i)]);
  }
  const labels = ctx.options(key);
  return schema.enum.map((value) => [value, labels[value] ?? String(value)]);
}

function choiceField(ctx, path, key, schema, optional, multiple) {
  const id = ctx.idFor(path);
  const hint = hintFor(ctx, id, key);
  const options = choiceOptions(ctx, key, multiple ? resolve(schema.items, ctx.root) : schema);
  const current = ctx.get(path);
  const inputs = options.map(([value], i) => h("input", {
    type: multiple ? "checkbox" : "radio", id: i === 0 ? id : `${id}-${i}`, name: id, value: JSON.stringify(value),
    checked: multiple ? (current || []).includes(value) : current === value,
  }));
  const read = () => {
    const chosen = inputs.filter((input) => input.checked).map((input) => JSON.parse(input.value));
    ctx.set(path, multiple ? (chosen.length ? chosen : undefined) : chosen[0]);
  };
  inputs.forEach((input) => input.addEventListener("change", read));
  const layout = schema.type === "boolean" || ctx.widget(key) === "scale" ? "choices choices-inline" : "choices";
  return [h("fieldset", { class: "field-set", "aria-describedby": hint ? hint.id : undefined },
    h("legend", { class: "label" }, labelText(ctx, key, optional)), hint,
    h("div", { class: layout }, options.map(([, text], i) => h("div", { class: "choice" }, inputs[i],
      h("label", { for: inputs[i].id }, text)))))];
}

function selectField(ctx, path, key, schema, optional) {
  const id = ctx.idFor(path);
  const hint = hintFor(ctx, id, key);
  const current = ctx.get(path);
  const select = h("select", { id, name: id, "aria-describedby": hint ? hint.id : undefined },
    h("option", { value: "" }, "Choose an option"),
    choiceOptions(ctx, key, schema).map(([value, text]) => h("option", { value, selected: current === value }, text)));
  select.addEventListener("change", () => ctx.set(path, select.value === "" ? undefined : select.value));
  return [h("label", { for: id, class: "label" }, labelText(ctx, key, optional)), hint, select];
}

function photoField(ctx, path, key, schema, optional) {
  const id = ctx.idFor(path);
  const properties = resolve(schema, ctx.root).properties;
  const maxBytes = resolve(properties.size, ctx.root).maximum;
  const types = resolve(properties.mime, ctx.root).enum;
  const hint = hintFor(ctx, id, key, `Up to ${formatBytes(maxBytes)}.`);
  const input = h("input", { type: "file", id, name: id, accept: types.join(","),
    "aria-describedby": hint ? hint.id : undefined });
  const problem = h("p", { class: "error-message", id: `${id}-problem`, hidden: true });
  const current = ctx.get(path);
  const status = h("p", { class: "photo-status", id: `${id}-status` },
    current ? `Photo added (${formatBytes(current.size)}).` : "No photo added.");
  const remove = h("button", { type: "button", class: "secondary", hidden: !current }, "Remove photo");
  const refuse = (message) => {
    problem.replaceChildren(h("span", { class: "visually-hidden" }, "Error: "), message);
    problem.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [hint && hint.id, problem.id].filter(Boolean).join(" "));
    input.value = "";
    ctx.announce(message);
  };
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (!file) return;
    if (file.size > maxBytes) {
      refuse(`The photo is ${formatBytes(file.size)}. Choose a photo of ${formatBytes(maxBytes)} or less.`);
      return;
    }
    if (!types.includes(file.type)) {
      refuse("The photo must be a JPEG, PNG or WebP image.");
      return;
    }
    problem.hidden = true;
    input.removeAttribute("aria-invalid");
    const meta = { attachment_id: crypto.randomUUID(), mime: file.type, size: file.size };
    ctx.set(path, meta);
    ctx.onFile(file, meta);
    status.textContent = `Photo added (${formatBytes(file.size)}).`;
    remove.hidden = false;
    ctx.announce(status.textContent);
  });
  remove.addEventListener("click", () => {
    ctx.set(path, undefined);
    status.textContent = "No photo added.";
    remove.hidden = true;
    input.value = "";
    ctx.announce("Photo removed.");
    input.focus();
  });
  return [h("label", { for: id, class: "label" }, labelText(ctx, key, optional)), hint, problem, input,
    h("div", { class: "photo-row", "aria-live": "polite" }, status, remove)];
}

function renderProperty(ctx, path, key, schema, optional) {
  const widget = ctx.widget(key);
  if (widget === "photo") return photoField(ctx, path, key, schema, optional);
  if (schema.type === "array" && "enum" in resolve(schema.items || {}, ctx.root)) {
    return choiceField(ctx, path, key, schema, optional, true);
  }
  if (schema.type === "array") return [ctx.renderGroup(path, key, schema)];
  if (widget === "select") return selectField(ctx, path, key, schema, optional);
  if (schema.type === "boolean" || widget === "radios" || widget === "scale") {
    return choiceField(ctx, path, key, schema, optional, false);
  }
  if (schema.enum) return schema.enum.length > 6 ? selectField(ctx, path, key, schema, optional)
    : choiceField(ctx, path, key, schema, optional, false);
  return textField(ctx, path, key, schema, optional);
}

/** Whether property `name` of the object at `parentPath` should show: conditional ones only when required. */
export function isShown(ctx, parentPath, name) {
  const objectSchema = ctx.schemaAt(parentPath);
  const conditions = conditionalRequirements(objectSchema, ctx.root).get(name);
  if (!conditions || ctx.alwaysShown(ctx.keyOf(`${parentPath}/${name}`))) return true;
  const objectValue = ctx.get(parentPath) ?? {};
  return conditions.some((condition) => isValid(condition, objectValue, ctx.root));
}

/** Field wrappers for properties `names` of the object at `parentPath`. */
export function renderFields(ctx, parentPath, names) {
  const objectSchema = ctx.schemaAt(parentPath);
  const conditional = conditionalRequirements(objectSchema, ctx.root);
  const required = objectSchema.required || [];
  return names.map((name) => {
    const path = `${parentPath}/${name}`;
    const key = ctx.keyOf(path);
    const schema = resolve(objectSchema.properties[name], ctx.root);
    const optional = !required.includes(name) && !conditional.has(name);
    const notes = parentPath === "" && ctx.annotate ? ctx.annotate(path, ctx.label(key)) : [];
    const field = wrapper(path, parentPath, name, ...notes, ...renderProperty(ctx, path, key, schema, optional));
    if (conditional.has(name)) {
      field.dataset.conditional = "true";
      field.hidden = !isShown(ctx, parentPath, name);
    }
    return field;
  });
}
