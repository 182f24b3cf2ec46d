"""The search page's form (a GET, so a search is a link) and the export form that repeats it (a POST):
read into one :class:`SearchForm`, turned into the API's filter by :func:`monitor.access.documents.search_filter`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import TypeVar
from urllib.parse import urlencode

from api.console.web import PageError, day_start
from monitor.access.documents import search_filter
from monitor.access.keys import ApiKey
from monitor.analysis import SentimentLabel
from monitor.errors import InvalidInputError
from monitor.records import Platform
from monitor.store.base import DocumentFilter

MAX_PAGE = 500  # pages of PAGE_SIZE: the store's offset bound (100,000) / 20, rounded down
PAGE_SIZE = 20
Choice = TypeVar("Choice", Platform, SentimentLabel)


@dataclass(frozen=True)
class SearchForm:
    """What the officer typed and chose; every value a string as the form sent it."""

    q: str = ""
    exact: bool = False
    since: str = ""
    until: str = ""
    sources: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    page: int = 1

    @classmethod
    def read(cls, get: Callable[[str], str], getlist: Callable[[str], list[str]]) -> SearchForm:
        """The form from a query string or a posted form (``get`` one value, ``getlist`` repeated ones)."""
        try:
            page = max(1, min(MAX_PAGE, int(get("page") or "1")))
        except ValueError:
            page = 1
        return cls(
            q=get("q"),
            exact=get("exact") == "1",
            since=get("since"),
            until=get("until"),
            sources=tuple(getlist("source")),
            platforms=tuple(getlist("platform")),
            sentiments=tuple(getlist("sentiment")),
            topics=tuple(getlist("topic")),
            page=page,
        )

    @property
    def empty(self) -> bool:
        """Nothing typed or chosen: the page shows every document (newest first)."""
        return not self.pairs()

    def pairs(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The form as (name, value) pairs, for links (pages) and the export form's hidden fields."""
        pairs = [("q", self.q)] if self.q else []
        pairs += [("exact", "1")] if self.exact else []
        pairs += [(name, value) for name, value in (("since", self.since), ("until", self.until)) if value]
        for name, values in (
            ("source", self.sources),
            ("platform", self.platforms),
            ("sentiment", self.sentiments),
            ("topic", self.topics),
        ):
            pairs += [(name, value) for value in values]
        if page is not None and page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def link(self, page: int) -> str:
        """The search page's address for this form at ``page``."""
        query = urlencode(self.pairs(page=page))
        return "/console/search" + (f"?{query}" if query else "")

    def document_filter(self, key: ApiKey, timezone: str, zone: tzinfo) -> DocumentFilter:
        """The API's filter for this form, with the API's rules for the caller (:func:`search_filter`).

        Dates are local days; "đến ngày" includes its day (the filter's ``until`` is the next midnight).

        Raises:
            PageError: a date or a choice is not one the form offers.
            QueryError, ForbiddenError, InvalidInputError: as :func:`search_filter`.
        """
        since = day_start("since", self.since, zone, "Từ ngày")
        until_day = day_start("until", self.until, zone, "Đến ngày")
        if since is not None and until_day is not None and until_day < since:
            raise InvalidInputError("'until' is before 'since'", parameter="until")  # as search_filter says it
        until = until_day + timedelta(days=1) if until_day is not None else None
        return search_filter(
            key.role,
            timezone,
            q=self.q or None,
            exact_accents=self.exact,
            since=since,
            until=until,
            sources=self.sources,
            platforms=_choices(self.platforms, Platform, "Nền tảng"),
            sentiments=_choices(self.sentiments, SentimentLabel, "Sắc thái"),
            topics=self.topics,
        )


def _choices(values: tuple[str, ...], kind: type[Choice], label: str) -> list[Choice]:
    chosen = []
    for value in values:
        try:
            chosen.append(kind(value))
        except ValueError:
            known = ", ".join(member.value for member in kind)
            raise PageError(422, "Lựa chọn không hợp lệ", f"Ô “{label}”: “{value}” không có (chọn: {known}).") from None
    return chosen
