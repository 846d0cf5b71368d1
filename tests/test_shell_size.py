"""The app shell's first load (issue 17): the /app page, its stylesheets and every module app.js imports
statically, gzipped file by file, from the files the app really serves, stay within 40 KB. Screens load when first
opened (dynamic import) and must still be precached by the service worker, so they open offline the first time."""

from __future__ import annotations

import json
import re

from fieldapp.shell.first_load import first_load, module_imports

GOAL_BYTES = 40 * 1024
JS = "/static/js/"
# The record editor and its forms, the child's own mode, amend, revocation and sync are not in first load.
LOADED_ON_FIRST_OPEN = ["record-editor", "forms", "schema-validate", "carried", "carry-forward", "autosave"]
LOADED_ON_FIRST_OPEN += ["child-mode", "child-pages", "amend", "revocation", "sync", "sync-ui", "home"]


def precache(client) -> set[str]:
    with client.get("/sw.js") as response:
        script = response.get_data(as_text=True)
    return set(json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1)))


def test_first_load_of_the_app_shell_stays_within_40_kb_gzipped(client):
    result = first_load(client)
    files = result["files"]
    # The walk really followed app.js's imports (a parser that found nothing would pass the size check).
    assert {f"{JS}app.js", f"{JS}vault.js", f"{JS}ui.js", f"{JS}api.js", f"{JS}idb.js", "/app"} <= set(files)
    assert any(url.endswith(".css") for url in files)
    listing = "\n".join(f"{size:6} {url}" for url, size in sorted(files.items(), key=lambda item: -item[1]))
    assert result["total"] <= GOAL_BYTES, f"first load {result['total'] / 1024:.1f} KB gzipped > 40 KB:\n{listing}"


def test_screens_load_on_first_open_and_the_service_worker_precaches_every_one(client):
    result = first_load(client)
    lazy = set(result["lazy"])
    for name in LOADED_ON_FIRST_OPEN:
        assert f"{JS}{name}.js" in lazy, f"{name}.js is loaded on first load"
    # The record editor always brings autosave.js with it (typing is only possible once the editor is loaded).
    with client.get(f"{JS}record-editor.js") as response:
        static, _ = module_imports(response.get_data(as_text=True), f"{JS}record-editor.js")
    assert f"{JS}autosave.js" in static
    missing = (set(result["eager_files"]) | lazy) - precache(client)
    assert not missing, f"not precached, so not openable offline: {sorted(missing)}"
    assert result["eager_total"] > result["total"]


def test_import_parser_follows_static_imports_only():
    source = """// app.js: import { nothing } from "./commented.js";
import { a, b,
  c } from "./multi.js";
import "./side-effect.js";
export { d } from "./re-export.js";
import * as all from "../up.js";
/* import { hidden } from "./block-comment.js"; */
const later = () => import("./screen.js");
const text = "see https://example.invalid/import.js";
"""
    static, dynamic = module_imports(source, "/static/js/app.js")
    assert static == ["/static/js/multi.js", "/static/js/side-effect.js", "/static/js/re-export.js", "/static/up.js"]
    assert dynamic == ["/static/js/screen.js"]
