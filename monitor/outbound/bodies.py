"""Reading a response body with a cap on what it unpacks to.

A compressed body can unpack to a thousand or a million times its size (1.6 KB of brotli makes 1 GiB):
checking the size after the HTTP library has decoded a network chunk is too late, the memory is gone.
So the raw bytes are read as they arrive and unpacked here, each step asked for at most
:data:`STEP_BYTES` of output, and reading stops as soon as the unpacked total passes the limit: memory
stays near the limit whatever the body claims to be. The raw (still compressed) size has the same cap.

The codings unpacked are those the client asks for (:data:`ACCEPT_ENCODING`), in any chain
(``Content-Encoding: gzip, br``); a coding the client did not ask for and cannot read is passed through
as it is, as httpx does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Protocol

import brotli
import httpx

from monitor.errors import FetchError

ACCEPT_ENCODING = "gzip, deflate, br"
STEP_BYTES = 64 * 1024


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """Unpack ``data`` in pieces of at most :data:`STEP_BYTES` (brotli may finish a block: under twice that)."""
        ...

    def finish(self) -> Iterator[bytes]:
        """What is left once the body has ended."""
        ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        yield from ()


class _Zlib:
    """gzip, or deflate (zlib-wrapped as the standard says, or raw as some servers send it)."""

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._inflate = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while True:
            try:
                piece = self._inflate.decompress(pending, STEP_BYTES)
            except zlib.error as exc:
                if not self._raw_fallback:
                    raise httpx.DecodingError(f"cannot unpack the body: {exc}") from exc
                # The first bytes are not a zlib header: read the deflate stream as raw (what httpx does).
                self._raw_fallback = False
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            pending = self._inflate.unconsumed_tail
            if piece:
                yield piece
            # Less than a full step with no input left means zlib has nothing more to give for now.
            if not pending and len(piece) < STEP_BYTES:
                return

    def finish(self) -> Iterator[bytes]:
        try:
            rest = self._inflate.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"cannot unpack the body: {exc}") from exc
        if rest:
            yield rest


class _Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            piece = self._decompressor.process(data, output_buffer_limit=STEP_BYTES)
            if piece:
                yield piece
            # With a limit, brotli keeps the rest of its output until asked with empty input.
            while not self._decompressor.can_accept_more_data():
                piece = self._decompressor.process(b"", output_buffer_limit=STEP_BYTES)
                if piece:
                    yield piece
        except brotli.error as exc:
            raise httpx.DecodingError(f"cannot unpack the brotli body: {exc}") from exc

    def finish(self) -> Iterator[bytes]:
        yield from ()


def _decoder(coding: str) -> _Decoder:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if coding == "br":
        return _Brotli()
    return _Identity()


def decoders_for(content_encoding: str) -> list[_Decoder]:
    """The decoders for a ``Content-Encoding`` header, in the order they apply (the last coding first)."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",")]
    return [_decoder(coding) for coding in reversed(codings) if coding and coding != "identity"]


def _through(decoders: Sequence[_Decoder], data: bytes) -> Iterator[bytes]:
    if not decoders:
        if data:
            yield data
        return
    for piece in decoders[0].feed(data):
        yield from _through(decoders[1:], piece)


def _finish(decoders: Sequence[_Decoder]) -> Iterator[bytes]:
    for index, decoder in enumerate(decoders):
        for piece in decoder.finish():
            yield from _through(decoders[index + 1 :], piece)


def body_text(body: bytes, charset: str | None) -> str:
    """``body`` as text: the declared ``charset``, else (or if Python does not know it) UTF-8, never failing."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


async def read_bounded(response: httpx.Response, limit: int, shown_url: str, *, truncate: bool = False) -> bytes:
    """The body of a streamed ``response``, unpacked, never holding much more than ``limit`` bytes.

    Args:
        response: A response opened with ``stream=True`` whose body was not read yet.
        limit: The most bytes the body may have, raw or unpacked.
        shown_url: The URL to name in errors (without credentials).
        truncate: Return the first ``limit`` bytes instead of failing (robots.txt: RFC 9309 reads the
            first 500 KiB and ignores the rest).

    Raises:
        FetchError: Permanent, when the body is (or declares to be, or unpacks to) more than ``limit``
            bytes and ``truncate`` is false.
        httpx.DecodingError: The body is not valid for its ``Content-Encoding``.
        httpx.HTTPError: The connection failed while reading.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and not truncate:
        raise FetchError(f"{shown_url} is {declared} bytes, over the {limit}-byte limit", retryable=False)
    encoding = response.headers.get("content-encoding", "")
    decoders = decoders_for(encoding)
    packed = f" once unpacked (Content-Encoding: {encoding})" if decoders else ""
    body = bytearray()
    received = 0

    def add(pieces: Iterator[bytes]) -> bool:
        """Append ``pieces``; True when the limit is reached and reading must stop."""
        for piece in pieces:
            if len(body) + len(piece) > limit:
                if truncate:
                    body.extend(piece[: limit - len(body)])
                    return True
                raise FetchError(f"{shown_url} exceeds the {limit}-byte limit{packed}", retryable=False)
            body.extend(piece)
        return False

    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit:
            if truncate:
                return bytes(body)
            raise FetchError(f"{shown_url} exceeds the {limit}-byte limit", retryable=False)
        if add(_through(decoders, chunk)):
            return bytes(body)
    add(_finish(decoders))
    return bytes(body)
