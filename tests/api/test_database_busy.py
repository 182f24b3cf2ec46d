"""A database held by another writer: the API answers 503 with Retry-After quickly, not a 500 after 30 s."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.config.settings import ApiSettings
from monitor.context import Monitor
from monitor.db import waiting_at_most
from monitor.errors import StoreBusyError
from tests.api.alerting import headers, record_alert


@pytest.fixture
def writer_elsewhere(monitor: Monitor) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would open) holding the database's write lock."""
    other = sqlite3.connect(monitor.settings.sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE api_keys SET name = name")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_write_while_another_connection_holds_the_lock_is_503_with_retry_after(monitor: Monitor) -> None:
    monitor.settings = monitor.settings.model_copy(update={"api": ApiSettings(busy_timeout_seconds=0.2)})
    alert = record_alert(monitor)
    officer = headers(monitor, Role.OFFICER)
    other = sqlite3.connect(monitor.settings.sqlite_path, isolation_level=None)
    with TestClient(create_app(monitor)) as client:
        other.execute("BEGIN EXCLUSIVE")
        try:
            busy = client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=officer)
            reading = client.get("/alerts", headers=officer)  # WAL: readers go on while the writer holds it
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert "busy" in busy.json()["detail"]
        assert "monitor.sqlite3" in busy.json()["detail"]
        assert reading.status_code == 200
        assert client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=officer).status_code == 200


def test_every_store_turns_a_locked_database_into_a_retryable_error(
    monitor: Monitor, writer_elsewhere: sqlite3.Connection
) -> None:
    with waiting_at_most(0.1), pytest.raises(StoreBusyError) as raised:
        monitor.keys.create(Role.OFFICER, "cán bộ trực")
    assert raised.value.retryable
    assert "another connection holds its write lock (waited 0.1 s)" in raised.value.message
