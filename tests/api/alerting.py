"""Helpers for the alert API tests: keys by role and alerts recorded straight into the real store."""

from __future__ import annotations

from monitor.access.keys import Role
from monitor.alerting.types import Alert, AlertCandidate, AlertSeverity
from monitor.context import Monitor
from tests.factories import at

ALL_ROLES = tuple(Role)


def headers(monitor: Monitor, role: Role, name: str = "") -> dict[str, str]:
    return {"X-API-Key": monitor.keys.create(role, name)[1]}


def record_alert(
    monitor: Monitor,
    key: str = "claim:nuoc-nhiem-doc",
    *,
    rule_id: str = "misinfo-high",
    severity: AlertSeverity = AlertSeverity.HIGH,
    title: str = "Tin đồn nước máy Thiện Tân nhiễm độc",
    docs: tuple[str, ...] = ("d1",),
    day: str = "2026-10-20",
) -> Alert:
    alert, _ = monitor.alerts.record(
        AlertCandidate(
            rule_id=rule_id,
            rule_type="misinformation",
            severity=severity,
            key=key,
            title=title,
            summary="Bài đăng lan truyền trên mạng xã hội",
            details={"claim": key, "reasons": ["contradicted by an official correction"]},
            doc_ids=docs,
            event_start=at(f"{day} 19:00"),
            event_end=at(f"{day} 20:00"),
        )
    )
    return alert
