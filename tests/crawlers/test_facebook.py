from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError

from crawlers.social.facebook import FacebookPageSource, FacebookPageSourceSpec, graph_error
from monitor.config.settings import CrawlSettings
from monitor.ingestion.archive import RawArchive
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post
from tests.loopback import FakeApi, Reply, Route, query_of, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
NOW = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
PAGE = "104857392018456"
POST1, POST2, POST3, POST4, POST5 = (f"{PAGE}_84512093746123{n}" for n in range(4, 9))
TOKEN = "EAAGm0PX4ZCpsBAKdongNaiTestToken2026xyzQ"
VAR = "MONITOR_FACEBOOK_TOKEN"
POSTS = f"/v19.0/{PAGE}/posts"


class PathRoutes(dict[str, Route]):
    """Routes keyed by path alone: ``serve`` looks up the full request path, query string included."""

    def get(self, key: str, default: Route | None = None) -> Route | None:  # type: ignore[override]
        return super().get(urlsplit(key).path, default)


class FakeGraph(FakeApi):
    """A fake Graph API on 127.0.0.1 serving the fixtures."""

    def reply(self, name: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A fixture as Graph would send it: links on this server, carrying the token as Graph echoes it."""
        text = (FIXTURES / name).read_text(encoding="utf-8")
        body = text.replace("{api_base}", self.url("/v19.0")).replace("{token}", TOKEN).encode()
        return Reply(status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})})


@contextmanager
def graph_api() -> Iterator[FakeGraph]:
    posts = {None: "posts-page1.json", "QVFIUnBhZAmdlMg": "posts-page2.json", "QVFIUnBhZAmdlMx": "posts-page3.json"}
    comments = {None: "comments-post1-page1.json", "WTI5dGJXVnVkRjlqZAFhKemIzSTZAO": "comments-post1-page2.json"}
    routes = PathRoutes()
    with serve(routes) as server:
        api = FakeGraph(server)
        routes[POSTS] = lambda h: api.reply(posts[query_of(h).get("after")])
        routes[f"/v19.0/{POST1}/comments"] = lambda h: api.reply(comments[query_of(h).get("after")])
        routes[f"/v19.0/{POST5}/comments"] = lambda h: api.reply("comments-post5.json")
        yield api


def _spec(server: FakeGraph, **fields: object) -> FacebookPageSourceSpec:
    values: dict[str, object] = {
        "id": "fb-bienhoa",
        "page_id": PAGE,
        "api_base": server.url("/v19.0"),
        "allow_private_network": True,
    }
    return FacebookPageSourceSpec.model_validate(values | fields)


def _collect(source: FacebookPageSource, crawl: CrawlSettings | None = None) -> Collected:
    async def run() -> Collected:
        async with outbound_client(timeout=5) as http:
            context = CollectContext(
                http=http, crawl=crawl or CrawlSettings(max_retries=0), config_dir=FIXTURES, now=NOW
            )
            return await source.collect(context)

    return asyncio.run(run())


def _paths(server: FakeGraph) -> list[str]:
    return [urlsplit(path).path for path, _ in server.requests]


def _doc(collected: Collected, item_id: str) -> Document:
    wanted = doc_id_for_post(Platform.FACEBOOK, item_id)
    return next(d for d in collected.documents if d.doc_id == wanted)


def test_posts_and_comments_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        result = _collect(FacebookPageSource(_spec(server)))
        paths = _paths(server)
        queries = [dict(parse_qsl(urlsplit(path).query)) for path, _ in server.requests]
        headers = [{k.lower(): v for k, v in h.items()} for _, h in server.requests]

    comments1, comments5 = f"/v19.0/{POST1}/comments", f"/v19.0/{POST5}/comments"
    # Three pages of posts (the third is empty and ends the listing), then comments only where the count
    # is above zero: post 2 and 4 have none, post 3 was skipped (no text) so its comments are not read.
    assert paths == [POSTS, POSTS, POSTS, comments1, comments1, comments5]
    assert "reactions.summary(total_count).limit(0)" in queries[0]["fields"]
    assert queries[0]["limit"] == "25"
    assert queries[1]["after"] == "QVFIUnBhZAmdlMg"
    assert queries[3]["order"] == "reverse_chronological"
    assert queries[3]["limit"] == "100"
    assert queries[4]["limit"] == "98"  # what is left of max_comments_per_post after the first page
    assert not result.fetch_failed
    assert len(result.documents) == 8

    post1 = _doc(result, POST1)
    assert post1.text.startswith("Mưa lớn chiều 3/11")
    assert post1.published_at == datetime(2026, 11, 3, 12, 15, 30, tzinfo=UTC)
    assert post1.engagement == Engagement(likes=412, comments=3, shares=57)
    assert post1.url == f"https://www.facebook.com/{PAGE}/posts/845120937461234"
    assert post1.channel == post1.author == "Biên Hòa Hôm Nay"
    assert post1.media_urls == ("https://scontent.example/v/t39.30808-6/ngap-tan-hiep.jpg",)
    assert post1.platform is Platform.FACEBOOK

    photo = _doc(result, POST2)
    assert photo.text == "Cầu Hóa An nhìn từ bờ sông Đồng Nai lúc hoàng hôn."
    assert photo.engagement == Engagement(likes=1280, comments=0, shares=None)
    assert _doc(result, POST4).text == "Biên Hòa Hôm Nay đã cập nhật ảnh bìa của họ."
    undated = _doc(result, POST5)
    assert undated.published_at == NOW
    assert doc_id_for_post(Platform.FACEBOOK, POST3) not in {d.doc_id for d in result.documents}

    comments = [d for d in result.documents if d.parent_id is not None]
    assert [d.parent_id for d in comments] == [doc_id_for_post(Platform.FACEBOOK, POST1)] * 3 + [
        doc_id_for_post(Platform.FACEBOOK, POST5)
    ]
    first = comments[0]
    assert first.doc_id == doc_id_for_post(Platform.FACEBOOK, "845120937461234_1290347561")
    assert first.author == "Nguyễn Văn Phúc"
    assert first.engagement == Engagement(likes=12, comments=2)
    assert first.published_at == datetime(2026, 11, 3, 12, 40, 2, tzinfo=UTC)
    assert comments[2].author is None  # Graph gave no 'from' for this commenter

    assert {p.severity for p in result.problems} == {Severity.WARNING}
    messages = [p.message for p in result.problems]
    assert f"post {POST3} has no message, caption or story; skipped" in messages
    assert any("field 'created_time'" in m and "using the fetch time" in m for m in messages)

    # The token travels in the Authorization header only, never in a URL (the next links Graph sent
    # carried it; it was removed before following them).
    assert all(h.get("authorization") == f"Bearer {TOKEN}" for h in headers)
    assert not any(TOKEN in path or "access_token" in path for path, _ in server.requests)


def test_archived_answers_hold_no_token_and_replay_to_the_same_documents(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        source = FacebookPageSource(_spec(server))
        result = _collect(source)
    assert len(result.raw_items) == 6  # 3 posts pages + 3 comments pages
    for raw in result.raw_items:
        assert TOKEN not in raw.url
        assert TOKEN not in json.dumps(raw.headers)
        assert TOKEN.encode() not in raw.body
    assert b"access_token=REDACTED" in result.raw_items[0].body  # Graph's next link, redacted

    archive = RawArchive(tmp_path / "archive")
    archive.store(result.raw_items)
    for path in (tmp_path / "archive").rglob("*.warc.gz"):
        assert TOKEN.encode() not in gzip.decompress(path.read_bytes())
    replayed = [doc for raw in archive.items("fb-bienhoa") for doc in source.parse(raw).documents]
    assert [(d.doc_id, d.parent_id, d.engagement, d.text) for d in replayed] == [
        (d.doc_id, d.parent_id, d.engagement, d.text) for d in result.documents
    ]


def test_max_pages_and_comments_read_again_only_when_their_count_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        source = FacebookPageSource(_spec(server, max_pages=2))
        first = _collect(source)
        assert _paths(server).count(POSTS) == 2  # the third page is never asked for
        assert len(first.documents) == 8
        server.requests.clear()
        second = _collect(source)
        assert _paths(server) == [POSTS, POSTS]  # comment counts unchanged: no comment requests
        assert len(second.documents) == 4
        server.requests.clear()
        source.rewind()
        _collect(source)
        assert len(_paths(server)) == 5


def test_max_comments_per_post_caps_the_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        result = _collect(FacebookPageSource(_spec(server, max_comments_per_post=2)))
        asked = [dict(parse_qsl(urlsplit(p).query)) for p, _ in server.requests if p.startswith(f"/v19.0/{POST1}/")]
    assert [query["limit"] for query in asked] == ["2"]  # the first page fills the cap: no second page
    assert sum(1 for d in result.documents if d.parent_id == doc_id_for_post(Platform.FACEBOOK, POST1)) == 2


def test_missing_token_variable_is_named_and_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)
    monkeypatch.delenv("DNM_FB_BIENHOA", raising=False)
    with graph_api() as server:
        default = _collect(FacebookPageSource(_spec(server)))
        custom = _collect(FacebookPageSource(_spec(server, token_env="DNM_FB_BIENHOA")))
        assert server.requests == []
    assert default.fetch_failed
    assert "set the environment variable MONITOR_FACEBOOK_TOKEN" in default.problems[0].message
    assert "set the environment variable DNM_FB_BIENHOA" in custom.problems[0].message


def test_expired_token_is_a_permanent_failure_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        server.routes[POSTS] = server.reply("error-190-expired.json", 400)
        result = _collect(FacebookPageSource(_spec(server)))
        assert len(server.requests) == 1
    assert result.fetch_failed
    assert result.documents == []
    message = result.problems[0].message
    assert message.startswith(f"the Facebook access token in {VAR} has expired or is invalid (code 190, subcode 463")
    assert f"put a new page access token in the environment variable {VAR}" in message
    assert TOKEN not in message


def test_quota_hit_on_comments_stops_the_collection_and_keeps_the_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        server.routes[f"/v19.0/{POST1}/comments"] = server.reply("error-32-page-limit.json", 400)
        result = _collect(FacebookPageSource(_spec(server)))
        # No request after the refusal: post 5's comments are left for the next cycle.
        assert _paths(server) == [POSTS, POSTS, POSTS, f"/v19.0/{POST1}/comments"]
    assert result.fetch_failed
    assert result.problems[0].message.startswith("Facebook API quota hit (code 32: (#32) Page request limit reached)")
    assert len(result.documents) == 4
    assert all(d.parent_id is None for d in result.documents)


@pytest.mark.parametrize(
    ("code", "retryable", "stops", "start"),
    [
        (190, False, True, f"the Facebook access token in {VAR} has expired"),
        (4, True, True, "Facebook API quota hit (code 4"),
        (17, True, True, "Facebook API quota hit (code 17"),
        (32, True, True, "Facebook API quota hit (code 32"),
        (613, True, True, "Facebook API quota hit (code 613"),
        (2, True, False, "Facebook API error (code 2)"),
        (100, False, False, "Facebook API error (code 100)"),
    ],
)
def test_graph_error_codes(code: int, retryable: bool, stops: bool, start: str) -> None:
    raw = RawItem(source_id="t", url="https://graph.example/v19.0/1/posts", fetched_at=NOW, status=400)
    error = graph_error(raw, {"error": {"message": "x", "type": "OAuthException", "code": code}}, token_env=VAR)
    assert (error.retryable, error.stops_collection) == (retryable, stops)
    assert error.message.startswith(start)


def test_another_error_on_one_posts_comments_keeps_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        server.routes[f"/v19.0/{POST5}/comments"] = server.reply("error-100-missing.json", 400)
        source = FacebookPageSource(_spec(server))
        result = _collect(source)
        assert not result.fetch_failed
        assert sum(1 for d in result.documents if d.parent_id is not None) == 3
        [error] = [p for p in result.problems if p.severity is Severity.ERROR]
        assert error.message.startswith(f"comments of post {POST5} not read: Facebook API error (code 100, subcode 33)")
        server.requests.clear()
        _collect(source)
        assert _paths(server)[3:] == [f"/v19.0/{POST5}/comments"]  # tried again; post 1's are up to date


def test_malformed_json_is_one_clear_error_and_kept_for_the_quarantine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        server.routes[POSTS] = server.reply("truncated.json")
        source = FacebookPageSource(_spec(server))
        result = _collect(source)
    assert result.fetch_failed
    assert result.documents == []
    assert result.problems[0].message.startswith("malformed JSON from http://127.0.0.1:")
    assert "phường Tân Hiệp" in result.problems[0].raw
    [raw] = result.raw_items  # archived: it is what the platform sent
    assert source.parse(raw).problems[0].message == result.problems[0].message


def test_usage_headers_near_the_limit_stop_before_the_next_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    usage = {"X-App-Usage": json.dumps({"call_count": 97, "total_cputime": 20, "total_time": 31})}
    with graph_api() as server:
        server.routes[POSTS] = server.reply("posts-page1.json", headers=usage)
        result = _collect(FacebookPageSource(_spec(server)))
        assert len(server.requests) == 1
    assert result.fetch_failed
    assert result.problems[0].message.startswith("Facebook API usage at 97% of the rate limit")
    assert len(result.documents) == 2


def test_next_links_are_followed_on_the_configured_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        page = json.loads(server.reply("posts-page1.json").body)
        page["paging"]["next"] = (
            f"https://graph.evil.example/v2.0/somewhere/else?access_token={TOKEN}&after=QVFIUnBhZAmdlMg"
        )
        first = Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"})
        later = server.routes[POSTS]
        assert callable(later)
        server.routes[POSTS] = lambda h: later(h) if query_of(h).get("after") else first
        result = _collect(FacebookPageSource(_spec(server)))
        second = server.requests[1][0]
    # Only the cursor is taken from the link: the token never leaves for another host or path.
    assert urlsplit(second).path == POSTS
    assert dict(parse_qsl(urlsplit(second).query)) == {"after": "QVFIUnBhZAmdlMg"}
    assert not result.fetch_failed
    assert len(result.documents) == 8


def test_server_errors_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        answers = [Reply(503, b'{"error": {"message": "busy", "code": 2}}', {"Retry-After": "0"})]
        page1 = server.routes[POSTS]
        assert callable(page1)
        server.routes[POSTS] = lambda h: answers.pop() if answers else page1(h)
        result = _collect(FacebookPageSource(_spec(server)), crawl=CrawlSettings(max_retries=1))
        assert _paths(server)[:2] == [POSTS, POSTS]
    assert not result.fetch_failed
    assert len(result.documents) == 8


def test_private_addresses_are_refused_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, TOKEN)
    with graph_api() as server:
        result = _collect(FacebookPageSource(_spec(server, allow_private_network=False)))
        assert server.requests == []
    assert result.fetch_failed
    assert "non-public address 127.0.0.1" in result.problems[0].message


def test_spec_validation() -> None:
    spec = FacebookPageSourceSpec(id="fb", page_id="BaoDongNai.Official", api_base="https://graph.example/v19.0/")
    assert spec.api_base == "https://graph.example/v19.0"
    assert spec.token_env == VAR
    with pytest.raises(ValidationError, match="page_id"):
        FacebookPageSourceSpec(id="fb", page_id="../me")
    with pytest.raises(ValidationError, match="api_base"):
        FacebookPageSourceSpec(id="fb", page_id=PAGE, api_base="ftp://graph.example")
    with pytest.raises(ValidationError, match="access_token"):
        FacebookPageSourceSpec.model_validate({"id": "fb", "page_id": PAGE, "access_token": TOKEN})
