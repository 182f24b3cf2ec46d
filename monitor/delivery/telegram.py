"""Telegram channel: the Bot API's ``sendMessage`` with an HTML-formatted Vietnamese text.

The API answers ``{"ok": true, "result": {...}}`` or ``{"ok": false, "error_code": ..., "description": ...,
"parameters": {"retry_after": seconds}}``. Flood control (429) and server errors are retried after the
wait Telegram asks for; 400 (bad chat or text), 401 (bad token), 403 (bot removed from the chat) and 404
are permanent until an operator fixes the channel. The token is part of the URL, so no error message or
log line ever includes the URL.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from monitor.delivery.channels import Channel, TelegramChannelSpec
from monitor.delivery.errors import ChannelError, Receipt, shorten
from monitor.delivery.message import Envelope, telegram_html
from monitor.delivery.network import refused
from monitor.errors import ConfigError
from monitor.outbound.bodies import body_text, read_bounded
from monitor.outbound.retry_after import parse_retry_after
from monitor.outbound.transport import NonPublicAddressError, outbound_extensions
from monitor.zones import DEFAULT_ZONE

MAX_REPLY_BYTES = 64 * 1024  # a Bot API answer is a few hundred bytes; the log keeps 500 characters


class TelegramSender:
    """Sends to one Telegram chat."""

    def __init__(self, channel: Channel, zone: ZoneInfo = DEFAULT_ZONE) -> None:
        if not isinstance(channel.spec, TelegramChannelSpec):
            raise ConfigError(f"channel '{channel.id}' is not a telegram channel")
        self.spec = channel.spec
        self.zone = zone
        self._url = f"{self.spec.api_base}/bot{channel.secret('token_env')}/sendMessage"

    async def send(self, envelope: Envelope, client: httpx.AsyncClient) -> Receipt:
        """Post the message; return the Telegram message id as the reply."""
        payload = {
            "chat_id": self.spec.chat_id,
            "text": telegram_html(envelope, self.zone),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        shown = f"the Telegram API for channel {self.spec.id}"  # the URL holds the token: never shown
        try:
            async with client.stream(
                "POST",
                self._url,
                json=payload,
                timeout=self.spec.timeout_seconds,
                extensions=outbound_extensions(self.spec.allow_private_network),
            ) as response:
                # Read only the start of the answer, unpacked within the cap, whatever the server sends.
                reply = await read_bounded(response, MAX_REPLY_BYTES, shown, truncate=True)
        except NonPublicAddressError as exc:
            raise refused(f"telegram {self.spec.id}", exc) from None
        except httpx.TimeoutException as exc:
            raise ChannelError(f"telegram timed out after {self.spec.timeout_seconds:g}s", retryable=True) from exc
        except httpx.HTTPError as exc:
            # str(exc) of some httpx errors carries the request URL, hence the token: name the type only.
            raise ChannelError(f"telegram unreachable: {type(exc).__name__}", retryable=True) from exc
        return _classify(response, reply)


def _classify(response: httpx.Response, reply: bytes) -> Receipt:
    status = response.status_code
    text = body_text(reply, response.charset_encoding)
    try:
        answer: Any = json.loads(text)
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    description = shorten(str(answer.get("description") or text))
    if 200 <= status < 300 and answer.get("ok") is True:
        result = answer.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return Receipt(status=status, reply=f"message_id={message_id}")
    code = answer.get("error_code") if isinstance(answer.get("error_code"), int) else status
    parameters = answer.get("parameters")
    retry_after: float | None = None
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        retry_after = float(parameters["retry_after"])
    else:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    retryable = code == 429 or code >= 500 or status >= 500
    raise ChannelError(
        f"telegram refused the message: {code} {description}".rstrip(),
        retryable=retryable,
        status=code,
        reply=description,
        retry_after=retry_after if retryable else None,
    )
