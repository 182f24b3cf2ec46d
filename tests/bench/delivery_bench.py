"""Delivery latency benchmark: alerts recorded and enqueued → received by webhooks on loopback.

    python -m tests.bench.delivery_bench --alerts 500 --batch 10 --interval 0.05 --channels 2

A producer thread records alerts in a real AlertStore (SQLite file in a temporary folder) and enqueues
them in batches, as the pipeline does after each rules pass, while ``Dispatcher.run_forever`` runs on
the main event loop. Each webhook receiver notes when each alert arrives. Prints one JSON object with
p50/p95/max latency from ``enqueue`` to received, and from ``AlertStore.record`` to received.

Receivers run in a child process by default (``--receiver process``), as a real webhook endpoint would, so
the benchmark does not measure the receiver competing with the dispatcher for the GIL. Times on both sides
are ``time.perf_counter()``, which is CLOCK_MONOTONIC on Linux and so comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerting.store import AlertStore
from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.db import Database
from monitor.delivery import Dispatcher, load_channels
from tests.monitor.delivery.servers import HttpReceiver, http_receiver

SECRET_ENV = "BENCH_WEBHOOK_SECRET"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(latencies_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies_ms), 2),
        "p95_ms": round(percentile(latencies_ms, 0.95), 2),
        "max_ms": round(max(latencies_ms), 2),
    }


def candidate(index: int) -> AlertCandidate:
    start = datetime(2026, 10, 20, tzinfo=UTC) + timedelta(minutes=index)
    return AlertCandidate(
        rule_id="watch-flooding",
        rule_type="watch",
        severity=AlertSeverity.HIGH,
        key=f"bench-{index}",
        title=f"Ngập sâu ở Biên Hòa #{index}",
        summary="Nhiều bài viết phản ánh ngập lụt sau mưa lớn ở phường Tân Phong.",
        details={"query": "ngập OR mưa lớn"},
        doc_ids=tuple(f"doc-{index}-{n}" for n in range(3)),
        event_start=start,
        event_end=start + timedelta(hours=1),
    )


def produce(
    store: AlertStore, dispatcher: Dispatcher, args: argparse.Namespace, marks: dict[str, tuple[float, float]]
) -> None:
    for first in range(0, args.alerts, args.batch):
        recorded_at = time.perf_counter()
        recorded = [store.record(candidate(i)) for i in range(first, min(first + args.batch, args.alerts))]
        enqueued_at = time.perf_counter()
        for alert, _ in recorded:
            marks[alert.alert_id] = (recorded_at, enqueued_at)
        dispatcher.enqueue([alert for alert, _ in recorded], new_ids={a.alert_id for a, new in recorded if new})
        time.sleep(args.interval)


async def run(args: argparse.Namespace, folder: Path, urls: list[str], arrivals: Arrivals) -> dict[str, Any]:
    lines = ["channels:"]
    for number, url in enumerate(urls):
        lines += [
            f"  - id: hook-{number}",
            "    type: webhook",
            f"    url: {url}/hook",
            f"    secret_env: {SECRET_ENV}",
            "    allow_private_network: true",
        ]
    (folder / "channels.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = Database(folder / "bench.sqlite3")
    store = AlertStore(db)
    dispatcher = Dispatcher(db, load_channels(folder, environ={SECRET_ENV: "bench-secret"}))
    marks: dict[str, tuple[float, float]] = {}
    stop = asyncio.Event()
    runner = asyncio.create_task(dispatcher.run_forever(stop))
    started = time.perf_counter()
    await asyncio.to_thread(produce, store, dispatcher, args, marks)
    received = await asyncio.to_thread(arrivals, args.alerts)
    elapsed = time.perf_counter() - started
    stop.set()
    await runner
    db.close()
    from_enqueue: list[float] = []
    from_record: list[float] = []
    for alert_id, at in received:
        recorded_at, enqueued_at = marks[alert_id]
        from_enqueue.append((at - enqueued_at) * 1000)
        from_record.append((at - recorded_at) * 1000)
    return {
        "alerts": args.alerts,
        "channels": args.channels,
        "batch": args.batch,
        "interval_s": args.interval,
        "receiver": args.receiver,
        "deliveries": len(from_enqueue),
        "complete": len(from_enqueue) == args.alerts * args.channels,
        "elapsed_s": round(elapsed, 2),
        "enqueue_to_received": summary(from_enqueue),
        "record_to_received": summary(from_record),
    }


# Waits until each receiver got ``count`` alerts (or a timeout); returns (alert id, arrival time) pairs.
Arrivals = Callable[[int], list[tuple[str, float]]]


def in_thread_arrivals(receivers: list[HttpReceiver]) -> Arrivals:
    def wait(count: int) -> list[tuple[str, float]]:
        for receiver in receivers:
            receiver.wait_for(count, timeout=120)
        return [(r.json()["alert"]["id"], r.at) for receiver in receivers for r in receiver.received]

    return wait


def serve_receiver() -> int:
    """Child process: serve one receiver, print its URL, then on a line "<count>" on stdin print arrivals."""
    with http_receiver() as receiver:
        print(receiver.url, flush=True)
        count = int(sys.stdin.readline())
        receiver.wait_for(count, timeout=120)
        arrivals = [(r.json()["alert"]["id"], r.at) for r in receiver.received]
    print(json.dumps(arrivals), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10, help="alerts per enqueue call (one rules pass)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between batches")
    parser.add_argument("--channels", type=int, default=1, help="webhook channels (each its own receiver)")
    parser.add_argument("--receiver", choices=("process", "thread"), default="process")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.serve:
        return serve_receiver()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        if args.receiver == "thread":
            receivers = [stack.enter_context(http_receiver()) for _ in range(args.channels)]
            urls, arrivals = [r.url for r in receivers], in_thread_arrivals(receivers)
        else:
            children = [start_child(stack) for _ in range(args.channels)]
            urls, arrivals = [url for _, url in children], child_arrivals([child for child, _ in children])
        result = asyncio.run(run(args, Path(tmp), urls, arrivals))
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if result["complete"] else 1


def start_child(stack: contextlib.ExitStack) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.delivery_bench", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    stack.callback(child.kill)
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def child_arrivals(children: list[subprocess.Popen[str]]) -> Arrivals:
    def wait(count: int) -> list[tuple[str, float]]:
        found: list[tuple[str, float]] = []
        for child in children:
            assert child.stdin is not None
            assert child.stdout is not None
            child.stdin.write(f"{count}\n")
            child.stdin.flush()
            found += [(alert_id, at) for alert_id, at in json.loads(child.stdout.readline())]
        return found

    return wait


if __name__ == "__main__":
    raise SystemExit(main())
