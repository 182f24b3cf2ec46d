"""A real HTTP server on 127.0.0.1 whose answers may trickle in, one byte at a time, like a hostile server.

Each byte arrives well within any per-read timeout, so only a total deadline ends such a fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import Loopback, Reply, running


@dataclass
class Trickle:
    """A 200 answer whose headers come at once and whose body comes one byte every ``every_seconds``."""

    body: bytes
    every_seconds: float = 0.05
    headers: dict[str, str] = field(default_factory=dict)


SlowRoute = Reply | Trickle | Callable[[BaseHTTPRequestHandler], Reply | Trickle]


def endless(first: bytes = b"<?xml version='1.0'?><rss version='2.0'><channel>") -> bytes:
    """A body far longer than any test waits for: a trickled copy never ends within a test."""
    return first + b" " * 100_000


@contextmanager
def serve_slow(routes: dict[str, SlowRoute]) -> Iterator[Loopback]:
    """Serve ``routes`` (path → reply or trickle) on an ephemeral 127.0.0.1 port until the block ends."""
    requests: list[tuple[str, dict[str, str]]] = []
    stopping = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, dict(self.headers)))
            route = routes.get(self.path)
            reply = Reply(404, b"not found") if route is None else (route(self) if callable(route) else route)
            status = reply.status if isinstance(reply, Reply) else 200
            self.send_response(status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            try:
                if isinstance(reply, Reply):
                    self.wfile.write(reply.body)
                    return
                for index in range(len(reply.body)):
                    if stopping.is_set():
                        return
                    self.wfile.write(reply.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(reply.every_seconds)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: what a deadline is for

        def log_message(self, format: str, *args: object) -> None:
            pass

    with running(Handler) as server:
        try:
            yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", routes, requests)
        finally:
            stopping.set()  # trickling handlers stop writing, so the server's shutdown does not wait on them
