"""Alert latency benchmark: documents streamed through the pipeline with 50 watch rules, alerts delivered to
a webhook on loopback.

    python -m tests.bench.alert_latency_bench --docs 10000 --batch 50

Documents (Vietnamese posts naming places and problems, published a minute apart) go through the real
pipeline in batches of ``--batch``: scoring in the worker processes, stories, the SQLite store, the rules
(50 generated watch rules plus the shipped ones), while the dispatcher delivers to a webhook receiver in
another process. For every new alert, latency runs from the moment its batch entered the pipeline (so it
includes the batch's scoring and storage) to the webhook receiving it; the alert is visible in the API as
soon as it is recorded, which is earlier. Windowed rules run on a schedule (``rules.window_interval_seconds``,
30 s): the benchmark times that pass, so "threshold crossed → alert" is at most the interval plus one pass.
Prints one JSON object. Clocks are ``time.perf_counter()`` (CLOCK_MONOTONIC), comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config.settings import load_settings
from monitor.context import Monitor, build_monitor
from monitor.ingestion.sources import Collected
from monitor.records import Document, Platform
from tests.bench.delivery_bench import SECRET_ENV, child_arrivals, percentile, start_child
from tests.conftest import make_config_dir

PLACES = ["Biên Hòa", "Long Thành", "Nhơn Trạch", "Trảng Bom", "Xuân Lộc", "Đồng Xoài", "Long Khánh", "Định Quán"]
PROBLEMS = [
    "ngập", "kẹt xe", "mất điện", "cháy", "sạt lở", "ô nhiễm", "mất nước", "tai nạn", "lừa đảo", "giá xăng",
    "học phí", "dịch sốt", "rác thải", "bụi", "tiếng ồn", "đường hư", "thủ tục", "đền bù", "giải tỏa", "mưa lớn",
    "triều cường", "hạn mặn", "cắt điện", "kẹt cầu", "xe tải", "trộm cắp", "bão", "lũ", "nắng nóng", "dịch bệnh",
    "sầu riêng", "hạt điều", "cao su", "tiêu", "cà phê", "du lịch", "lễ hội", "chợ", "bệnh viện", "trường học",
    "sân bay", "cao tốc", "vành đai", "cảng", "khu công nghiệp", "đất đai", "quy hoạch", "nhà ở", "việc làm", "lương",
]  # fmt: skip
START = datetime(2026, 9, 1, tzinfo=UTC)


def rules_yaml() -> str:
    lines = ["rules:"]
    for number, problem in enumerate(PROBLEMS):
        lines += [
            "  - type: watch",
            f"    id: bench-watch-{number:02d}",
            f"    query: '\"{problem}\"'",
            "    group_window: 6h",
        ]
    return "\n".join(lines) + "\n"


def documents(count: int, seed: int = 5) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        place, problem = rng.choice(PLACES), rng.choice(PROBLEMS)
        text = f"Người dân {place} phản ánh {problem} kéo dài, mong chính quyền sớm xử lý 😟 #{i}"
        published = START + timedelta(minutes=i)
        docs.append(
            Document(
                doc_id=f"bench-{i}",
                source_id="bench",
                platform=Platform.FACEBOOK,
                url=f"https://facebook.example/posts/{i}",
                text=text,
                published_at=published,
                fetched_at=published,
            )
        )
    return docs


def stream(monitor: Monitor, docs: list[Document], batch: int, entered: dict[str, float]) -> float:
    started = time.perf_counter()
    for first in range(0, len(docs), batch):
        chunk = docs[first : first + batch]
        now = time.perf_counter()
        for doc in chunk:
            entered[doc.doc_id] = now
        monitor.pipeline.process("bench", Collected(documents=chunk), datetime.now(UTC))
        monitor.pipeline.flush_pending()  # the end of a collection: watch episodes and windows are evaluated
    return time.perf_counter() - started


async def run(monitor: Monitor, docs: list[Document], batch: int) -> tuple[float, dict[str, float]]:
    entered: dict[str, float] = {}
    stop = asyncio.Event()
    delivering = asyncio.create_task(monitor.delivery.run_forever(stop))
    seconds = await asyncio.to_thread(stream, monitor, docs, batch, entered)
    for _ in range(600):  # until the outbox is empty (or a minute)
        pending = sum(states.get("pending", 0) for states in monitor.delivery.counts().values())
        if not pending:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await delivering
    return seconds, entered


def window_pass_ms(monitor: Monitor, passes: int = 5) -> list[float]:
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        monitor.engine.evaluate_windows(datetime.now(UTC))
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50, help="documents per pipeline call")
    args = parser.parse_args()
    os.environ[SECRET_ENV] = "bench-secret"
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        child, url = start_child(stack)
        config = make_config_dir(Path(tmp) / "configs", workers=None)
        (config / "sources" / "samples.yaml").unlink()
        (config / "rules" / "bench.yaml").write_text(rules_yaml(), encoding="utf-8")
        (config / "channels.yaml").write_text(
            f"channels:\n  - {{id: hook, type: webhook, url: '{url}/hook', secret_env: {SECRET_ENV}, "
            "allow_private_network: true, concurrency: 16}\n",
            encoding="utf-8",
        )
        monitor = build_monitor(load_settings(config))
        try:
            monitor.workers.start()
            docs = documents(args.docs)
            seconds, entered = asyncio.run(run(monitor, docs, args.batch))
            delivered = sum(states.get("sent", 0) for states in monitor.delivery.counts().values())
            arrivals = child_arrivals([child])(delivered)
            first_doc = {alert_id: monitor.alerts.doc_ids(alert_id, limit=1)[0] for alert_id, _ in arrivals}
            windows = window_pass_ms(monitor)
            rules = len(monitor.engine.rules)
        finally:
            monitor.close()
    first_arrival: dict[str, float] = {}
    for alert_id, at in arrivals:  # the first delivery of an alert is its "new" announcement
        first_arrival[alert_id] = min(at, first_arrival.get(alert_id, at))
    latencies = [(at - entered[first_doc[alert_id]]) * 1000 for alert_id, at in first_arrival.items()]
    result: dict[str, Any] = {
        "documents": args.docs,
        "batch": args.batch,
        "active_rules": rules,
        "documents_per_second": round(args.docs / seconds, 1),
        "alerts_delivered": len(first_arrival),
        "deliveries": delivered,
        "stored_to_webhook_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "max": round(max(latencies), 1),
        },
        "window_pass_ms": {"p50": round(statistics.median(windows), 1), "max": round(max(windows), 1)},
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
