"""The ``monitor`` command as installed: the composition root of the product.

The core (``monitor/``) knows neither the HTTP API nor the crawlers: crawlers and models come in through
the plugin registry (``monitor.plugins`` entry points), and the API is handed to the core here, the one
module that sees both. ``python -m api.main ...`` is the same as the installed ``monitor ...``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from monitor import cli
from monitor.context import Monitor


async def serve(monitor: Monitor) -> None:
    """Serve the HTTP API over ``monitor`` (see :func:`api.server.serve`)."""
    from api.server import serve as serve_http  # noqa: PLC0415 - FastAPI and uvicorn load only to serve

    await serve_http(monitor)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``monitor`` command, with ``run`` and ``serve`` serving the HTTP API."""
    return cli.main(argv, serve_api=serve)


if __name__ == "__main__":
    sys.exit(main())
