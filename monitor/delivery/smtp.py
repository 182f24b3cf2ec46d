"""E-mail channel: a Vietnamese MIME message (plain text + HTML, UTF-8) through an SMTP relay.

The standard library's :mod:`smtplib` runs in a worker thread so the event loop keeps serving the API.
A password is sent only over TLS (STARTTLS or implicit TLS) unless the channel says
``allow_plaintext_password: true``. SMTP reply codes decide what happens next: 4xx is transient
(retry), 5xx is permanent (an operator must fix the address or the account); network trouble is retried.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from monitor.delivery.channels import EmailChannelSpec
from monitor.delivery.config import Channel
from monitor.delivery.errors import ChannelError, Receipt
from monitor.delivery.message import DEFAULT_ZONE, Envelope, html_text, plain_text, subject
from monitor.delivery.network import require_public_host
from monitor.records import utc_now

ALERT_HEADER = "X-Monitor-Alert-Id"
DELIVERY_HEADER = "X-Monitor-Delivery"


class EmailSender:
    """Sends to the recipients of one e-mail channel."""

    def __init__(self, channel: Channel, zone: ZoneInfo = DEFAULT_ZONE) -> None:
        if not isinstance(channel.spec, EmailChannelSpec):
            raise TypeError(f"channel '{channel.id}' is not an e-mail channel")
        self.spec = channel.spec
        self.zone = zone
        self._password = channel.secret("password_env") if self.spec.password_env else None

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
        if not self.spec.allow_private_network:
            await require_public_host(self.spec.host, what=f"e-mail {self.spec.id}")
        message = self.compose(envelope)
        return await asyncio.to_thread(self._send_blocking, message)

    async def send_message(self, message: EmailMessage) -> Receipt:
        """Send a message composed elsewhere (a report with attachments) through this channel's relay."""
        if not self.spec.allow_private_network:
            await require_public_host(self.spec.host, what=f"e-mail {self.spec.id}")
        return await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> Receipt:
        spec = self.spec
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if spec.implicit_tls:
                smtp = smtplib.SMTP_SSL(spec.host, spec.port, timeout=spec.timeout_seconds, context=context)
            else:
                smtp = smtplib.SMTP(spec.host, spec.port, timeout=spec.timeout_seconds)
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
