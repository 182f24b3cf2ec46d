from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from crawlers.social.youtube import YouTubeSource, YouTubeSourceSpec, youtube_error
from monitor.config.settings import CrawlSettings
from monitor.ingestion.archive import RawArchive
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post
from tests.loopback import FakeApi, Reply, Route, query_of, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "youtube"
NOW = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
CHANNEL = "UCdnTV3kq8PzLw5R2mXa9YbQ"
VIDEO_A, VIDEO_B, VIDEO_C = "kQ3vN8dL2xA", "pX7mR4tY9cE", "Zt5bH1wQ6uJ"
KEY = "AIzaSyDn9TestKeyForDongNaiMonitor0042xQ"
VAR = "MONITOR_YOUTUBE_API_KEY"
API = "/youtube/v3"
CHANNELS, PLAYLIST, SEARCH, VIDEOS, THREADS = (
    f"{API}/{name}" for name in ("channels", "playlistItems", "search", "videos", "commentThreads")
)


class PathRoutes(dict[str, Route]):
    """Routes keyed by path alone: ``serve`` looks up the full request path, query string included."""

    def get(self, key: str, default: Route | None = None) -> Route | None:  # type: ignore[override]
        return super().get(urlsplit(key).path, default)


def _json(payload: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def fixture(name: str, status: int = 200) -> Reply:
    return Reply(status, (FIXTURES / name).read_bytes(), {"Content-Type": "application/json; charset=UTF-8"})


def _videos(handler: BaseHTTPRequestHandler) -> Reply:
    """videos.list: the fixture's videos that were asked for, in the order asked."""
    known = {item["id"]: item for item in json.loads((FIXTURES / "videos.json").read_bytes())["items"]}
    wanted = query_of(handler)["id"].split(",")
    return _json({"kind": "youtube#videoListResponse", "items": [known[v] for v in wanted if v in known]})


def _pages(files: dict[str | None, str]) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> Reply:
        name = files.get(query_of(handler).get("pageToken"))
        return fixture(name) if name else _json({"error": {"code": 400, "message": "Invalid page token"}}, 400)

    return route


THREAD_FILES = {
    (VIDEO_A, None): "comments-A-page1.json",
    (VIDEO_A, "QURTSl9pMkJ4"): "comments-A-page2.json",
    (VIDEO_B, None): "comments-B.json",
}


def _threads(handler: BaseHTTPRequestHandler) -> Reply:
    query = query_of(handler)
    name = THREAD_FILES.get((query["videoId"], query.get("pageToken")))
    return fixture(name) if name else fixture("error-comments-disabled.json", 403)


class FakeYouTube(FakeApi):
    """A fake YouTube Data API on 127.0.0.1 serving the fixtures."""

    def paths(self) -> list[str]:
        return [urlsplit(path).path for path, _ in self.requests]

    def asked(self, path: str) -> list[dict[str, str]]:
        """Query parameters of each request to ``path``."""
        return [query_of(p) for p, _ in self.requests if urlsplit(p).path == path]


@contextmanager
def youtube_api() -> Iterator[FakeYouTube]:
    routes = PathRoutes(
        {
            CHANNELS: lambda h: fixture("channels.json" if query_of(h).get("id") == CHANNEL else "channels-empty.json"),
            PLAYLIST: _pages({None: "playlist-page1.json", "EAAaBlBUOkNBSQ": "playlist-page2.json"}),
            SEARCH: _pages({None: "search-page1.json", "CDIQAA": "search-page2.json"}),
            VIDEOS: _videos,
            THREADS: _threads,
        }
    )
    with serve(routes) as server:
        yield FakeYouTube(server)


def _spec(api: FakeYouTube, **fields: object) -> YouTubeSourceSpec:
    values: dict[str, object] = {"id": "yt-miendong", "api_base": api.url(API), "allow_private_network": True}
    if "search_query" not in fields:
        values["channel_id"] = CHANNEL
    return YouTubeSourceSpec.model_validate(values | fields)


def _collect(source: YouTubeSource, crawl: CrawlSettings | None = None) -> Collected:
    async def run() -> Collected:
        async with outbound_client(timeout=5) as http:
            context = CollectContext(
                http=http, crawl=crawl or CrawlSettings(max_retries=0), config_dir=FIXTURES, now=NOW
            )
            return await source.collect(context)

    return asyncio.run(run())


def _doc(collected: Collected, item_id: str) -> Document:
    wanted = doc_id_for_post(Platform.YOUTUBE, item_id)
    return next(d for d in collected.documents if d.doc_id == wanted)


def test_channel_uploads_videos_and_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        result = _collect(YouTubeSource(_spec(api)))
        paths = api.paths()
        playlist, videos, threads = api.asked(PLAYLIST), api.asked(VIDEOS), api.asked(THREADS)
        headers = [{k.lower(): v for k, v in h.items()} for _, h in api.requests]

    assert paths == [CHANNELS, PLAYLIST, PLAYLIST, VIDEOS, THREADS, THREADS, THREADS, THREADS]
    assert playlist[0] == {"part": "contentDetails", "playlistId": "UU" + CHANNEL[2:], "maxResults": "50"}
    assert playlist[1]["pageToken"] == "EAAaBlBUOkNBSQ"
    assert videos == [{"part": "snippet,statistics", "id": f"{VIDEO_A},{VIDEO_B},{VIDEO_C}", "maxResults": "50"}]
    assert threads[0] == {
        "part": "snippet",
        "videoId": VIDEO_A,
        "maxResults": "100",
        "order": "time",
        "textFormat": "plainText",
    }
    assert [(q["videoId"], q.get("pageToken")) for q in threads] == [
        (VIDEO_A, None),
        (VIDEO_A, "QURTSl9pMkJ4"),
        (VIDEO_B, None),
        (VIDEO_C, None),
    ]
    assert not result.fetch_failed
    assert len(result.documents) == 7

    flood = _doc(result, VIDEO_A)
    assert flood.platform is Platform.YOUTUBE
    assert flood.title == "Ngập nặng ở Biên Hòa sau trận mưa lớn chiều 3/11"
    assert flood.text.startswith("Chiều 3/11, mưa lớn kéo dài hơn hai giờ")
    assert flood.url == f"https://www.youtube.com/watch?v={VIDEO_A}"
    assert flood.published_at == datetime(2026, 11, 3, 13, 5, tzinfo=UTC)
    assert flood.channel == flood.author == "Tin Tức Miền Đông 24h"
    assert flood.engagement == Engagement(views=15234, likes=412, comments=3)
    assert flood.media_urls == (f"https://i.ytimg.example/vi/{VIDEO_A}/hqdefault.jpg",)
    festival = _doc(result, VIDEO_C)
    assert festival.text == festival.title == "Lễ hội trái cây Long Khánh 2026"  # no description
    assert festival.engagement == Engagement(views=9120, likes=None, comments=4)  # likes hidden

    comments = [d for d in result.documents if d.parent_id is not None]
    assert [d.parent_id for d in comments] == [doc_id_for_post(Platform.YOUTUBE, VIDEO_A)] * 3 + [
        doc_id_for_post(Platform.YOUTUBE, VIDEO_B)
    ]
    first = comments[0]
    assert first.doc_id == doc_id_for_post(Platform.YOUTUBE, "UgzT4nHq8cL2mB9vXw54AaABAg")
    assert first.text == "Nhà tôi ở Tân Hiệp nước vào tận phòng khách, mong thành phố sớm nạo vét cống."
    assert first.author == "@lehoangnam-bienhoa"
    assert first.engagement == Engagement(likes=25, comments=3)
    assert first.published_at == datetime(2026, 11, 3, 13, 40, 11, tzinfo=UTC)
    assert first.url == f"https://www.youtube.com/watch?v={VIDEO_A}&lc=UgzT4nHq8cL2mB9vXw54AaABAg"
    assert comments[2].text == "Cảm ơn kênh đưa tin nhanh & chính xác."  # from textDisplay
    assert comments[3].engagement == Engagement(likes=57, comments=5)

    # Video C's comments are disabled: a warning, and the rest of the collection is whole.
    [warning] = result.problems
    assert warning.severity is Severity.WARNING
    assert warning.message == f"comments are disabled on video {VIDEO_C}; its comments were skipped"

    # The key travels in the X-Goog-Api-Key header only.
    assert all(h.get("x-goog-api-key") == KEY for h in headers)
    assert not any(KEY in path or "key=" in path for path, _ in api.requests)


def test_second_collection_reuses_the_playlist_and_skips_unchanged_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        source = YouTubeSource(_spec(api))
        _collect(source)
        api.requests.clear()
        again = _collect(source)
        # Same comment counts: no commentThreads call, and the uploads playlist id is remembered.
        assert api.paths() == [PLAYLIST, PLAYLIST, VIDEOS]
        assert len(again.documents) == 3
        assert again.problems == []
        api.requests.clear()
        source.rewind()
        _collect(source)
        assert api.paths()[0] == CHANNELS
        assert api.paths().count(THREADS) == 4


def test_search_mode_with_region_and_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        spec = _spec(
            api,
            search_query="ngập Biên Hòa",
            region_code="VN",
            relevance_language="vi",
            max_pages=2,
            include_comments=False,
        )
        result = _collect(YouTubeSource(spec))
        searches, videos = api.asked(SEARCH), api.asked(VIDEOS)
        assert api.paths() == [SEARCH, SEARCH, VIDEOS]  # max_pages: the third page is never asked for
    assert searches[0] == {
        "part": "snippet",
        "type": "video",
        "q": "ngập Biên Hòa",
        "maxResults": "50",
        "order": "date",
        "regionCode": "VN",
        "relevanceLanguage": "vi",
    }
    assert searches[1]["pageToken"] == "CDIQAA"
    assert videos[0]["id"] == f"{VIDEO_A},{VIDEO_B},{VIDEO_C}"  # B was on both pages: asked once
    assert [d.title for d in result.documents] == [
        "Ngập nặng ở Biên Hòa sau trận mưa lớn chiều 3/11",
        "Tiến độ sân bay Long Thành tháng 11/2026",
        "Lễ hội trái cây Long Khánh 2026",
    ]


def test_videos_are_read_in_batches_of_fifty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    ids = [f"vid{n:08d}"[:11] for n in range(60)]

    def playlist(handler: BaseHTTPRequestHandler) -> Reply:
        page, token = (ids[50:], None) if query_of(handler).get("pageToken") else (ids[:50], "EAAaBlBUOkNESQ")
        items = [{"kind": "youtube#playlistItem", "contentDetails": {"videoId": v}} for v in page]
        return _json({"items": items, "nextPageToken": token} if token else {"items": items})

    def videos(handler: BaseHTTPRequestHandler) -> Reply:
        items = [
            {
                "id": v,
                "snippet": {"title": f"Bản tin Đồng Nai số {v}", "publishedAt": "2026-11-01T00:00:00Z"},
                "statistics": {"viewCount": "10", "commentCount": "0"},
            }
            for v in query_of(handler)["id"].split(",")
        ]
        return _json({"items": items})

    with youtube_api() as api:
        api.routes[PLAYLIST] = playlist
        api.routes[VIDEOS] = videos
        result = _collect(YouTubeSource(_spec(api)))
        assert [len(q["id"].split(",")) for q in api.asked(VIDEOS)] == [50, 10]
        assert THREADS not in api.paths()  # no video has comments
    assert len(result.documents) == 60


def test_quota_exceeded_stops_the_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        api.routes[THREADS] = fixture("error-quota-exceeded.json", 403)
        result = _collect(YouTubeSource(_spec(api)))
        assert api.paths()[-2:] == [VIDEOS, THREADS]  # nothing after the first refusal
    assert result.fetch_failed
    assert result.problems[0].message == (
        "YouTube API quota exceeded (quotaExceeded): The request cannot be completed because you have "
        "exceeded your quota.; stopped this collection, the next one tries again"
    )
    assert len(result.documents) == 3  # the videos read before the refusal are kept


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("error-key-invalid.json", "API_KEY_INVALID: API key not valid. Please pass a valid API key."),
        ("error-key-expired.json", "HTTP 400: API key expired. Please renew the API key."),
    ],
)
def test_refused_key_is_a_permanent_failure_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, detail: str
) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        api.routes[CHANNELS] = fixture(name, 400)
        result = _collect(YouTubeSource(_spec(api)))
        assert len(api.requests) == 1
    assert result.fetch_failed
    assert result.problems[0].message == (
        f"the YouTube API key in {VAR} was refused ({detail}); put a valid key in the environment variable {VAR}"
    )


def test_missing_key_variable_is_named_and_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)
    with youtube_api() as api:
        result = _collect(YouTubeSource(_spec(api)))
        assert api.requests == []
    assert result.fetch_failed
    assert f"set the environment variable {VAR}" in result.problems[0].message


@pytest.mark.parametrize(
    "reply",
    [
        fixture("channels-empty.json"),
        _json(
            {"error": {"code": 404, "message": "Channel not found.", "errors": [{"reason": "channelNotFound"}]}}, 404
        ),
    ],
)
def test_unknown_channel_is_a_permanent_failure_naming_it(monkeypatch: pytest.MonkeyPatch, reply: Reply) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        api.routes[CHANNELS] = reply
        result = _collect(YouTubeSource(_spec(api)))
        assert api.paths() == [CHANNELS]
    assert result.fetch_failed
    assert result.problems[0].message == (
        f"YouTube channel '{CHANNEL}' was not found; check 'channel_id' of source 'yt-miendong'"
    )


def test_missing_uploads_playlist_is_reported_and_looked_up_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        working = api.routes[PLAYLIST]
        api.routes[PLAYLIST] = fixture("error-playlist-not-found.json", 404)
        source = YouTubeSource(_spec(api))
        result = _collect(source)
        assert result.fetch_failed
        assert result.problems[0].message.startswith(f"the uploads playlist of YouTube channel '{CHANNEL}'")
        api.routes[PLAYLIST] = working
        api.requests.clear()
        assert len(_collect(source).documents) == 7
        assert api.paths()[0] == CHANNELS


def test_malformed_comment_answer_is_reported_and_the_rest_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)

    def threads(handler: BaseHTTPRequestHandler) -> Reply:
        return fixture("truncated.json") if query_of(handler)["videoId"] == VIDEO_B else _threads(handler)

    with youtube_api() as api:
        api.routes[THREADS] = threads
        source = YouTubeSource(_spec(api))
        result = _collect(source)
        assert not result.fetch_failed
        [error] = [p for p in result.problems if p.severity is Severity.ERROR]
        assert error.message.startswith(f"comments of video {VIDEO_B} not read: malformed JSON from http://127.0.0.1:")
        assert "Mong sân bay Long Thành" in error.raw
        assert sum(1 for d in result.documents if d.parent_id is not None) == 3  # video A's
        assert (FIXTURES / "truncated.json").read_bytes() in [raw.body for raw in result.raw_items]  # archived
        api.requests.clear()
        _collect(source)
        assert [q["videoId"] for q in api.asked(THREADS)] == [VIDEO_B]  # only the one not read in full


def test_max_comment_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        result = _collect(YouTubeSource(_spec(api, max_comment_pages=1)))
        assert [q.get("pageToken") for q in api.asked(THREADS)] == [None, None, None]
    assert sum(1 for d in result.documents if d.parent_id is not None) == 3


@pytest.mark.parametrize(
    ("status", "reason", "retryable", "stops"),
    [
        (403, "quotaExceeded", True, True),
        (403, "dailyLimitExceeded", True, True),
        (400, "keyInvalid", False, True),
        (403, "commentsDisabled", False, False),
        (503, "backendError", True, False),
    ],
)
def test_youtube_error_reasons(status: int, reason: str, retryable: bool, stops: bool) -> None:
    raw = RawItem(source_id="t", url="https://yt.example/youtube/v3/videos", fetched_at=NOW, status=status)
    payload = {"error": {"code": status, "message": "x", "errors": [{"reason": reason, "domain": "youtube"}]}}
    error = youtube_error(raw, payload, key_env=VAR)
    assert (error.retryable, error.stops_collection, error.reason) == (retryable, stops, reason)


def test_archived_answers_hold_no_key_and_replay_to_the_same_documents(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(VAR, KEY)
    with youtube_api() as api:
        source = YouTubeSource(_spec(api))
        result = _collect(source)
    assert len(result.raw_items) == 7  # channels, 2 playlist pages, videos, 3 comment pages
    for raw in result.raw_items:
        assert KEY not in raw.url
        assert KEY not in json.dumps(raw.headers)
        assert KEY.encode() not in raw.body
    archive = RawArchive(tmp_path / "archive")
    archive.store(result.raw_items)
    for path in (tmp_path / "archive").rglob("*.warc.gz"):
        assert KEY.encode() not in gzip.decompress(path.read_bytes())
    replayed = [doc for raw in archive.items("yt-miendong") for doc in source.parse(raw).documents]
    assert [(d.doc_id, d.parent_id, d.engagement, d.text) for d in replayed] == [
        (d.doc_id, d.parent_id, d.engagement, d.text) for d in result.documents
    ]


def test_spec_validation() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'channel_id'"):
        YouTubeSourceSpec(id="yt")
    with pytest.raises(ValidationError, match="exactly one of 'channel_id'"):
        YouTubeSourceSpec(id="yt", channel_id=CHANNEL, search_query="Đồng Nai")
    with pytest.raises(ValidationError, match="apply to 'search_query' only"):
        YouTubeSourceSpec(id="yt", channel_id=CHANNEL, region_code="VN")
    with pytest.raises(ValidationError, match="region_code"):
        YouTubeSourceSpec(id="yt", search_query="Đồng Nai", region_code="Vietnam")
    spec = YouTubeSourceSpec(id="yt", search_query="sân bay Long Thành", region_code="VN", relevance_language="vi")
    assert (spec.api_base, spec.key_env, spec.max_pages) == ("https://www.googleapis.com/youtube/v3", VAR, 3)
