"""Request bodies checked before anything else reads them: a size limit, and text that is really text.

A pure ASGI middleware, so it runs before authentication and before FastAPI parses the body: a 200 MB
body sent without a key is refused after ``max_bytes`` instead of being read and parsed, whether the
client declared its length (``Content-Length``) or streams it in chunks. The body it accepted is handed
on to the application unchanged.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``), which Python decodes into a string that cannot be
encoded again: stored or answered, it raised a 500 deep inside the route. Such a body is refused here,
for every route, with the field that holds it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import UNPROCESSABLE

PAYLOAD_TOO_LARGE = 413
BAD_REQUEST = 400

# A \u escape in the surrogate range, the only way JSON text can carry one; cheap to look for first.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


async def _answer(send: Send, status: int, detail: str, **extra: Any) -> None:
    body = json.dumps({"detail": detail, **extra}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode("ascii"))]
    if status == PAYLOAD_TOO_LARGE:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def lone_surrogate_path(value: object) -> tuple[str | int, ...] | None:
    """The location of the first string (or object key) in ``value`` holding a lone surrogate, else None.

    Walked with a stack, not recursion: a body may nest as deep as the JSON parser allows.
    """
    pending: list[tuple[tuple[str | int, ...], object]] = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key in item:
                if _SURROGATE.search(key):
                    return (*path, key.encode("utf-8", "backslashreplace").decode("utf-8"))
            pending.extend(((*path, key), child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            pending.extend(((*path, index), child) for index, child in reversed(list(enumerate(item))))
    return None


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` (413) and JSON bodies holding lone surrogates (422)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return (
            f"request body too large: at most {self.max_bytes} bytes ({self.max_bytes / 1_048_576:.1f} MiB) "
            "are accepted (setting api.max_body_bytes)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _answer(send, BAD_REQUEST, "header 'Content-Length': expected a number of bytes")
                return
            if int(declared) > self.max_bytes:
                await _answer(send, PAYLOAD_TOO_LARGE, self._too_large())
                return
        # Read the body here, counting as it comes: a chunked body declares no length.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: nothing to answer
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, PAYLOAD_TOO_LARGE, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _SURROGATE_ESCAPE.search(body):
            path = _surrogate_in_json(body)
            if path is not None:
                field = ".".join(str(part) for part in path) or "body"
                await _answer(
                    send,
                    UNPROCESSABLE,
                    f"field '{field}': contains a lone UTF-16 surrogate (a \\ud800-\\udfff escape without its "
                    "pair), which is not text",
                    errors=[{"type": "lone_surrogate", "loc": ["body", *path], "msg": "lone surrogate in a string"}],
                )
                return
        await self.app(scope, _replay(body, receive), send)


def _surrogate_in_json(body: bytes) -> tuple[str | int, ...] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, broken or too deep: the route says what is wrong
        return None
    return lone_surrogate_path(parsed)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then waits on the client (for its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
