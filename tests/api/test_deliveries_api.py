"""An alert recorded by the rules reaches a webhook; officers see every attempt and can send again."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at
from tests.monitor.delivery.conftest import webhook
from tests.monitor.delivery.servers import Answer, http_receiver


def test_a_recorded_alert_is_delivered_and_its_deliveries_are_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "bí-mật-của-webhook")
    with http_receiver(script=[Answer(503)] * 3) as failing, http_receiver() as working:
        config = make_config_dir(tmp_path / "configs")
        (config / "channels.yaml").write_text(
            "channels:\n" + webhook("ops", working.url) + webhook("flaky", failing.url), encoding="utf-8"
        )
        monitor = open_monitor(config)
        try:
            flood = analyzed("Biên Hòa ngập sâu sau mưa lớn 😭", post_id="1", published=at("2026-10-20 19:00"))
            monitor.store.upsert([flood])
            monitor.engine.on_documents([flood])
            [alert] = monitor.engine.evaluate_pending()  # the shipped watch-flooding rule; queued for both
            report = asyncio.run(monitor.delivery.deliver_due())
            assert report.attempted == 2
            for attempt in range(2):  # the flaky channel fails its three attempts
                later = alert.created_at + timedelta(hours=attempt + 1)
                asyncio.run(monitor.delivery.deliver_due(later))
            with TestClient(create_app(monitor)) as client:
                officer = {"X-API-Key": monitor.keys.create(Role.OFFICER)[1]}
                status = client.get(f"/alerts/{alert.alert_id}/deliveries", headers=officer).json()
                states = {d["channel_id"]: d["state"] for d in status["deliveries"]}
                assert states == {"ops": "sent", "flaky": "failed"}
                assert [entry["channel_id"] for entry in status["log"]].count("flaky") == 3
                retried = client.post(f"/alerts/{alert.alert_id}/deliveries/retry?channel=flaky", headers=officer)
                assert retried.json() == {"requeued": 1}
                assert client.get("/alerts/nope/deliveries", headers=officer).status_code == 404
                liaison = {"X-API-Key": monitor.keys.create(Role.LIAISON)[1]}
                assert client.get(f"/alerts/{alert.alert_id}/deliveries", headers=liaison).status_code == 403
            asyncio.run(monitor.delivery.deliver_due(alert.created_at + timedelta(hours=3)))
        finally:
            monitor.close()
    assert [r.json()["alert"]["id"] for r in working.received] == [alert.alert_id]
    assert len(failing.received) == 4  # three failed attempts, then the operator's retry
