"""Bulk writes survive back-pressure: an HTTP 429 from the cluster is retried with back-off.

A small proxy on 127.0.0.1 sits in front of the real test cluster and answers the first bulk request
with 429 (as a busy cluster does), then forwards everything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from monitor.store.base import DocumentFilter
from tests.factories import analyzed, at
from tests.stores import fresh_store

REJECTION = (
    b'{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution (queue full)"},"status":429}'
)


@pytest.fixture
def busy_proxy(elasticsearch_url: str) -> Iterator[tuple[str, list[int]]]:
    bulk_statuses: list[int] = []

    class Proxy(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.split("?")[0].endswith("/_bulk") and not bulk_statuses:
                bulk_statuses.append(429)
                self._answer(429, REJECTION, {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"})
                return
            if self.path.split("?")[0].endswith("/_bulk"):
                bulk_statuses.append(200)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            upstream = httpx.request(
                self.command, elasticsearch_url + self.path, content=body, headers=headers, timeout=30
            )
            keep = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")
            }
            self._answer(upstream.status_code, upstream.content, keep)

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay  # noqa: N815 - http.server names them so

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bulk_statuses
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_bulk_429_is_retried_and_nothing_is_lost(tmp_path: Path, busy_proxy: tuple[str, list[int]]) -> None:
    url, bulk_statuses = busy_proxy
    docs = [analyzed(f"Bài {i} về Biên Hòa", post_id=f"p{i}", published=at("2026-11-02 08:00")) for i in range(30)]
    with fresh_store("elasticsearch", tmp_path, url) as store:
        result = store.upsert(docs)
        assert len(result.inserted) == 30
        assert result.failed == {}
        assert bulk_statuses[:2] == [429, 200]  # rejected once, then accepted
        assert store.count(DocumentFilter()) == 30
