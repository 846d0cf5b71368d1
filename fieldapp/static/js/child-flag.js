// child-flag.js — whether the child's own mode is on: a meta row of random ids only, readable before unlock, so
// app.js can tell at boot (without loading child mode's screens) that a reload must come back sealed.

import { STORES, get, put, remove } from "./idb.js";

const FLAG = "child-mode"; // meta: {groupId, childId, since}; no personal data (ids are random)

export const readFlag = async () => (await get(STORES.meta, FLAG))?.value || null;
export const writeFlag = (value) => put(STORES.meta, { id: FLAG, value });
export const removeFlag = () => remove(STORES.meta, FLAG);
