// autosave.js — durable typing. Every change is written to the encrypted vault at once, with no debounce: while
// one write is in flight, later changes are coalesced (only the newest value of each key is kept) and written as
// soon as it finishes. So a keystroke reaches IndexedDB within one or two writes (a few ms each; the measured
// window is in the README), and nothing typed waits on a timer. While anything is unwritten, the page asks
// before it is unloaded (beforeunload), and the last write is retried on pagehide.

const LATENCY_SAMPLES = 500;
const savers = new Set();

// Measured on this device: ms from a change to its write being committed (the newest LATENCY_SAMPLES).
export const saveLatencies = [];

function note(latency) {
  saveLatencies.push(latency);
  if (saveLatencies.length > LATENCY_SAMPLES) saveLatencies.shift();
}

// `write(key, value)` stores one value durably (resolves once committed) and throws if it cannot.
// `onState({state: "saving"|"saved"|"error", error, at})` tells the page what the worker should see.
export function createAutosaver({ write, onState = () => {} }) {
  const pending = new Map(); // key → {value, since}: changes not yet handed to `write`
  let inFlight = null;
  let failed = false;

  async function run() {
    failed = false;
    while (pending.size && !failed) {
      const batch = [...pending.entries()];
      pending.clear();
      for (const [key, change] of batch) {
        try {
          await write(key, change.value);
          note(performance.now() - change.since);
        } catch (error) {
          // Kept in memory (unless a newer value arrived meanwhile) and tried again on the next change or flush.
          if (!pending.has(key)) pending.set(key, change);
          failed = true;
          onState({ state: "error", error });
        }
      }
    }
    if (!failed) onState({ state: "saved", at: new Date() });
  }

  function kick() {
    if (!inFlight && pending.size) {
      inFlight = run().finally(() => {
        inFlight = null;
        if (pending.size && !failed) kick(); // a change that came in as the last write finished
      });
    }
    return inFlight || Promise.resolve();
  }

  const saver = {
    change(key, value) {
      pending.set(key, { value, since: pending.get(key)?.since ?? performance.now() });
      onState({ state: "saving" });
      kick();
    },
    // Write everything still waiting; one retry of what failed. Resolves when nothing is in flight.
    async flush() {
      if (inFlight) await inFlight;
      if (pending.size) await kick();
      if (inFlight) await inFlight;
    },
    busy: () => inFlight !== null || pending.size > 0,
    // Forget what is waiting (the vault locked after the before-lock flush, or the record was closed).
    drop() { pending.clear(); },
  };
  savers.add(saver);
  return saver;
}

export const anythingUnsaved = () => [...savers].some((saver) => saver.busy());

// The browser's own "Leave site?" question, only while a write is still pending.
window.addEventListener("beforeunload", (event) => {
  if (!anythingUnsaved()) return;
  for (const saver of savers) saver.flush();
  event.preventDefault();
  event.returnValue = "";
});
window.addEventListener("pagehide", () => { for (const saver of savers) saver.flush(); });
