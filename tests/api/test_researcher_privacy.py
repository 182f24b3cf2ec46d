"""The privacy view: researchers cannot recover people's names through the API, and every consumer
(API, notebooks, Parquet dataset, briefing) shows the same view of the same document."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter
from monitor.access.audit import Actor
from monitor.access.keys import Role
from monitor.access.privacy import Pseudonymizer
from monitor.analysis import AnalyzedDocument
from monitor.analytics.dataset_export import export_dataset
from monitor.analytics.research import Research
from monitor.cases import CaseOpen
from monitor.cases.exports import Requester, write_briefing
from monitor.context import Monitor
from monitor.records import Platform
from tests.api.alerting import headers
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

POSTER = "Trần Ngọc Hân"
REPLIER = "Lê Văn Tám"
CHANNEL_OWNER = "Nguyễn Thị Mai"
PROFILE_URL = "https://www.facebook.com/tran.ngoc.han/posts/1001"
CHANNEL_URL = "https://t.me/nguyenthimai_bienhoa/77"
SECRETS = (POSTER, REPLIER, CHANNEL_OWNER, "tran.ngoc.han", "nguyenthimai", "0912 345 678")


def _documents() -> list[AnalyzedDocument]:
    post = analyzed(
        "Nước máy Thiện Tân có mùi lạ, cả xóm đau bụng!",
        post_id="priv-1",
        published=at("2026-10-20 19:00"),
        author=POSTER,
    )
    post = post.model_copy(update={"document": post.document.model_copy(update={"url": PROFILE_URL})})
    reply = analyzed(
        f"@{POSTER} chị gỡ bài giúp em, Sở Y tế đã nói nước đạt chuẩn. Hỏi thêm gọi 0912 345 678.",
        post_id="priv-2",
        published=at("2026-10-20 19:30"),
        author=REPLIER,
        parent_post_id="priv-1",
    )
    channel = analyzed(
        "Kênh của Mai: nước máy Biên Hòa vẫn dùng bình thường.",
        post_id="priv-3",
        published=at("2026-10-20 20:00"),
        author=CHANNEL_OWNER,
        platform=Platform.TELEGRAM,
    )
    channel = channel.model_copy(
        update={"document": channel.document.model_copy(update={"channel": CHANNEL_OWNER, "url": CHANNEL_URL})}
    )
    return [post, reply, channel]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor, dict[str, Any]]]:
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("privacy") / "configs"))
    app = create_app(monitor)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    monitor.store.upsert(_documents())
    with TestClient(app) as client:
        keys = {
            "researcher": headers(monitor, Role.RESEARCHER, "Nhà nghiên cứu"),
            "officer": headers(monitor, Role.OFFICER, "Cán bộ"),
        }
        yield client, monitor, keys
    monitor.close()


def _plain(value: Any) -> Any:
    """Empty, None and pandas' NaN all mean "not shown"."""
    return None if value is None or value == "" or (isinstance(value, float) and math.isnan(value)) else value


def _leaks(body: str) -> list[str]:
    return [secret for secret in SECRETS if secret in body]


def test_researcher_search_and_fetch_name_nobody(service: Any) -> None:
    client, _, keys = service
    officer = client.get("/documents", params={"limit": 50}, headers=keys["officer"])
    assert _leaks(officer.text) == list(SECRETS)  # the names are there for officers
    found = client.get("/documents", params={"limit": 50}, headers=keys["researcher"])
    assert found.status_code == 200
    assert found.json()["total"] == 3
    assert _leaks(found.text) == []
    for item in found.json()["items"]:
        one = client.get(f"/documents/{item['document']['doc_id']}", headers=keys["researcher"])
        assert one.status_code == 200
        assert _leaks(one.text) == []


def test_the_three_paths_back_to_a_name_are_closed(service: Any) -> None:
    client, monitor, keys = service
    pseudonyms = Pseudonymizer.for_data_dir(monitor.settings.data_dir)
    items = {
        item["document"]["doc_id"]: item
        for item in client.get("/documents", params={"limit": 50}, headers=keys["researcher"]).json()["items"]
    }
    post, reply, channel = (document.document for document in _documents())
    # 1. A reply's @mention with its parent_id: the parent's author under the same pseudonym, not the name.
    shown = items[reply.doc_id]["document"]
    assert shown["parent_id"] == post.doc_id
    assert shown["text"].startswith(f"@{pseudonyms.pseudonym(POSTER)} chị gỡ bài")
    assert items[post.doc_id]["document"]["author"] == pseudonyms.pseudonym(POSTER)
    assert "[SĐT đã ẩn]" in shown["text"]
    assert "Sở Y tế" in shown["text"]  # an institution keeps its name
    assert items[reply.doc_id]["analysis"]["markup"]["mentions"] == [pseudonyms.pseudonym(POSTER)]
    # 2. A Telegram channel named after its author.
    assert items[channel.doc_id]["document"]["channel"] == pseudonyms.pseudonym(CHANNEL_OWNER)
    assert items[channel.doc_id]["document"]["author"] == pseudonyms.pseudonym(CHANNEL_OWNER)
    # 3. The URL of a private person's post.
    assert items[post.doc_id]["document"]["url"] == ""
    assert items[channel.doc_id]["document"]["url"] == ""


def test_api_notebook_dataset_and_briefing_show_the_same_view(service: Any, tmp_path: Path) -> None:
    client, monitor, keys = service
    api = {
        item["document"]["doc_id"]: item["document"]
        for item in client.get("/documents", params={"limit": 50}, headers=keys["researcher"]).json()["items"]
    }
    fields = ("title", "text", "author", "channel", "url")
    api_view = {doc_id: tuple(_plain(doc[f]) for f in fields) for doc_id, doc in api.items()}

    frame = Research.from_parts(monitor.settings, monitor.store).documents(limit=None)
    notebook = {row["doc_id"]: tuple(_plain(row[f]) for f in fields) for row in frame.to_dict("records")}
    assert notebook == api_view

    out = tmp_path / "dataset.parquet"
    export_dataset(monitor, out)
    dataset = {row["doc_id"]: tuple(_plain(row[f]) for f in fields) for row in pq.read_table(out).to_pylist()}
    assert dataset == api_view

    # The briefing lists each document as "author — channel" and an excerpt with the link, if any.
    officer = Actor(name="Cán bộ", key_id="k-officer")
    case, _ = monitor.cases.open_case(CaseOpen(title="Tin đồn nước máy", doc_ids=tuple(api)), officer)
    buffer = io.BytesIO()
    requester = Requester(by=officer, purpose="Trả lời báo chí")
    pseudonyms = Pseudonymizer.for_data_dir(monitor.settings.data_dir)
    write_briefing(monitor.cases, case.case_id, requester, buffer, pseudonyms=pseudonyms)
    tables = docx.Document(io.BytesIO(buffer.getvalue())).tables
    rows = [[cell.text for cell in row.cells] for table in tables for row in table.rows]
    listed = {row[2]: row[3] for row in rows if len(row) == 4 and " — " in row[2] and row[2] != "Tác giả — kênh"}
    expected = {
        f"{author} — {channel or 'test-source'}": text + (f" ({url})" if url else "")
        for _, text, author, channel, url in api_view.values()
    }
    assert listed == expected
    assert _leaks(json.dumps(rows, ensure_ascii=False)) == []
