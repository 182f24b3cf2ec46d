"""Store benchmark: bulk-index generated analysed documents, then time typical officer queries.

    python -m tests.bench.store_bench --docs 200000            # both backends
    python -m tests.bench.store_bench --docs 20000 --backend sqlite

Elasticsearch is $ELASTICSEARCH_URL, or the pinned test distribution started (and stopped) here.
Prints one JSON object with docs/s per backend and p50/p95 latency per query.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.analysis import SentimentLabel
from monitor.store.base import CountField, DocumentFilter, DocumentStore, SearchRequest
from tests.factories import analyzed
from tests.stores import fresh_store

WORDS = (
    "Đồng Nai Biên Hòa Long Thành Nhơn Trạch Trảng Bom Xuân Lộc ngập mưa lớn triều cường giao thông kẹt xe "
    "sân bay cao tốc dự án đầu tư khu công nghiệp du lịch Cát Tiên Bửu Long nước máy Thiện Tân người dân "
    "chính quyền phường xã tỉnh thông tin chính thức bức xúc tuyệt vời đẹp quá thất vọng khổ công an an ninh "
    "học sinh trường bệnh viện sầu riêng hạt điều lễ hội văn hóa quy hoạch đất đai thủ tục hành chính"
).split()
SENTIMENTS = list(SentimentLabel)
TOPICS = [
    "tourism",
    "investment_economy",
    "infrastructure_transport",
    "environment_disasters",
    "health",
    "administration",
    "security_order",
    "education",
]
PLATFORMS = ["facebook", "news", "youtube", "forum", "telegram"]
START = datetime(2026, 6, 1, tzinfo=UTC)


def generate(count: int, seed: int = 7) -> Iterator[Any]:
    rng = random.Random(seed)
    for i in range(count):
        words = rng.choices(WORDS, k=rng.randint(12, 60))
        yield analyzed(
            " ".join(words),
            post_id=f"bench-{i}",
            published=START + timedelta(seconds=rng.randint(0, 180 * 86_400)),
            source_id=f"source-{rng.randint(1, 50)}",
            platform=rng.choice(PLATFORMS),  # type: ignore[arg-type]
            sentiment=rng.choice(SENTIMENTS),
            topics=tuple(rng.sample(TOPICS, rng.randint(0, 2))),
            misinformation=round(rng.random() ** 4, 3),
            author=f"Người dùng {rng.randint(1, 5000)}",
        )


def bulk(store: DocumentStore, count: int, batch: int) -> dict[str, float]:
    started = time.perf_counter()
    pending = []
    for item in generate(count):
        pending.append(item)
        if len(pending) == batch:
            store.upsert(pending)
            pending = []
    if pending:
        store.upsert(pending)
    elapsed = time.perf_counter() - started
    return {"documents": count, "seconds": round(elapsed, 1), "docs_per_second": round(count / elapsed)}


def queries(end: datetime) -> list[tuple[str, Callable[[DocumentStore], object]]]:
    week = end - timedelta(days=7)
    month = end - timedelta(days=30)

    def search(**filters: Any) -> Callable[[DocumentStore], object]:
        limit = filters.pop("limit", 20)
        offset = filters.pop("offset", 0)
        request = SearchRequest(filter=DocumentFilter(**filters), limit=limit, offset=offset)
        return lambda store: store.search(request)

    return [
        ("word, last 7 days", search(text="ngập", since=week)),
        (
            "phrase + boolean + sentiment",
            search(text='"biên hòa" AND (ngập OR "mưa lớn")', sentiments=(SentimentLabel.NEGATIVE,)),
        ),
        ("field filters in the query", search(text="platform:facebook sentiment:negative thất vọng")),
        ("misinformation >= 0.6, 30 days", search(min_misinformation=0.6, since=month)),
        ("author filter", search(text='author:"người dùng 42"')),
        ("negation, page 6", search(text="đồng nai -quy hoạch", offset=100)),
        (
            "per-day counts of a topic, 30 days",
            lambda store: store.count_by_time(DocumentFilter(topics=("tourism",), since=month), 86_400, 7 * 3600),
        ),
        (
            "sentiment counts for a query",
            lambda store: store.count_by_field(DocumentFilter(text='"sân bay" long thành'), CountField.SENTIMENT),
        ),
        ("source counts, 30 days", lambda store: store.count_by_field(DocumentFilter(since=month), CountField.SOURCE)),
        (
            "significant words of a negative day",
            lambda store: store.significant_words(
                DocumentFilter(sentiments=(SentimentLabel.NEGATIVE,), since=end - timedelta(days=1)), size=10
            ),
        ),
    ]


def latency(store: DocumentStore, repeats: int) -> dict[str, dict[str, float]]:
    results = {}
    all_times: list[float] = []
    for name, run in queries(START + timedelta(days=180)):
        run(store)  # warm-up
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run(store)
            times.append((time.perf_counter() - started) * 1000)
        all_times.extend(times)
        results[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(statistics.quantiles(times, n=20)[18], 1),
        }
    results["all queries"] = {
        "p50_ms": round(statistics.median(all_times), 1),
        "p95_ms": round(statistics.quantiles(all_times, n=20)[18], 1),
    }
    return results


def run_backend(backend: str, count: int, repeats: int, url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(backend, Path(tmp), url) as store:
        print(f"{backend}: indexing {count} documents...", file=sys.stderr, flush=True)
        indexing = bulk(store, count, batch=5000 if backend == "elasticsearch" else 2000)
        print(f"{backend}: {indexing}; timing queries...", file=sys.stderr, flush=True)
        return {"bulk": indexing, "queries": latency(store, repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--backend", choices=["sqlite", "elasticsearch", "both"], default="both")
    args = parser.parse_args()
    report: dict[str, Any] = {"documents": args.docs}
    backends = ["sqlite", "elasticsearch"] if args.backend == "both" else [args.backend]
    url = None
    server = None
    if "elasticsearch" in backends:
        import os

        from tests import elasticsearch_server

        url = os.environ.get("ELASTICSEARCH_URL")
        if url is None:
            data = Path(tempfile.mkdtemp(prefix="bench-es-"))
            server = elasticsearch_server.start(elasticsearch_server.ensure_distribution(), data)
            url = server.url
        report["elasticsearch_version"] = elasticsearch_server.ES_VERSION
    try:
        for backend in backends:
            report[backend] = run_backend(backend, args.docs, args.repeats, url)
    finally:
        if server is not None:
            elasticsearch_server.stop(server)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
