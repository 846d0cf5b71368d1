"""Where signed-off records go: an HTTPS webhook signed with HMAC-SHA256, or a folder an integration engine watches.

Each destination delivers one (document, pdf) pair and raises DeliveryFailed with a technical reason (never case
content: the reason is stored and shown to admins). Both are idempotent for the receiver: the webhook carries a
stable delivery id; the folder drop writes the same file names again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import current_app

SIGNATURE_HEADER = "X-Fieldapp-Signature"
TIMESTAMP_HEADER = "X-Fieldapp-Timestamp"
DELIVERY_HEADER = "X-Fieldapp-Delivery"


class DeliveryFailed(RuntimeError):
    """One attempt failed; the job is retried with back-off, then parked."""


class DestinationMisconfigured(ValueError):
    """The configuration itself is wrong (e.g. a URL off the allow-list): said at start-up and on every attempt."""


_local = threading.local()


def _http() -> requests.Session:
    """One keep-alive session per thread: a TLS handshake per connection, not per delivery."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": the receiver recomputes it and rejects stale timestamps."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass
class Webhook:
    name = "webhook"
    url: str
    secret: str
    allowed_hosts: list[str]
    ca_bundle: str | None
    timeout: float

    def check(self) -> None:
        """Only https, only to a host the council put on the allow-list (the server never posts where a user chose)."""
        parts = urlsplit(self.url)
        if parts.scheme != "https":
            raise DestinationMisconfigured("the delivery webhook must be an https:// URL")
        if parts.netloc.lower() not in {host.lower() for host in self.allowed_hosts} and (
            parts.hostname or ""
        ).lower() not in {host.lower() for host in self.allowed_hosts}:
            raise DestinationMisconfigured("the delivery webhook's host is not in FIELDAPP_DELIVERY_ALLOWED_HOSTS")
        if not self.secret or len(self.secret) < 16:
            raise DestinationMisconfigured("FIELDAPP_DELIVERY_WEBHOOK_SECRET must be set (16 characters or more)")

    def deliver(self, document: dict, pdf: bytes | None) -> None:
        self.check()
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "sha256=" + sign(self.secret, timestamp, body),
            DELIVERY_HEADER: document["delivery_id"],
            "Idempotency-Key": document["delivery_id"],
        }
        try:
            response = _http().post(
                self.url,
                data=body,
                headers=headers,
                timeout=(3.05, self.timeout),
                allow_redirects=False,
                verify=self.ca_bundle or True,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"webhook unreachable: {error.__class__.__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")


@dataclass
class FolderDrop:
    name = "folder"
    folder: str

    def check(self) -> None:
        if not Path(self.folder).is_dir():
            raise DestinationMisconfigured("FIELDAPP_DELIVERY_FOLDER is not a folder")

    def deliver(self, document: dict, pdf: bytes | None) -> None:
        self.check()
        stem = f"fieldapp-{document['record']['id']}-v{document['record']['revision']}"
        try:
            # The PDF first, the JSON last: an engine that triggers on the JSON always finds its PDF.
            if pdf is not None:
                write_atomically(Path(self.folder) / f"{stem}.pdf", pdf)
            write_atomically(
                Path(self.folder) / f"{stem}.json", json.dumps(document, indent=2, ensure_ascii=False).encode()
            )
        except OSError as error:
            raise DeliveryFailed(f"folder drop failed: {error.__class__.__name__}") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder (a dot name watchers skip), fsync, rename, fsync the folder: whole or absent."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".fieldapp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o640)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def configured_destinations() -> list[Webhook | FolderDrop]:
    """The destinations this council configured (none: sign-off creates no export jobs)."""
    config = current_app.config
    found: list[Webhook | FolderDrop] = []
    if config.get("DELIVERY_WEBHOOK_URL"):
        found.append(
            Webhook(
                url=config["DELIVERY_WEBHOOK_URL"],
                secret=config.get("DELIVERY_WEBHOOK_SECRET") or "",
                allowed_hosts=list(config.get("DELIVERY_ALLOWED_HOSTS") or []),
                ca_bundle=config.get("DELIVERY_CA_BUNDLE"),
                timeout=float(config.get("DELIVERY_TIMEOUT_SECONDS", 10)),
            )
        )
    if config.get("DELIVERY_FOLDER"):
        found.append(FolderDrop(folder=config["DELIVERY_FOLDER"]))
    return found


def destination_named(name: str) -> Webhook | FolderDrop | None:
    return next((each for each in configured_destinations() if each.name == name), None)
