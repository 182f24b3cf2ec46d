"""Reading bodies with a cap on their unpacked size, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import zlib

import brotli
import httpx
import pytest

from monitor.errors import FetchError
from monitor.outbound.bodies import ACCEPT_ENCODING, STEP_BYTES, decoders_for, read_bounded
from monitor.outbound.get import open_url
from monitor.outbound.transport import outbound_client
from tests.bombs import BOMBS, GIB
from tests.loopback import Loopback, Reply, serve

TEXT = ("Mưa lớn kéo dài, nhiều tuyến đường ở Biên Hòa ngập sâu; người dân phản ánh nước chảy xiết. " * 40).encode()


def _read(server: Loopback, path: str, limit: int, *, truncate: bool = False) -> bytes:
    async def run() -> bytes:
        async with (
            outbound_client(timeout=5) as http,
            open_url(http, server.url(path), allow_private_network=True) as response,
        ):
            return await read_bounded(response, limit, server.url(path), truncate=truncate)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),  # what the standard says deflate is
        ("deflate", zlib.compress(TEXT)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress(TEXT)),
        ("gzip, br", brotli.compress(gzip.compress(TEXT))),  # applied in order: unpacked last one first
        ("identity", TEXT),
        ("zstd", TEXT),  # not asked for and not readable here: passed through as it is, as httpx does
    ],
)
def test_every_accepted_coding_is_unpacked(encoding: str, body: bytes) -> None:
    with serve({"/tin": Reply(200, body, {"Content-Encoding": encoding})}) as server:
        assert _read(server, "/tin", len(TEXT)) == TEXT
        [(_, headers)] = server.requests
    assert headers["Accept-Encoding"] == ACCEPT_ENCODING == "gzip, deflate, br"


def test_one_byte_over_the_limit_is_refused() -> None:
    reply = Reply(200, gzip.compress(TEXT), {"Content-Encoding": "gzip"})
    with serve({"/tin": reply}) as server, pytest.raises(FetchError) as refused:
        _read(server, "/tin", len(TEXT) - 1)
    assert refused.value.message == (
        f"{server.url('/tin')} exceeds the {len(TEXT) - 1}-byte limit once unpacked (Content-Encoding: gzip)"
    )
    assert not refused.value.retryable


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with serve({"/tin": Reply(200, TEXT)}) as server, pytest.raises(FetchError) as refused:
        _read(server, "/tin", 1024)
    assert refused.value.message == f"{server.url('/tin')} is {len(TEXT)} bytes, over the 1024-byte limit"


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_truncating_keeps_exactly_the_first_bytes(encoding: str) -> None:
    bomb = BOMBS[encoding](b"User-agent: *\n", GIB)
    with serve({"/robots.txt": Reply(200, bomb, {"Content-Encoding": encoding})}) as server:
        body = _read(server, "/robots.txt", 512 * 1024, truncate=True)
    assert len(body) == 512 * 1024
    assert body.startswith(b"User-agent: *\n ")


def test_a_corrupt_body_is_a_decoding_error() -> None:
    broken = Reply(200, b"<rss>not gzip at all</rss>", {"Content-Encoding": "gzip"})
    with serve({"/tin": broken}) as server, pytest.raises(httpx.DecodingError):
        _read(server, "/tin", len(TEXT))


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_each_unpacking_step_is_small(encoding: str) -> None:
    """The reader checks the total after every step, so a step's size bounds what can pass the limit."""
    [decoder] = decoders_for(encoding)
    bomb = BOMBS[encoding](b"", GIB)
    steps = [len(piece) for piece in itertools.islice(decoder.feed(bomb[:STEP_BYTES]), 1000)]
    assert len(steps) == 1000
    # brotli may finish its current block past the asked size; zlib never does.
    assert max(steps) <= 2 * STEP_BYTES
