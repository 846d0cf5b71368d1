// safety-queue.js — what the safety page keeps on the device, in its own IndexedDB database "fieldapp-safety"
// (not the vault's: a worker in danger cannot stop to type a PIN, so nothing here may need one).
//   panics:  presses the server has not yet confirmed: { id (random UUID), pressed_at (this device's clock),
//            tries }. Nothing personal: no address, no case, no name.
//   context: the running visit as the SMS needs it (worker's name, address, case number, duty number), one
//            AES-GCM ciphertext bound to its key "visit", under a random non-extractable key kept in "keys".
//            That keeps it out of plain storage dumps and away from anything that can read but not run code
//            here; it cannot stop forensic reading of the device's disk, which is why only the running visit is
//            kept and it is removed when the session ends.

const DB_NAME = "fieldapp-safety";
const STORES = ["panics", "context", "keys"];
const VISIT = "visit";

let opening = null;

function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        for (const name of STORES) {
          if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, { keyPath: "id" });
        }
      };
      request.onsuccess = () => {
        request.result.onversionchange = () => { request.result.close(); opening = null; };
        resolve(request.result);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("Safety storage is held by another fieldapp tab."));
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

// Resolves only once the transaction has committed: a panic is "saved" when it is on disk, not before.
async function transact(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("A safety storage transaction was aborted."));
    const request = work(tx.objectStore(store));
    if (request) request.onsuccess = () => { result = request.result; };
  });
}

export async function queuePanic() {
  const panic = { id: crypto.randomUUID(), pressed_at: new Date().toISOString(), tries: 0 };
  await transact("panics", "readwrite", (store) => store.put(panic));
  return panic;
}

export async function pendingPanics() {
  const rows = await transact("panics", "readonly", (store) => store.getAll());
  return rows.sort((a, b) => a.pressed_at.localeCompare(b.pressed_at));
}

export const updatePanic = (panic) => transact("panics", "readwrite", (store) => store.put(panic));
export const forgetPanic = (id) => transact("panics", "readwrite", (store) => store.delete(id));

async function contextKey() {
  const stored = await transact("keys", "readonly", (store) => store.get(VISIT));
  if (stored) return stored.key;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await transact("keys", "readwrite", (store) => store.put({ id: VISIT, key }));
  return key;
}

const AAD = new TextEncoder().encode(`fieldapp-safety/context/${VISIT}`);

export async function saveContext(context) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(context));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, await contextKey(), plain);
  await transact("context", "readwrite", (store) => store.put({ id: VISIT, iv, data }));
}

// null when nothing is kept, or when it cannot be read (then it is removed: it is a convenience, never a record).
export async function loadContext() {
  const row = await transact("context", "readonly", (store) => store.get(VISIT));
  if (!row) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv, additionalData: AAD }, await contextKey(), row.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch (error) {
    console.warn("fieldapp safety: the kept visit details could not be read and were removed", error);
    await clearContext();
    return null;
  }
}

export const clearContext = () => transact("context", "readwrite", (store) => store.delete(VISIT));
