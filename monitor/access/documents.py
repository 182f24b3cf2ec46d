"""What a role may ask of the document search and see of its results: one rule for the API and the console.

* :func:`search_filter` builds the :class:`~monitor.store.base.DocumentFilter` of a search from what the
  caller typed, and refuses an ``author:`` filter to researchers (their view of authors is pseudonymous,
  so searching by a real name would unmask one).
* :func:`privacy_for` and :func:`visible` give researchers the privacy view of
  :mod:`monitor.access.privacy` (as notebooks and datasets do) and everyone else the documents as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from monitor.access.keys import ApiKey, Role
from monitor.access.privacy import PrivacyPolicy, Pseudonymizer
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.errors import ForbiddenError, InvalidInputError
from monitor.query import fields_used
from monitor.records import Platform
from monitor.store.base import DocumentFilter, DocumentStore

PRIVATE_FIELDS = frozenset({"author"})
"""Query fields a researcher may not use: they would find a person by the name the privacy view hides."""


def search_filter(
    role: Role,
    timezone: str,
    *,
    q: str | None = None,
    exact_accents: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    sources: Iterable[str] = (),
    platforms: Iterable[Platform] = (),
    sentiments: Iterable[SentimentLabel] = (),
    topics: Iterable[str] = (),
    min_misinformation: float | None = None,
) -> DocumentFilter:
    """The filter of a search by a caller of ``role``; dates without a zone in ``q`` are in ``timezone``.

    Raises:
        QueryError: ``q`` does not parse (with the position of the fault).
        InvalidInputError: ``until`` is before ``since``.
        ForbiddenError: a researcher filters by author.
    """
    if since is not None and until is not None and until < since:
        raise InvalidInputError("'until' is before 'since'", parameter="since, until")
    document_filter = DocumentFilter(
        text=q,
        exact_accents=exact_accents,
        timezone=timezone,
        since=since,
        until=until,
        sources=tuple(sources),
        platforms=tuple(platforms),
        sentiments=tuple(sentiments),
        topics=tuple(topics),
        min_misinformation=min_misinformation,
    )
    node = document_filter.parsed_text()
    if role is Role.RESEARCHER and node is not None and PRIVATE_FIELDS & set(fields_used(node)):
        raise ForbiddenError("role 'researcher' may not filter by author (privacy)")
    return document_filter


def privacy_for(role: Role, pseudonyms: Pseudonymizer, store: DocumentStore) -> PrivacyPolicy | None:
    """The privacy view a role reads documents through: researchers', or None (the documents as stored)."""
    return PrivacyPolicy.for_store(pseudonyms, store) if role is Role.RESEARCHER else None


def visible(items: Sequence[AnalyzedDocument], policy: PrivacyPolicy | None) -> list[AnalyzedDocument]:
    """``items`` as the caller may see them (each through ``policy`` when there is one)."""
    return [policy.analyzed(item) for item in items] if policy is not None else list(items)


def corrector(key: ApiKey) -> str:
    """Who a label correction names: the key's (or the signed-in person's) name and id."""
    return f"{key.name} ({key.key_id})"
