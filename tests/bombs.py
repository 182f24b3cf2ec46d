"""Decompression bombs: small bodies that unpack to a gibibyte, for the crawler's hostile-server tests."""

from __future__ import annotations

import functools
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from typing import TypeVar

import brotli

GIB = 1 << 30
_CHUNK = b" " * (1 << 20)  # spaces: harmless to any parser that reads the start of the body
T = TypeVar("T")


@functools.cache
def brotli_bomb(prefix: bytes = b"", size: int = GIB) -> bytes:
    """``prefix`` then spaces up to ``size`` bytes, brotli-compressed (about 190 KB for a GiB)."""
    compressor = brotli.Compressor(quality=1)
    parts = [compressor.process(prefix)]
    parts += [compressor.process(_CHUNK) for _ in range((size - len(prefix)) // len(_CHUNK))]
    return b"".join([*parts, compressor.finish()])


@functools.cache
def gzip_bomb(prefix: bytes = b"", size: int = GIB) -> bytes:
    """``prefix`` then spaces up to ``size`` bytes, gzip-compressed (about 1 MB for a GiB).

    Compressing a GiB takes seconds, so one fully flushed block of a MiB of spaces is compressed once and
    repeated: after a full flush the compressor starts afresh, so every such block is the same bytes.
    """
    count = (size - len(prefix)) // len(_CHUNK)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(prefix + _CHUNK) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(_CHUNK) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(_CHUNK, crc)
    length = len(prefix) + count * len(_CHUNK)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, length & 0xFFFFFFFF)
    return header + first + block * (count - 1) + end + trailer


BOMBS: dict[str, Callable[..., bytes]] = {"gzip": gzip_bomb, "br": brotli_bomb}


def peak_memory(run: Callable[[], T]) -> tuple[T, int]:
    """``run()``'s result and the most memory Python held while it ran, in bytes (tracemalloc)."""
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak
