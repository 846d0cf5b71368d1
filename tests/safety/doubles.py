"""Edges of the world for safety tests: a local push service that decrypts and verifies, and a real SMTP server.

The push service does what a browser vendor's does, strictly: it checks the VAPID JWT (ES256, aud, exp, sub),
then decrypts the aes128gcm body with the subscriber's private key, as only the subscribed browser could.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeBrowser:
    """What a browser holds for one push subscription: a P-256 key pair and a 16-byte auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, base_url: str) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url(point), "auth": b64url(self.auth)}
        return {"endpoint": f"{base_url}/push/{self.token}", "keys": keys}


def verify_vapid(header: str, endpoint: str) -> dict:
    """Check `vapid t=<jwt>,k=<key>` as a push service must; returns the JWT claims or raises."""
    assert header.startswith("vapid "), header
    parts = dict(item.strip().split("=", 1) for item in header[len("vapid ") :].split(","))
    head_b64, claims_b64, signature_b64 = parts["t"].split(".")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    raw = unb64url(signature_b64)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert json.loads(unb64url(head_b64))["alg"] == "ES256"
    claims = json.loads(unb64url(claims_b64))
    origin = urlparse(endpoint)
    assert claims["aud"] == f"{origin.scheme}://{origin.netloc}", claims
    assert claims["exp"] > time.time(), claims
    assert claims["sub"].startswith(("mailto:", "https:")), claims
    return claims


@dataclass
class Received:
    token: str
    payload: dict
    claims: dict
    at: float


class PushService:
    """A push service on 127.0.0.1: decrypts every message for its subscribers, or answers a chosen status."""

    def __init__(self):
        self.browsers: dict[str, FakeBrowser] = {}
        self.received: list[Received] = []
        self.status_for: dict[str, int] = {}
        self.errors: list[str] = []
        self.delay_seconds = 0.0  # a slow push service keeps a sweep busy long enough to kill it mid-way
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                token = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = service.status_for.get(token, 201)
                time.sleep(service.delay_seconds)
                if status == 201:
                    try:
                        status = service._accept(token, body, self.headers)
                    except Exception as error:  # noqa: BLE001  (report any failure to the test)
                        service.errors.append(f"{token}: {error!r}")
                        status = 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _accept(self, token: str, body: bytes, headers) -> int:
        browser = self.browsers[token]
        claims = verify_vapid(headers["Authorization"], f"{self.base_url}/push/{token}")
        assert headers["Content-Encoding"] == "aes128gcm"
        plain = http_ece.decrypt(body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm")
        with self.arrived:
            self.received.append(Received(token, json.loads(plain), claims, time.monotonic()))
            self.arrived.notify_all()
        return 201

    def new_browser(self, token: str | None = None) -> FakeBrowser:
        browser = FakeBrowser(token or b64url(os.urandom(9)))
        self.browsers[browser.token] = browser
        return browser

    def messages_for(self, browser: FakeBrowser) -> list[dict]:
        with self.lock:
            return [r.payload for r in self.received if r.token == browser.token]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"push service got {len(self.received)} of {count}; errors={self.errors}")
                self.arrived.wait(left)
            return list(self.received)

    def reset(self):
        with self.lock:
            self.received.clear()
            self.errors.clear()
        self.status_for.clear()
        self.delay_seconds = 0.0

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class _Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf8", "replace")})
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting every message."""

    def __init__(self):
        self.inbox = _Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self):
        with self.inbox.lock:
            return list(self.inbox.messages)

    def to(self, address: str) -> list[str]:
        return [m["data"] for m in self.messages if address in m["to"]]

    def close(self):
        self.controller.stop()
