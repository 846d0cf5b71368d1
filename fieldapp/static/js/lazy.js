// lazy.js — screens loaded when first opened (dynamic import of same-origin modules: allowed by script-src 'self').
// The service worker precaches every module, so each screen still opens offline the first time. If one cannot be
// fetched (an old worker without it, storage cleared), the worker sees why instead of a blank screen.

import { notice } from "./ui.js";

const loaded = new Map(); // name → Promise of the module, kept so each screen is fetched and initialised once

export class ScreenUnavailable extends Error {}

export function loadScreen(name, importer, setup = null) {
  if (!loaded.has(name)) {
    const promise = importer().then(async (module) => {
      if (setup) await setup(module);
      notice(`lazy-${name}`, "");
      return module;
    }, (error) => {
      loaded.delete(name); // a later attempt (back online) may succeed
      console.error(`fieldapp: could not load the ${name}`, error);
      const text = `The ${name} could not be opened: ${navigator.onLine
        ? "it did not load. Reload fieldapp and try again." : "it is not saved on this device yet and you are offline. Connect and try again."} Your saved work is safe.`;
      notice(`lazy-${name}`, text, "error");
      throw new ScreenUnavailable(text);
    });
    loaded.set(name, promise);
  }
  return loaded.get(name);
}

// The module if it has been loaded already (for flushes and locks that must not fetch anything), else null.
export async function ifLoaded(name) {
  return loaded.has(name) ? loaded.get(name).catch(() => null) : null;
}
