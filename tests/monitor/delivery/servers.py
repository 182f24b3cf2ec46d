"""Real servers on 127.0.0.1 for delivery tests: an HTTP receiver (webhooks, a Telegram Bot API) and SMTP.

Each server records what it received and answers from a script, so a test can make a channel fail
(500, 429...) and recover, then look at exactly what arrived.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.perf_counter() when the request was read (same process: comparable with the sender)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    """Answers POSTs with ``script`` (one answer per request, then ``default``) and records them."""

    url: str
    script: list[Answer]
    default: Answer
    received: list[Received]
    handler: Callable[[Received], Answer] | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests arrived (the benchmark uses it)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)


@contextmanager
def http_receiver(script: list[Answer] | None = None, default: Answer | None = None) -> Iterator[HttpReceiver]:
    """An HTTP server on an ephemeral 127.0.0.1 port until the block ends."""
    receiver = HttpReceiver(url="", script=list(script or []), default=default or Answer(), received=[])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real receivers
        # Headers and body are written separately; with Nagle's algorithm on, the body then waits for the
        # client's delayed ACK (~40 ms per request on Linux). Real servers (nginx...) disable it too.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.perf_counter())
            if receiver.handler is not None:
                answer = receiver.handler(request)  # may block (a slow receiver): outside the lock
            with receiver._arrived:
                if receiver.handler is None:
                    answer = receiver.script.pop(0) if receiver.script else receiver.default
                receiver.received.append(request)
                receiver._arrived.notify_all()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- Telegram Bot API ---------------------------------------------------------------------------------


def telegram_ok(message_id: int = 1) -> Answer:
    body = {"ok": True, "result": {"message_id": message_id, "chat": {"id": -100}, "date": 0, "text": "…"}}
    return Answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def telegram_error(code: int, description: str, retry_after: int | None = None) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Answer(code, json.dumps(body).encode(), {"Content-Type": "application/json"})


@contextmanager
def telegram_api(token: str, chat_id: int, script: list[Answer] | None = None) -> Iterator[HttpReceiver]:
    """A Bot API speaking like Telegram: checks the token and chat, then answers from ``script``."""
    pending = list(script or [])
    counter = iter(range(1, 1_000_000))

    def answer(request: Received) -> Answer:
        if request.path != f"/bot{token}/sendMessage":
            return (
                telegram_error(401, "Unauthorized")
                if "/sendMessage" in request.path
                else telegram_error(404, "Not Found")
            )
        payload = request.json()
        if payload.get("chat_id") != chat_id:
            return telegram_error(400, "Bad Request: chat not found")
        if pending:
            return pending.pop(0)
        return telegram_ok(next(counter))

    with http_receiver() as receiver:
        receiver.handler = answer
        yield receiver


# -- SMTP -----------------------------------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    host: str
    port: int
    mails: list[Mail]
    replies: list[str]  # answers to DATA, one per message, then "250 OK"
    logins: list[tuple[str, str]]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        if self.server.replies:
            reply = self.server.replies.pop(0)
            if not reply.startswith("250"):
                return reply
        self.server.mails.append(
            Mail(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.original_content or b""))
        )
        return f"250 2.0.0 Ok: queued as Q{len(self.server.mails)}"


@contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """An aiosmtpd server on an ephemeral 127.0.0.1 port, on its own event loop thread."""
    server = SmtpServer("127.0.0.1", 0, [], [], [])
    handler = _Handler(server)

    def authenticate(smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
        if not isinstance(data, LoginPassword) or credentials is None:
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        server.logins.append((login, password))
        return AuthResult(success=(login, password) == credentials, handled=False)

    def factory() -> SMTP:
        if credentials is None:
            return SMTP(handler, hostname="mail.test")
        return SMTP(handler, hostname="mail.test", authenticator=authenticate, auth_require_tls=False)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    listening = asyncio.run_coroutine_threadsafe(_listen(loop, factory), loop).result(timeout=10)
    server.port = listening.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listening.close()
        asyncio.run_coroutine_threadsafe(listening.wait_closed(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


async def _listen(loop: asyncio.AbstractEventLoop, factory: Callable[[], SMTP]) -> asyncio.Server:
    return await loop.create_server(factory, "127.0.0.1", 0)
