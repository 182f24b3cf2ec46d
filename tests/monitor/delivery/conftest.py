"""Fixtures for delivery tests: a fresh database, alerts, and channels loaded from YAML text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting.types import Alert, AlertSeverity, AlertState
from monitor.db import Database
from monitor.delivery import ChannelsConfig, load_channels

SECRET = "bí-mật-webhook-🔑"
T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
# Retries are made due by moving ``now`` forward instead of sleeping.
LATER = timedelta(days=1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "var" / "monitor.sqlite3")
    yield database
    database.close()


def make_alert(
    alert_id: str = "alert-1",
    *,
    rule_id: str = "watch-flooding",
    rule_type: str = "watch",
    severity: AlertSeverity = AlertSeverity.MEDIUM,
    doc_count: int = 2,
    title: str = "Ngập sâu ở Biên Hòa sau mưa lớn",
    summary: str = "12 bài viết về ngập lụt ở phường Tân Phong trong 6 giờ qua; người dân phản ánh <nước> & rác.",
) -> Alert:
    return Alert(
        alert_id=alert_id,
        rule_id=rule_id,
        rule_type=rule_type,
        severity=severity,
        key="k",
        title=title,
        summary=summary,
        details={"query": 'ngập OR "mưa lớn"', "khu_vực": "Biên Hòa"},
        state=AlertState.NEW,
        doc_ids=tuple(f"doc-{i}" for i in range(doc_count)),
        doc_count=doc_count,
        created_at=T0,
        updated_at=T0,
        event_start=T0 - timedelta(hours=6),
        event_end=T0,
    )


ChannelsLoader = Callable[..., ChannelsConfig]


@pytest.fixture
def channels(tmp_path: Path) -> ChannelsLoader:
    """``channels(yaml_text, env={...})`` writes configs/channels.yaml and loads it."""

    def load(text: str, env: dict[str, str] | None = None) -> ChannelsConfig:
        folder = tmp_path / "configs"
        folder.mkdir(exist_ok=True)
        (folder / "channels.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return load_channels(folder, environ=env if env is not None else {"HOOK_SECRET": SECRET})

    return load


def webhook(channel_id: str, url: str, **options: str) -> str:
    """A webhook channel entry for channels.yaml (loopback allowed, quick retries)."""
    lines = [
        f"  - id: {channel_id}",
        "    type: webhook",
        f"    url: {url}",
        "    secret_env: HOOK_SECRET",
        "    allow_private_network: true",
        "    retry: {max_attempts: 3, initial_delay: 10s, max_delay: 1m}",
        *(f"    {key}: {value}" for key, value in options.items()),
    ]
    return "\n".join(lines) + "\n"
