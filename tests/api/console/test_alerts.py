"""The alert inbox and the alert page over the sample corpus crawled into a real monitor: who sees them,
what the filters select, and what an alert says about why it fired."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.types import Alert, AlertQuery
from monitor.context import Monitor
from tests.api.test_console_sign_in import sign_in
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.monitor.access.people import PASSWORD, Clock, people_on

ROW = re.compile(r'<tr id="alert-([0-9a-f-]+)"')
PEOPLE = {
    "lan": (Role.OFFICER, None),
    "quan.tri": (Role.ADMIN, None),
    "nghien.cuu": (Role.RESEARCHER, None),
    "cong.an": (Role.LIAISON, "police"),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    """The sample corpus crawled once for this module's tests, which only read it, with one person per role."""
    monitor = open_monitor(make_config_dir(Path(tmp_path_factory.mktemp("alerts")) / "configs"))
    crawl(monitor)
    people_on(monitor, Clock())
    for username, (role, agency) in PEOPLE.items():
        monitor.users.create(username, role, PASSWORD, display_name=username, agency=agency)
    yield monitor
    monitor.close()


@pytest.fixture
def client(sample: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(sample), base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def _alerts(monitor: Monitor, **query: object) -> list[Alert]:
    return monitor.alerts.search(AlertQuery(limit=500, **query))[1]


def _by_rule(monitor: Monitor, rule_id: str) -> Alert:
    return next(alert for alert in _alerts(monitor) if alert.rule_id == rule_id)


def _rows(html: str) -> list[str]:
    return ROW.findall(html)


@pytest.mark.parametrize("username", ["lan", "quan.tri"])
def test_officers_and_admins_see_the_open_alerts_newest_event_first(
    client: TestClient, sample: Monitor, username: str
) -> None:
    sign_in(client, username)
    page = client.get("/console/alerts")
    assert page.status_code == 200
    expected = [alert.alert_id for alert in _alerts(sample, include_silenced=False)]
    assert len(expected) > 10  # the sample corpus raises alerts of several rules
    assert _rows(page.text) == expected[:25]
    assert f"<strong>{len(expected)}</strong> cảnh báo" in page.text
    misinformation = _by_rule(sample, "misinfo-high")
    row = page.text[page.text.index(f'id="alert-{misinformation.alert_id}"') :]
    row = row[: row.index("</tr>")]
    assert "Cao" in row
    assert "Thông tin sai lệch" in row
    assert "Mới" in row
    assert f'<td data-label="Tài liệu">{misinformation.doc_count}</td>' in row
    assert "Tiếp nhận" in row
    assert "Xử lý xong" in row
    assert 'id="live"' in page.text
    assert '/console/static/alerts.js" defer' in page.text
    assert f'data-after="{sample.alerts.last_seq()}"' in page.text  # the stream resumes after this page


def test_created_times_are_local(client: TestClient, sample: Monitor) -> None:
    sign_in(client, "lan")
    alert = _alerts(sample, include_silenced=False)[0]
    local = alert.created_at.astimezone(sample.settings.zone).strftime("%d/%m/%Y %H:%M")
    assert f'<time datetime="{alert.created_at.isoformat()}">{local}</time>' in client.get("/console/alerts").text


@pytest.mark.parametrize("username", ["nghien.cuu", "cong.an"])
def test_researchers_and_liaisons_get_the_403_page(client: TestClient, sample: Monitor, username: str) -> None:
    token = sign_in(client, username)
    alert_id = _by_rule(sample, "misinfo-high").alert_id
    for path in ("/console/alerts", "/console/alerts/rows", f"/console/alerts/{alert_id}"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert page.headers["content-type"].startswith("text/html")
        assert "Không có quyền xem trang này" in page.text
    for action in ("acknowledge", "resolve", "comment", "silence", "case", "deliveries/retry"):
        page = client.post(f"/console/alerts/{alert_id}/{action}", data={"csrf_token": token, "text": "x"})
        assert page.status_code == 403, action
        assert "Không có quyền" in page.text
    assert sample.alerts.get(alert_id).state.value == "new"


@pytest.mark.parametrize(
    ("query", "rule_ids"),
    [
        ("rule=misinfo-high", {"misinfo-high"}),
        ("severity=medium", {"watch-flooding", "flood-volume"}),
        ("q=ngập&state=all", {"watch-flooding", "flood-volume"}),
    ],
)
def test_filters_select_what_the_api_selects(
    client: TestClient, sample: Monitor, query: str, rule_ids: set[str]
) -> None:
    sign_in(client, "lan")
    shown = _rows(client.get(f"/console/alerts?{query}").text)
    assert shown
    assert {sample.alerts.get(alert_id).rule_id for alert_id in shown} == rule_ids


def test_the_day_filters_are_local_days_of_the_event(client: TestClient, sample: Monitor) -> None:
    sign_in(client, "lan")
    shown = set(_rows(client.get("/console/alerts?since=2026-10-21&until=2026-10-21").text))
    zone = sample.settings.zone
    day = datetime(2026, 10, 21, tzinfo=zone)  # 21/10 in Vietnam: [20/10 17:00 UTC, 21/10 17:00 UTC)
    expected = _alerts(sample, include_silenced=False, event_since=day, event_until=day + timedelta(days=1))
    assert shown == {alert.alert_id for alert in expected}
    flood = next(a for a in expected if a.rule_id == "watch-flooding")  # its posts: 20/10 18:20 to 21/10 11:00
    assert flood.event_end.astimezone(zone).date() == day.date()
    assert _by_rule(sample, "misinfo-high").alert_id not in shown  # November's rumour
    assert 'value="2026-10-21"' in client.get("/console/alerts?since=2026-10-21").text  # the form keeps it


def test_an_empty_result_says_what_to_do_and_bad_filters_are_422_pages(client: TestClient) -> None:
    sign_in(client, "lan")
    empty = client.get("/console/alerts?state=resolved")
    assert _rows(empty.text) == []
    assert 'id="alerts-empty"' in empty.text
    assert "Tất cả trạng thái" in empty.text
    for query, words in (
        ("severity=urgent", "Mức độ"),
        ("since=21/10/2026", "Sự việc từ ngày"),
        ("since=2026-10-22&until=2026-10-21", "Đến ngày"),
        ("page=0", "page"),
    ):
        page = client.get(f"/console/alerts?{query}")
        assert page.status_code == 422, query
        assert words in page.text, query


def test_the_rows_fragment_is_the_same_search_without_the_page(client: TestClient, sample: Monitor) -> None:
    sign_in(client, "lan")
    fragment = client.get("/console/alerts/rows?severity=high")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="alert-results"' in fragment.text
    assert _rows(fragment.text) == _rows(client.get("/console/alerts?severity=high").text)
    assert 'name="back" value="/console/alerts?severity=high"' in fragment.text  # actions come back here


def test_the_misinformation_alert_says_why_it_fired(client: TestClient, sample: Monitor) -> None:
    sign_in(client, "lan")
    alert = _by_rule(sample, "misinfo-high")
    page = client.get(f"/console/alerts/{alert.alert_id}")
    assert page.status_code == 200
    why = page.text[page.text.index('id="why"') : page.text.index('id="documents"')]
    assert "Thông tin sai lệch" in why
    assert "misinfo-high" in why
    assert "<dt>Ngưỡng điểm sai lệch</dt><dd>0,60</dd>" in why
    assert "<dt>Tin sai đã đăng ký</dt><dd>thien-tan-tap-water-poisoned</dd>" in why
    assert "Giống nội dung sai đã đăng ký (thien-tan-tap-water-poisoned)" in why  # the top score's reasons
    documents = page.text[page.text.index('id="documents"') : page.text.index('id="comments"')]
    for doc_id in alert.doc_ids[:3]:
        assert f'href="/console/documents/{doc_id}"' in documents
    assert 'id="acknowledge"' in page.text
    assert 'id="open-case"' in page.text
    assert 'id="silence-form"' not in page.text  # silences are the administrators'


def test_the_spike_alert_shows_its_window_and_baseline_in_local_time(client: TestClient, sample: Monitor) -> None:
    sign_in(client, "quan.tri")
    spike = next(a for a in _alerts(sample) if a.rule_id == "negative-spike" and a.doc_count == 13)
    page = client.get(f"/console/alerts/{spike.alert_id}").text
    why = page[page.index('id="why"') : page.index('id="documents"')]
    assert "<dt>Cửa sổ bắt đầu</dt><dd>03/11/2026 18:00</dd>" in why  # 11:00 UTC
    assert "<dt>Cửa sổ thời gian</dt><dd>6 giờ</dd>" in why
    assert "<dt>Mức nền (trung bình mỗi cửa sổ)</dt><dd>0,07</dd>" in why
    assert "<dt>So với mức nền</dt><dd>gấp 13 lần</dd>" in why
    assert 'id="silence-form"' in page  # an administrator may silence


def test_an_unknown_alert_is_the_404_page(client: TestClient) -> None:
    sign_in(client, "lan")
    page = client.get("/console/alerts/no-such-alert")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.text
