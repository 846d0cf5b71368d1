// The printable record's "Print" button (CSP forbids inline handlers).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
