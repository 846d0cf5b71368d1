"""Where to go after sign-in: only a path on this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Browsers drop tabs and newlines anywhere in a URL and C0 controls and spaces around it, so
# `/\t/evil.example` reaches them as `//evil.example`. Strip them the same way before judging.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def safe_next_path(target: str | None) -> str | None:
    """`target` when it is a same-site path (after stripping control characters), else None."""
    if not isinstance(target, str):
        return None
    cleaned = _CONTROL_CHARACTERS.sub("", target).strip(" ")
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return None
    if not all("\x21" <= char <= "\x7e" for char in cleaned):  # printable ASCII only: nothing to reinterpret
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return cleaned
