"""The outbound-address rule: which addresses count as public, including IPv6 forms that embed an IPv4."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import pytest

from monitor.outbound.addresses import literal_host_reason, non_public_reason
from monitor.outbound.transport import NonPublicAddressError, Resolver, public_addresses

NON_PUBLIC = [
    ("127.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.9", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "not globally reachable"),  # shared address space (carrier-grade NAT)
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),  # Python calls multicast "global"
    ("240.0.0.1", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::5", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),
    # IPv6 addresses that carry a non-public IPv4 address
    ("64:ff9b::a9fe:a9fe", "NAT64 address of 169.254.169.254 (link-local)"),
    ("64:ff9b::7f00:1", "NAT64 address of 127.0.0.1 (loopback)"),
    ("::ffff:127.0.0.1", "IPv4-mapped address of 127.0.0.1 (loopback)"),
    ("::ffff:10.0.0.1", "IPv4-mapped address of 10.0.0.1 (private)"),
    ("::ffff:0:a9fe:a9fe", "IPv4-translated address of 169.254.169.254 (link-local)"),
    ("2002:7f00:1::", "6to4 address of 127.0.0.1 (loopback)"),
    ("2002:a9fe:a9fe::1", "6to4 address of 169.254.169.254 (link-local)"),
    # never public, whatever they carry
    ("64:ff9b:1::808:808", "local-use NAT64 address (RFC 8215)"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel address"),
    ("::7f00:1", "IPv4-compatible address (deprecated)"),
    ("::808:808", "IPv4-compatible address (deprecated)"),
]
PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "113.160.0.1",  # a Vietnamese ISP's range
    "2606:4700::1111",
    "2402:800::1",
    "64:ff9b::808:808",  # how an IPv6-only network with NAT64 reaches 8.8.8.8
    "::ffff:8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), NON_PUBLIC)
def test_non_public_addresses_are_named_with_a_reason(address: str, reason: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("localhost", "localhost is the local machine"),
        ("api.localhost", "api.localhost is the local machine"),
        ("[::1]", "[::1] is the non-public address ::1 (loopback)"),
        (
            "[64:ff9b::a9fe:a9fe]",
            "[64:ff9b::a9fe:a9fe] is the non-public address 64:ff9b::a9fe:a9fe "
            "(NAT64 address of 169.254.169.254 (link-local))",
        ),
        ("hooks.example.vn", None),  # a name: judged by what it resolves to, at each connection
        ("8.8.8.8", None),
    ],
)
def test_literal_hosts(host: str, reason: str | None) -> None:
    assert literal_host_reason(host) == reason


def _resolver(answers: dict[str, list[str]], asked: list[str]) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    return resolve


def test_a_name_is_refused_if_any_of_its_addresses_is_not_public() -> None:
    asked: list[str] = []
    resolve = _resolver({"news.example": ["8.8.8.8", "64:ff9b::a9fe:a9fe"], "ok.example": ["1.1.1.1"]}, asked)
    with pytest.raises(NonPublicAddressError) as refused:
        asyncio.run(public_addresses("news.example", 443, resolver=resolve))
    assert refused.value.message == (
        "news.example resolves to the non-public address 64:ff9b::a9fe:a9fe "
        "(NAT64 address of 169.254.169.254 (link-local))"
    )
    assert not refused.value.retryable
    assert asyncio.run(public_addresses("ok.example", 443, resolver=resolve)) == [ipaddress.ip_address("1.1.1.1")]
    # A literal address is judged as it is, without asking the resolver.
    with pytest.raises(NonPublicAddressError):
        asyncio.run(public_addresses("127.0.0.1", 80, resolver=resolve))
    assert asked == ["news.example", "ok.example"]


def test_public_exceptions_name_one_address_and_port() -> None:
    assert asyncio.run(public_addresses("127.0.0.1", 8080, exceptions={("127.0.0.1", 8080)}))
    with pytest.raises(NonPublicAddressError):
        asyncio.run(public_addresses("127.0.0.1", 8081, exceptions={("127.0.0.1", 8080)}))
