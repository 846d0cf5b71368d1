"""The web app manifest: installable, standalone, opening on the app shell."""

from __future__ import annotations

from flask import url_for

THEME_COLOUR = "#0b3d6b"
BACKGROUND_COLOUR = "#f3f5f7"


def web_app_manifest() -> dict:
    def icon(filename: str, size: int, purpose: str) -> dict:
        return {
            "src": url_for("static", filename=f"icons/{filename}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    return {
        "id": url_for("shell.app_shell"),
        "name": "fieldapp",
        "short_name": "fieldapp",
        "description": "Field recording for children's social workers, offline and encrypted.",
        "lang": "en-GB",
        "start_url": url_for("shell.app_shell"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            icon("icon-192.png", 192, "any"),
            icon("icon-512.png", 512, "any"),
            icon("icon-maskable-192.png", 192, "maskable"),
            icon("icon-maskable-512.png", 512, "maskable"),
        ],
    }
