"""The Chromium the browser benchmarks drive (no fieldapp import here: bench/interactions.py chooses which fieldapp
to import, the old code or this checkout, only after it has read its arguments)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("FIELDAPP_CHROMIUM", "/usr/bin/chromium")
# The browser tests launch it so too (tests/browser/conftest.py imports these): headless on a small shared
# machine, no background traffic that would land in the measurements.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
]
