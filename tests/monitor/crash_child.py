"""A crawl of the sample corpus that kills itself with SIGKILL at a chosen point (for the crash test).

Run as ``python -m tests.monitor.crash_child CONFIG_DIR [POINT N]``: one crawl cycle over the sources of
CONFIG_DIR, exactly as ``monitor crawl --once`` runs it; with POINT and N, the process sends itself SIGKILL
right after the N-th call of POINT returns (after its transaction committed), so nothing of the
monitor's own shutdown runs. Without them the crawl runs to the end. The points wrap the real objects the
pipeline uses; nothing else is replaced.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.config.settings import load_settings
from monitor.context import Monitor, build_monitor
from monitor.ingestion.crawl import crawl_cycle


def kill_points(monitor: Monitor) -> dict[str, tuple[object, str]]:
    """Where the process can die: the object and method after whose N-th return it kills itself."""
    return {
        # Documents stored (committed), claim links and per-document rules not yet run.
        "store": (monitor.store, "upsert"),
        # Claim links written, per-document rules not yet run.
        "link": (monitor.claims, "link"),
        # One alert recorded, the batch's other alerts (and its windows) not yet.
        "alert": (monitor.alerts, "record"),
        # The windows a batch touched are noted, the batch not yet finished.
        "windows": (monitor.alerts, "mark_windows_pending"),
        # One window evaluated at the end of the cycle, the others not yet.
        "window": (monitor.alerts, "clear_pending_window"),
    }


def arm(target: object, method: str, after: int) -> None:
    """Make ``target.method`` kill the process right after its ``after``-th call returns."""
    original: Callable[..., Any] = getattr(target, method)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(target, method, wrapper)


def main(argv: list[str]) -> int:
    monitor = build_monitor(load_settings(Path(argv[0])))
    if len(argv) == 3:
        target, method = kill_points(monitor)[argv[1]]
        arm(target, method, int(argv[2]))
    try:
        report = asyncio.run(crawl_cycle(monitor))
    finally:
        monitor.close()
    return 1 if report.failed_sources else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
