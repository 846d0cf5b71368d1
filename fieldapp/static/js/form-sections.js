// form-sections.js — a record form's sections (forms.js): one shown at a time, "Section N of M", and
// Previous/Next buttons naming where they lead.

import { h } from "./form-fields.js";

/** `fieldsOf(section)` renders one section's fields. */
export function createSections({ form, sections, prefix, fieldsOf }) {
  let current = 0;

  function element(section, index) {
    const count = sections.length;
    const headingId = `${prefix}-section-${section.id}`;
    const nav = h("div", { class: "section-nav" },
      index > 0 ? h("button", { type: "button", class: "secondary", "data-go": index - 1 },
        `Previous: ${sections[index - 1].title}`) : null,
      index < count - 1 ? h("button", { type: "button", "data-go": index + 1 },
        `Next: ${sections[index + 1].title}`) : null);
    nav.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-go]");
      if (button) show(Number(button.dataset.go));
    });
    return h("section", { class: "form-section", "aria-labelledby": headingId, hidden: index !== current,
      "data-section": index },
    h("p", { class: "progress" }, `Section ${index + 1} of ${count}`),
    h("h2", { id: headingId, tabindex: -1 }, section.title),
    fieldsOf(section), nav);
  }

  function render() {
    form.replaceChildren(...sections.map(element));
  }

  function show(index, { focusHeading = true } = {}) {
    current = Math.max(0, Math.min(index, sections.length - 1));
    for (const section of form.querySelectorAll(".form-section")) section.hidden = Number(section.dataset.section) !== current;
    if (focusHeading) form.querySelector(`[data-section="${current}"] h2`).focus();
  }

  return { render, show };
}
