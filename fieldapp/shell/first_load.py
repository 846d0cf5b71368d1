"""What a worker's browser downloads on FIRST load of /app, measured from the files the app really serves.

First load is the shell page, its stylesheets, app.js and every module app.js imports statically, transitively
(`import … from "./x.js"`, `export … from`, `import "./x.js"`). Dynamic `import("./x.js")` is a screen loaded
when first opened: not part of first load, but the service worker must precache it. Each file is gzipped on its
own (as a server compressing responses would send it). Used by bench/shell.py and tests/test_shell_size.py.
"""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

SHELL_URL = "/app"
# Static imports and re-exports; a string after `from` or a bare `import "…"` at the start of a statement.
STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\s+(?:[\w*${},\s]+?\s+from\s+)?["']([^"']+)["']""", re.M)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")
COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", re.S)


class _ShellAssets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def module_imports(source: str, base: str) -> tuple[list[str], list[str]]:
    """(static, dynamic) import URLs of one module, resolved against its own URL; comments ignored."""
    code = COMMENT.sub("", source)
    static = [urljoin(base, spec) for spec in STATIC_IMPORT.findall(code)]
    dynamic = [urljoin(base, spec) for spec in DYNAMIC_IMPORT.findall(code)]
    return static, dynamic


def first_load(client) -> dict:
    """Gzipped bytes per URL of first load of /app ("files", "total"); the same with every screen loaded eagerly,
    as if each dynamic import were static ("eager_files", "eager_total": the baseline); and the modules reached
    only through dynamic imports ("lazy": each must be precached by the service worker)."""
    bodies: dict[str, bytes] = {}

    def body(url: str) -> bytes:
        if url not in bodies:
            with client.get(url) as response:
                assert response.status_code == 200, f"{url}: {response.status_code}"
                bodies[url] = response.get_data()
        return bodies[url]

    def walk(follow_dynamic: bool) -> list[str]:
        todo, seen = list(parser.scripts), []
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.append(url)
            static, dynamic = module_imports(body(url).decode(), url)
            todo += static + (dynamic if follow_dynamic else [])
        return seen

    parser = _ShellAssets()
    parser.feed(body(SHELL_URL).decode())
    page = [SHELL_URL, *parser.styles]
    first, eager = walk(False), walk(True)
    size = {url: len(gzip.compress(body(url), 9)) for url in page + eager}
    files = {url: size[url] for url in page + first}
    eager_files = {url: size[url] for url in page + eager}
    return {
        "files": files,
        "total": sum(files.values()),
        "eager_files": eager_files,
        "eager_total": sum(eager_files.values()),
        "lazy": sorted(set(eager) - set(first)),
    }
