"""Analysis benchmark: the whole scoring of documents on every core, news articles and social posts.

    python -m tests.bench.analysis_bench                          # the shipped configuration
    python -m tests.bench.analysis_bench --config-dir DIR         # e.g. with trained models in models.yaml

"Analysis" is what the worker processes do to every document: normalize, identify the language, find
entities (gazetteer; NER with word segmentation on the lead of articles), score sentiment, topics,
toxicity and misinformation, and fingerprint for stories. Documents are generated from Vietnamese
sentences (articles ~3,000 characters; posts ~150, a third typed without diacritics, with teencode and
emoji). Prints one JSON object: documents/s (wall clock, all workers), and peak resident memory of the
service process and of each worker.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.claims.reviewed import load_claims
from monitor.ingestion.plugins import load_plugins
from monitor.ingestion.scoring import AnalysisContext
from monitor.ingestion.workers import Workers, default_worker_count
from monitor.records import Document, Platform
from tests.bench.entities_bench import make_articles, make_posts

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BATCH = 256


def documents(texts: list[str], platform: Platform) -> list[Document]:
    now = datetime.now(UTC)
    return [
        Document(
            doc_id=f"{platform.value}-{i}",
            source_id="bench",
            platform=platform,
            url=f"https://bench.example/{platform.value}/{i}",
            text=text,
            published_at=now,
            fetched_at=now,
        )
        for i, text in enumerate(texts)
    ]


def throughput(workers: Workers, docs: list[Document]) -> float:
    workers.score(docs[:BATCH])  # warm every worker's caches
    started = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        workers.score(docs[start : start + BATCH])
    return round(len(docs) / (time.perf_counter() - started), 1)


def peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config-dir", type=Path, default=CONFIGS)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=default_worker_count())
    args = parser.parse_args()

    rng = random.Random(11)
    posts = documents(make_posts(args.posts, rng), Platform.FACEBOOK)
    articles = documents(make_articles(args.articles, rng), Platform.NEWS)
    context = AnalysisContext(config_dir=args.config_dir, claims=load_claims(args.config_dir))
    workers = Workers(args.workers, load_plugins().analyzer("builtin"), context)
    started = time.perf_counter()
    workers.check()
    workers.start()
    start_s = time.perf_counter() - started
    try:
        articles_per_s = throughput(workers, articles)
        posts_per_s = throughput(workers, posts)
        worker_peaks = [peak_rss_mb(child.pid) for child in multiprocessing.active_children() if child.pid]
    finally:
        workers.close()
    service_peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(
        json.dumps(
            {
                "config_dir": str(args.config_dir),
                "workers": args.workers,
                "start_seconds": round(start_s, 1),
                "articles": len(articles),
                "article_chars": round(sum(len(d.text) for d in articles) / len(articles)),
                "articles_per_second": articles_per_s,
                "posts": len(posts),
                "post_chars": round(sum(len(d.text) for d in posts) / len(posts)),
                "posts_per_second": posts_per_s,
                "peak_rss_mb": {
                    "service": service_peak,
                    "workers": worker_peaks,
                    "total": service_peak + sum(worker_peaks),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
