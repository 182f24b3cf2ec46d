"""The one rule for which addresses the monitor may connect to without ``allow_private_network``.

Source URLs and channel URLs are operator input, but DNS answers and redirects are not: a public-looking
name can resolve to the office network, to loopback (the monitor's own API) or to a cloud metadata
service. An address is *public* when Python's ``is_global`` says so, it is not multicast, and any IPv4
address it embeds is public too:

* IPv4-mapped ``::ffff:a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d`` (SIIT), the NAT64 well-known prefix
  ``64:ff9b::/96`` (RFC 6052) and 6to4 ``2002::/16`` (RFC 3056) are judged by the IPv4 address inside:
  ``64:ff9b::a9fe:a9fe`` is the metadata address 169.254.169.254 reached through a NAT64 gateway, while
  ``64:ff9b::808:808`` is how an IPv6-only network reaches 8.8.8.8, so it stays usable.
* The local-use NAT64 prefix ``64:ff9b:1::/48`` (RFC 8215, where the site chooses the embedding and the
  IPv4 side may be private), Teredo ``2001::/32`` (a tunnel to an IPv4 host the address only hides) and
  the deprecated IPv4-compatible ``::/96`` are never public.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

# IPv6 ranges whose last 32 bits are an IPv4 address that decides where the packets really go.
_EMBEDDING_IPV4 = (
    (ipaddress.IPv6Network("::ffff:0:0/96"), "IPv4-mapped address"),
    (ipaddress.IPv6Network("::ffff:0:0:0/96"), "IPv4-translated address"),
    (ipaddress.IPv6Network("64:ff9b::/96"), "NAT64 address"),
)
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
# IPv6 ranges that are never public, whatever Python's tables say about them.
_NEVER_PUBLIC = (
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "local-use NAT64 address (RFC 8215)"),
    (ipaddress.IPv6Network("2001::/32"), "Teredo tunnel address"),
    (ipaddress.IPv6Network("::/96"), "IPv4-compatible address (deprecated)"),
)


def _kind(address: IPAddress) -> str:
    """A short name for the kind of non-public address, for messages."""
    kinds = (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_unspecified, "unspecified"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
    )
    return next((name for flag, name in kinds if flag), "not globally reachable")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    for network, label in _EMBEDDING_IPV4:
        if address in network:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), label
    if address in _SIX_TO_FOUR and address.sixtofour is not None:
        return address.sixtofour, "6to4 address"
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be reached without ``allow_private_network``, or None when it is public.

    Args:
        address: A resolved or literal address.

    Returns:
        A short reason such as ``"loopback"`` or ``"NAT64 address of 169.254.169.254 (link-local)"``.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner, label = embedded
            inner_reason = non_public_reason(inner)
            if inner_reason is not None:
                return f"{label} of {inner} ({inner_reason})"
        if not (address.is_loopback or address.is_unspecified):  # ::1 and :: are in ::/96 too
            for network, label in _NEVER_PUBLIC:
                if address in network:
                    return label
    if not address.is_global or address.is_multicast:
        return _kind(address)
    return None


def literal_host_reason(host: str) -> str | None:
    """Why ``host`` is certainly not public (a local name or a non-public literal address), else None.

    A name is not judged here: it is resolved and its addresses checked before each connection.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} is the local machine"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    reason = non_public_reason(address)
    return None if reason is None else f"{host} is the non-public address {address} ({reason})"
