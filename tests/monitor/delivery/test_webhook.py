"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signing, retries, permanent failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from ipaddress import ip_address

import pytest

from monitor.db import Database
from monitor.delivery import AttemptOutcome, DeliveryState, Dispatcher
from monitor.delivery.channels import Channel
from monitor.delivery.config import ChannelsConfig
from monitor.delivery.errors import ChannelError, Receipt
from monitor.delivery.message import Envelope, build_message
from monitor.delivery.webhook import MAX_REPLY_BYTES, WebhookSender, verify
from monitor.outbound.transport import outbound_client
from monitor.records import utc_now
from tests.bombs import GIB, brotli_bomb, peak_memory
from tests.monitor.delivery.conftest import LATER, SECRET, ChannelsLoader, make_alert, webhook
from tests.monitor.delivery.servers import Answer, http_receiver


def test_webhook_receives_signed_vietnamese_json(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver() as receiver:
        config = channels("public_url: https://giamsat.example.vn\nchannels:\n" + webhook("hook", receiver.url + "/in"))
        dispatcher = Dispatcher(db, config, rule_names={"watch-flooding": "Ngập lụt, mưa lớn"})
        assert dispatcher.enqueue([make_alert()], new_ids={"alert-1"}) == 1
        report = asyncio.run(dispatcher.deliver_due())

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [request] = receiver.received
    assert request.path == "/in"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert verify(SECRET, request.body, request.headers["x-monitor-signature"])
    assert not verify("another secret", request.body, request.headers["x-monitor-signature"])
    assert request.headers["x-monitor-timestamp"].isdigit()
    assert request.headers["x-monitor-delivery"] == "alert-1:hook:new"
    # Vietnamese is sent as UTF-8, not \u escapes.
    assert "Ngập sâu ở Biên Hòa".encode() in request.body
    document = request.json()
    alert = document["alert"]
    assert alert["id"] == "alert-1"
    assert alert["rule"] == {"id": "watch-flooding", "name": "Ngập lụt, mưa lớn", "type": "watch"}
    assert alert["severity"] == "medium"
    assert alert["details"]["khu_vực"] == "Biên Hòa"
    assert alert["doc_ids"] == ["doc-0", "doc-1"]
    assert alert["links"]["alert"] == "https://giamsat.example.vn/alerts/alert-1"
    assert alert["links"]["documents"][0]["api_url"] == "https://giamsat.example.vn/documents/doc-0"
    assert document["delivery"]["trigger"] == "new"
    assert document["delivery"]["attempt"] == 1

    [delivery] = dispatcher.deliveries_for("alert-1")
    assert delivery.state is DeliveryState.SENT
    [entry] = dispatcher.log_for("alert-1")
    assert (entry.outcome, entry.status, entry.attempt) == (AttemptOutcome.SENT, 200, 1)


def test_failing_webhook_is_retried_and_every_attempt_is_logged(db: Database, channels: ChannelsLoader) -> None:
    script = [Answer(500, b"database down"), Answer(503, b"busy", {"Retry-After": "120"})]
    with http_receiver(script) as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        start = utc_now()

        first = asyncio.run(dispatcher.deliver_due(start))
        assert (first.sent, first.retrying) == (0, 1)
        [pending] = dispatcher.deliveries_for("alert-1")
        assert pending.state is DeliveryState.PENDING
        assert pending.last_error == "webhook answered HTTP 500"
        # Not due yet: the back-off (10 s with jitter: 5-10 s) has not passed.
        assert asyncio.run(dispatcher.deliver_due(start)).attempted == 0

        second = asyncio.run(dispatcher.deliver_due(start + timedelta(seconds=11)))
        assert second.retrying == 1
        # Retry-After: 120 is a floor on the next wait.
        [pending] = dispatcher.deliveries_for("alert-1")
        assert pending.next_attempt_at is not None
        assert pending.next_attempt_at >= start + timedelta(seconds=11 + 120)

        third = asyncio.run(dispatcher.deliver_due(start + LATER))
        assert third.sent == 1

    assert len(receiver.received) == 3
    # Every attempt carries the same alert and delivery id; the attempt number counts up.
    assert [r.json()["delivery"]["attempt"] for r in receiver.received] == [1, 2, 3]
    assert {r.headers["x-monitor-delivery"] for r in receiver.received} == {"alert-1:hook:new"}
    log = dispatcher.log_for("alert-1")
    assert [(e.attempt, e.outcome, e.status) for e in log] == [
        (1, AttemptOutcome.RETRY, 500),
        (2, AttemptOutcome.RETRY, 503),
        (3, AttemptOutcome.SENT, 200),
    ]
    assert log[0].reply == "database down"
    assert log[0].next_attempt_at is not None
    assert dispatcher.deliveries_for("alert-1")[0].state is DeliveryState.SENT


def test_permanent_failure_is_kept_visible_and_other_channels_are_unaffected(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver(default=Answer(404, b"no such hook")) as broken, http_receiver() as healthy:
        config = channels("channels:\n" + webhook("broken", broken.url) + webhook("healthy", healthy.url))
        dispatcher = Dispatcher(db, config)
        dispatcher.enqueue([make_alert("a1"), make_alert("a2")], new_ids={"a1", "a2"})
        report = asyncio.run(dispatcher.deliver_due())

    # A 404 is permanent: both alerts fail at once on "broken" (no channel pause), both arrive on "healthy".
    assert report.channels["broken"].failed == 2
    assert report.channels["healthy"].sent == 2
    assert len(healthy.received) == 2
    for alert_id in ("a1", "a2"):
        states = {d.channel_id: d.state for d in dispatcher.deliveries_for(alert_id)}
        assert states == {"broken": DeliveryState.FAILED, "healthy": DeliveryState.SENT}
        failed = next(e for e in dispatcher.log_for(alert_id) if e.channel_id == "broken")
        assert (failed.outcome, failed.status, failed.reply) == (AttemptOutcome.FAILED, 404, "no such hook")
        assert failed.error == "webhook refused the alert: HTTP 404"
    # Failed deliveries are not retried by themselves...
    assert asyncio.run(dispatcher.deliver_due(utc_now() + LATER)).attempted == 0
    assert dispatcher.counts() == {"broken": {"failed": 2}, "healthy": {"sent": 2}}


def test_retries_run_out_then_an_operator_requeues(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver(default=Answer(502, b"bad gateway")) as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        now = utc_now()
        for _ in range(3):  # max_attempts: 3
            asyncio.run(dispatcher.deliver_due(now))
            now += LATER
        [delivery] = dispatcher.deliveries_for("alert-1")
        assert delivery.state is DeliveryState.FAILED
        assert delivery.attempts == 3
        assert delivery.last_error == "webhook answered HTTP 502 (gave up after 3 attempts)"

        receiver.default = Answer(204, b"")
        assert dispatcher.retry("alert-1", by="officer:lan") == 1
        report = asyncio.run(dispatcher.deliver_due(now))

    assert report.sent == 1
    log = dispatcher.log_for("alert-1")
    assert [e.outcome for e in log] == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.FAILED,
        AttemptOutcome.REQUEUED,
        AttemptOutcome.SENT,
    ]
    assert log[3].reply == "requeued by officer:lan"
    assert log[4].attempt == 4
    assert dispatcher.deliveries_for("alert-1")[0].state is DeliveryState.SENT
    assert dispatcher.retry("alert-1", by="officer:lan") == 0  # nothing failed any more


def test_a_channel_that_is_down_is_paused_so_queued_alerts_keep_their_attempts(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver(default=Answer(503, b"maintenance")) as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url, concurrency="1")))
        dispatcher.enqueue([make_alert(f"a{i}") for i in range(3)], new_ids={f"a{i}" for i in range(3)})
        now = utc_now()
        report = asyncio.run(dispatcher.deliver_due(now))
        # Only the first alert probed the channel; the others wait for the back-off without an attempt.
        assert (report.retrying, len(receiver.received)) == (1, 1)
        assert report.channels["hook"].paused_until is not None
        assert asyncio.run(dispatcher.deliver_due(now + timedelta(seconds=1))).attempted == 0

        receiver.default = Answer(200)
        report = asyncio.run(dispatcher.deliver_due(now + LATER))
    assert report.sent == 3
    assert [d.attempts for a in ("a0", "a1", "a2") for d in dispatcher.deliveries_for(a)] == [2, 1, 1]


def test_redirects_are_not_followed(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver(default=Answer(302, b"", {"Location": "http://10.0.0.5/internal"})) as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        report = asyncio.run(dispatcher.deliver_due())
    assert report.failed == 1
    assert len(receiver.received) == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.error is not None
    assert "redirected (HTTP 302) to http://10.0.0.5/internal" in entry.error


def test_unreachable_webhook_is_retried(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver() as receiver:
        url = receiver.url
    # The server is gone: connection refused is a network error, so retryable.
    dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", url)))
    dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
    report = asyncio.run(dispatcher.deliver_due())
    assert report.retrying == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.status is None
    assert entry.error is not None
    assert entry.error.startswith("webhook unreachable: ConnectError")


def test_private_address_is_refused_when_sending_unless_allowed(db: Database, channels: ChannelsLoader) -> None:
    with http_receiver() as receiver:
        allowed = channels("channels:\n" + webhook("hook", receiver.url))
        # Same channel without allow_private_network (as if a public name resolved to loopback): built
        # directly, because loading would already refuse the literal address.
        spec = allowed.channels[0].spec.model_copy(update={"allow_private_network": False})
        config = ChannelsConfig(channels=(Channel(spec, allowed.channels[0].secrets),))
        dispatcher = Dispatcher(db, config)
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        report = asyncio.run(dispatcher.deliver_due())
    assert report.failed == 1
    assert receiver.received == []
    [entry] = dispatcher.log_for("alert-1")
    assert entry.error is not None
    assert "resolves to the non-public address 127.0.0.1" in entry.error


def _envelope() -> Envelope:
    return Envelope(
        delivery_id=1, delivery_key="alert-1:hook:new", trigger="new", attempt=1, message=build_message(make_alert())
    )


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ("64:ff9b::a9fe:a9fe", "NAT64 address of 169.254.169.254 (link-local)"),  # the metadata service via NAT64
        ("::ffff:10.0.0.7", "IPv4-mapped address of 10.0.0.7 (private)"),
        ("127.0.0.1", None),  # the receiver itself, made to look public: delivered (the setup works)
    ],
)
def test_a_webhook_name_resolving_to_a_private_address_is_refused(
    channels: ChannelsLoader, answer: str, refused: str | None
) -> None:
    with http_receiver() as receiver:
        port = int(receiver.url.rsplit(":", 1)[1])
        # A name, so loading cannot refuse it: what it resolves to is checked when connecting.
        config = channels(
            "channels:\n  - id: hook\n    type: webhook\n    secret_env: HOOK_SECRET\n"
            f"    url: http://hooks.example.vn:{port}/in\n"
        )
        sender = WebhookSender(config.channels[0])

        async def resolve(host: str, port: int) -> Sequence[str]:
            assert host == "hooks.example.vn"
            return [answer]

        async def send() -> Receipt:
            async with outbound_client(timeout=5, resolver=resolve, public_exceptions={("127.0.0.1", port)}) as client:
                return await sender.send(_envelope(), client)

        if refused is None:
            assert asyncio.run(send()).status == 200
            assert len(receiver.received) == 1
            return
        with pytest.raises(ChannelError) as error:
            asyncio.run(send())
        assert receiver.received == []
    assert not error.value.retryable
    assert error.value.message == (
        f"refusing webhook hook: hooks.example.vn resolves to the non-public address {ip_address(answer)} ({refused}) "
        "(set allow_private_network: true on the channel if this is intended)"
    )


def test_a_reply_that_unpacks_to_a_gibibyte_is_read_only_as_far_as_the_log_needs(
    db: Database, channels: ChannelsLoader
) -> None:
    bomb = Answer(200, brotli_bomb("Đã nhận cảnh báo. ".encode(), GIB), {"Content-Encoding": "br"})
    with http_receiver(default=bomb) as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        report, peak = peak_memory(lambda: asyncio.run(dispatcher.deliver_due()))
    assert peak < 32 * MAX_REPLY_BYTES  # not the GiB the reply unpacks to
    assert report.sent == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.reply.startswith("Đã nhận cảnh báo.")
