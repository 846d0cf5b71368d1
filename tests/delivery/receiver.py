"""A real HTTPS receiver for delivery tests: a throwaway certificate authority (trustme), HMAC checked on every
request, deliveries recorded by delivery id, and a configurable share of requests failed on purpose."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import ssl
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


class Receiver:
    def __init__(
        self,
        secret: str,
        tmp_path,
        fail_share: float = 0.0,
        seed: int = 7,
        always_fail: bool = False,
        redirect_to: str | None = None,
    ):
        self.secret, self.fail_share, self.always_fail, self.redirect_to = secret, fail_share, always_fail, redirect_to
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.refused_signatures = 0
        self.failed_on_purpose = 0
        self.deliveries: dict[str, dict] = {}  # delivery id → the document, as first accepted
        self.posts_by_delivery: dict[str, int] = defaultdict(int)
        authority = trustme.CA()
        self.ca_path = tmp_path / "receiver-ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    @property
    def url(self) -> str:
        return f"https://{self.host}/fieldapp-records"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def records_delivered(self) -> dict[str, list[str]]:
        """record id → the delivery ids under which the receiver accepted it."""
        found: dict[str, list[str]] = defaultdict(list)
        for delivery_id, document in self.deliveries.items():
            found[document["record"]["id"]].append(delivery_id)
        return found

    def _verify(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-Fieldapp-Timestamp", "")
        given = headers.get("X-Fieldapp-Signature", "")
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        return fresh and hmac.compare_digest(given, expected)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests += 1
                    if receiver.redirect_to:
                        return self._answer(307, {"Location": receiver.redirect_to})
                    if not receiver._verify(self.headers, body):
                        receiver.refused_signatures += 1
                        return self._answer(401)
                    if receiver.always_fail or receiver.random.random() < receiver.fail_share:
                        receiver.failed_on_purpose += 1
                        return self._answer(503)
                    document = json.loads(body)
                    delivery_id = self.headers["X-Fieldapp-Delivery"]
                    assert document["delivery_id"] == delivery_id
                    receiver.posts_by_delivery[delivery_id] += 1
                    receiver.deliveries.setdefault(delivery_id, document)  # idempotent by delivery id
                return self._answer(200)

            def _answer(self, status, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
