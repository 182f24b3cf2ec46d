"""Hostile and careless queries: every fault is a QueryError with a position, and every query the parser
accepts is safe to compile and run on both stores (no RecursionError, no SQLite or FTS5 parser stack
overflow, no Elasticsearch nesting beyond its limit)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.analysis import SentimentLabel
from monitor.analytics.campaigns import load_campaigns
from monitor.cli import main
from monitor.config.catalog import load_spec_file
from monitor.durations import MAX_DURATION_SECONDS
from monitor.errors import ConfigError, QueryError
from monitor.query import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, Not, Phrase, Term, parse
from monitor.rules.catalog import rule_spec_class
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest
from monitor.store.es_query import compile_filter
from tests.factories import analyzed, at
from tests.stores import fresh_store

ES_MAX_NESTED_DEPTH = 20
"""``indices.query.bool.max_nested_depth``: 20 by default in Elasticsearch 7, 30 in 8 and later."""


def _fault(query: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse(query)
    return caught.value


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("(" * 300 + "ngập" + ")" * 300, MAX_DEPTH, "more than 6 levels of nested parentheses"),
        ("NOT " * 1000 + "ngập", MAX_QUERY_LENGTH, "longer than 2000 characters"),
        ("since:0001-01-01T00:00+14:00", 0, "outside the dates a query can use"),
        ("ngập until:9999-12-31T23:59-14:00", 5, "outside the dates a query can use"),
        ("ngập sentiment:angry", 5, "field 'sentiment' has no value 'angry' (accepted: negative, neutral, positive)"),
        ("platform:tiktok", 0, "field 'platform' has no value 'tiktok' (accepted: facebook, forum, import, news"),
        ("lũ foo:bar", 3, "unknown field 'foo' (fields: author, platform, sentiment, since, source, story"),
        (" OR ".join(["lũ"] * (MAX_TERMS + 1)), 6 * MAX_TERMS, "more than 200 words, phrases and filters"),
    ],
)
def test_hostile_queries_are_query_errors_with_a_position(query: str, position: int, reason: str) -> None:
    fault = _fault(query)
    assert fault.position == position
    assert reason in fault.reason
    assert len(str(fault)) < 400  # the message quotes a window around the fault, never the whole query


def test_negation_chains_collapse_without_recursion() -> None:
    assert parse("-" * 1000 + "ngập") == Term("ngap", 1000)
    assert parse("-" * 999 + "ngập") == Not(Term("ngap", 999), 0)
    assert parse("NOT " * 99 + "ngập") == Not(Term("ngap", 396), 0)
    assert parse("NOT (NOT ngập)") == Term("ngap", 9)


def test_queries_at_the_limits_are_accepted() -> None:
    assert parse("(" * MAX_DEPTH + "ngập" + ")" * MAX_DEPTH) == Term("ngap", MAX_DEPTH)
    assert parse(" OR ".join(["lũ"] * MAX_TERMS)) is not None
    assert parse("a" * MAX_QUERY_LENGTH) == Term("a" * MAX_QUERY_LENGTH, 0)
    assert parse("Sentiment:NEGATIVE platform:Facebook") is not None
    assert parse("since:0001-01-01T00:00Z until:9999-12-31T23:59Z") is not None


def test_colon_words_that_are_not_filters_stay_words() -> None:
    assert parse("10:30") == Phrase(("10", "30"), 0)
    assert parse("https://baodongnai.com.vn") == Phrase(("https", "baodongnai", "com", "vn"), 0)
    assert parse("lưu ý: ngập") is not None
    assert parse('"foo:bar"') == Phrase(("foo", "bar"), 0)


def test_a_rule_file_with_a_hostile_query_names_the_file_line_and_position(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    deep = "(" * 300 + "ngập" + ")" * 300
    path.write_text(f"rules:\n  - {{type: watch, id: w, query: '{deep}'}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid query: more than 6 levels of nested parentheses at position 6"):
        list(load_spec_file(path, "rules", rule_spec_class))
    path.write_text("rules:\n  - {type: watch, id: w, query: 'sentiment:angry'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="field 'sentiment' has no value 'angry'") as caught:
        list(load_spec_file(path, "rules", rule_spec_class))
    assert caught.value.path == str(path)
    assert caught.value.line == 2


# Each template nests the next level inside one pair of parentheses, mixing the operators so that every
# level adds as many levels as it can to the compiled SQL, FTS5 expression and Elasticsearch query.
LEVELS = (
    "lũ{i} OR ngập{i} -({inner})",
    "source:s{i} OR -({inner})",
    'NOT "sạt lở {i}" OR =hồ{i} ({inner})',
    "since:2026-01-0{i} OR sentiment:negative ({inner})",
)
INNERMOST = '"cụm từ" OR =hồ -lụt OR topic:tourism OR author:"Trần Thị B" OR until:2026-12-01 OR -platform:news'


def _nested(templates: tuple[str, ...]) -> str:
    query = INNERMOST
    for i, template in enumerate(reversed(templates), start=1):
        query = template.format(i=i, inner=query)
    return query


def _deepest() -> Iterator[str]:
    for templates in itertools.product(LEVELS, repeat=MAX_DEPTH):
        yield _nested(templates)


def es_depth(query: dict[str, Any]) -> int:
    """Nesting of query objects, counted the way Elasticsearch limits it (a leaf counts one)."""
    (kind, body), *_ = query.items()
    if kind != "bool":
        return 1
    children = [child for clauses in body.values() if isinstance(clauses, list) for child in clauses]
    return 1 + max((es_depth(child) for child in children), default=0)


def test_the_deepest_accepted_queries_stay_within_elasticsearch_nesting() -> None:
    deepest = 0
    for query in _deepest():
        # A narrowing query (a rule's, a campaign's) on top adds at most one level.
        document_filter = DocumentFilter(text=query).narrowed(query)
        deepest = max(deepest, es_depth(compile_filter(document_filter)))
    assert deepest <= ES_MAX_NESTED_DEPTH


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    url = request.getfixturevalue("elasticsearch_url") if request.param == "elasticsearch" else None
    with fresh_store(request.param, tmp_path, url) as opened:
        opened.upsert(
            [
                analyzed("Mưa lớn, Biên Hòa ngập sâu", post_id="1", published=at("2026-10-20 19:00")),
                analyzed("Biên Hòa ngập, quảng cáo", post_id="2", published=at("2026-10-20 20:00")),
                analyzed(
                    "Hồ Trị An đẹp", post_id="3", published=at("2026-10-22 09:00"), sentiment=SentimentLabel.POSITIVE
                ),
            ]
        )
        yield opened


def _texts(store: DocumentStore, query: str) -> list[str]:
    page = store.search(SearchRequest(filter=DocumentFilter(text=query), limit=50))
    return sorted(item.document.text for item in page.items)


def test_every_accepted_shape_runs_on_the_store(store: DocumentStore) -> None:
    shapes = [_nested((template,) * MAX_DEPTH) for template in LEVELS]
    shapes += [_nested(templates) for templates in itertools.islice(_deepest(), 0, None, 331)]
    shapes += [
        "biên " + " ".join(f"-lũ{i}" for i in range(MAX_TERMS - 1)),  # one FTS5 NOT of many words
        "source:test-source " + " ".join(f"-lũ{i}" for i in range(MAX_TERMS - 1)),
        " OR ".join(f"source:{i}" for i in range(150)),  # as many as fit in the length limit
        "-" * (MAX_QUERY_LENGTH - 4) + "ngập",
        "NOT " * 100 + "ngập",
        "since:0001-01-01T00:00Z until:9999-12-31T23:59Z",  # the widest dates a query can hold
    ]
    for query in shapes:
        assert len(query) <= MAX_QUERY_LENGTH
        document_filter = DocumentFilter(text=query).narrowed(query)
        store.search(SearchRequest(filter=document_filter))
        store.count(document_filter)
    widest = DocumentFilter(text="since:0001-01-01T00:00Z until:9999-12-31T23:59Z")
    assert sum(b.count for b in store.count_by_time(widest, MAX_DURATION_SECONDS)) == 3
    assert _texts(store, "biên -quảng -lũ -sạt") == ["Mưa lớn, Biên Hòa ngập sâu"]
    assert _texts(store, "NOT " * 100 + "ngập") == ["Biên Hòa ngập, quảng cáo", "Mưa lớn, Biên Hòa ngập sâu"]
    assert _texts(store, "NOT " * 99 + "ngập") == ["Hồ Trị An đẹp"]


def test_the_cli_prints_query_and_duration_faults(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ("--config-dir", str(config_dir))
    assert main([*cfg, "search", "(" * 300 + "ngập" + ")" * 300]) != 0
    assert "more than 6 levels of nested parentheses at position 6" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse refuses the value with its message
        main([*cfg, "search", "ngập", "--since", "100000000d"])
    assert "at most 36500d (100 years), got '100000000d'" in capsys.readouterr().err
    (config_dir / "rules" / "deep.yaml").write_text(
        "rules:\n  - {type: watch, id: sau, query: '" + "(" * 300 + "ngập" + ")" * 300 + "'}\n", encoding="utf-8"
    )
    assert main([*cfg, "config", "check"]) != 0
    err = capsys.readouterr().err
    assert "deep.yaml:2" in err
    assert "more than 6 levels of nested parentheses at position 6" in err


@pytest.mark.parametrize(
    ("keywords", "reason"),
    [
        ([f"từ khóa {i}" for i in range(300)], "the query is longer than 2000 characters"),
        (["ngập", "😭"], "'😭' has no letters or digits"),
    ],
)
def test_campaign_keywords_beyond_the_query_limits_are_a_config_error(
    tmp_path: Path, keywords: list[str], reason: str
) -> None:
    listed = ", ".join(f"'{keyword}'" for keyword in keywords)
    (tmp_path / "campaigns.yaml").write_text(
        f"campaigns:\n  - {{id: le-hoi, name: Lễ hội, start: 2026-10-01, end: 2026-10-31, keywords: [{listed}]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=f"campaigns.yaml:2.*hashtags and keywords do not make a valid search: {reason}"
    ):
        load_campaigns(tmp_path)
