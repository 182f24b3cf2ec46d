"""E-mail channel: a Vietnamese MIME message (plain text + HTML, UTF-8) through an SMTP relay.

The standard library's :mod:`smtplib` runs in a worker thread so the event loop keeps serving the API.
A password is sent only over TLS (STARTTLS or implicit TLS) unless the channel says
``allow_plaintext_password: true``. SMTP reply codes decide what happens next: 4xx is transient
(retry), 5xx is permanent (an operator must fix the address or the account); network trouble is retried.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from monitor.delivery.channels import Channel, EmailChannelSpec
from monitor.delivery.errors import ChannelError, Receipt
from monitor.delivery.message import Envelope, html_text, plain_text, subject
from monitor.delivery.network import require_public_host
from monitor.errors import ConfigError
from monitor.outbound.transport import PublicExceptions, Resolver, system_resolver
from monitor.records import utc_now
from monitor.zones import DEFAULT_ZONE

ALERT_HEADER = "X-Monitor-Alert-Id"
DELIVERY_HEADER = "X-Monitor-Delivery"


class _PinnedSMTP(smtplib.SMTP):
    """SMTP that opens its socket to a checked address, while TLS still verifies the host name."""

    def __init__(self, address: str | None, host: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib keeps ``host`` as ``_host`` for STARTTLS's server name; only the connection is pinned.
        # _get_socket is smtplib's (undocumented but stable since 3.x) hook for opening the socket; typeshed omits it.
        sock: socket.socket = super()._get_socket(self._address or host, port, timeout)  # type: ignore[misc]
        return sock


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """Implicit-TLS SMTP to a checked address; the certificate is checked against the host name."""

    def __init__(self, address: str | None, host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        self._address = address
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # SMTP_SSL wraps the socket with server_hostname=self._host, the name, not the pinned address.
        # _get_socket is smtplib's (undocumented but stable since 3.x) hook for opening the socket; typeshed omits it.
        sock: socket.socket = super()._get_socket(self._address or host, port, timeout)  # type: ignore[misc]
        return sock


class EmailSender:
    """Sends to the recipients of one e-mail channel.

    Args:
        channel: The e-mail channel.
        zone: Time zone of the times in the message.
        resolver: Name resolution for the relay's host; tests pass their own.
        public_exceptions: ``(address, port)`` pairs treated as public, for tests only.
    """

    def __init__(
        self,
        channel: Channel,
        zone: ZoneInfo = DEFAULT_ZONE,
        *,
        resolver: Resolver = system_resolver,
        public_exceptions: PublicExceptions = (),
    ) -> None:
        if not isinstance(channel.spec, EmailChannelSpec):
            raise ConfigError(f"channel '{channel.id}' is not an e-mail channel")
        self.spec = channel.spec
        self.zone = zone
        self._password = channel.secret("password_env") if self.spec.password_env else None
        self._resolver = resolver
        self._public_exceptions = public_exceptions

    def compose(self, envelope: Envelope) -> EmailMessage:
        """The MIME message for ``envelope`` (multipart/alternative, UTF-8)."""
        message = EmailMessage()
        message["Subject"] = subject(envelope, self.spec.subject_prefix)
        message["From"] = self.spec.sender
        message["To"] = ", ".join(self.spec.to)
        message["Date"] = format_datetime(utc_now())
        domain = self.spec.sender.rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message[ALERT_HEADER] = envelope.message.alert_id
        message[DELIVERY_HEADER] = envelope.delivery_key
        message["Content-Language"] = "vi"
        message.set_content(plain_text(envelope, self.zone), charset="utf-8")
        message.add_alternative(html_text(envelope, self.zone), subtype="html", charset="utf-8")
        return message

    async def send(self, envelope: Envelope, client: object = None) -> Receipt:
        """Deliver the e-mail (``client`` is unused: SMTP has its own connection)."""
        address = await self._checked_address()
        message = self.compose(envelope)
        return await asyncio.to_thread(self._send_blocking, message, address)

    async def send_message(self, message: EmailMessage) -> Receipt:
        """Send a message composed elsewhere (a report with attachments) through this channel's relay."""
        address = await self._checked_address()
        return await asyncio.to_thread(self._send_blocking, message, address)

    async def _checked_address(self) -> str | None:
        """The relay's checked public address to connect to; None when the channel allows private ones."""
        if self.spec.allow_private_network:
            return None
        address = await require_public_host(
            self.spec.host,
            self.spec.port,
            what=f"e-mail {self.spec.id}",
            resolver=self._resolver,
            exceptions=self._public_exceptions,
        )
        return str(address)

    def _send_blocking(self, message: EmailMessage, address: str | None) -> Receipt:
        spec = self.spec
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if spec.implicit_tls:
                smtp = _PinnedSMTPSSL(address, spec.host, spec.port, spec.timeout_seconds, context)
            else:
                smtp = _PinnedSMTP(address, spec.host, spec.port, spec.timeout_seconds)
            with smtp:
                smtp.ehlo()
                encrypted = spec.implicit_tls
                if spec.starttls:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    encrypted = True
                if spec.username and self._password is not None:
                    # The configuration refuses this already; a spec built in code must not slip through.
                    if not encrypted and not spec.allow_plaintext_password:
                        raise ChannelError(
                            f"SMTP server {spec.host}:{spec.port}: refusing to send the password over an "
                            "unencrypted connection (set starttls or implicit_tls, or allow_plaintext_password)",
                            retryable=False,
                        )
                    smtp.login(spec.username, self._password)
                code, reply, refused = self._transaction(smtp, message)
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelError(f"SMTP server {spec.host}: {exc}", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise ChannelError(
                f"SMTP server refused every recipient: {_refusals(exc.recipients)}",
                retryable=all(400 <= code < 500 for code in codes),
                status=codes[0] if codes else None,
                reply=_refusals(exc.recipients),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise ChannelError(
                f"SMTP server {spec.host} answered {exc.smtp_code} {text}",
                retryable=400 <= exc.smtp_code < 500,
                status=exc.smtp_code,
                reply=text,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, TLS failures, a dropped connection: try again later.
            raise ChannelError(
                f"SMTP server {spec.host}:{spec.port}: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        note = f" (refused: {_refusals(refused)})" if refused else ""
        accepted = len(spec.to) - len(refused)
        return Receipt(status=code, reply=f"{code} {reply}; accepted for {accepted} recipient(s){note}")

    def _transaction(self, smtp: smtplib.SMTP, message: EmailMessage) -> tuple[int, str, dict[str, tuple[int, bytes]]]:
        """MAIL, RCPT per recipient, DATA; return the DATA reply (the relay's queue id) and refusals.

        ``send_message`` would do the same but drop the final reply, which the delivery log should show.
        """
        sender = parseaddr(self.spec.sender)[1]
        code, answer = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in self.spec.to:
            address = parseaddr(recipient)[1]
            code, answer = smtp.rcpt(address)
            if code not in {250, 251}:
                refused[address] = (code, answer)
        if len(refused) == len(self.spec.to):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
        return code, answer.decode(errors="replace"), refused


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: {code} {reply.decode(errors='replace')}" for address, (code, reply) in refused.items()
    )
