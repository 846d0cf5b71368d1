"""A TCP proxy that cuts a share of connections: before the request reaches the server, or after the server
has answered (so the server committed but the client never hears). Runs its own asyncio loop in a thread."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter


class FaultyProxy:
    def __init__(self, target_port: int, cut_before: float = 0.12, cut_after: float = 0.12, seed: int = 7):
        self.target_port = target_port
        self.cut_before, self.cut_after = cut_before, cut_after
        self.random = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.port: int | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _handle(self, client_reader, client_writer) -> None:
        roll = self.random.random()
        fate = "before" if roll < self.cut_before else "after" if roll < self.cut_before + self.cut_after else "pass"
        self.counts[fate] += 1
        try:
            request = await _read_http_message(client_reader)
            if fate == "before" or not request:
                return  # the server never sees it
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            server_writer.write(request)
            await server_writer.drain()
            response = await _read_http_message(server_reader)
            server_writer.close()
            if fate == "after":
                return  # the server did the work; the client hears nothing
            client_writer.write(response)
            await client_writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            self.counts["error"] += 1
        finally:
            client_writer.close()


async def _read_http_message(reader) -> bytes:
    """One HTTP/1.x message with a Content-Length body (what requests and werkzeug send here)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await asyncio.wait_for(reader.readexactly(length), 30) if length else b""
    return head + body
