"""The dispatcher: enqueue touched alerts, send what is due, retry with back-off, keep the log.

Flow: the rules record alerts, the caller passes them to :meth:`Dispatcher.enqueue` (synchronous and
cheap: one SQLite transaction), which also wakes :meth:`Dispatcher.run_forever`, so a new alert leaves
within milliseconds instead of waiting for a polling tick. Every channel has its own loop there, so a
slow channel never delays another. Within a channel, up to ``concurrency`` rows are in flight (in order
when it is 1), and a retryable failure pauses the channel until its back-off ends (the failing row is the
probe; the rows behind it do not burn attempts against a channel that is down). Delivery is
at-least-once: a crash after a send but before its outcome is written repeats that send once the dead
process's lease on the row ends. Each attempt claims its row first (see :mod:`monitor.delivery.outbox`),
so any number of processes delivering from one database send each delivery once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from pydantic import ValidationError

from monitor.alerting.types import Alert
from monitor.db import Database
from monitor.delivery.catalog import build_sender
from monitor.delivery.channels import Channel
from monitor.delivery.config import ChannelsConfig
from monitor.delivery.errors import ChannelError, shorten
from monitor.delivery.message import DOCUMENTS_IN_MESSAGE, AlertMessage, Envelope, build_message
from monitor.delivery.outbox import (
    AttemptOutcome,
    AttemptRecord,
    Candidate,
    Delivery,
    DeliveryAttempt,
    DueRow,
    Outbox,
)
from monitor.delivery.senders import Sender, backoff_seconds
from monitor.outbound.transport import outbound_client
from monitor.records import utc_now
from monitor.zones import DEFAULT_ZONE

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # rows taken per round; a full batch starts the next round at once
IDLE_WAKE_SECONDS = 60.0  # re-check the outbox even without a wake-up (rows enqueued by another process)
ERROR_WAIT_SECONDS = 5.0
# A sender that hangs despite its own timeout (a stuck SMTP thread, a slow DNS answer) must not stall the
# channel forever: the attempt is abandoned and counted as a retryable failure.
HARD_TIMEOUT_FACTOR = 3.0
# A claimed row is leased for the attempt's hard timeout plus this margin (writing the outcome), so a live
# process never loses its lease mid-attempt, and a dead one's rows are retried soon after.
LEASE_MARGIN_SECONDS = 60.0

# Looks up the published URL of documents (doc_id → url), e.g. through the document store.
SourceUrls = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass
class ChannelReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    paused_until: datetime | None = None  # set when a retryable failure paused the channel
    more_due: bool = False  # the batch was full: go again

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


@dataclass
class DeliveryReport:
    """What one :meth:`Dispatcher.deliver_due` round did, in total and per channel."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    more_due: bool = False  # the batch was full: call again
    channels: dict[str, ChannelReport] = field(default_factory=dict)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


class Dispatcher:
    """Delivers alerts through the configured channels (see the module docstring).

    Args:
        db: The service database (tables are created on first use).
        config: The loaded ``channels.yaml``; disabled channels get nothing.
        rule_names: Rule id → display name for messages.
        source_urls: Optional look-up of documents' published URLs, for links in messages.
        zone: Time zone of times shown in messages.
        rng: Randomness for back-off jitter (tests pass a seeded one).
    """

    def __init__(
        self,
        db: Database,
        config: ChannelsConfig,
        *,
        rule_names: Mapping[str, str] | None = None,
        source_urls: SourceUrls | None = None,
        zone: ZoneInfo = DEFAULT_ZONE,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = Outbox(db)
        self.config = config
        self.channels: dict[str, Channel] = {channel.id: channel for channel in config.active}
        self._senders: dict[str, Sender] = {cid: build_sender(channel, zone) for cid, channel in self.channels.items()}
        self._rule_names = dict(rule_names or {})
        self._source_urls = source_urls
        self._rng = rng or random.Random()  # noqa: S311 - back-off jitter, not a secret
        # Names this dispatcher in the leases it takes (host and pid help an operator reading the outbox).
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._paused_until: dict[str, datetime] = {}
        self._locks_loop: asyncio.AbstractEventLoop | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        # Set while run_forever runs; enqueue (from any thread) wakes it through the loop.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakes: dict[str, asyncio.Event] = {}
        self._wake_guard = threading.Lock()

    # -- enqueueing ---------------------------------------------------------------------------------

    def enqueue(self, alerts: Sequence[Alert], *, new_ids: Collection[str]) -> int:
        """Queue deliveries for alerts the rules just recorded; return how many rows were added.

        Call it right after the rules record alerts, with ``new_ids`` the ids of alerts just created.
        Safe to call from any thread and to call again with the same alerts (nothing is added twice).
        Silenced alerts are skipped.
        Which updates are announced again is described in :mod:`monitor.delivery.triggers`.
        """
        if not alerts or not self.channels:
            return 0
        candidates = [
            Candidate(
                alert_id=alert.alert_id,
                severity=alert.severity,
                doc_count=alert.doc_count,
                is_new=alert.alert_id in new_ids,
                channel_ids=self.route(alert),
                message_json=functools.partial(self._message_json, alert),
            )
            for alert in alerts
            # A silenced alert is still recorded but not announced; it stays "never announced", so an
            # update after the silence ends goes out as new.
            if not alert.silenced
        ]
        added = self.outbox.enqueue(candidates, utc_now())
        if added:
            self.wake()
        return added

    def enqueue_escalations(self, alerts: Sequence[Alert]) -> int:
        """Queue an announcement for each alert just escalated (once per escalation)."""
        candidates = [
            Candidate(
                alert_id=alert.alert_id,
                severity=alert.severity,
                doc_count=alert.doc_count,
                is_new=False,
                channel_ids=self.route(alert),
                message_json=functools.partial(self._message_json, alert),
                escalated_at=alert.escalated_at,
            )
            for alert in alerts
            if alert.escalated_at is not None and not alert.silenced
        ]
        added = self.outbox.enqueue(candidates, utc_now()) if candidates and self.channels else 0
        if added:
            self.wake()
        return added

    def route(self, alert: Alert) -> list[str]:
        """Ids of the enabled channels whose filters accept ``alert``."""
        return [
            channel_id
            for channel_id, channel in self.channels.items()
            if channel.spec.alerts.accepts(severity=alert.severity, rule_id=alert.rule_id, rule_type=alert.rule_type)
        ]

    def wake(self) -> None:
        """Make a running :meth:`run_forever` look at the outbox now (thread-safe)."""
        with self._wake_guard:
            loop, events = self._loop, list(self._wakes.values())
        if loop is None:
            return
        for event in events:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to wake
                loop.call_soon_threadsafe(event.set)

    def _message_json(self, alert: Alert) -> str:
        return self._message(alert).model_dump_json()

    def _message(self, alert: Alert) -> AlertMessage:
        urls: Mapping[str, str] = {}
        if self._source_urls is not None:
            try:
                urls = self._source_urls(alert.doc_ids[:DOCUMENTS_IN_MESSAGE])
            except Exception:  # links are a convenience; the alert must go out without them
                log.warning("cannot look up document links for alert %s", alert.alert_id, exc_info=True)
        return build_message(
            alert, rule_name=self._rule_names.get(alert.rule_id), public_url=self.config.public_url, source_urls=urls
        )

    # -- delivering ---------------------------------------------------------------------------------

    async def deliver_due(self, now: datetime | None = None) -> DeliveryReport:
        """Send every due delivery (channels concurrently) and record each attempt.

        ``now`` decides what is due and when retries are scheduled (tests move it forward instead of
        sleeping); the log records the real time of each attempt.
        """
        now = now or utc_now()
        report = DeliveryReport()
        async with self._http() as client:
            # return_exceptions: one channel's trouble (e.g. the database refusing a write) must neither
            # stop the others nor leave them running after this call returned.
            results = await asyncio.gather(
                *(self.deliver_channel(channel_id, now, client) for channel_id in self.channels),
                return_exceptions=True,
            )
        for channel_id, result in zip(self.channels, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancellation and the like
                log.error("delivery through channel %s failed", channel_id, exc_info=result)
                continue
            if result.attempted or result.more_due:
                report.channels[channel_id] = result
            report.sent += result.sent
            report.retrying += result.retrying
            report.failed += result.failed
            report.more_due = report.more_due or result.more_due
        return report

    async def deliver_channel(self, channel_id: str, now: datetime, client: httpx.AsyncClient) -> ChannelReport:
        """One round for one channel: its due rows, unless it is paused after a retryable failure."""
        async with self._channel_lock(channel_id):
            if self._paused_until.get(channel_id, now) > now:
                return ChannelReport()
            rows = await asyncio.to_thread(self.outbox.due, now, [channel_id], BATCH_SIZE)
            report = await self._deliver_rows(channel_id, rows, now, client) if rows else ChannelReport()
            report.more_due = len(rows) == BATCH_SIZE and report.paused_until is None
            return report

    def _channel_lock(self, channel_id: str) -> asyncio.Lock:
        # One round at a time per channel, so no row is sent twice concurrently. Locks belong to an event
        # loop, and callers (tests, the CLI) may use a new loop for each asyncio.run.
        loop = asyncio.get_running_loop()
        if self._locks_loop is not loop:
            self._locks_loop, self._locks = loop, {}
        return self._locks.setdefault(channel_id, asyncio.Lock())

    async def _deliver_rows(
        self, channel_id: str, rows: list[DueRow], now: datetime, client: httpx.AsyncClient
    ) -> ChannelReport:
        """Send ``rows`` in order with up to ``concurrency`` in flight; stop at the first retryable failure."""
        report = ChannelReport()
        channel = self.channels[channel_id]
        queue = iter(rows)
        down = False

        async def worker() -> None:
            nonlocal down
            for listed in queue:  # the iterator is shared: each row is taken by one worker
                if down:
                    return
                lease = timedelta(seconds=channel.spec.timeout_seconds * HARD_TIMEOUT_FACTOR + LEASE_MARGIN_SECONDS)
                row = await asyncio.to_thread(self.outbox.claim, listed.delivery_id, self.owner, now, lease)
                if row is None:
                    continue  # another process took (or already sent) it since it was listed
                outcome = await self._attempt(channel, row, now, client)
                if outcome is AttemptOutcome.SENT:
                    report.sent += 1
                elif outcome is AttemptOutcome.FAILED:
                    report.failed += 1
                else:
                    report.retrying += 1
                    down = True  # the channel is paused until its back-off ends; leave the rest queued

        await asyncio.gather(*(worker() for _ in range(min(channel.spec.concurrency, len(rows)))))
        report.paused_until = self._paused_until.get(channel_id) if down else None
        return report

    async def _attempt(self, channel: Channel, row: DueRow, now: datetime, client: httpx.AsyncClient) -> AttemptOutcome:
        attempt = row.attempts + 1
        sender = self._senders[channel.id]
        started = time.perf_counter()
        try:
            envelope = Envelope(
                delivery_id=row.delivery_id,
                delivery_key=f"{row.alert_id}:{row.channel_id}:{row.trigger}",
                trigger=row.trigger,
                attempt=attempt,
                message=AlertMessage.model_validate_json(row.message_json),
            )
        except ValidationError as exc:
            # Written by an older or newer version with another message shape: no retry can fix it.
            unreadable = ChannelError(f"cannot read the stored message: {exc.error_count()} error(s)", retryable=False)
            return await self._failed(channel, row, unreadable, now=now, duration_ms=0.0)
        try:
            receipt = await asyncio.wait_for(
                sender.send(envelope, client), timeout=channel.spec.timeout_seconds * HARD_TIMEOUT_FACTOR
            )
        except ChannelError as exc:
            failure: ChannelError = exc
        except TimeoutError:
            failure = ChannelError("attempt abandoned: the channel did not answer in time", retryable=True)
        except Exception as exc:  # a bug in a sender must not kill the dispatcher; the attempt is kept in the log
            log.exception("unexpected error delivering %s through %s", row.alert_id, channel.id)
            failure = ChannelError(f"unexpected error: {type(exc).__name__}: {exc}", retryable=True)
        else:
            record = AttemptRecord(
                outcome=AttemptOutcome.SENT,
                attempt=attempt,
                at=utc_now(),
                status=receipt.status,
                reply=receipt.reply,
                duration_ms=_elapsed_ms(started),
            )
            await asyncio.to_thread(self.outbox.record, row, record)
            return AttemptOutcome.SENT
        return await self._failed(channel, row, failure, now=now, duration_ms=_elapsed_ms(started))

    async def _failed(
        self, channel: Channel, row: DueRow, failure: ChannelError, *, now: datetime, duration_ms: float
    ) -> AttemptOutcome:
        attempt = row.attempts + 1
        policy = channel.spec.retry
        used = attempt - row.attempts_base  # attempts since the delivery was (re)queued
        error = failure.message
        next_at: datetime | None = None
        if failure.retryable and used < policy.max_attempts:
            outcome = AttemptOutcome.RETRY
            next_at = now + timedelta(seconds=backoff_seconds(policy, used, self._rng, failure.retry_after))
            # Several deliveries in flight may fail together: the channel waits for the latest back-off.
            paused = self._paused_until.get(channel.id)
            self._paused_until[channel.id] = next_at if paused is None or paused < next_at else paused
        else:
            outcome = AttemptOutcome.FAILED
            if failure.retryable:
                error += f" (gave up after {used} attempts)"
        log.warning(
            "delivery of alert %s through %s, attempt %d: %s%s",
            row.alert_id,
            channel.id,
            attempt,
            error,
            f"; next attempt at {next_at.isoformat()}" if next_at else "; failed for good",
        )
        record = AttemptRecord(
            outcome=outcome,
            attempt=attempt,
            at=utc_now(),
            status=failure.status,
            reply=failure.reply or None,
            error=shorten(error),
            duration_ms=duration_ms,
            next_attempt_at=next_at,
        )
        await asyncio.to_thread(self.outbox.record, row, record)
        return outcome

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        # run_forever keeps one client (kept-alive connections, one TLS handshake); a lone call makes its own.
        if self._client is not None:
            yield self._client
            return
        async with _new_client() as client:
            yield client

    # -- running ------------------------------------------------------------------------------------

    async def run_forever(self, stop_event: asyncio.Event) -> None:
        """Deliver until ``stop_event`` is set, waking at once when :meth:`enqueue` adds rows.

        Each channel runs its own loop, so a slow SMTP relay or a Telegram flood wait never delays the
        webhook.
        """
        wakes = {channel_id: asyncio.Event() for channel_id in self.channels}
        with self._wake_guard:
            self._loop, self._wakes = asyncio.get_running_loop(), wakes
        try:
            async with _new_client() as client:
                self._client = client
                await asyncio.gather(
                    *(self._channel_forever(cid, wakes[cid], stop_event, client) for cid in self.channels)
                )
        finally:
            self._client = None
            with self._wake_guard:
                self._loop, self._wakes = None, {}

    async def _channel_forever(
        self, channel_id: str, wake: asyncio.Event, stop_event: asyncio.Event, client: httpx.AsyncClient
    ) -> None:
        while not stop_event.is_set():
            wake.clear()
            try:
                report = await self.deliver_channel(channel_id, utc_now(), client)
                wait = 0.0 if report.more_due else await asyncio.to_thread(self._seconds_to_next, channel_id)
            except Exception:  # e.g. a locked database: keep running, try again shortly
                log.exception("delivery through channel %s failed", channel_id)
                wait = ERROR_WAIT_SECONDS
            if wait > 0:
                await _wait_any((wake, stop_event), wait)

    def _seconds_to_next(self, channel_id: str) -> float:
        """Seconds until the channel's earliest pending row is due and it is not paused (capped)."""
        due_at = self.outbox.next_due([channel_id]).get(channel_id)
        if due_at is None:
            return IDLE_WAKE_SECONDS
        paused = self._paused_until.get(channel_id)
        start = max(due_at, paused) if paused else due_at
        return min(IDLE_WAKE_SECONDS, max(0.0, (start - utc_now()).total_seconds()))

    # -- looking and operating ----------------------------------------------------------------------

    def log_for(self, alert_id: str) -> list[DeliveryAttempt]:
        """Every attempt (and operator requeue) for ``alert_id``, oldest first."""
        return self.outbox.log(alert_id)

    def deliveries_for(self, alert_id: str) -> list[Delivery]:
        """The state of ``alert_id``'s delivery per channel and trigger."""
        return self.outbox.deliveries(alert_id)

    def retry(self, alert_id: str, *, channel_id: str | None = None, by: str) -> int:
        """Requeue the failed deliveries of ``alert_id`` (optionally one channel) with fresh attempts.

        ``by`` (who asked) is written to the log. Returns how many deliveries were requeued.
        """
        count = self.outbox.requeue(alert_id, channel_id, by, utc_now())
        if count:
            if channel_id is None:
                self._paused_until.clear()
            else:
                self._paused_until.pop(channel_id, None)
            self.wake()
        return count

    def counts(self) -> dict[str, dict[str, int]]:
        """Deliveries per channel and state (for a health endpoint)."""
        return self.outbox.counts()


def _new_client() -> httpx.AsyncClient:
    # Every connection goes to a checked address (channels with allow_private_network excepted); redirects
    # are not followed (see webhook.classify); timeouts are set per request from the channel.
    return outbound_client(timeout=10.0)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def _wait_any(events: Sequence[asyncio.Event], timeout: float) -> None:
    """Return when any of ``events`` is set or ``timeout`` seconds passed."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
