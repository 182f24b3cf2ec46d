"""Property-based: any text is either a parsed query or a QueryError, and every parsed query runs on SQLite
and compiles within Elasticsearch's nesting limit. Deterministic (derandomized, no example database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import QueryError
from monitor.query import parse
from monitor.store.base import DocumentFilter, DocumentStore
from monitor.store.es_query import compile_filter
from tests.factories import analyzed, at
from tests.monitor.test_query_limits import ES_MAX_NESTED_DEPTH, es_depth
from tests.stores import fresh_store

PIECES = [
    "(",
    ")",
    "((",
    "))",
    "NOT",
    "-",
    "--",
    "AND",
    "OR",
    "ngập",
    "Biên-Hòa",
    '"sân bay"',
    '"',
    "=hồ",
    "=",
    ":",
    "source:news",
    "sentiment:negative",
    "sentiment:angry",
    "platform:facebook",
    "foo:bar",
    "topic:",
    'author:"Trần Thị B"',
    "since:2026-10-20",
    "until:0001-01-01T00:00+14:00",
    "since:9999-12-31T23:59Z",
    "10:30",
    "😭",
]
QUERIES = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join),
    st.lists(st.sampled_from(PIECES), max_size=400).map("".join),
    st.text(max_size=300),
)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentStore]:
    with fresh_store("sqlite", tmp_path_factory.mktemp("fuzz")) as store:
        store.upsert([analyzed("Biên Hòa ngập, sân bay hồ", post_id="1", published=at("2026-10-20 19:00"))])
        yield store


def test_any_text_parses_or_is_a_query_error_and_runs(sqlite_store: DocumentStore) -> None:
    @settings(max_examples=400, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(QUERIES)
    def check(query: str) -> None:
        fault: QueryError | None = None
        try:
            parse(query)
        except QueryError as caught:
            fault = caught
        if fault is not None:
            assert 0 <= fault.position <= len(query)
            return
        document_filter = DocumentFilter(text=query, timezone="Asia/Ho_Chi_Minh")
        sqlite_store.count(document_filter)
        assert es_depth(compile_filter(document_filter)) <= ES_MAX_NESTED_DEPTH

    check()
