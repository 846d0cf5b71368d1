// form-errors.js — a record form's error display (forms.js): the summary at the top, in the order of the fields
// on the page, each linking to its field; and each field's inline message, tied to its control with
// aria-describedby / aria-invalid and untied again exactly as it was when the errors clear.

import { h } from "./form-fields.js";

/** `idFor(path)` gives a control's id; `showSection(index, {focusHeading})` moves to the section holding it. */
export function createErrorDisplay({ form, summary, prefix, idFor, showSection }) {
  let errors = [];

  // The field an error is about: the one at its path, else the nearest enclosing one (an item, a group).
  function fieldFor(path) {
    for (let at = path; ; at = at.slice(0, at.lastIndexOf("/"))) {
      const field = form.querySelector(`.field[data-path="${CSS.escape(at)}"]`);
      if (field || at === "") return field;
    }
  }

  function focusTarget(path) {
    const field = fieldFor(path);
    if (!field) return null;
    return document.getElementById(idFor(path)) || field.querySelector("input, select, textarea, button");
  }

  function goTo(path) {
    const target = focusTarget(path);
    const section = target?.closest(".form-section");
    if (!target || !section) return;
    showSection(Number(section.dataset.section), { focusHeading: false });
    target.focus();
    target.scrollIntoView({ block: "center" });
  }

  function clearMarks() {
    form.querySelectorAll(".error-message[data-generated]").forEach((node) => node.remove());
    form.querySelectorAll(".field-error").forEach((node) => node.classList.remove("field-error"));
    form.querySelectorAll("[data-error-for]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      if (node.dataset.describedBefore) node.setAttribute("aria-describedby", node.dataset.describedBefore);
      else node.removeAttribute("aria-describedby");
      delete node.dataset.errorFor;
      delete node.dataset.describedBefore;
    });
  }

  // Paint the current errors on the form as it is now (called again after every re-render).
  function paint() {
    clearMarks();
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

  /** Show `fieldErrors` ({path, message}), focus the summary if there are any; returns them. */
  function show(fieldErrors) {
    errors = fieldErrors.map(({ path, message }) => ({ path, message }));
    paint();
    if (errors.length) summary.focus();
    return errors;
  }

  return { paint, show };
}
