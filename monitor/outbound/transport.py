"""The HTTP client every outbound request goes through: each connection is made to an address that was checked.

A check made before the request and a connection made by the HTTP library resolve the name twice, and
DNS may answer differently the second time (DNS rebinding); a redirect is a new request to a new host.
So the check lives where connections are opened: an httpcore network backend resolves the host once,
refuses the request if any address is not public (:mod:`monitor.outbound.addresses`), and connects to
one of the addresses it checked. The URL is left alone, so the ``Host`` header, TLS SNI and certificate
verification still use the name, and connections are pooled per name as usual.

A request may be exempted with the :data:`ALLOW_PRIVATE_NETWORK` extension (``allow_private_network:
true`` on a source or channel); exempted requests use a second connection pool, so a connection opened
for an exempted request is never reused for a checked one. Proxies from the environment are not used:
a proxy would resolve names itself, out of reach of the check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from types import TracebackType
from typing import Any

import httpcore
import httpx

from monitor.config.settings import CrawlSettings
from monitor.errors import MonitorError
from monitor.outbound.addresses import IPAddress, non_public_reason
from monitor.outbound.bodies import ACCEPT_ENCODING

ALLOW_PRIVATE_NETWORK = "monitor.allow_private_network"
"""Request extension: set to True to skip the address check for this request."""

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves ``(host, port)`` to IP address strings; raises :class:`socket.gaierror` when it cannot."""

PublicExceptions = Collection[tuple[str, int]]
"""``(address, port)`` pairs treated as public: only for tests that make a loopback server play an
outside host (production code never passes any)."""


class NonPublicAddressError(MonitorError):
    """A request would connect to a non-public address. Permanent: callers map it to their own error kind."""

    def __init__(self, host: str, address: IPAddress, reason: str) -> None:
        super().__init__(f"{host} resolves to the non-public address {address} ({reason})", retryable=False)
        self.host = host
        self.address = address
        self.reason = reason


def outbound_extensions(allow_private_network: bool) -> dict[str, Any]:
    """The request extensions that carry a source's or channel's ``allow_private_network``."""
    return {ALLOW_PRIVATE_NETWORK: True} if allow_private_network else {}


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system's resolver gives for ``host``, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_addresses(
    host: str, port: int, *, resolver: Resolver = system_resolver, exceptions: PublicExceptions = ()
) -> list[IPAddress]:
    """Resolve ``host`` once and return its addresses, refusing the host if any of them is not public.

    Raises:
        NonPublicAddressError: An address is not public (and not one of ``exceptions``).
        socket.gaierror: The name cannot be resolved.
    """
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        addresses = [ipaddress.ip_address(answer) for answer in await resolver(host, port)]
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    for address in addresses:
        reason = None if (str(address), port) in exceptions else non_public_reason(address)
        if reason is not None:
            raise NonPublicAddressError(host, address, reason)
    return addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked addresses: resolve once, check all, connect to one of them."""

    def __init__(self, resolver: Resolver = system_resolver, exceptions: PublicExceptions = ()) -> None:
        self._resolver = resolver
        self._exceptions = frozenset(exceptions)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to ``host`` through the first of its checked addresses that accepts."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await public_addresses(host, port, resolver=self._resolver, exceptions=self._exceptions)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from exc
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next address, as a resolver-driven connect would
        assert failure is not None  # addresses is never empty
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Refused: a Unix socket is local by definition."""
        raise httpcore.ConnectError(f"refusing the local socket {path}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedHTTPTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with a :class:`CheckedBackend` under its pool.

    httpx has no parameter for the network backend, so the pool it built is replaced by an identical one
    that uses ours (``_pool`` is the attribute every method of the transport goes through).
    """

    def __init__(self, limits: httpx.Limits, backend: CheckedBackend) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class OutboundTransport(httpx.AsyncBaseTransport):
    """Checked connections by default; the :data:`ALLOW_PRIVATE_NETWORK` extension selects an unchecked pool."""

    def __init__(
        self,
        limits: httpx.Limits | None = None,
        *,
        resolver: Resolver = system_resolver,
        public_exceptions: PublicExceptions = (),
    ) -> None:
        limits = limits or httpx.Limits()
        self._checked = _CheckedHTTPTransport(limits, CheckedBackend(resolver, public_exceptions))
        self._open = httpx.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool its ``allow_private_network`` extension chooses."""
        exempt = request.extensions.get(ALLOW_PRIVATE_NETWORK) is True
        return await (self._open if exempt else self._checked).handle_async_request(request)

    async def __aenter__(self) -> OutboundTransport:
        await self._checked.__aenter__()
        await self._open.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close both pools."""
        try:
            await self._checked.aclose()
        finally:
            await self._open.aclose()


def outbound_client(
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    limits: httpx.Limits | None = None,
    resolver: Resolver = system_resolver,
    public_exceptions: PublicExceptions = (),
) -> httpx.AsyncClient:
    """An httpx client whose connections all go through :class:`OutboundTransport`.

    Redirects are not followed by the client: a redirect body would be read unbounded, and the crawler
    follows them itself (:func:`monitor.outbound.get.open_url`); deliveries do not follow them at all.
    ``Accept-Encoding`` names only the codings :func:`monitor.outbound.bodies.read_bounded` can unpack
    with a cap.

    Args:
        timeout: httpx timeout, in seconds, for connecting and for each read.
        headers: Default headers (a User-Agent...).
        limits: Connection pool limits.
        resolver: Name resolution; tests pass their own to make a name answer what they need.
        public_exceptions: ``(address, port)`` pairs treated as public, for tests only.
    """
    return httpx.AsyncClient(
        transport=OutboundTransport(limits, resolver=resolver, public_exceptions=public_exceptions),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"Accept-Encoding": ACCEPT_ENCODING, **(headers or {})},
    )


def crawl_client(
    crawl: CrawlSettings, *, resolver: Resolver = system_resolver, public_exceptions: PublicExceptions = ()
) -> httpx.AsyncClient:
    """The crawler's client: :func:`outbound_client` with the crawl settings' timeout, user agent and limits."""
    return outbound_client(
        timeout=crawl.timeout_seconds,
        headers={"User-Agent": crawl.user_agent},
        # Idle connections are kept for every concurrent slot: closing them past httpx's default of 20 would
        # reconnect (and, for HTTPS, handshake) for most requests of a busy cycle.
        limits=httpx.Limits(max_connections=crawl.concurrency, max_keepalive_connections=crawl.concurrency),
        resolver=resolver,
        public_exceptions=public_exceptions,
    )
