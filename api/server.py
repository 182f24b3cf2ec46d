"""The HTTP server the service runs the API in: uvicorn, ending the open alert streams when it stops.

uvicorn stops by closing its sockets and then waiting for every open response to finish; an alert
stream never finishes on its own, so with a client connected SIGTERM left the service running. This
server ends the streams first (each sends a last ``end`` event), so the connections close and it stops.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.sse import close_streams
from monitor.context import Monitor


class ApiServer(uvicorn.Server):
    """A uvicorn server over the API (``config.app`` is the FastAPI application)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, FastAPI):
            close_streams(app.state)
        await super().shutdown(sockets)


async def serve(monitor: Monitor) -> None:
    """Serve the HTTP API on the configured host and port until interrupted."""
    config = uvicorn.Config(
        create_app(monitor),
        host=monitor.settings.api.host,
        port=monitor.settings.api.port,
        log_level="info",
        log_config=None,  # uvicorn's lines go through the root handler: one format, secrets redacted
        access_log=False,
    )
    await ApiServer(config).serve()
