"""Public Telegram channels, read from their web preview at ``https://t.me/s/<channel>``.

The preview is the page Telegram serves to browsers without the app: about twenty messages, oldest at the
top, and above them a "load older" link (``a.tme_messages_more[data-before]``) to ``?before=<id>``. A
source fetches the newest page and pages back through ``before=`` until the channel's first message,
``max_pages`` pages, or messages it has already read. Every page is one :class:`RawItem`, so the
pipeline archives it and ``monitor replay`` can parse it again with :meth:`TelegramChannelSource.parse`.

Each message (``div.tgme_widget_message[data-post="channel/123"]``) becomes a Telegram document keyed by
``channel/123``: its text with line breaks, links' text and emoji, its time, views, the author signature,
photo and video URLs, the channel title, and where it was forwarded from or what it replies to.
Service messages ("pinned", "channel created") and messages showing neither text nor media (stickers,
polls and other content the preview asks to open in the app) are skipped with a warning. A page that is
not a channel preview — Telegram redirects unknown, private and preview-less channels to its "open in the
app" page — is one error, and the collection counts as failed.

The page is parsed with the standard library's ``html.parser`` into a small tree: the markup is regular,
a few class names find everything, and a tolerant tree builder keeps whatever a broken or truncated page
still holds without another dependency.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator

from crawlers.fetch import Fetcher
from crawlers.social.html_tree import Node, first, parse_tree, render
from crawlers.values import parse_count, parse_timestamp
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity, SourceSpec
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post

CANONICAL_BASE = "https://t.me"
# Text for a message that has media but no caption. The pipeline drops documents without text, yet such a
# post still counts (volume, spikes, reach) and its media are evidence, so it is kept with a marker that
# is plainly not the author's words, stays the same on every replay, and is too short (under three words)
# for story grouping to treat two uncaptioned posts as copies of each other.
PHOTO_PLACEHOLDER = "[ảnh]"
VIDEO_PLACEHOLDER = "[video]"
MAX_RAW_CHARS = 20_000  # of one message's markup kept with its problem

_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
_POST = re.compile(r"([A-Za-z0-9_]{1,64})/(\d{1,12})")
_POST_PATH = re.compile(r"/([A-Za-z0-9_]{1,64})/(\d{1,12})/?")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""")
_WHITESPACE = re.compile(r"\s+")
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
_MESSAGE = "tgme_widget_message"
# Parts of a message that are not its text. Telegram never nests them in the text, but on a broken page an
# unclosed text element swallows what follows it (the footer with views and time, typically).
_NOT_TEXT = frozenset(
    {
        "tgme_widget_message_footer",
        "tgme_widget_message_info",
        "tgme_widget_message_reply",
        "tgme_widget_message_link_preview",
        "tgme_widget_message_forwarded_from",
        "tgme_widget_message_author",
        "tgme_widget_message_user",
        "tgme_widget_message_inline_keyboard",
        "tgme_widget_message_photo_wrap",
        "tgme_widget_message_video_player",
        "tgme_widget_message_roundvideo_player",
        "message_media_not_supported_wrap",
    }
)
_VIDEO_PLAYERS = frozenset({"tgme_widget_message_video_player", "tgme_widget_message_roundvideo_player"})
_VIDEO_THUMBS = frozenset({"tgme_widget_message_video_thumb", "tgme_widget_message_roundvideo_thumb"})


class TelegramChannelSourceSpec(SourceSpec):
    """A public Telegram channel, read from its web preview ``{base_url}/s/{channel}``."""

    type: Literal["telegram_channel"] = "telegram_channel"
    channel: str = Field(description="The channel's public username, without '@' or URL.")
    base_url: str = Field(
        default=CANONICAL_BASE, description="Where the preview is served; only tests point it elsewhere."
    )
    max_pages: int = Field(
        default=3, ge=1, le=20, description="Preview pages (about 20 messages each) read per collection."
    )

    @field_validator("channel")
    @classmethod
    def _public_username(cls, value: str) -> str:
        if not _USERNAME.fullmatch(value):
            raise ValueError(
                "'channel' must be the public username of the channel: 5 to 32 letters, digits or underscores, "
                f"without '@' or 't.me/' (got {value!r})"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"'base_url' must be an http:// or https:// address without a query (got {value!r})")
        return value.rstrip("/")


def _css_url(style: str) -> str | None:
    match = _CSS_URL.search(style)
    return _absolute(match.group(2)) if match and match.group(2) else None


def _absolute(url: str) -> str:
    return "https:" + url if url.startswith("//") else url


@dataclass
class TelegramPage:
    """What one preview page held."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)  # every message's number, skipped ones included
    older: int | None = None  # the ``before=`` cursor of the next older page; None at the channel's start
    unreadable: bool = False  # not a channel preview at all


def _decode(raw: RawItem) -> str:
    content_type = next((value for name, value in raw.headers.items() if name.lower() == "content-type"), "")
    match = _CHARSET.search(content_type)
    encoding = match.group(1) if match else "utf-8"
    try:
        return raw.body.decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know: Telegram only ever sends UTF-8
        return raw.body.decode("utf-8", errors="replace")


def _not_a_preview(raw: RawItem, root: Node) -> str:
    """Why a page without messages is not a channel preview, in words an operator can act on."""
    if not urlsplit(raw.url).path.startswith("/s/"):
        return (
            f"Telegram redirected to {raw.url} instead of the channel preview: the channel does not exist, "
            "is not public, or has its web preview turned off"
        )
    if any({"tgme_page", "tgme_action_button_new"} & node.classes for node in root.descendants()):
        return (
            "Telegram answered with its 'open in the app' page instead of the channel preview: the channel does "
            "not exist, is not public, or has its web preview turned off"
        )
    return "no Telegram messages (tgme_widget_message) on the page: this is not a channel preview"


def _older_cursor(root: Node) -> int | None:
    for node in root.descendants():
        if "tme_messages_more" not in node.classes:
            continue
        # The same class marks the "newer" link at the bottom of an older page (data-after): not ours.
        query = parse_qs(urlsplit(node.attrs.get("href", "")).query)
        value = node.attrs.get("data-before") or query.get("before", [""])[0]
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _page_title(root: Node) -> str | None:
    header = first(root, "tgme_channel_info_header_title")
    if header is not None and (title := render(header)):
        return title
    for node in root.descendants():
        if node.tag == "meta" and node.attrs.get("property") == "og:title" and node.attrs.get("content", "").strip():
            return node.attrs["content"].strip()
    return None


def parse_channel_page(raw: RawItem, source_id: str) -> TelegramPage:
    """Parse one fetched or archived preview page into documents and problems; never raises for bad content."""
    if raw.status is not None and 300 <= raw.status < 400:
        location = next((value for name, value in raw.headers.items() if name.lower() == "location"), "nowhere")
        message = (
            f"HTTP {raw.status} redirecting to {location} instead of the channel preview: the channel does not "
            "exist, is not public, or has its web preview turned off"
        )
        return TelegramPage(problems=[Problem(source_id, raw.url, message)], unreadable=True)
    source = _decode(raw)
    root = parse_tree(source)
    messages = [node for node in root.descendants() if _MESSAGE in node.classes and "data-post" in node.attrs]
    if not messages:
        problem = Problem(source_id, raw.url, _not_a_preview(raw, root), raw=source[:2000])
        return TelegramPage(problems=[problem], unreadable=True)
    page = TelegramPage(older=_older_cursor(root))
    channel_title = _page_title(root)
    for node in messages:
        _MessageReader(node, raw, source, source_id, channel_title).read_into(page)
    return page


class _MessageReader:
    """Turns one ``tgme_widget_message`` element into a document, or a problem saying why not."""

    def __init__(self, node: Node, raw: RawItem, source: str, source_id: str, channel_title: str | None) -> None:
        self.node = node
        self.raw = raw
        self.source_id = source_id
        self.channel_title = channel_title
        self.markup = source[node.start : node.end if node.end is not None else len(source)][:MAX_RAW_CHARS]
        self.location = f"{raw.url} message {node.attrs['data-post']!r}"
        self.problems: list[Problem] = []

    def _inside(self, prune: Callable[[Node], bool] = lambda node: False) -> Iterator[Node]:
        # A broken page can nest the next message inside this one: it is read on its own, not as part of this.
        return self.node.descendants(lambda node: _MESSAGE in node.classes or prune(node))

    def _find(self, css_class: str) -> Node | None:
        return next((node for node in self._inside() if css_class in node.classes), None)

    def _warn(self, message: str) -> None:
        self.problems.append(Problem(self.source_id, self.location, message, severity=Severity.WARNING))

    def read_into(self, page: TelegramPage) -> None:
        post = self.node.attrs["data-post"].strip()
        match = _POST.fullmatch(post)
        if match is None:
            page.problems.append(
                Problem(self.source_id, self.location, "data-post is not 'channel/number': skipped", raw=self.markup)
            )
            return
        username, number = match.group(1), int(match.group(2))
        page.message_ids.append(number)
        self.location = f"{CANONICAL_BASE}/{username}/{number}"
        document = self._document(username, number)
        page.problems.extend(self.problems)
        if document is not None:
            page.documents.append(document)

    def _document(self, username: str, number: int) -> Document | None:
        if "service_message" in self.node.classes:
            self._warn("service message (pinned message, channel created, photo changed...): skipped")
            return None
        date = self._find("tgme_widget_message_date")
        if self.node.end is None and date is None:
            # The page ended inside this message and before its footer: what we have may be cut mid-text.
            self._warn("the page ends inside this message (truncated download?): skipped")
            return None
        text_node = next(
            (
                node
                for node in self._inside(lambda node: bool(_NOT_TEXT & node.classes))
                if "tgme_widget_message_text" in node.classes and "js-message_reply_text" not in node.classes
            ),
            None,
        )
        text = render(text_node, lambda node: bool(_NOT_TEXT & node.classes)) if text_node is not None else ""
        photos, videos = self._media()
        if not text and not photos and not videos:
            self.problems.append(
                Problem(
                    self.source_id,
                    self.location,
                    "message has neither text nor photo or video (sticker, poll or other content the preview "
                    "does not show): skipped",
                    severity=Severity.WARNING,
                    raw=self.markup,
                )
            )
            return None
        forwarded_name, forwarded_post = self._forwarded()
        signature = self._text_of("tgme_widget_message_from_author")
        channel = self.channel_title or self._text_of("tgme_widget_message_owner_name") or f"@{username}"
        # The key is case-insensitive like Telegram usernames, so links to the post written in another case
        # (a forward's "from" link, a reply) name the same document.
        return Document(
            doc_id=doc_id_for_post(Platform.TELEGRAM, f"{username.lower()}/{number}"),
            source_id=self.source_id,
            platform=Platform.TELEGRAM,
            url=f"{CANONICAL_BASE}/{username}/{number}",
            text=text or _placeholder(photos, videos),
            # Whose words these are: the forwarded original's author, else the admin who signed, else the channel.
            author=forwarded_name or signature or channel,
            published_at=self._published(date),
            fetched_at=self.raw.fetched_at,
            engagement=Engagement(views=self._views()),
            parent_id=self._reply_to() or forwarded_post,
            media_urls=tuple(dict.fromkeys(photos + [url for url in videos if url])),
            channel=channel,
        )

    def _text_of(self, css_class: str) -> str | None:
        node = self._find(css_class)
        return (render(node) or None) if node is not None else None

    def _published(self, date: Node | None) -> datetime:
        # The time in the date link; failing that any dated <time> (a video's duration is a <time> without one).
        times = chain(date.descendants() if date is not None else (), self._inside())
        dated = (node.attrs["datetime"] for node in times if node.tag == "time" and node.attrs.get("datetime"))
        stamp = next(dated, None)
        if stamp is None:
            self._warn("no publication time; using the fetch time")
            return self.raw.fetched_at
        try:
            return parse_timestamp(stamp)
        except ValueError as exc:
            self._warn(f"invalid publication time: {exc}; using the fetch time")
            return self.raw.fetched_at

    def _views(self) -> int | None:
        node = self._find("tgme_widget_message_views")
        if node is None:
            return None
        try:
            return parse_count(render(node))
        except ValueError as exc:
            self._warn(f"unreadable view count: {exc}")
            return None

    def _media(self) -> tuple[list[str], list[str]]:
        """Photo URLs, and one entry per video: its file, else its thumbnail, else '' (a video we cannot link)."""
        photos: list[str] = []
        videos: list[str] = []
        not_media = frozenset({"tgme_widget_message_link_preview", "tgme_widget_message_reply"})
        for node in self._inside(lambda node: bool(not_media & node.classes)):
            if "tgme_widget_message_photo_wrap" in node.classes and (url := _css_url(node.attrs.get("style", ""))):
                photos.append(url)
            elif _VIDEO_PLAYERS & node.classes:
                inner = list(node.descendants())
                source = next((n.attrs["src"] for n in inner if n.tag == "video" and n.attrs.get("src")), None)
                thumb = next((_css_url(n.attrs.get("style", "")) for n in inner if _VIDEO_THUMBS & n.classes), None)
                videos.append(_absolute(source) if source else thumb or "")
        return photos, videos

    def _forwarded(self) -> tuple[str | None, str | None]:
        """The forwarded original's author, and its document id when the link names a public post."""
        node = self._find("tgme_widget_message_forwarded_from_name")
        if node is None:
            return None, None
        name = render(node) or None
        link = _POST_PATH.fullmatch(urlsplit(node.attrs.get("href", "")).path)
        post = doc_id_for_post(Platform.TELEGRAM, f"{link.group(1).lower()}/{link.group(2)}") if link else None
        return name, post

    def _reply_to(self) -> str | None:
        node = self._find("tgme_widget_message_reply")
        link = _POST_PATH.fullmatch(urlsplit(node.attrs.get("href", "")).path) if node is not None else None
        return doc_id_for_post(Platform.TELEGRAM, f"{link.group(1).lower()}/{link.group(2)}") if link else None


def _placeholder(photos: list[str], videos: list[str]) -> str:
    return " ".join(marker for marker, present in ((PHOTO_PLACEHOLDER, photos), (VIDEO_PLACEHOLDER, videos)) if present)


class TelegramChannelSource:
    """Reads a channel's newest preview pages each collection, paging back no further than it needs."""

    def __init__(self, spec: TelegramChannelSourceSpec) -> None:
        self._spec = spec
        self._fetcher = Fetcher(spec.id, spec.allow_private_network, spec.respect_robots_txt)
        # The newest message number a complete collection has read: paging back stops once it is reached.
        self._newest_read: int | None = None

    @property
    def spec(self) -> TelegramChannelSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._fetcher.validators.clear()
        self._newest_read = None

    def page_url(self, before: int | None = None) -> str:
        """The preview page with the newest messages, or with those older than message ``before``."""
        url = f"{self._spec.base_url}/s/{self._spec.channel}"
        return url if before is None else f"{url}?before={before}"

    def parse(self, raw: RawItem) -> Collected:
        page = parse_channel_page(raw, self._spec.id)
        return Collected(
            documents=page.documents, raw_items=[raw], problems=page.problems, fetch_failed=page.unreadable
        )

    async def collect(self, context: CollectContext) -> Collected:
        collected = Collected()
        seen: set[str] = set()
        newest: int | None = None
        complete = False  # paged back as far as this collection should: the cursor may move
        before: int | None = None
        for number in range(1, self._spec.max_pages + 1):
            url = self.page_url(before)
            try:
                raw = await self._fetcher.fetch_url(url, context)
            except FetchError as exc:
                # A failed older page keeps the newer ones; only a failed first page fails the collection.
                collected.problems.append(Problem(self._spec.id, url, exc.message))
                collected.fetch_failed = number == 1
                break
            if raw is None:  # 304: unchanged since we read it, and so is everything older
                collected.not_modified = number == 1
                complete = True
                break
            page = parse_channel_page(raw, self._spec.id)
            collected.raw_items.append(raw)
            collected.problems.extend(page.problems)
            if page.unreadable:
                collected.fetch_failed = number == 1
                if number == 1:
                    self._fetcher.validators.clear()  # read it again next time, whatever its validators say
                break
            for document in page.documents:
                if document.doc_id not in seen:  # pages are cut by message number; this only guards odd servers
                    seen.add(document.doc_id)
                    collected.documents.append(document)
            if page.message_ids:
                newest = max(newest or 0, *page.message_ids)
            if page.older is None or self._reached_read(page):
                complete = True
                break
            if before is not None and page.older >= before:
                message = f"the older-messages link does not point back (before={page.older}): stopped paging"
                collected.problems.append(Problem(self._spec.id, url, message))
                break
            before = page.older
        else:
            complete = True  # max_pages read: anything older is outside the window by configuration
        if complete and newest is not None:
            self._newest_read = max(newest, self._newest_read or 0)
        self._forget_older_pages()
        return collected

    def _reached_read(self, page: TelegramPage) -> bool:
        return self._newest_read is not None and bool(page.message_ids) and min(page.message_ids) <= self._newest_read

    def _forget_older_pages(self) -> None:
        # ``before=`` URLs change as the channel grows; remembering their validators would only grow the dict.
        first = self.page_url()
        for url in [url for url in self._fetcher.validators if url != first]:
            del self._fetcher.validators[url]
