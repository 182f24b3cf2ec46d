"""Routing, triggers, idempotent enqueue, restart safety, waking run_forever, and the back-off."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import timedelta

import pytest

from monitor.alerting.store import AlertStore
from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.db import Database
from monitor.delivery import DeliveryState, Dispatcher, RetryPolicy
from monitor.delivery.senders import backoff_seconds
from tests.monitor.delivery.conftest import T0, ChannelsLoader, make_alert, webhook
from tests.monitor.delivery.servers import Answer, http_receiver


def test_routing_by_severity_rule_and_type(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver() as receiver:
        config = channels(
            "channels:\n"
            + webhook("all", receiver.url + "/all")
            + webhook("urgent", receiver.url + "/urgent", alerts="{min_severity: high}")
            + webhook("flooding", receiver.url + "/flooding", alerts="{rule_ids: [watch-flooding]}")
            + webhook("misinfo", receiver.url + "/misinfo", alerts="{rule_types: [misinformation]}")
            + webhook("disabled", receiver.url + "/disabled", enabled="false")
        )
        dispatcher = Dispatcher(db, config)
        alerts = [
            make_alert("flood-low", severity=AlertSeverity.LOW),
            make_alert(
                "misinfo-critical",
                rule_id="misinfo-claims",
                rule_type="misinformation",
                severity=AlertSeverity.CRITICAL,
            ),
        ]
        assert dispatcher.enqueue(alerts, new_ids={"flood-low", "misinfo-critical"}) == 5
        asyncio.run(dispatcher.deliver_due())

    got = sorted((r.path, r.json()["alert"]["id"]) for r in receiver.received)
    assert got == [
        ("/all", "flood-low"),
        ("/all", "misinfo-critical"),
        ("/flooding", "flood-low"),
        ("/misinfo", "misinfo-critical"),
        ("/urgent", "misinfo-critical"),
    ]


def test_enqueue_is_idempotent_and_updates_announce_only_rises_and_doublings(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver() as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        alert = make_alert(doc_count=3)
        assert dispatcher.enqueue([alert], new_ids={alert.alert_id}) == 1
        assert dispatcher.enqueue([alert], new_ids={alert.alert_id}) == 0  # the same call again
        assert dispatcher.enqueue([make_alert(doc_count=5)], new_ids=set()) == 0  # 5 < 2 x 3
        assert dispatcher.enqueue([make_alert(doc_count=6)], new_ids=set()) == 1  # doubled
        assert dispatcher.enqueue([make_alert(doc_count=6)], new_ids=set()) == 0
        assert dispatcher.enqueue([make_alert(doc_count=7, severity=AlertSeverity.HIGH)], new_ids=set()) == 1
        # Severity falling back and rising again to an already announced level stays quiet.
        assert dispatcher.enqueue([make_alert(doc_count=7, severity=AlertSeverity.LOW)], new_ids=set()) == 0
        assert dispatcher.enqueue([make_alert(doc_count=8, severity=AlertSeverity.HIGH)], new_ids=set()) == 0
        asyncio.run(dispatcher.deliver_due())

    assert [d.trigger for d in dispatcher.deliveries_for("alert-1")] == ["new", "docs-6", "severity-high"]
    # Webhooks send in parallel (concurrency 4), so arrival order is not guaranteed.
    triggers = sorted(r.json()["delivery"]["trigger_text"] for r in receiver.received)
    assert triggers == ["Cảnh báo mới", "Mức độ tăng lên Cao", "Số tài liệu tăng lên 6"]


def test_an_alert_never_announced_is_announced_once_even_if_not_new(db: Database, channels: ChannelsLoader) -> None:
    # E.g. the process stopped between recording the alert and enqueuing it.
    dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", "http://127.0.0.1:9/")))
    assert dispatcher.enqueue([make_alert()], new_ids=set()) == 1
    assert [d.trigger for d in dispatcher.deliveries_for("alert-1")] == ["new"]


def test_silenced_alerts_are_not_delivered(db: Database, channels: ChannelsLoader) -> None:
    dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", "http://127.0.0.1:9/")))
    alert = make_alert()
    if "silenced" not in type(alert).model_fields:
        pytest.skip("this Alert model has no silences")
    silenced = alert.model_copy(update={"silenced": True})
    assert dispatcher.enqueue([silenced], new_ids={"alert-1"}) == 0
    assert dispatcher.enqueue([alert], new_ids=set()) == 1  # after the silence: announced as new


def test_no_channel_configured_is_fine(db: Database, channels: ChannelsLoader) -> None:
    dispatcher = Dispatcher(db, channels("channels: []\n"))
    assert dispatcher.enqueue([make_alert()], new_ids={"alert-1"}) == 0
    assert asyncio.run(dispatcher.deliver_due()).attempted == 0


def test_recorded_alerts_flow_from_the_alert_store(db: Database, channels: ChannelsLoader) -> None:
    store = AlertStore(db)
    candidate = AlertCandidate(
        rule_id="watch-flooding",
        rule_type="watch",
        severity=AlertSeverity.MEDIUM,
        key="2026-10-20T06",
        title="Ngập ở Biên Hòa",
        summary="2 bài viết",
        doc_ids=("d1", "d2"),
        event_start=T0 - timedelta(hours=1),
        event_end=T0,
    )
    with http_receiver() as receiver:
        dispatcher = Dispatcher(
            db,
            channels("channels:\n" + webhook("hook", receiver.url)),
            source_urls=lambda ids: {i: f"https://bao.example.vn/{i}" for i in ids},
        )
        alert, is_new = store.record(candidate)
        assert dispatcher.enqueue([alert], new_ids={alert.alert_id} if is_new else set()) == 1
        alert, is_new = store.record(candidate.model_copy(update={"doc_ids": ("d1", "d2", "d3", "d4")}))
        assert not is_new
        assert dispatcher.enqueue([alert], new_ids=set()) == 1  # 2 → 4 documents
        assert asyncio.run(dispatcher.deliver_due()).sent == 2
    documents = receiver.received[0].json()["alert"]["links"]["documents"]
    assert documents[0] == {"doc_id": "d1", "url": "https://bao.example.vn/d1", "api_url": None}


def test_a_new_dispatcher_over_the_same_database_delivers_what_was_pending(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver(default=Answer(503)) as receiver:
        config = channels("channels:\n" + webhook("hook", receiver.url))
        first = Dispatcher(db, config)
        first.enqueue([make_alert("a1"), make_alert("a2")], new_ids={"a1", "a2"})
        assert asyncio.run(first.deliver_due()).retrying == 2  # both in flight at once (concurrency 4)
        del first  # the service stops

        reopened = Database(db.path)
        receiver.default = Answer(200)
        second = Dispatcher(reopened, config)
        # Idempotent across restarts too: re-enqueueing the same alerts adds nothing.
        assert second.enqueue([make_alert("a1"), make_alert("a2")], new_ids={"a1", "a2"}) == 0
        report = asyncio.run(second.deliver_due(T0 + timedelta(days=3650)))
        reopened.close()
    assert report.sent == 2
    assert sorted(r.json()["alert"]["id"] for r in receiver.received[2:]) == ["a1", "a2"]
    assert [d.state for a in ("a1", "a2") for d in second.deliveries_for(a)] == [DeliveryState.SENT] * 2


def test_run_forever_wakes_when_another_thread_enqueues(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver() as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))

        async def scenario() -> None:
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run_forever(stop))
            await asyncio.sleep(0.05)  # let it go idle (it would sleep for a minute)
            producer = threading.Thread(target=lambda: dispatcher.enqueue([make_alert()], new_ids={"alert-1"}))
            producer.start()
            producer.join()
            # Liveness only: the idle wait is 60 s, so arriving at all within this bound means it was woken.
            arrived = await asyncio.to_thread(receiver.wait_for, 1, 20.0)
            stop.set()
            await asyncio.wait_for(runner, 20)
            assert arrived

        asyncio.run(scenario())
    assert dispatcher.deliveries_for("alert-1")[0].state is DeliveryState.SENT


def test_backoff_grows_is_capped_jittered_and_honours_retry_after() -> None:
    policy = RetryPolicy(initial_delay=10, max_delay=60, max_retry_after=300)
    rng = random.Random(7)
    for failures, step in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        delays = [backoff_seconds(policy, failures, rng, None) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert backoff_seconds(policy, 1, rng, 120) == 120
    assert backoff_seconds(policy, 1, rng, 10_000) == 300  # a server cannot park an alert forever


def test_a_stored_message_that_cannot_be_read_fails_visibly(db: Database, channels: ChannelsLoader) -> None:
    dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", "http://127.0.0.1:9/")))
    dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
    db.connection().execute("UPDATE delivery_outbox SET message = '{\"alert_id\": 1}'")
    assert asyncio.run(dispatcher.deliver_due()).failed == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.error is not None
    assert entry.error.startswith("cannot read the stored message")


def test_a_slow_channel_does_not_hold_up_another(db: Database, channels: ChannelsLoader) -> None:
    released = threading.Event()

    def slow_answer(request: object) -> Answer:
        released.wait(20)  # the slow receiver answers only once the fast one got the second alert
        return Answer(200)

    with http_receiver() as slow, http_receiver() as fast:
        slow.handler = slow_answer
        config = channels(
            "channels:\n"
            + webhook("slow", slow.url, alerts="{rule_ids: [watch-flooding]}", timeout_seconds="30")
            + webhook("fast", fast.url)
        )
        dispatcher = Dispatcher(db, config)

        async def scenario() -> bool:
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run_forever(stop))
            dispatcher.enqueue([make_alert("a1")], new_ids={"a1"})  # to both; "slow" is now stuck
            await asyncio.to_thread(fast.wait_for, 1, 20.0)
            dispatcher.enqueue([make_alert("a2", rule_id="other-rule")], new_ids={"a2"})  # to "fast" only
            arrived = await asyncio.to_thread(fast.wait_for, 2, 20.0)
            released.set()
            await asyncio.to_thread(slow.wait_for, 1, 20.0)
            stop.set()
            await asyncio.wait_for(runner, 20)
            return arrived

        assert asyncio.run(scenario())
    assert [r.json()["alert"]["id"] for r in fast.received] == ["a1", "a2"]
    assert dispatcher.deliveries_for("a1")[0].state is DeliveryState.SENT


def test_an_alert_escalated_by_the_store_is_announced_once_per_escalation(
    db: Database, channels: ChannelsLoader
) -> None:
    store = AlertStore(db)
    with http_receiver() as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        candidate = AlertCandidate(
            rule_id="misinfo-high",
            rule_type="misinformation",
            severity=AlertSeverity.HIGH,
            key="claim:thien-tan-water",
            title="Tin sai về nước máy Thiện Tân lan rộng",
            summary="20 bài đăng lặp lại tin sai đã được cải chính.",
            doc_ids=("doc-1",),
            event_start=T0,
            event_end=T0,
        )
        alert, new = store.record(candidate)
        assert dispatcher.enqueue([alert], new_ids={alert.alert_id} if new else set()) == 1
        # Nobody acknowledged it: past the deadline the store escalates it, and it is announced again.
        later = alert.created_at + timedelta(hours=2)
        escalated = store.escalate_overdue(later, {AlertSeverity.HIGH: timedelta(minutes=30)})
        assert [a.alert_id for a in escalated] == [alert.alert_id]
        assert dispatcher.enqueue_escalations(escalated) == 1
        assert dispatcher.enqueue_escalations(escalated) == 0  # the same escalation, not twice
        asyncio.run(dispatcher.deliver_due(later))

    triggers = sorted(d.trigger.split("-")[0] for d in dispatcher.deliveries_for(alert.alert_id))
    assert triggers == ["escalated", "new"]
    texts = sorted(r.json()["delivery"]["trigger_text"] for r in receiver.received)
    assert texts == ["Chưa được xác nhận quá thời hạn: cảnh báo được nâng cấp", "Cảnh báo mới"]
