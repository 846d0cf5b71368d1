// fieldapp service worker (served at /sw.js, scope /). Generated per version by fieldapp/shell/views.py.
// - precaches the app shell under "fieldapp-static-<VERSION>"; activate deletes only our stale caches;
// - /app and shell files: cache first; other navigations: network, falling back to the cached /app shell;
// - /api/*: network only, never cached; server pages are never cached;
// - never skips waiting on its own: the page asks, after the worker chose "Update now";
// - sync (Background Sync): posts RUN_SYNC to the open pages;
// - push: always shows a notification; a click focuses or opens the page it points to.
// It never opens IndexedDB, so drafts and the sealed outbox survive every update.

const VERSION = {{ version|tojson }};
const CACHE_PREFIX = "fieldapp-static-";
const CACHE = CACHE_PREFIX + VERSION;
const SHELL_URL = {{ shell_url|tojson }};
const PRECACHE = {{ precache|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })))));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function fromShellCache(path) {
  const cache = await caches.open(CACHE);
  return cache.match(path);
}

async function navigate(request, url) {
  if (url.pathname === SHELL_URL) {
    const shell = await fromShellCache(SHELL_URL);
    if (shell) return shell;
  }
  try {
    return await fetch(request);
  } catch (error) {
    // A precached page (e.g. /safety) offline is itself; anything else falls back to the app shell.
    const shell = (await fromShellCache(url.pathname)) || (await fromShellCache(SHELL_URL));
    if (shell) return shell;
    throw error;
  }
}

async function cacheFirst(request, url) {
  return (await fromShellCache(url.pathname)) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") event.respondWith(navigate(request, url));
  else if (PRECACHE.includes(url.pathname)) event.respondWith(cacheFirst(request, url));
});

// Background Sync (where the browser has it; never relied on): ask the open pages to run sync.js. The worker
// never reads IndexedDB itself, so the sealed outbox and the vault stay the page's business.
self.addEventListener("sync", (event) => {
  const type = { "fieldapp-sync": "RUN_SYNC", "fieldapp-safety-panic": "SEND_PANICS" }[event.tag];
  if (!type) return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((windows) =>
    windows.forEach((client) => client.postMessage({ type }))));
});

// Contract with the lone-worker safety alerts: every push shows a notification, even one we cannot parse.
self.addEventListener("push", (event) => {
  let message = {};
  let text = "";
  if (event.data) {
    try {
      message = event.data.json();
    } catch (error) {
      text = event.data.text();
    }
  }
  if (message === null || typeof message !== "object") message = {};
  const title = message.title || "fieldapp alert";
  event.waitUntil(self.registration.showNotification(title, {
    body: message.body || text,
    tag: message.tag,
    data: { url: message.url },
    requireInteraction: message.kind !== "reminder",
    // News to a worker about their own alert makes no sound: they may be hiding from someone.
    silent: message.kind === "worker_update",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL((event.notification.data && event.notification.data.url) || SHELL_URL, self.location.origin);
  if (target.origin !== self.location.origin) target = new URL(SHELL_URL, self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === target.href);
    if (open) return open.focus();
    return self.clients.openWindow(target.href);
  })());
});
