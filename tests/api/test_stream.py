"""The live alert stream (SSE), read for real through the in-process client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.silences import SilenceCreate
from monitor.alerting.types import AlertSeverity
from monitor.config.settings import ApiSettings
from monitor.context import Monitor
from monitor.records import utc_now
from tests.api.alerting import headers, record_alert

TIMEOUT = 10.0


@dataclass
class Event:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


def read_frames(lines: Iterator[str], count: int, want: str = "alert") -> list[Event]:
    """Read frames until ``count`` of kind ``want`` ("alert" events, or "heartbeat" comments) arrived."""
    found: list[Event] = []
    frame = Event()
    deadline = time.monotonic() + TIMEOUT
    for line in lines:
        assert time.monotonic() < deadline, f"stream too slow; got {found}"
        if line == "":
            if (want == "alert" and frame.event == "alert") or (want == "heartbeat" and "heartbeat" in frame.comments):
                found.append(frame)
                if len(found) == count:
                    return found
            frame = Event()
        elif line.startswith(":"):
            frame.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                frame.data.append(value)
            elif name in ("id", "event"):
                setattr(frame, name, value)
    raise AssertionError(f"stream ended after {found}")


def read_to_end(lines: Iterator[str]) -> list[str]:
    """Every line until the server ends the stream (heartbeats keep the deadline checked)."""
    rest = []
    deadline = time.monotonic() + TIMEOUT
    for line in lines:
        assert time.monotonic() < deadline, f"the stream did not end; got {rest[-5:]}"
        rest.append(line)
    return rest


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    monitor.settings = monitor.settings.model_copy(
        update={"api": ApiSettings(stream_poll_seconds=0.05, stream_heartbeat_seconds=0.3)}
    )
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def test_new_and_changed_alerts_arrive_as_events(client: TestClient, monitor: Monitor) -> None:
    record_alert(monitor, "before")  # already there: a fresh subscriber starts at the present
    officer = headers(monitor, Role.OFFICER)
    with client.stream("GET", "/alerts/stream", headers=officer) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = response.iter_lines()
        first = next(lines)
        assert first == "retry: 5000"

        def later() -> None:
            time.sleep(0.2)
            record_alert(monitor, "claim:new")

        writer = threading.Thread(target=later)
        writer.start()
        [created] = read_frames(lines, 1)
        writer.join()
        monitor.alerts.acknowledge(created.json()["alert_id"], "officer")
        [acked] = read_frames(lines, 1)
    assert created.json()["key"] == "claim:new"
    assert created.json()["state"] == "new"
    assert acked.json()["state"] == "acknowledged"
    assert int(created.id or 0) < int(acked.id or 0) == acked.json()["seq"]


def test_last_event_id_replays_what_changed_since(client: TestClient, monitor: Monitor) -> None:
    first = record_alert(monitor, "a")
    second = record_alert(monitor, "b")
    monitor.alerts.comment(first.alert_id, "officer", "đang xem")  # a moves after b
    officer = headers(monitor, Role.OFFICER)
    with client.stream("GET", "/alerts/stream", headers={**officer, "Last-Event-ID": str(first.seq)}) as response:
        replayed = read_frames(response.iter_lines(), 2)
    assert [e.json()["key"] for e in replayed] == ["b", "a"]
    assert replayed[1].json()["comment_count"] == 1
    assert [int(e.id or 0) for e in replayed] == [second.seq, monitor.alerts.last_seq()]
    # Browsers cannot set the header on the first connection: the query parameter does the same.
    with client.stream("GET", "/alerts/stream", params={"last_event_id": second.seq}, headers=officer) as response:
        [only] = read_frames(response.iter_lines(), 1)
    assert only.json()["key"] == "a"


def test_filters_and_heartbeats(client: TestClient, monitor: Monitor) -> None:
    low = record_alert(monitor, "low", severity=AlertSeverity.LOW)
    high = record_alert(monitor, "high")
    officer = headers(monitor, Role.OFFICER)
    with client.stream(
        "GET", "/alerts/stream", params={"severity": "high", "last_event_id": 0}, headers=officer
    ) as response:
        lines = response.iter_lines()
        [event] = read_frames(lines, 1)
        assert event.json()["alert_id"] == high.alert_id
        beats = read_frames(lines, 2, want="heartbeat")  # idle: comments keep the connection alive
    assert len(beats) == 2
    assert low.alert_id != high.alert_id


def test_silenced_alerts_are_streamed_only_on_request(client: TestClient, monitor: Monitor) -> None:
    monitor.alerts.create_silence(
        SilenceCreate(key_pattern="muted*", reason="x", expires_at=utc_now() + timedelta(hours=1)), "admin"
    )
    record_alert(monitor, "muted-1")
    record_alert(monitor, "loud")
    officer = headers(monitor, Role.OFFICER)
    with client.stream("GET", "/alerts/stream", params={"last_event_id": 0}, headers=officer) as response:
        [event] = read_frames(response.iter_lines(), 1)
    assert event.json()["key"] == "loud"
    with client.stream(
        "GET", "/alerts/stream", params={"last_event_id": 0, "include_silenced": True}, headers=officer
    ) as response:
        events = read_frames(response.iter_lines(), 2)
    assert [e.json()["key"] for e in events] == ["muted-1", "loud"]
    assert events[0].json()["silenced"] is True


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 19])
def test_bad_last_event_id_is_422(client: TestClient, monitor: Monitor, value: str) -> None:
    response = client.get("/alerts/stream", headers={**headers(monitor, Role.OFFICER), "Last-Event-ID": value})
    assert response.status_code == 422
    assert "header 'Last-Event-ID'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.ADMIN, True), (Role.OFFICER, True), (Role.LIAISON, False), (Role.RESEARCHER, False)]
)
def test_stream_roles(client: TestClient, monitor: Monitor, role: Role, allowed: bool) -> None:
    with client.stream("GET", "/alerts/stream", headers=headers(monitor, role)) as response:
        assert response.status_code == (200 if allowed else 403)
    assert client.get("/alerts/stream").status_code == 401


def test_a_revoked_key_stops_receiving_alerts(monitor: Monitor) -> None:
    monitor.settings = monitor.settings.model_copy(
        update={"api": ApiSettings(stream_poll_seconds=0.05, stream_heartbeat_seconds=0.3, stream_key_check_seconds=30)}
    )
    key, secret = monitor.keys.create(Role.OFFICER, "cán bộ trực")
    with (
        TestClient(create_app(monitor)) as client,
        client.stream("GET", "/alerts/stream", headers={"X-API-Key": secret}) as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == "retry: 5000"
        record_alert(monitor, "before")
        [before] = read_frames(lines, 1)
        monitor.keys.revoke(key.key_id)
        record_alert(monitor, "after")  # checked before it is sent, however long the check interval
        rest = read_to_end(lines)  # the stream ends by itself
    assert before.json()["key"] == "before"
    assert "after" not in "\n".join(rest)
    assert "event: end" in rest
    assert any(line.startswith("data: ") and "revoked" in line for line in rest)


def test_an_idle_stream_notices_a_revoked_key(monitor: Monitor) -> None:
    monitor.settings = monitor.settings.model_copy(
        update={
            "api": ApiSettings(stream_poll_seconds=0.05, stream_heartbeat_seconds=0.3, stream_key_check_seconds=0.1)
        }
    )
    key, secret = monitor.keys.create(Role.ADMIN)
    with (
        TestClient(create_app(monitor)) as client,
        client.stream("GET", "/alerts/stream", headers={"X-API-Key": secret}) as response,
    ):
        lines = response.iter_lines()
        read_frames(lines, 1, want="heartbeat")
        monitor.keys.revoke(key.key_id)
        rest = read_to_end(lines)
    assert "event: end" in rest
