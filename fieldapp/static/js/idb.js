// idb.js — the app's one IndexedDB database: lazy open, one promise per request, and transactions that
// resolve only once committed (oncomplete). Store names and keys carry no personal data.

const DB_NAME = "fieldapp";
const DB_VERSION = 1;

// meta:    plain settings (vault salt and wrapped key, device id, server public key, wipe notice)
// drafts:  encrypted drafts, random ids
// records: encrypted snapshots from the server (caseload, profile)
// outbox:  envelopes sealed to the server key — unreadable on this device
export const STORES = Object.freeze({ meta: "meta", drafts: "drafts", records: "records", outbox: "outbox" });

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const name of Object.values(STORES)) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath: "id" });
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer app version upgrading the schema in another tab: let it, and reopen lazily next time.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("Storage is held by another fieldapp tab. Close the other tabs."));
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

export function settle(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Run `work(tx)` in one transaction; resolves with its result after the transaction has committed.
export async function transact(storeNames, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeNames, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("A storage transaction was aborted."));
    Promise.resolve()
      .then(() => work(tx))
      .then((value) => { result = value; }, (error) => {
        reject(error);
        if (!tx.error) tx.abort();
      });
  });
}

export const get = (store, id) => transact(store, "readonly", (tx) => settle(tx.objectStore(store).get(id)));
export const getAll = (store) => transact(store, "readonly", (tx) => settle(tx.objectStore(store).getAll()));
export const count = (store) => transact(store, "readonly", (tx) => settle(tx.objectStore(store).count()));
export const put = (store, value) => transact(store, "readwrite", (tx) => settle(tx.objectStore(store).put(value)));
export const remove = (store, id) => transact(store, "readwrite", (tx) => settle(tx.objectStore(store).delete(id)));

// Remove everything readable (vault key material, drafts, snapshots, device settings) in one transaction,
// keeping only the sealed outbox, and leave `notice` saying why. See README "Revoked devices".
// `withOutbox(outboxStore)` runs in the same transaction (revocation releases its sealed drafts there).
export function wipeReadable(notice, withOutbox = null) {
  const stores = [STORES.meta, STORES.drafts, STORES.records, ...(withOutbox ? [STORES.outbox] : [])];
  return transact(stores, "readwrite", (tx) => {
    if (withOutbox) withOutbox(tx.objectStore(STORES.outbox));
    tx.objectStore(STORES.drafts).clear();
    tx.objectStore(STORES.records).clear();
    const meta = tx.objectStore(STORES.meta);
    meta.clear();
    meta.put({ id: "wipe-notice", ...notice });
  });
}
