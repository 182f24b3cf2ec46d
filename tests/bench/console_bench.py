"""Console benchmark: how long the officers' main pages take to render over a large embedded store.

    python -m tests.bench.console_bench --docs 100000

Indexes generated analysed documents (the store benchmark's generator: 180 days, 50 sources) into the
default SQLite store of a fresh copy of configs/, signs in through the form, and times whole page requests
(routing, the same service calls as the API, templates, charts) in process. Prints one JSON object with
p50/p95 per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from tests.api.test_console_sign_in import sign_in
from tests.bench.store_bench import START, bulk
from tests.conftest import make_config_dir, open_monitor
from tests.monitor.access.people import PASSWORD, Clock, people_on

LAST_DAY = (START + timedelta(days=179)).date().isoformat()


def pages(doc_id: str) -> list[tuple[str, str]]:
    return [
        ("overview of a day", f"/console/?day={LAST_DAY}"),
        ("search, no filter (all documents, 5 charts)", "/console/search"),
        ("search, a word", "/console/search?q=ng%E1%BA%ADp"),
        (
            "search, phrase + boolean + sentiment",
            "/console/search?q=%22bi%C3%AAn+h%C3%B2a%22+AND+ng%E1%BA%ADp&sentiment=negative",
        ),
        ("search, 30 local days", f"/console/search?since={(START + timedelta(days=150)).date()}&until={LAST_DAY}"),
        ("document page", f"/console/documents/{doc_id}"),
        ("alert inbox", "/console/alerts"),
        ("sources", "/console/sources"),
        ("cases board", "/console/cases"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        monitor = open_monitor(make_config_dir(Path(tmp) / "configs"))
        try:
            print(f"indexing {args.docs} documents...", file=sys.stderr, flush=True)
            indexing = bulk(monitor.store, args.docs, batch=2000)
            people_on(monitor, Clock()).create("lan.nguyen", Role.OFFICER, PASSWORD)
            results: dict[str, dict[str, float]] = {}
            with TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False) as client:
                sign_in(client, "lan.nguyen")
                first = client.get("/console/search").text
                marker = 'href="/console/documents/'
                doc_id = first[first.index(marker) + len(marker) :].split('"', 1)[0]
                for name, path in pages(doc_id):
                    answer = client.get(path)  # warm-up, and the page must answer
                    if answer.status_code != 200:
                        raise SystemExit(f"{path} answered {answer.status_code}")
                    times = []
                    for _ in range(args.repeats):
                        started = time.perf_counter()
                        client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                    results[name] = {
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(statistics.quantiles(times, n=20)[18], 1),
                    }
                    print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
        finally:
            monitor.close()
    print(json.dumps({"documents": args.docs, "indexing": indexing, "pages": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
