// sw-registration.js — the one place the offline shell's service worker is registered. Every page registers it
// with the same scope and update options: a registration made elsewhere with other options would change how
// (and whether) updates are checked for everyone.

export const registerServiceWorker = () =>
  navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" });
