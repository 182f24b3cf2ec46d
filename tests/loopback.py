"""A real HTTP server on 127.0.0.1 serving fixtures, for crawler and API tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply]


@dataclass
class Loopback:
    base_url: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return self.base_url + path


def query_of(request: BaseHTTPRequestHandler | str) -> dict[str, str]:
    """The query parameters of a request (a handler, or a path as recorded in ``Loopback.requests``)."""
    path = request if isinstance(request, str) else request.path
    return dict(parse_qsl(urlsplit(path).query))


@dataclass
class FakeApi:
    """A platform API faked on a loopback server; ``routes[path] = ...`` replaces one endpoint."""

    server: Loopback

    @property
    def routes(self) -> dict[str, Route]:
        return self.server.routes

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self.server.requests

    def url(self, path: str) -> str:
        return self.server.url(path)


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Loopback]:
    """Serve ``routes`` (path → reply) on an ephemeral 127.0.0.1 port until the block ends."""
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, dict(self.headers)))
            route = routes.get(self.path)
            reply = Reply(404, b"not found") if route is None else (route if isinstance(route, Reply) else route(self))
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with running(Handler) as server:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", routes, requests)


@contextmanager
def running(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """Run ``handler`` on an ephemeral 127.0.0.1 port, in a thread, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
