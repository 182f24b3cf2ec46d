"""An alert's delivery status on its console page, and sending its failed deliveries again: a real
webhook receiver on 127.0.0.1 that refuses every attempt, the real outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.delivery.outbox import AttemptOutcome, DeliveryState
from tests.api.test_console_sign_in import sign_in
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at
from tests.monitor.access.people import PASSWORD, Clock, people_on
from tests.monitor.delivery.conftest import webhook
from tests.monitor.delivery.servers import Answer, http_receiver


def test_failed_deliveries_are_shown_and_sent_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "bí-mật-của-webhook")
    with http_receiver(script=[Answer(503)] * 3) as failing:
        config = make_config_dir(tmp_path / "configs")
        (config / "channels.yaml").write_text("channels:\n" + webhook("phong-truc", failing.url), encoding="utf-8")
        monitor = open_monitor(config)
        try:
            flood = analyzed("Biên Hòa ngập sâu sau mưa lớn 😭", post_id="1", published=at("2026-10-20 19:00"))
            monitor.store.upsert([flood])
            monitor.engine.on_documents([flood])
            [alert] = monitor.engine.evaluate_pending()
            for hours in (1, 3, 7):  # three attempts, each refused, each after the back-off
                asyncio.run(monitor.delivery.deliver_due(alert.created_at + timedelta(hours=hours)))
            people_on(monitor, Clock())
            monitor.users.create("lan", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
            with TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False) as client:
                token = sign_in(client, "lan")
                page = client.get(f"/console/alerts/{alert.alert_id}").text
                deliveries = page[page.index('id="deliveries"') : page.index('id="trail"')]
                assert "phong-truc" in deliveries
                assert "Cảnh báo mới" in deliveries  # why it was sent, in the messages' words
                assert "Gửi lỗi" in deliveries
                assert "HTTP 503" in deliveries
                assert 'id="retry-deliveries"' in deliveries
                refused = client.post(f"/console/alerts/{alert.alert_id}/deliveries/retry", data={})
                assert refused.status_code == 403
                response = client.post(f"/console/alerts/{alert.alert_id}/deliveries/retry", data={"csrf_token": token})
                assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=deliveries-retried"
                [delivery] = monitor.delivery.deliveries_for(alert.alert_id)
                assert delivery.state is DeliveryState.PENDING
                requeued = [e for e in monitor.delivery.log_for(alert.alert_id) if e.outcome is AttemptOutcome.REQUEUED]
                assert len(requeued) == 1
                assert requeued[0].reply is not None
                assert requeued[0].reply.startswith("requeued by Nguyễn Thị Lan (user:")
                after = client.get(response.headers["location"]).text
                assert "Đã gửi lại các lần gửi lỗi." in after
                assert "Đang chờ gửi" in after
        finally:
            monitor.close()
