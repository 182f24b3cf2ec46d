"""The long-running service: scheduled crawling, scheduled window rules, and the API, in one process.

The core does not know the HTTP API: the ``monitor`` command (:mod:`api.main`, the composition root)
hands :func:`run_service` the coroutine that serves it, so nothing under ``monitor/`` imports ``api``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from monitor.access.accounts import generated_password
from monitor.access.keys import Role
from monitor.alerting.types import Alert
from monitor.alerting.workflow import DEFAULT_ESCALATION_DEADLINES
from monitor.context import Monitor
from monitor.files import write_private_file
from monitor.ingestion.crawl import Progress
from monitor.ingestion.scheduling import CrawlScheduler
from monitor.records import utc_now

log = logging.getLogger(__name__)

REPORTS_FOLDER = "reports"
FIRST_ADMIN_KEY_FILE = "first-admin-key.txt"
FIRST_ADMIN_PASSWORD_FILE = "first-admin-password.txt"  # noqa: S105 - a file name, not a password
FIRST_ADMIN_USERNAME = "admin"

SCHEDULER_TICK_SECONDS = 1.0

ApiRunner = Callable[[Monitor], Coroutine[Any, Any, None]]
"""Serves the HTTP API over a monitor until interrupted (given by the composition root, :mod:`api.main`)."""


def ensure_admin_key(monitor: Monitor, announce: Callable[[str], None], interactive: bool | None = None) -> None:
    """On the first run (no active admin key), create one and hand its secret to the operator, once.

    On a terminal (``interactive``, by default: standard output is a TTY) the secret is shown. Otherwise
    standard output is a service log that others may read, so the secret goes to
    ``<data_dir>/first-admin-key.txt``, readable only by this user, and only that path is announced.
    """
    if monitor.keys.count_active(Role.ADMIN):
        return
    key, secret = monitor.keys.create(Role.ADMIN, "first admin key")
    if interactive is None:
        interactive = sys.stdout.isatty()
    rule = "=" * 72
    usage = (
        "Use it as:  curl -H 'X-API-Key: <secret>' http://HOST:PORT/alerts\n"
        "Create more with:  monitor keys create --role officer\n"
    )
    if interactive:
        announce(
            f"\n{rule}\nFirst run: created an admin API key. It is shown only this once; keep it safe.\n"
            f"  key id: {key.key_id}\n  secret: {secret}\n{usage}{rule}"
        )
        return
    path = write_private_file(monitor.settings.data_dir / FIRST_ADMIN_KEY_FILE, secret + "\n")
    announce(
        f"\n{rule}\nFirst run: created an admin API key (key id {key.key_id}). Not on a terminal, so its secret\n"
        f"is not printed: it is in {path} (readable only by this user).\n"
        f"Copy it somewhere safe, then delete the file.\n{usage}{rule}"
    )


def ensure_admin_user(monitor: Monitor, announce: Callable[[str], None], interactive: bool | None = None) -> None:
    """On the first run (no account at all), create the console's admin account with a generated password.

    The password is handed over as the first admin key's secret is (:func:`ensure_admin_key`): shown on a
    terminal, else written to ``<data_dir>/first-admin-password.txt`` (mode 0600) and only the path announced.
    """
    if monitor.users.count():
        return
    password = generated_password()
    user = monitor.users.create(FIRST_ADMIN_USERNAME, Role.ADMIN, password, display_name="Quản trị viên")
    if interactive is None:
        interactive = sys.stdout.isatty()
    rule = "=" * 72
    api = monitor.settings.api
    usage = (
        f"Sign in at http://{api.host}:{api.port}/console/ as '{user.username}', then change the password there.\n"
        "Create accounts for people with:  monitor users create --role officer NAME\n"
    )
    if interactive:
        announce(
            f"\n{rule}\nFirst run: created the console's admin account. Its password is shown only this once.\n"
            f"  username: {user.username}\n  password: {password}\n{usage}{rule}"
        )
        return
    path = write_private_file(
        monitor.settings.data_dir / FIRST_ADMIN_PASSWORD_FILE, f"username: {user.username}\npassword: {password}\n"
    )
    announce(
        f"\n{rule}\nFirst run: created the console's admin account '{user.username}'. Not on a terminal, so its\n"
        f"password is not printed: it is in {path} (readable only by this user).\n"
        f"Sign in, change the password, then delete the file.\n{usage}{rule}"
    )


async def crawl_forever(monitor: Monitor, progress: Progress | None = None) -> None:
    """Crawl each source on its own adaptive cadence, a slow one never holding back the others."""
    await CrawlScheduler(monitor, progress, SCHEDULER_TICK_SECONDS).run_forever()


async def evaluate_windows_forever(monitor: Monitor) -> None:
    """Re-evaluate windowed rules for the current window every ``rules.window_interval_seconds``."""
    interval = monitor.settings.rules.window_interval_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            alerts = await asyncio.to_thread(monitor.engine.evaluate_windows, utc_now())
        except Exception:  # keep the loop alive; the next pass may succeed (e.g. a locked database)
            log.exception("window rule evaluation failed")
            continue
        if alerts:
            log.info("window rules: %d alerts touched", len(alerts))
        try:
            escalated = await asyncio.to_thread(escalate, monitor)
        except Exception:
            log.exception("escalating overdue alerts failed")
            continue
        if escalated:
            log.warning("escalated %d high-severity alerts still unacknowledged", len(escalated))
        try:
            breaches = await asyncio.to_thread(case_deadlines, monitor)
        except Exception:
            log.exception("checking case deadlines failed")
            continue
        if breaches:
            log.warning("%d case deadlines passed", len(breaches))


def case_deadlines(monitor: Monitor, now: datetime | None = None) -> list[Alert]:
    """Alert on cases past a service level (verify or respond in time); one alert per case and stage."""
    moment = now or utc_now()
    recorded = [
        monitor.alerts.record(monitor.cases.breach_candidate(breach, moment))
        for breach in monitor.cases.overdue(moment)
    ]
    alerts = [alert for alert, _ in recorded]
    if alerts:
        monitor.delivery.enqueue(alerts, new_ids={alert.alert_id for alert, new in recorded if new})
    return alerts


def escalate(monitor: Monitor) -> list[Alert]:
    """Escalate high-severity alerts past their acknowledgement deadline, and deliver them again."""
    escalated = monitor.alerts.escalate_overdue(utc_now(), DEFAULT_ESCALATION_DEADLINES)
    if escalated:
        # An escalation is news for the people on call even if the alert itself was already sent.
        monitor.delivery.enqueue_escalations(escalated)
    return escalated


def freeze_start_up_objects() -> None:
    """Keep what start-up built (modules, settings, rules, pydantic schemas) out of the cyclic collector's scans.

    Those ~110,000 objects live as long as the process, yet every full collection walked them all again:
    7% of the service's CPU in a crawl cycle, most of it in full collections. Frozen, a full collection
    scans only what the crawl itself keeps. Garbage is collected first so it is not kept forever.
    """
    gc.collect()
    gc.freeze()


async def run_service(monitor: Monitor, progress: Progress | None = None, serve_api: ApiRunner | None = None) -> None:
    """Run crawling, window rules and (when ``serve_api`` is given) the API until interrupted."""
    from monitor.reports import reports_forever  # noqa: PLC0415  (matplotlib loads only where reports are made)

    # Workers load their models now, not in the middle of the first crawl cycle.
    await asyncio.to_thread(monitor.workers.start)
    freeze_start_up_objects()
    stop_delivery = asyncio.Event()
    tasks = [
        asyncio.create_task(crawl_forever(monitor, progress), name="crawler"),
        asyncio.create_task(evaluate_windows_forever(monitor), name="window-rules"),
        asyncio.create_task(monitor.delivery.run_forever(stop_delivery), name="delivery"),
        # Yesterday's daily and last week's report, written once each to <data_dir>/reports and
        # mailed to reports.email_channels.
        asyncio.create_task(reports_forever(monitor, monitor.settings.data_dir / REPORTS_FOLDER), name="reports"),
    ]
    try:
        if serve_api is not None:
            await serve_api(monitor)
        else:
            await asyncio.gather(*tasks)
    finally:
        stop_delivery.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
