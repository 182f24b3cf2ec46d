"""Webhook channel: POST the alert as JSON, signed with HMAC-SHA256.

Receivers verify ``X-Monitor-Signature: sha256=<hex>``, the HMAC of the raw request body under the
shared secret, and may refuse stale deliveries using ``delivery.sent_at`` in the (signed) body, which
``X-Monitor-Timestamp`` repeats as Unix seconds. ``X-Monitor-Delivery`` is the same on every attempt of
one delivery, for dropping duplicates (delivery is at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from monitor.delivery.channels import Channel, WebhookChannelSpec
from monitor.delivery.errors import ChannelError, Receipt, shorten
from monitor.delivery.message import Envelope, webhook_body
from monitor.delivery.network import refused
from monitor.errors import ConfigError
from monitor.outbound.bodies import body_text, read_bounded
from monitor.outbound.retry_after import parse_retry_after
from monitor.outbound.transport import NonPublicAddressError, outbound_extensions
from monitor.records import utc_now

SIGNATURE_HEADER = "X-Monitor-Signature"
TIMESTAMP_HEADER = "X-Monitor-Timestamp"
DELIVERY_HEADER = "X-Monitor-Delivery"
USER_AGENT = "DongNaiMonitor-Delivery/0.1"
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
MAX_REPLY_BYTES = 64 * 1024  # the log keeps 500 characters of it


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """Check a signature header in constant time (what a receiver does; used by the tests)."""
    return hmac.compare_digest(sign(secret, body), header)


class WebhookSender:
    """Sends to one webhook channel."""

    def __init__(self, channel: Channel) -> None:
        if not isinstance(channel.spec, WebhookChannelSpec):
            raise ConfigError(f"channel '{channel.id}' is not a webhook")
        self.spec = channel.spec
        self._secret = channel.secret("secret_env")

    async def send(self, envelope: Envelope, client: httpx.AsyncClient) -> Receipt:
        """POST the alert; 2xx is success, see :func:`classify` for failures.

        ``client`` must come from :func:`monitor.outbound.transport.outbound_client`: it refuses to connect
        to a non-public address unless the channel allows it.
        """
        sent_at = utc_now()
        body = webhook_body(envelope, sent_at)
        headers = {
            **self.spec.headers,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(self._secret, body),
            TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
            DELIVERY_HEADER: envelope.delivery_key,
        }
        try:
            async with client.stream(
                "POST",
                self.spec.url,
                content=body,
                headers=headers,
                timeout=self.spec.timeout_seconds,
                extensions=outbound_extensions(self.spec.allow_private_network),
            ) as response:
                # Only the start of the reply is kept (for the log): read no more, unpacked, whatever it is.
                reply = await read_bounded(response, MAX_REPLY_BYTES, self.spec.url, truncate=True)
        except NonPublicAddressError as exc:
            raise refused(f"webhook {self.spec.id}", exc) from None
        except httpx.TimeoutException as exc:
            raise ChannelError(f"webhook timed out after {self.spec.timeout_seconds:g}s", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc
        return classify(response, reply)


def classify(response: httpx.Response, body: bytes) -> Receipt:
    """2xx → receipt; 5xx, 408, 425 and 429 → retryable (honouring Retry-After); other codes → permanent.

    ``body`` is the start of the reply, read by the caller (the response is streamed).
    """
    status = response.status_code
    reply = shorten(body_text(body, response.charset_encoding))
    if 200 <= status < 300:
        return Receipt(status=status, reply=reply)
    if status >= 500 or status in RETRYABLE_CLIENT_ERRORS:
        raise ChannelError(
            f"webhook answered HTTP {status}",
            retryable=True,
            status=status,
            reply=reply,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if 300 <= status < 400:
        # Redirects are not followed: the target could be anywhere, including a private address.
        location = response.headers.get("location", "?")
        raise ChannelError(
            f"webhook redirected (HTTP {status}) to {location}; configure the final URL",
            retryable=False,
            status=status,
            reply=reply,
        )
    raise ChannelError(f"webhook refused the alert: HTTP {status}", retryable=False, status=status, reply=reply)
