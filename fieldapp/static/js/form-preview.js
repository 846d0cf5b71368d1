// The form preview page: renders one record type's form so workers (and browser tests) can try it.
// Nothing is saved; the record as it would be saved is shown below the form.

import { renderForm } from "./forms.js";

const root = document.getElementById("record-form");
const output = document.getElementById("record-value");
const status = document.getElementById("check-status");

/** The attachments chosen in this preview, by attachment id (the real app stores them in the vault). */
export const files = new Map();

async function start() {
  const response = await fetch(root.dataset.definitionUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    root.textContent = "This form could not be loaded. Reload the page to try again.";
    throw new Error(`definition request failed: ${response.status}`);
  }
  const definition = await response.json();
  const show = (value) => { output.textContent = JSON.stringify(value, null, 2); };
  const initial = { record_type: definition.type, schema_version: definition.schema_version,
    id: crypto.randomUUID(), child_id: crypto.randomUUID() };
  if (definition.type === "visit") initial.seen_alone_record_id = crypto.randomUUID();
  if (definition.type === "seen_alone") initial.visit_id = crypto.randomUUID();
  const form = renderForm(root, definition, {
    value: initial,
    onChange: show,
    onFile: (file, meta) => files.set(meta.attachment_id, file),
  });
  show(form.getValue());
  document.getElementById("check-record").addEventListener("click", () => {
    const errors = form.validate();
    status.textContent = errors.length ? "" : "No problems found: this record is ready to finalise.";
  });
  root.dataset.ready = "true";
  return form;
}

/** Resolves to the form controller once the definition has loaded. */
export const ready = start();
