"""Worker processes: the same scores as in-process, extraction off the service process, recovery."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from crawlers.articles import extract_article
from models.plugin import register
from monitor.errors import ModelError
from monitor.ingestion.registry import Registry
from monitor.ingestion.scoring import AnalysisContext, Claim
from monitor.ingestion.workers import ClaimSet, Workers
from tests.factories import analyzed, at

CONFIGS = Path(__file__).resolve().parents[3] / "configs"

TEXTS = [
    "Biên Hòa ngập sâu sau cơn mưa lớn, nhiều xe chết máy 😢",
    "bien hoa ngap qua troi oi, ko di dc dau het",
    "Sân bay Long Thành đẩy nhanh tiến độ, người dân rất phấn khởi 👍",
    "nghe nói nước máy Thiện Tân nhiễm độc, share gấp cho mọi người!!!",
    "   ",  # no text at all: a problem, not a document
    "Du khách đổ về hồ Trị An dịp cuối tuần. The lake is beautiful.",
] * 4


def _workers(count: int) -> Workers:
    registry = Registry()
    register(registry)
    return Workers(count, registry.analyzer("builtin"), AnalysisContext(config_dir=CONFIGS))


@pytest.fixture(scope="module")
def pool() -> Iterator[Workers]:
    workers = _workers(2)
    yield workers
    workers.close()


def _documents() -> list:
    return [analyzed(text, post_id=f"p{i}", published=at("2026-10-20 19:00")).document for i, text in enumerate(TEXTS)]


def test_worker_processes_score_exactly_like_the_service_process(pool: Workers) -> None:
    documents = _documents()
    local = _workers(0).score(documents)
    remote = pool.score(documents)
    assert [item.document for item in remote.scored] == [item.document for item in local.scored]
    assert [item.analysis for item in remote.scored] == [item.analysis for item in local.scored]
    for mine, theirs in zip(local.scored, remote.scored, strict=True):
        assert mine.fingerprint.content_hash == theirs.fingerprint.content_hash
        assert np.array_equal(mine.fingerprint.signatures, theirs.fingerprint.signatures)
    assert len(remote.scored) == 20
    assert [p.message for p in remote.problems] == ["item has no text after cleaning"] * 4
    assert {item.document.lang for item in remote.scored} == {"vi"}


def test_extraction_runs_in_a_worker_process(pool: Workers) -> None:
    page = (
        "<html><head><meta charset='utf-8'><title>Tin Đồng Nai</title></head><body><article><h1>Tin Đồng Nai</h1>"
        + "<p>UBND tỉnh Đồng Nai tổ chức hội nghị triển khai kế hoạch phát triển kinh tế xã hội năm tới.</p>" * 6
        + "</article></body></html>"
    ).encode()
    article = asyncio.run(pool.run(extract_article, page, "https://baodongnai.com.vn/tin-1.html"))
    assert "kế hoạch phát triển" in article.text
    assert asyncio.run(pool.run(os.getpid)) != os.getpid()


def test_a_dead_worker_is_reported_and_the_next_call_gets_a_fresh_pool() -> None:
    workers = _workers(1)
    try:
        with pytest.raises(ModelError, match="worker process died"):
            asyncio.run(workers.run(os._exit, 3))
        assert len(workers.score(_documents()).scored) == 20
    finally:
        workers.close()


def test_a_broken_analyzer_fails_at_start_up_not_in_a_worker(tmp_path: Path) -> None:
    broken = tmp_path / "configs"
    broken.mkdir()
    (broken / "topics.yaml").write_text("topics: [not, a, mapping\n", encoding="utf-8")
    registry = Registry()
    register(registry)
    workers = Workers(2, registry.analyzer("builtin"), AnalysisContext(config_dir=broken))
    with pytest.raises(Exception, match=r"topics\.yaml"):
        workers.check()
    workers.close()


PARENT = """
import os, sys, time
from pathlib import Path
from models.plugin import register
from monitor.ingestion.registry import Registry
from monitor.ingestion.scoring import AnalysisContext, Claim
from monitor.ingestion.workers import ClaimSet, Workers
registry = Registry()
register(registry)
workers = Workers(1, registry.analyzer("builtin"), AnalysisContext(config_dir=Path(sys.argv[1])))
workers.start()
import asyncio
print(asyncio.run(workers.run(os.getpid)), flush=True)
time.sleep(120)
"""


def test_workers_exit_when_the_service_is_killed() -> None:
    # SIGKILL leaves no chance to shut the pool down: the workers notice their parent is gone.
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(CONFIGS)], stdout=subprocess.PIPE, text=True, cwd=CONFIGS.parent
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert Path(f"/proc/{worker}").exists()
    finally:
        parent.kill()
        parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{worker}").exists()


DAM = Claim(
    id="case-dam",
    text="Hồ Trị An sắp vỡ đập, người dân hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay.",
    correction="Công ty Thủy điện Trị An khẳng định đập an toàn, thông tin vỡ đập là sai sự thật.",
)


def test_a_registered_claim_reaches_every_worker_process(pool: Workers) -> None:
    rumours = [
        analyzed(
            f"Nghe nói hồ Trị An sắp vỡ đập, hạ du sông Đồng Nai sơ tán ngay đêm nay (tin {i})",
            post_id=f"dam{i}",
            published=at("2026-11-05 21:00"),
        ).document
        for i in range(40)
    ]
    assert all(item.analysis.misinformation.claim_ids == () for item in pool.score(rumours).scored)
    pool.use_claims(ClaimSet(1, (DAM,)))
    try:
        scored = pool.score(rumours).scored
        assert [item.analysis.misinformation.claim_ids for item in scored] == [("case-dam",)] * len(rumours)
    finally:
        pool.use_claims(ClaimSet(2, ()))
    assert all(item.analysis.misinformation.claim_ids == () for item in pool.score(rumours).scored)
