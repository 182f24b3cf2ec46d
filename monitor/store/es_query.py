"""Compiling filters and parsed queries to Elasticsearch query DSL.

Text lives in the index as space-separated tokens made by :mod:`monitor.text` (a ``whitespace``-analysed
field), so a folded token matches with a ``term`` query and a phrase with ``match_phrase``: the server
does no language analysis of its own, and results equal SQLite's.
"""

from __future__ import annotations

from typing import Any

from monitor import query as q
from monitor.store.base import DocumentFilter

FOLDED_FIELDS = ("title_folded", "text_folded")
EXACT_FIELDS = ("title_exact", "text_exact")
KEYWORD_FIELDS = {
    "source": "source_id",
    "platform": "platform",
    "topic": "topics",
    "sentiment": "sentiment",
    "author": "author_folded",
    "story": "story_id",
}

Query = dict[str, Any]


def _any_of(queries: list[Query]) -> Query:
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _range(since: Any, until: Any) -> Query:
    bounds: dict[str, str] = {}
    if since is not None:
        bounds["gte"] = since.isoformat()
    if until is not None:
        bounds["lt"] = until.isoformat()
    return {"range": {"published_at": bounds}}


def compile_node(node: q.Node) -> Query:  # noqa: PLR0911 - one branch per node type
    """One query tree node as a filter-context query."""
    if isinstance(node, q.Term):
        fields = EXACT_FIELDS if node.exact else FOLDED_FIELDS
        return _any_of([{"term": {field: node.token}} for field in fields])
    if isinstance(node, q.Phrase):
        fields = EXACT_FIELDS if node.exact else FOLDED_FIELDS
        phrase = " ".join(node.tokens)
        return _any_of([{"match_phrase": {field: {"query": phrase, "analyzer": "whitespace"}}} for field in fields])
    if isinstance(node, q.FieldTerm):
        return {"term": {KEYWORD_FIELDS[node.field]: node.value}}
    if isinstance(node, q.TimeRange):
        return _range(node.since, node.until)
    if isinstance(node, q.And):
        # Negated children go straight into must_not: one bool level fewer than a bool per NOT, which
        # keeps the deepest query the parser accepts within Elasticsearch's nesting limit.
        positives = [compile_node(child) for child in node.children if not isinstance(child, q.Not)]
        negatives = [compile_node(child.child) for child in node.children if isinstance(child, q.Not)]
        clauses: dict[str, list[Query]] = {"filter": positives} if positives else {}
        if negatives:
            clauses["must_not"] = negatives
        return {"bool": clauses}
    if isinstance(node, q.Or):
        return _any_of([compile_node(child) for child in node.children])
    return {"bool": {"must_not": [compile_node(node.child)]}}


def compile_filter(document_filter: DocumentFilter) -> Query:
    """The whole filter as one ``bool`` query (``match_all`` when empty)."""
    f = document_filter
    clauses: list[Query] = []
    node = f.parsed_text()
    if node is not None:
        clauses.append(compile_node(node))
    if f.since is not None or f.until is not None:
        clauses.append(_range(f.since, f.until))
    for field, values in (
        ("source_id", list(f.sources)),
        ("platform", [p.value for p in f.platforms]),
        ("sentiment", [s.value for s in f.sentiments]),
        ("topics", list(f.topics)),
        ("doc_id", list(f.doc_ids)),
        ("story_id", list(f.story_ids)),
    ):
        if values:
            clauses.append({"terms": {field: values}})
    if f.min_misinformation is not None:
        clauses.append({"range": {"misinformation": {"gte": f.min_misinformation}}})
    if not clauses:
        return {"match_all": {}}
    return {"bool": {"filter": clauses}}
