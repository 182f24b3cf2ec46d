"""The API served by a real uvicorn on 127.0.0.1 in a thread, for tests that need real HTTP (streamed
request bodies, browsers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from api.server import ApiServer

START_LIMIT_SECONDS = 30


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on an ephemeral 127.0.0.1 port until the block ends; yield its base URL."""
    server = ApiServer(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while not server.started:
        assert thread.is_alive(), "the API server stopped while starting"
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_LIMIT_SECONDS)
