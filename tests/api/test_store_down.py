"""The API when the search engine is down: liveness still answers, searches get a clear 503."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.config.settings import load_settings
from monitor.context import build_monitor
from tests.conftest import make_config_dir


def test_store_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port on loopback where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MONITOR_STORAGE__BACKEND", "elasticsearch")
    monkeypatch.setenv("MONITOR_STORAGE__ELASTICSEARCH__URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MONITOR_STORAGE__ELASTICSEARCH__REQUEST_TIMEOUT_SECONDS", "2")
    monitor = build_monitor(load_settings(make_config_dir(tmp_path / "configs")))
    try:
        client = TestClient(create_app(monitor))
        health = client.get("/health").json()
        assert health["status"] == "degraded"
        assert "unreachable" in health["storage_error"]
        secret = monitor.keys.create(Role.OFFICER)[1]
        response = client.get("/documents", params={"q": "ngập"}, headers={"X-API-Key": secret})
        assert response.status_code == 503
        assert response.json()["detail"].startswith("storage unavailable: Elasticsearch is unreachable")
        assert client.get("/alerts", headers={"X-API-Key": secret}).status_code == 200  # alerts live in SQLite
    finally:
        monitor.close()
