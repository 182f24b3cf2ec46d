"""HTTPS through the checked client: connected to the checked address, but TLS speaks to the name.

The certificates are made with the ``openssl`` command for this test: a private CA, trusted through
``SSL_CERT_FILE``, and a server certificate for ``tin.example`` only.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from monitor.outbound.transport import outbound_client

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign", cwd=tmp_path)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=tin.example", cwd=tmp_path)  # fmt: skip
    (tmp_path / "ext.cnf").write_text("subjectAltName=DNS:tin.example\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=tmp_path)  # fmt: skip
    return tmp_path


@pytest.fixture
def https_server(certificates: Path) -> Iterator[tuple[int, dict[str, str]]]:
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    def remember_sni(_socket: ssl.SSLObject, name: str, _context: ssl.SSLContext) -> None:
        seen["sni"] = name

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    context.sni_callback = remember_sni
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _get(url: str, port: int) -> httpx.Response:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1"]

    async def run() -> httpx.Response:
        async with outbound_client(timeout=5, resolver=resolve, public_exceptions={("127.0.0.1", port)}) as http:
            return await http.get(url)

    return asyncio.run(run())


def test_tls_names_the_host_while_the_connection_goes_to_the_checked_address(
    https_server: tuple[int, dict[str, str]], certificates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates / "ca.pem"))
    assert _get(f"https://tin.example:{port}/", port).status_code == 200
    assert seen == {"sni": "tin.example", "host": f"tin.example:{port}"}
    # The certificate is still checked against the name asked for, not the address connected to.
    with pytest.raises(httpx.ConnectError, match=r"not valid for 'other\.example'"):
        _get(f"https://other.example:{port}/", port)
