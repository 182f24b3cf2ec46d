"""Claims and leases on the outbox: many processes send each delivery once; a dead one's rows come back."""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import multiprocessing.synchronize
import threading
import time
from datetime import timedelta
from pathlib import Path

from monitor.db import Database
from monitor.delivery import DeliveryState, Dispatcher, load_channels
from monitor.delivery.dispatcher import HARD_TIMEOUT_FACTOR, LEASE_MARGIN_SECONDS
from monitor.delivery.message import build_message
from monitor.delivery.outbox import Candidate, Outbox
from tests.monitor.delivery.conftest import SECRET, T0, ChannelsLoader, make_alert, webhook
from tests.monitor.delivery.servers import Answer, Received, http_receiver

ALERTS = 22  # x 2 channels = 44 deliveries, as in the report


def _deliver_until_done(db_path: str, config_dir: str, start: multiprocessing.synchronize.Event) -> None:
    """One ``monitor run``'s delivery loop in its own process: deliver until nothing is pending."""
    db = Database(db_path)
    dispatcher = Dispatcher(db, load_channels(config_dir, environ={"HOOK_SECRET": SECRET}))
    start.wait(30)
    for _ in range(500):  # bounded: a bug must fail the test, not hang it
        asyncio.run(dispatcher.deliver_due())
        if not any(counts.get("pending") for counts in dispatcher.counts().values()):
            break
    db.close()


def test_two_processes_on_one_database_send_every_delivery_exactly_once(
    db: Database, channels: ChannelsLoader, tmp_path: Path
) -> None:
    def slow_ok(request: Received) -> Answer:
        time.sleep(0.01)  # a receiver that takes a moment, as real ones do: both processes overlap
        return Answer(200)

    with http_receiver() as receiver:
        receiver.handler = slow_ok
        config = channels(
            "channels:\n" + webhook("ops", receiver.url + "/ops") + webhook("press", receiver.url + "/pr")
        )
        enqueuer = Dispatcher(db, config)
        alerts = [make_alert(f"alert-{i:02d}") for i in range(ALERTS)]
        assert enqueuer.enqueue(alerts, new_ids={a.alert_id for a in alerts}) == 2 * ALERTS

        spawn = multiprocessing.get_context("spawn")
        start = spawn.Event()
        workers = [
            spawn.Process(target=_deliver_until_done, args=(str(db.path), str(tmp_path / "configs"), start))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(120)
        assert [worker.exitcode for worker in workers] == [0, 0]

    per_delivery = collections.Counter(r.json()["delivery"]["id"] for r in receiver.received)
    assert len(per_delivery) == 2 * ALERTS
    assert {key: n for key, n in per_delivery.items() if n != 1} == {}
    assert enqueuer.counts() == {"ops": {"sent": ALERTS}, "press": {"sent": ALERTS}}


def test_dispatchers_in_threads_on_separate_connections_do_not_share_a_row(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver() as receiver:
        config = channels("channels:\n" + webhook("ops", receiver.url, concurrency="1"))
        Dispatcher(db, config).enqueue([make_alert(f"a{i}") for i in range(30)], new_ids=set())
        # Two Database objects: separate SQLite connections, like separate processes.
        others = [Database(db.path) for _ in range(3)]
        barrier = threading.Barrier(len(others))

        def run(database: Database) -> None:
            dispatcher = Dispatcher(database, config)
            barrier.wait()
            asyncio.run(dispatcher.deliver_due())

        threads = [threading.Thread(target=run, args=(database,)) for database in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for database in others:
            database.close()

    per_delivery = collections.Counter(r.json()["delivery"]["id"] for r in receiver.received)
    assert sorted(per_delivery.values()) == [1] * 30


def _candidate(alert_id: str) -> Candidate:
    alert = make_alert(alert_id)
    return Candidate(
        alert_id=alert.alert_id,
        severity=alert.severity,
        doc_count=alert.doc_count,
        is_new=True,
        channel_ids=["hook"],
        message_json=lambda: _message_json(alert_id),
    )


def _message_json(alert_id: str) -> str:
    return build_message(make_alert(alert_id), rule_name=None, public_url=None, source_urls={}).model_dump_json()


def test_a_row_claimed_by_a_process_that_died_is_retried_once_its_lease_ends(
    db: Database, channels: ChannelsLoader
) -> None:
    with http_receiver() as receiver:
        config = channels("channels:\n" + webhook("hook", receiver.url, timeout_seconds="10"))
        # Everything on an explicit clock: enqueued at T0, the dead process claimed at T0.
        Outbox(db).enqueue([_candidate("alert-1")], T0)
        dead = Dispatcher(Database(db.path), config)
        lease = timedelta(seconds=10 * HARD_TIMEOUT_FACTOR + LEASE_MARGIN_SECONDS)
        [row] = dead.outbox.due(T0, ["hook"], 10)
        assert dead.outbox.claim(row.delivery_id, dead.owner, T0, lease) is not None
        # ... and died before sending or recording anything.

        survivor = Dispatcher(db, config)
        assert survivor.outbox.claim(row.delivery_id, survivor.owner, T0, lease) is None
        during = asyncio.run(survivor.deliver_due(T0 + lease - timedelta(seconds=1)))
        assert (during.attempted, receiver.received) == (0, [])
        assert survivor.outbox.next_due(["hook"]) == {"hook": T0 + lease}  # when to look again

        after = asyncio.run(survivor.deliver_due(T0 + lease))
        assert after.sent == 1
        # Recording the outcome released the lease; nothing is left to send.
        assert asyncio.run(survivor.deliver_due(T0 + 2 * lease)).attempted == 0

    assert [r.json()["delivery"]["id"] for r in receiver.received] == ["alert-1:hook:new"]
    [delivery] = survivor.deliveries_for("alert-1")
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 1)
    leases = db.connection().execute("SELECT lease_owner, lease_until FROM delivery_outbox").fetchall()
    assert [tuple(r) for r in leases] == [(None, None)]


def test_an_outbox_from_before_leases_gains_the_columns_and_still_delivers(
    db: Database, channels: ChannelsLoader
) -> None:
    conn = db.connection()
    conn.execute(
        """CREATE TABLE delivery_outbox (
            delivery_id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, channel_id TEXT NOT NULL,
            trigger TEXT NOT NULL, message TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, attempts_base INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts REAL NOT NULL, last_error TEXT, created_ts REAL NOT NULL, updated_ts REAL NOT NULL,
            sent_ts REAL, UNIQUE (alert_id, channel_id, trigger))"""
    )
    conn.execute(
        """INSERT INTO delivery_outbox (alert_id, channel_id, trigger, message, state, next_attempt_ts,
           created_ts, updated_ts) VALUES ('old-1', 'hook', 'new', ?, 'pending', ?, ?, ?)""",
        (_message_json("old-1"), T0.timestamp(), T0.timestamp(), T0.timestamp()),
    )
    with http_receiver() as receiver:
        dispatcher = Dispatcher(db, channels("channels:\n" + webhook("hook", receiver.url)))
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(delivery_outbox)")}
        assert {"lease_owner", "lease_until"} <= columns
        assert asyncio.run(dispatcher.deliver_due(T0 + timedelta(minutes=1))).sent == 1
    assert [r.json()["alert"]["id"] for r in receiver.received] == ["old-1"]
