"""Benchmark the offline app shell: `python bench/shell.py` (needs Debian's Chromium and Playwright).

Reports the shell's gzipped first-load size (goal ≤ 40 KB: the /app page, its CSS and every module app.js imports
statically; screens loaded on first open are not in it), beside a baseline in the same run (the same files with
every screen loaded eagerly, as the shell was before) and the service worker's whole precache; the offline cold
load time in headless Chromium (server stopped, service worker stopped before each load), encrypt+store time per item
and for 1,000 items, and the vault unlock time (PBKDF2-SHA256, 600,000 iterations). Results also go to
bench/results/shell.json.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (bench/chromium.py, beside this script)
from werkzeug.serving import make_server  # noqa: E402
from worker_store import PASSWORD, worker_app  # noqa: E402  (bench/worker_store.py)

from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import LegalStatus  # noqa: E402
from fieldapp.shell.assets import precache_urls  # noqa: E402
from fieldapp.shell.first_load import first_load  # noqa: E402

GOAL_KB = 40
PIN = "482915"


def build_app(folder: Path):
    caseload = [  # a full-time caseload
        dict(
            case_number=f"BENCH-{number}",
            first_name=f"Child{number}",
            last_name="Example",
            date_of_birth=date(2014, 1, 1 + number),
            legal_status=LegalStatus.CHILD_IN_NEED,
            address=f"{number} Example Street, Demo Town, ZZ99 9ZZ",
        )
        for number in range(22)
    ]
    return worker_app(folder, caseload)


def transfer_sizes(app) -> dict:
    client = app.test_client()
    sizes = {"html": 0, "js": 0, "css": 0, "other": 0}
    raw_total = 0
    with app.test_request_context():
        urls = precache_urls(app)
    for url in urls:
        with client.get(url) as response:
            body = response.get_data()
        kind = "html" if url == "/app" else url.rsplit(".", 1)[-1] if url.endswith((".js", ".css")) else "other"
        sizes[kind] += len(gzip.compress(body, 9))
        raw_total += len(body) if kind != "other" else 0
    precached = sizes["html"] + sizes["js"] + sizes["css"]
    first = first_load(client)
    return {
        "gzip_bytes": sizes,
        "shell_gzip_kb": round(first["total"] / 1024, 1),
        "first_load_files": first["files"],
        "lazy_modules": first["lazy"],
        "baseline_all_screens_eager_kb": round(first["eager_total"] / 1024, 1),
        "precache_html_js_css_kb": round(precached / 1024, 1),
        "precache_raw_kb": round(raw_total / 1024, 1),
        "goal_kb": GOAL_KB,
        "within_goal": first["total"] <= GOAL_KB * 1024,
    }


def enrol(page, url):
    page.goto(f"{url}/login")
    page.fill("#username", "bench.worker")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_selector("#screen-setpin:not([hidden])")
    page.fill("#new-pin", PIN)
    page.fill("#confirm-pin", PIN)
    page.click("#setpin-form button[type=submit]")
    page.wait_for_selector("#caseload-list li")
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


STORE_BENCH = """async (count) => {
  const store = await import('/static/js/store.js');
  const note = (i) => ({ type: 'note', title: `Bench note ${i}`, body: 'x'.repeat(1500) });
  const single = [];
  for (let i = 0; i < 20; i += 1) {
    const t0 = performance.now();
    await store.saveDraft(note(i));
    single.push(performance.now() - t0);
  }
  const t0 = performance.now();
  for (let i = 0; i < count; i += 1) await store.saveDraft(note(i));
  const total = performance.now() - t0;
  const t1 = performance.now();
  const listed = await store.listDrafts();
  const listMs = performance.now() - t1;
  // Baseline in the same run: the same items put unencrypted into a scratch database, one transaction each.
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('bench-baseline', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('plain', { keyPath: 'id' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const t2 = performance.now();
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve, reject) => {
      const tx = db.transaction('plain', 'readwrite');
      tx.objectStore('plain').put({ id: crypto.randomUUID(), ...note(i) });
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
  const plainTotal = performance.now() - t2;
  db.close();
  indexedDB.deleteDatabase('bench-baseline');
  return { single, total, count, listMs, listed: listed.length, plainTotal };
}"""

UNLOCK_BENCH = """async (pin) => {
  const vault = await import('/static/js/vault.js');
  const times = [];
  const pbkdf2 = [];
  for (let i = 0; i < 5; i += 1) {
    vault.forgetKey('bench');
    const t0 = performance.now();
    await vault.unlock(pin);
    times.push(performance.now() - t0);
    // Baseline: the key derivation alone, same parameters, so the rest of unlock shows as the difference.
    const secret = new TextEncoder().encode(pin);
    const material = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    const t1 = performance.now();
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 600000 },
      material, 256);
    pbkdf2.push(performance.now() - t1);
  }
  return { times, pbkdf2 };
}"""

ONLINE_FIRST_VISIT = "first visit online, no service worker yet"


def browser_figures(url: str, server) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config", "XDG_CACHE_HOME": f"{home}/.cache"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        context = browser.new_context(viewport={"width": 768, "height": 1024})
        page = context.new_page()
        page.set_default_timeout(60000)
        baseline_loads = []
        for _ in range(5):  # baseline: a first visit over the network in a fresh context (no worker, no cache)
            fresh = browser.new_context(viewport={"width": 768, "height": 1024})
            first = fresh.new_page()
            started = time.perf_counter()
            first.goto(f"{url}/app")
            first.wait_for_selector("#screen-signin:not([hidden])")
            baseline_loads.append((time.perf_counter() - started) * 1000)
            fresh.close()
        enrol(page, url)
        unlock = page.evaluate(UNLOCK_BENCH, PIN)
        unlock_ms = unlock["times"]
        store = page.evaluate(STORE_BENCH, 1000)
        page.close()

        server.shutdown()
        server.server_close()
        context.set_offline(True)
        loads = []
        for _ in range(5):
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("ServiceWorker.enable")
            cdp.send("ServiceWorker.stopAllWorkers")  # a cold start of the worker too
            started = time.perf_counter()
            page.goto(f"{url}/app")
            page.wait_for_selector("#screen-unlock:not([hidden])")
            loads.append((time.perf_counter() - started) * 1000)
            page.close()
        browser.close()
    return {
        "offline_cold_load_ms": {
            "median": round(statistics.median(loads), 1),
            "max": round(max(loads), 1),
            "runs": [round(x, 1) for x in loads],
            "baseline": ONLINE_FIRST_VISIT,
            "baseline_median": round(statistics.median(baseline_loads), 1),
        },
        "vault_unlock_ms": {
            "median": round(statistics.median(unlock_ms), 1),
            "max": round(max(unlock_ms), 1),
            "pbkdf2_iterations": 600000,
            "baseline_pbkdf2_alone_median": round(statistics.median(unlock["pbkdf2"]), 1),
        },
        "encrypt_store_ms": {
            "per_item_median": round(statistics.median(store["single"]), 2),
            "baseline_plain_1000_total": round(store["plainTotal"], 1),
            "per_item_max": round(max(store["single"]), 2),
            "items_1000_total": round(store["total"], 1),
            "items_1000_per_item": round(store["total"] / store["count"], 2),
            "decrypt_list_all_ms": round(store["listMs"], 1),
            "drafts_listed": store["listed"],
        },
    }


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        results = {"transfer": transfer_sizes(app)}
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        results.update(browser_figures(f"http://127.0.0.1:{server.server_port}", server))
        with app.app_context():
            db.engine.dispose()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "shell.json").write_text(json.dumps(results, indent=2))
    t, load, unlock, store = (
        results["transfer"],
        results["offline_cold_load_ms"],
        results["vault_unlock_ms"],
        results["encrypt_store_ms"],
    )
    print(
        f"first load of /app, gzipped (HTML+CSS+static JS graph of app.js, {len(t['first_load_files'])} files): "
        f"{t['shell_gzip_kb']} KB (goal ≤ {GOAL_KB} KB: {'met' if t['within_goal'] else 'MISSED'}, "
        f"{t['shell_gzip_kb'] / GOAL_KB:.2f} of it); baseline (same files, every screen eager) "
        f"{t['baseline_all_screens_eager_kb']} KB, "
        f"ratio {t['shell_gzip_kb'] / t['baseline_all_screens_eager_kb']:.2f}; "
        f"{len(t['lazy_modules'])} modules loaded on first open; whole precache (HTML+JS+CSS) "
        f"{t['precache_html_js_css_kb']} KB gzipped, {t['precache_raw_kb']} KB uncompressed; "
        f"icons+manifest {round(t['gzip_bytes']['other'] / 1024, 1)} KB gzipped"
    )
    print(
        f"offline cold load to unlock screen (server stopped, SW cold): median {load['median']} ms, "
        f"max {load['max']} ms over {len(load['runs'])} loads; baseline ({ONLINE_FIRST_VISIT}) median "
        f"{load['baseline_median']} ms, ratio {load['median'] / load['baseline_median']:.2f}"
    )
    print(
        f"vault unlock (PBKDF2-SHA256 600k + AES-KW unwrap): median {unlock['median']} ms, max {unlock['max']} ms; "
        f"baseline PBKDF2 alone {unlock['baseline_pbkdf2_alone_median']} ms, "
        f"ratio {unlock['median'] / unlock['baseline_pbkdf2_alone_median']:.2f}"
    )
    print(
        f"encrypt+store one draft: median {store['per_item_median']} ms (max {store['per_item_max']} ms); "
        f"1,000 drafts: {store['items_1000_total']} ms ({store['items_1000_per_item']} ms/item); baseline "
        f"unencrypted puts {store['baseline_plain_1000_total']} ms, ratio "
        f"{store['items_1000_total'] / store['baseline_plain_1000_total']:.2f}; "
        f"decrypt and list {store['drafts_listed']}: {store['decrypt_list_all_ms']} ms"
    )


if __name__ == "__main__":
    main()
