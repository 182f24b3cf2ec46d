"""The console's overview over the crawled sample corpus: the day against the usual, top stories, failing
sources, open cases by deadline (officers and admins only) and the campaigns' share of voice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.access.audit import Actor
from monitor.analytics.day_overview import campaigns_on, day_against_usual
from monitor.analytics.top_stories import top_stories
from monitor.cases import CaseOpen
from monitor.cases.model import CasePriority
from monitor.context import Monitor
from monitor.ingestion.health import CycleCounts
from monitor.store.base import DocumentFilter, SearchRequest
from tests.api.console.ops_service import CORPUS_DAY, sample_monitor, signed_in_client
from tests.factories import analyzed, at

REPOST = "Chia sẻ gấp: nước máy Biên Hòa có mùi lạ, bà con tạm thời đun sôi trước khi dùng"
CASE_TITLE = "Tin đồn nước máy Thiện Tân nhiễm độc"
DAY = CORPUS_DAY.isoformat()


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    instance = sample_monitor(tmp_path_factory.mktemp("overview"))
    doc = instance.store.search(SearchRequest(filter=DocumentFilter(text='"nước máy"'), limit=1)).items[0]
    instance.cases.open_case(
        CaseOpen(title=CASE_TITLE, priority=CasePriority.HIGH, doc_ids=(doc.doc_id,)), Actor(name="Cán bộ", key_id="k1")
    )
    # The sample corpus has no repeated story; three reposts of one make the day's top story.
    instance.store.upsert(
        [
            analyzed(REPOST, post_id=f"repost-{n}", published=at(f"{DAY} 0{n}:30"), story_id="story-repost")
            for n in range(1, 4)
        ]
    )
    failing = instance.sources[0].spec
    instance.health.record(
        failing.id, datetime(2026, 11, 3, 1, 15, tzinfo=UTC), CycleCounts(), error="HTTP 503 từ máy chủ nguồn"
    )
    yield instance
    instance.close()


def tile(page: str, name: str) -> str:
    found = re.search(rf'id="tile-{name}">.*?class="big[^"]*">([^<]+)<', page, re.S)
    assert found is not None, page
    return found.group(1)


def test_the_day_against_the_usual_as_the_metrics_compute_it(monitor: Monitor) -> None:
    expected = day_against_usual(monitor, CORPUS_DAY)
    assert expected.total > expected.usual_total > 0  # the rumour's day stands out
    with signed_in_client(monitor, "officer") as (client, _):
        page = client.get(f"/console/?day={DAY}")
    assert page.status_code == 200
    assert "Tổng quan ngày 03/11/2026" in page.text
    assert tile(page.text, "volume") == str(expected.total)
    negative = expected.sentiment[0]
    assert tile(page.text, "negative") == str(negative.count)
    usual = f"{negative.usual:.1f}".replace(".", ",").removesuffix(",0")
    assert f"thường lệ {usual}" in page.text
    top_topic = next(topic for topic in expected.topics if topic.count)
    assert f'<th scope="row">{top_topic.label}</th><td data-label="Trong ngày">{top_topic.count}</td>' in page.text
    assert '<svg class="chart" role="img"' in page.text
    assert 'id="day" name="day" value="2026-11-03"' in page.text


def test_top_stories_failing_sources_cases_and_campaigns(monitor: Monitor) -> None:
    with signed_in_client(monitor, "admin") as (client, _):
        page = client.get(f"/console/?day={DAY}").text
    stories = top_stories(monitor.settings, monitor.store, day_against_usual(monitor, CORPUS_DAY).period, 8)
    assert [story.size for story in stories] == [3]
    assert 'id="stories"' in page
    assert f'<td data-label="Nội dung">{REPOST}</td><td data-label="Số bài">3</td>' in page
    assert 'id="failing-sources"' in page
    assert "HTTP 503 từ máy chủ nguồn" in page
    assert tile(page, "sources") == "1"
    assert 'id="cases-by-deadline"' in page
    assert CASE_TITLE in page
    assert "Xác minh" in page  # a case in triage: its next deadline is verification
    [campaign] = campaigns_on(monitor, CORPUS_DAY)
    assert campaign.campaign.name in page
    share = f"{campaign.figures.share_of_voice * 100:.0f}%"
    assert f'<td data-label="Thị phần">{share}</td>' in page


def test_a_researcher_sees_the_overview_without_the_cases(monitor: Monitor) -> None:
    with signed_in_client(monitor, "researcher") as (client, _):
        page = client.get(f"/console/?day={DAY}")
    assert page.status_code == 200
    assert 'id="tile-volume"' in page.text
    assert 'id="tile-cases"' not in page.text
    assert 'id="cases-by-deadline"' not in page.text
    assert CASE_TITLE not in page.text


def test_a_liaison_is_sent_to_their_cases(monitor: Monitor) -> None:
    with signed_in_client(monitor, "liaison") as (client, _):
        response = client.get(f"/console/?day={DAY}")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/cases"


def test_a_day_without_documents_shows_empty_states(monitor: Monitor) -> None:
    with signed_in_client(monitor, "officer") as (client, _):
        page = client.get("/console/?day=2027-06-01").text
    assert tile(page, "volume") == "0"
    assert 'id="no-stories"' in page
    assert 'id="no-campaigns"' in page
    assert "Chưa có dữ liệu cho biểu đồ này" in page


def test_a_day_that_is_not_a_date_is_named(monitor: Monitor) -> None:
    with signed_in_client(monitor, "officer") as (client, _):
        page = client.get("/console/?day=2026-13-40")
    assert page.status_code == 422
    assert "“2026-13-40” không phải ngày" in page.text
    assert "text/html" in page.headers["content-type"]
