"""Careless and hostile request bodies: too large (declared or streamed), echoed back, or not text."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.config.settings import ApiSettings
from monitor.context import Monitor
from tests.api.alerting import headers, record_alert
from tests.live_api import serve_app

LIMIT = 64 * 1024
CHUNK = 8 * 1024


@pytest.fixture
def limited(monitor: Monitor) -> Monitor:
    monitor.settings = monitor.settings.model_copy(update={"api": ApiSettings(max_body_bytes=LIMIT)})
    return monitor


@pytest.fixture
def client(limited: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def test_a_declared_large_body_is_413_before_authentication(client: TestClient, monitor: Monitor) -> None:
    body = json.dumps({"text": "Bình luận " * LIMIT}).encode()
    for sent in ({}, headers(monitor, Role.ADMIN)):  # no key: still 413, not 401, so nothing was parsed
        response = client.post(
            "/alerts/a1/comments", content=body, headers={**sent, "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert f"at most {LIMIT} bytes" in response.json()["detail"]
        assert "api.max_body_bytes" in response.json()["detail"]


def test_a_streamed_body_without_a_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield b"["
        for _ in range(4 * LIMIT // CHUNK):
            yield b"1," * (CHUNK // 2)
        yield b"1]"

    response = client.post("/rules/validate", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_a_real_server_answers_413_while_a_chunked_upload_is_still_coming(limited: Monitor) -> None:
    with serve_app(create_app(limited)) as base:
        address = urlsplit(base)
        with socket.create_connection((address.hostname or "", address.port or 0), timeout=10) as connection:
            connection.sendall(
                b"POST /rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            sent = 0
            chunk = b"x" * CHUNK
            while sent < 100 * LIMIT:  # far more than the limit, and never the closing chunk
                try:
                    connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):  # the server answered and closed
                    break
                sent += len(chunk)
                if select.select([connection], [], [], 0.05)[0]:
                    break
            answer = connection.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")
    assert sent < 100 * LIMIT  # answered while the body was still coming: it was not read whole


def test_validation_errors_do_not_echo_large_inputs(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    admin = headers(monitor, Role.ADMIN)
    long_text = "Tin đồn nước máy nhiễm độc. " * 1500  # 42,000 characters: over the comment limit
    response = client.post(f"/alerts/{alert.alert_id}/comments", json={"text": long_text}, headers=admin)
    assert response.status_code == 422
    assert "parameter 'text'" in response.json()["detail"]
    assert len(response.content) < 2000
    [error] = response.json()["errors"]
    assert error["input"].startswith("<not repeated:")
    short = client.post(f"/alerts/{alert.alert_id}/comments", json={"text": 5}, headers=admin)
    assert short.json()["errors"][0]["input"] == 5  # small inputs still help the caller


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/alerts/{alert}/comments", '{"text": "Nước a\\ud800b"}', "text"),
        ("/rules/validate", '{"type": "watch", "id": "x", "query": "ngập", "sources": ["a", "\\udc00"]}', "sources.1"),
        ("/alerts/{alert}/resolve", '{"note\\ud83d": "x"}', "note\\ud83d"),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field(
    client: TestClient, monitor: Monitor, path: str, body: str, field: str
) -> None:
    alert = record_alert(monitor)
    response = client.post(
        path.format(alert=alert.alert_id),
        content=body.encode(),
        headers={**headers(monitor, Role.ADMIN), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert f"field '{field}'" in response.json()["detail"]
    assert "lone UTF-16 surrogate" in response.json()["detail"]


def test_a_deeply_nested_body_is_not_a_500(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    body = b'{"text": ' + b"[" * 5000 + b'"\\ud800"' + b"]" * 5000 + b"}"
    response = client.post(
        f"/alerts/{alert.alert_id}/comments",
        content=body,
        headers={**headers(monitor, Role.OFFICER), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)


def test_a_surrogate_pair_is_text(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    response = client.post(
        f"/alerts/{alert.alert_id}/comments",
        content=b'{"text": "\\u0110\\u1ed3ng Nai \\ud83d\\ude00"}',
        headers={**headers(monitor, Role.OFFICER), "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["text"] == "Đồng Nai 😀"
