"""Crawl benchmark: one full cycle over many feeds with an article behind every item.

    python -m tests.bench.crawl_bench --feeds 500 --items 20 --latency-ms 30

A threaded HTTP server on 127.0.0.1 serves generated feeds and article pages (~3,000 characters of
Vietnamese each), adding a fixed latency to every answer. The service's own crawl cycle fetches every feed
and every article, extracts, analyses, clusters and stores them (embedded SQLite). Prints one JSON object:
cycle time, articles extracted per second, peak memory, and the check that every item was stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import resource
import socket
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.config.settings import load_settings
from monitor.context import build_monitor
from monitor.ingestion.crawl import crawl_cycle
from monitor.service import freeze_start_up_objects
from monitor.store.base import DocumentFilter, SearchRequest
from tests.conftest import make_config_dir

SENTENCES = [
    "Sáng nay, UBND tỉnh Đồng Nai tổ chức hội nghị triển khai kế hoạch phát triển kinh tế xã hội năm tới.",
    "Nhiều tuyến đường ở Biên Hòa bị ngập sâu sau trận mưa lớn kéo dài hơn hai giờ, giao thông ùn tắc.",
    "Sân bay Long Thành đang được đẩy nhanh tiến độ, dự kiến đón những chuyến bay thương mại đầu tiên.",
    "Du khách đổ về Vườn quốc gia Cát Tiên và hồ Trị An dịp cuối tuần, các dịch vụ lưu trú kín phòng.",
    "Người dân phản ánh thủ tục hành chính ở một số phường còn chậm, phải chờ đợi nhiều giờ.",
    "Khu công nghiệp Nhơn Trạch thu hút thêm dự án đầu tư nước ngoài với tổng vốn hàng trăm triệu USD.",
    "Ngành y tế khuyến cáo người dân chủ động phòng chống sốt xuất huyết trong mùa mưa.",
    "Các trường học trên địa bàn tỉnh chuẩn bị cơ sở vật chất cho học kỳ mới.",
]


WORDS = " ".join(SENTENCES).replace(",", "").replace(".", "").split()


def article_html(feed: int, item: int) -> bytes:
    # Each article: one topical sentence per paragraph, the rest drawn word by word, so articles differ
    # from each other about as much as real ones (a corpus of near-copies would only measure clustering).
    rng = random.Random(feed * 1000 + item)
    paragraphs = "".join(
        f"<p>{rng.choice(SENTENCES)} {' '.join(rng.choices(WORDS, k=60)).capitalize()}.</p>" for _ in range(6)
    )
    return (
        f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Bài {feed}-{item}</title>"
        f"<meta property='article:published_time' content='2026-11-0{1 + item % 9}T08:{item:02d}:00+07:00'>"
        f"</head><body><nav>Trang chủ | Thời sự | Kinh tế</nav><article><h1>Bài {feed}-{item}</h1>"
        f"{paragraphs}</article><footer>© Báo mẫu</footer></body></html>"
    ).encode()


def feed_xml(base: str, feed: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Bài {feed}-{j}</title><link>{base}/article/{feed}/{j}.html</link>"
        f"<description>Tóm tắt bài {feed}-{j}.</description>"
        f"<pubDate>Mon, 0{1 + j % 9} Nov 2026 08:{j:02d}:00 +0700</pubDate></item>"
        for j in range(items)
    )
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Báo {feed}</title>"
        f"{entries}</channel></rss>"
    ).encode()


def start_server(items: int, latency: float, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as news sites answer; HTTP/1.0 would reconnect every time
        # Without this, Nagle's algorithm and the client's delayed ACK add ~40 ms to every answer: an
        # artefact of Python's test server that real web servers avoid.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            time.sleep(latency)
            parts = self.path.strip("/").split("/")
            if parts[0] == "feed":
                body, kind = feed_xml(base, int(parts[1].split(".")[0]), items), "application/rss+xml"
            elif parts[0] == "article":
                body, kind = article_html(int(parts[1]), int(parts[2].split(".")[0])), "text/html; charset=utf-8"
            else:
                body, kind = b"not found", "text/plain"
            self.send_response(200 if parts[0] in ("feed", "article") else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return server, base


def _serve_forever(items: int, latency: float, port: int) -> None:
    server, _ = start_server(items, latency, port)
    server.serve_forever()


def start_server_process(items: int, latency: float) -> tuple[multiprocessing.Process, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = multiprocessing.Process(target=_serve_forever, args=(items, latency, port), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("the benchmark's site server did not start")


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    # The sites run in another process, as remote sites would: they must not share the crawler's GIL.
    server_process, base = start_server_process(args.items, args.latency_ms / 1000)
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config_dir(Path(tmp) / "configs", workers=None)
        (config / "sources" / "samples.yaml").unlink()
        lines = ["sources:"] + [
            f"  - {{type: rss, id: feed-{i}, url: '{base}/feed/{i}.rss', fetch_articles: true, "
            f"max_articles_per_cycle: {args.items}, allow_private_network: true, respect_robots_txt: false}}"
            for i in range(args.feeds)
        ]
        (config / "sources" / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = load_settings(config)
        crawl = settings.crawl.model_copy(
            update={
                "concurrency": args.concurrency,
                "per_host_concurrency": args.concurrency,
                "per_host_interval_seconds": 0.0,  # every generated site is on 127.0.0.1
            }
        )
        monitor = build_monitor(settings.model_copy(update={"crawl": crawl}))
        try:
            monitor.workers.start()  # as the service does at start-up
            freeze_start_up_objects()
            print(
                f"crawling {args.feeds} feeds x {args.items} articles with {monitor.workers.count} worker processes...",
                file=sys.stderr,
                flush=True,
            )
            cpu_before = _cpu_seconds(resource.RUSAGE_SELF)
            started = time.perf_counter()
            report = asyncio.run(crawl_cycle(monitor))
            elapsed = time.perf_counter() - started
            service_cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu_before
            expected = args.feeds * args.items
            stored = monitor.store.count(DocumentFilter())
            ids = [item.doc_id for item in monitor.store.search(SearchRequest(limit=500)).items]
            with_article = sum(
                1 for i in monitor.store.search(SearchRequest(limit=500)).items if len(i.document.text) > 1000
            )
        finally:
            monitor.close()  # joins the worker processes, so their usage is counted below
            workers_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN)
            worker_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            server_process.terminate()
            server_process.join(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "feeds": args.feeds,
                "articles_expected": expected,
                "latency_ms": args.latency_ms,
                "concurrency": args.concurrency,
                "cycle_seconds": round(elapsed, 1),
                "articles_per_second": round(expected / elapsed, 1),
                "stored": stored,
                "inserted": report.inserted,
                "failed_sources": len(report.failed_sources),
                "sample_has_full_text": f"{with_article}/{len(ids)}",
                "no_item_lost_or_doubled": stored == expected and report.inserted == expected,
                "workers": monitor.workers.count,
                "peak_rss_mb": round(peak_mb),
                "peak_rss_mb_largest_worker": round(worker_peak_mb),
                # CPU time says what the cycle costs whatever else the machine is doing at the time.
                "cpu_seconds_service": round(service_cpu, 1),
                "cpu_seconds_workers": round(workers_cpu, 1),
                "problems": sum(o.counts.errors for o in report.outcomes),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
