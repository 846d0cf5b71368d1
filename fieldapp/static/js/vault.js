// vault.js — the device's data key. A random AES-256-GCM key, wrapped (AES-KW) by a key derived from the
// worker's PIN with PBKDF2-SHA256. Unwrapped, it lives only here in memory, non-extractable, until locked.

import { STORES, get, put, wipeReadable } from "./idb.js";

export const PBKDF2_ITERATIONS = 600000;
export const DEFAULT_IDLE_SECONDS = 300;
export const DEFAULT_MAX_ATTEMPTS = 5;
const VAULT_ID = "vault";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let dataKey = null;
let idleMs = DEFAULT_IDLE_SECONDS * 1000;
let idleTimer = null;
let lastActivity = Date.now();
const listeners = new Set();
const beforeLockHooks = new Set();

export class WrongPin extends Error {
  constructor(attemptsLeft) {
    super(`That PIN is not right. ${attemptsLeft} ${attemptsLeft === 1 ? "try" : "tries"} left before this device's data is removed.`);
    this.attemptsLeft = attemptsLeft;
  }
}
export class VaultWiped extends Error {}
export class VaultLocked extends Error {
  constructor() { super("The app is locked."); }
}

// The PIN rule, stated to the worker in the set-up form:
//   digits only: at least 6, not all the same digit, not a straight run up or down (123456, 654321),
//     and not a short group repeated (121212, 123123);
//   anything else is a passphrase: at least 10 characters, at least 4 different characters.
export function checkPinStrength(pin) {
  const value = String(pin ?? "");
  if (/^\d+$/.test(value)) {
    if (value.length < 6) return { ok: false, reason: "A PIN needs at least 6 digits." };
    const steps = new Set([...value].slice(1).map((d, i) => (Number(d) - Number(value[i]) + 10) % 10));
    if (steps.size === 1) return { ok: false, reason: "That PIN is too easy to guess (a run or one repeated digit)." };
    for (let size = 1; size <= value.length / 2; size += 1) {
      if (value.length % size === 0 && value.slice(0, size).repeat(value.length / size) === value) {
        return { ok: false, reason: "That PIN is too easy to guess (a short group repeated)." };
      }
    }
    return { ok: true };
  }
  if (value.length < 10) return { ok: false, reason: "A passphrase needs at least 10 characters (or use a PIN of 6+ digits)." };
  if (new Set(value).size < 4) return { ok: false, reason: "That passphrase is too easy to guess." };
  return { ok: true };
}

function emit(state, detail = {}) {
  for (const listener of listeners) listener(state, detail);
}

export function onVaultChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Work to finish while the key is still there (e.g. saving a half-typed note as an encrypted draft).
export function beforeLock(hook) {
  beforeLockHooks.add(hook);
  return () => beforeLockHooks.delete(hook);
}

export const isUnlocked = () => dataKey !== null;

export async function readVault() {
  return get(STORES.meta, VAULT_ID);
}

async function deriveKek(pin, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(pin.normalize("NFKC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material,
    { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

function unwrapDataKey(wrapped, kek) {
  return crypto.subtle.unwrapKey("raw", wrapped, kek, "AES-KW", { name: "AES-GCM", length: 256 }, false,
    ["encrypt", "decrypt"]);
}

export async function createVault(pin, { idleSeconds = DEFAULT_IDLE_SECONDS, maxAttempts = DEFAULT_MAX_ATTEMPTS } = {}) {
  const strength = checkPinStrength(pin);
  if (!strength.ok) throw new Error(strength.reason);
  if (await readVault()) throw new Error("This device already has a vault.");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const kek = await deriveKek(pin, salt, PBKDF2_ITERATIONS);
  // Extractable only long enough to be wrapped; the copy kept in memory is the non-extractable unwrapped one.
  const fresh = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey("raw", fresh, kek, "AES-KW"));
  const key = await unwrapDataKey(wrapped, kek);
  await put(STORES.meta, {
    id: VAULT_ID, v: 1, kdf: "PBKDF2-SHA256", iterations: PBKDF2_ITERATIONS, salt, wrapped,
    failures: 0, maxAttempts, idleSeconds,
  });
  dataKey = key;
  idleMs = idleSeconds * 1000;
  noteActivity();
  emit("unlocked");
}

export async function unlock(pin) {
  const { vault, key } = await openWithPin(pin);
  dataKey = key;
  idleMs = (vault.idleSeconds || DEFAULT_IDLE_SECONDS) * 1000;
  noteActivity();
  emit("unlocked");
}

// The worker's PIN checked while unlocked (leaving the child's own mode): the same count of wrong tries and the
// same wipe as the lock screen, so handing the tablet over gives no extra guesses.
export async function verifyPin(pin) {
  await openWithPin(pin);
}

async function openWithPin(pin) {
  const vault = await readVault();
  if (!vault) throw new VaultWiped("There is no vault on this device.");
  const failures = (vault.failures || 0) + 1;
  // Counted before trying, so closing the app mid-try cannot give a free guess.
  await put(STORES.meta, { ...vault, failures });
  let key;
  try {
    key = await unwrapDataKey(vault.wrapped, await deriveKek(String(pin), vault.salt, vault.iterations));
  } catch (error) {
    if (failures >= vault.maxAttempts) {
      await wipeReadable({ reason: "pin", at: new Date().toISOString(), attempts: failures });
      emit("wiped", { reason: "pin" });
      throw new VaultWiped(`${failures} wrong PINs in a row: this device's data was removed to protect it.`);
    }
    throw new WrongPin(vault.maxAttempts - failures);
  }
  await put(STORES.meta, { ...vault, failures: 0 });
  return { vault, key };
}

// Lock: finish the before-lock work, then drop the only reference to the key.
export async function lock(reason = "button") {
  if (!dataKey) return;
  for (const hook of beforeLockHooks) {
    try {
      await hook(reason);
    } catch (error) {
      console.error("fieldapp: saving before lock failed", error);
    }
  }
  forgetKey(reason);
}

export function forgetKey(reason = "wipe") {
  const wasUnlocked = dataKey !== null;
  dataKey = null;
  clearTimeout(idleTimer);
  if (wasUnlocked) emit("locked", { reason });
}

function requireKey() {
  if (!dataKey) throw new VaultLocked();
  return dataKey;
}

// `context` (store and id) is bound as AAD: a ciphertext copied onto another record will not open.
export async function encryptJSON(value, context) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    requireKey(), encoder.encode(JSON.stringify(value)));
  return { iv, ct: new Uint8Array(ct) };
}

export async function decryptJSON({ iv, ct }, context) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    requireKey(), ct);
  return JSON.parse(decoder.decode(plain));
}

// Idle auto-lock: any touch, key or scroll resets the clock; returning to a hidden tab checks it too,
// because timers are throttled in the background.
function scheduleIdleCheck() {
  clearTimeout(idleTimer);
  if (dataKey) idleTimer = setTimeout(checkIdle, Math.max(0, lastActivity + idleMs - Date.now()));
}

// While the child works on the tablet (child-mode.js) nothing times out; the clock restarts when it ends.
let idleSuspended = false;
export function suspendIdleLock(suspended) {
  idleSuspended = Boolean(suspended);
  noteActivity();
}

function checkIdle() {
  if (idleSuspended) return;
  if (dataKey && Date.now() - lastActivity >= idleMs) lock("idle");
  else scheduleIdleCheck();
}

function noteActivity() {
  lastActivity = Date.now();
  scheduleIdleCheck();
}

export function watchIdle(target = document) {
  for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    target.addEventListener(type, noteActivity, { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", checkIdle);
}
