"""Refusing private network addresses for the channels that do not speak HTTP (e-mail).

A channel URL comes from configuration, but a delivery must still not become a way to reach the office's
internal services (or the monitor's own API on loopback) by accident: unless a channel says
``allow_private_network: true``, its host must be public. Literal addresses and ``localhost`` are
refused when the config is loaded (the operator sees file and line). HTTP channels (webhook, Telegram)
are checked by the dispatcher's client on every connection (:mod:`monitor.outbound.transport`); SMTP,
which opens its own connection, is checked here before each send, and then connects to the address that was
checked. The rule itself is :mod:`monitor.outbound.addresses`.
"""

from __future__ import annotations

import socket

from monitor.delivery.errors import ChannelError
from monitor.outbound.addresses import IPAddress
from monitor.outbound.transport import (
    NonPublicAddressError,
    PublicExceptions,
    Resolver,
    public_addresses,
    system_resolver,
)

CHANNEL_REMEDY = "set allow_private_network: true on the channel if this is intended"


def refused(what: str, error: NonPublicAddressError) -> ChannelError:
    """The permanent :class:`ChannelError` for a delivery that would reach a non-public address."""
    return ChannelError(f"refusing {what}: {error.message} ({CHANNEL_REMEDY})", retryable=False)


async def require_public_host(
    host: str, port: int, *, what: str, resolver: Resolver = system_resolver, exceptions: PublicExceptions = ()
) -> IPAddress:
    """The checked address to connect to for ``host``; raise a permanent :class:`ChannelError` if any is not public.

    The caller must connect to the returned address, not to ``host`` again: a second resolution could answer
    differently (DNS rebinding) after the check.
    """
    try:
        return (await public_addresses(host, port, resolver=resolver, exceptions=exceptions))[0]
    except NonPublicAddressError as exc:
        raise refused(what, exc) from None
    except socket.gaierror as exc:
        # Resolution failures are usually transient (resolver down, network flapping): retry.
        raise ChannelError(f"cannot resolve {host} for {what}: {exc.strerror}", retryable=True) from exc
