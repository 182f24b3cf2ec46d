"""Refusing private network addresses, and reading a server's request to wait.

A channel URL comes from configuration, but a delivery must still not become a way to reach the office's
internal services (or the monitor's own API on loopback) by accident: unless a channel says
``allow_private_network: true``, its host must be public. Literal addresses and ``localhost`` are
refused when the config is loaded (the operator sees file and line); names are resolved and checked
again before each connection, because DNS can point anywhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from monitor.delivery.errors import ChannelError

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def literal_private_reason(host: str) -> str | None:
    """Why ``host`` is certainly not public (a private literal address or a local name), else None."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} is the local machine"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None  # a name: checked when resolved, before each connection
    return None if address.is_global else f"{host} is the non-public address {address}"


async def require_public_host(host: str, *, what: str) -> None:
    """Raise a permanent :class:`ChannelError` if ``host`` resolves to any non-public address."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # Resolution failures are usually transient (resolver down, network flapping): retry.
        raise ChannelError(f"cannot resolve {host} for {what}: {exc.strerror}", retryable=True) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise ChannelError(
                f"refusing {what}: {host} resolves to the non-public address {address} "
                "(set allow_private_network: true on the channel if this is intended)",
                retryable=False,
            )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
