"""The embedded document store: SQLite with an FTS5 index over accent-folded text.

The full document (with its analysis) is kept as JSON; the columns beside it exist only to filter,
sort and count. The FTS table indexes :func:`monitor.text.folded_words` of title and text, and queries
are folded the same way, so ``dong nai`` finds ``Đồng Nai`` and ``hoà`` finds ``hòa``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from monitor import query as q
from monitor.analysis import AnalyzedDocument
from monitor.db import Database, Transaction
from monitor.errors import NotFoundError, StoreError
from monitor.query import fold_author
from monitor.store.base import (
    MIN_SIGNIFICANT_COUNT,
    CountField,
    DocumentFilter,
    SearchPage,
    SearchRequest,
    SortOrder,
    TimeBucket,
    UpsertResult,
    WordScore,
    fingerprint,
    jlh_score,
)
from monitor.store.evaluation_marks import EvaluationMarks, mark_in
from monitor.text import exact_words, folded_words

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS documents (
        rowid INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL UNIQUE,
        source_id TEXT NOT NULL,
        platform TEXT NOT NULL,
        url TEXT NOT NULL,
        author TEXT,
        author_folded TEXT,
        published_ts INTEGER NOT NULL,
        fetched_ts INTEGER NOT NULL,
        stored_ts INTEGER NOT NULL,
        sentiment TEXT NOT NULL,
        toxicity TEXT NOT NULL,
        misinformation REAL NOT NULL,
        story_id TEXT,
        fingerprint TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS documents_published ON documents (published_ts)",
    "CREATE INDEX IF NOT EXISTS documents_source ON documents (source_id, published_ts)",
    "CREATE INDEX IF NOT EXISTS documents_sentiment ON documents (sentiment, published_ts)",
    "CREATE INDEX IF NOT EXISTS documents_author ON documents (author_folded)",
    "CREATE INDEX IF NOT EXISTS documents_story ON documents (story_id, published_ts)",
    # Covers the usual filters scanned by time, so counting and paging never read the large rows.
    """CREATE INDEX IF NOT EXISTS documents_filters
       ON documents (published_ts, sentiment, platform, source_id, misinformation)""",
    """CREATE TABLE IF NOT EXISTS document_topics (
        doc_rowid INTEGER NOT NULL REFERENCES documents (rowid) ON DELETE CASCADE,
        topic TEXT NOT NULL,
        PRIMARY KEY (doc_rowid, topic)
    )""",
    "CREATE INDEX IF NOT EXISTS document_topics_topic ON document_topics (topic)",
    # Tokens made in Python (monitor.text), joined by spaces: folded copies for the default
    # accent-insensitive search, exact copies for "=word". The tokenizer only splits on the spaces.
    """CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
        title_folded, text_folded, title_exact, text_exact, tokenize = 'unicode61 remove_diacritics 0'
    )""",
    # How many documents contain each folded word: the whole-store background of significant_words,
    # kept up to date by upsert and delete (FTS5's own vocabulary table recounts posting lists per call).
    "CREATE TABLE IF NOT EXISTS word_documents (word TEXT PRIMARY KEY, documents INTEGER NOT NULL) WITHOUT ROWID",
)

_FIELD_COLUMNS = {
    CountField.SOURCE: "d.source_id",
    CountField.PLATFORM: "d.platform",
    CountField.SENTIMENT: "d.sentiment",
    CountField.TOXICITY: "d.toxicity",
    CountField.STORY: "d.story_id",
}


_FOLDED_COLUMNS = "{title_folded text_folded}"
_EXACT_COLUMNS = "{title_exact text_exact}"
_FIELD_SQL = {
    "source": "d.source_id = ?",
    "platform": "d.platform = ?",
    "sentiment": "d.sentiment = ?",
    "author": "d.author_folded = ?",
    "topic": "d.rowid IN (SELECT doc_rowid FROM document_topics WHERE topic = ?)",
    "story": "d.story_id = ?",
}


def _fts_match(tokens: tuple[str, ...], exact: bool) -> str:
    # Tokens are letters and digits only (see monitor.text), so quoting cannot be broken out of.
    return f'{_EXACT_COLUMNS if exact else _FOLDED_COLUMNS} : "{" ".join(tokens)}"'


def _fts_expression(node: q.Node) -> str | None:
    """The FTS5 expression for a subtree made only of words and phrases, or None if it has other parts.

    Letting FTS5 combine the words (by merging its posting lists) is far cheaper than one SQL subquery
    per word when the words are common.
    """
    if isinstance(node, q.Term):
        return _fts_match((node.token,), node.exact)
    if isinstance(node, q.Phrase):
        return _fts_match(node.tokens, node.exact)
    if isinstance(node, q.Or):
        parts = [_fts_expression(child) for child in node.children]
        return None if None in parts else "(" + " OR ".join(p for p in parts if p) + ")"
    if isinstance(node, q.And):
        positives = [_fts_expression(c) for c in node.children if not isinstance(c, q.Not)]
        negatives = [_fts_expression(c.child) for c in node.children if isinstance(c, q.Not)]
        if not positives or None in positives or None in negatives:
            return None  # FTS5 has no stand-alone NOT
        expression = "(" + " AND ".join(p for p in positives if p) + ")"
        if negatives:
            # One NOT of an OR, not one nested NOT per negative: FTS5's parser stack is about 100 deep.
            expression = f"({expression} NOT (" + " OR ".join(n for n in negatives if n) + "))"
        return expression
    return None


def compile_query(node: q.Node, params: list[Any]) -> str:
    """Compile a parsed query to a SQL condition on ``documents d``, appending its parameters."""
    expression = _fts_expression(node)
    if expression is not None:
        params.append(expression)
        return "d.rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)"
    if isinstance(node, q.FieldTerm):
        params.append(node.value)
        return _FIELD_SQL[node.field]
    if isinstance(node, q.TimeRange):
        clauses = []
        if node.since is not None:
            clauses.append("d.published_ts >= ?")
            params.append(_epoch(node.since))
        if node.until is not None:
            clauses.append("d.published_ts < ?")
            params.append(_epoch(node.until))
        return "(" + " AND ".join(clauses) + ")"
    if isinstance(node, q.And | q.Or):
        joiner = " AND " if isinstance(node, q.And) else " OR "
        return "(" + joiner.join(compile_query(child, params) for child in node.children) + ")"
    if isinstance(node, q.Not):
        return f"NOT {compile_query(node.child, params)}"
    raise StoreError(f"cannot compile query node {node!r}", retryable=False)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


SIGNIFICANT_SAMPLE = 20_000  # foreground documents read at most
SIGNIFICANT_CANDIDATES = 300  # most frequent foreground words scored against the background


def _with_word(document_filter: DocumentFilter, word: str) -> DocumentFilter:
    """``document_filter`` narrowed to documents containing the folded ``word``."""
    return document_filter.narrowed(word)


def _indexed_words(conn: sqlite3.Connection, rowid: int) -> set[str]:
    row = conn.execute("SELECT title_folded, text_folded FROM documents_fts WHERE rowid = ?", (rowid,)).fetchone()
    return set(f"{row['title_folded']} {row['text_folded']}".split()) if row else set()


def _apply_word_changes(conn: sqlite3.Connection, changes: Counter[str]) -> None:
    conn.executemany(
        """INSERT INTO word_documents (word, documents) VALUES (?, ?)
           ON CONFLICT (word) DO UPDATE SET documents = documents + excluded.documents""",
        [(word, change) for word, change in changes.items() if change],
    )
    conn.executemany(
        "DELETE FROM word_documents WHERE word = ? AND documents <= 0",
        [(word,) for word, change in changes.items() if change < 0],
    )


class _Where:
    """Accumulates SQL conditions and their parameters for one filter."""

    def __init__(self, document_filter: DocumentFilter) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []
        f = document_filter
        node = f.parsed_text()
        if node is not None:
            params: list[Any] = []
            self._add(compile_query(node, params), *params)
        if f.since is not None:
            self._add("d.published_ts >= ?", _epoch(f.since))
        if f.until is not None:
            self._add("d.published_ts < ?", _epoch(f.until))
        self._add_in("d.source_id", f.sources)
        self._add_in("d.platform", [p.value for p in f.platforms])
        self._add_in("d.sentiment", [s.value for s in f.sentiments])
        self._add_in("d.doc_id", f.doc_ids)
        self._add_in("d.story_id", f.story_ids)
        if f.topics:
            marks = ",".join("?" * len(f.topics))
            self._add(f"d.rowid IN (SELECT doc_rowid FROM document_topics WHERE topic IN ({marks}))", *f.topics)
        if f.min_misinformation is not None:
            self._add("d.misinformation >= ?", f.min_misinformation)

    def _add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def _add_in(self, column: str, values: Sequence[str]) -> None:
        if values:
            self._add(f"{column} IN ({','.join('?' * len(values))})", *values)

    @property
    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


class SqliteDocumentStore:
    """:class:`monitor.store.base.DocumentStore` on an embedded SQLite file."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)
        self.marks = EvaluationMarks(db)

    def upsert(self, documents: Sequence[AnalyzedDocument]) -> UpsertResult:
        inserted: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        now = _epoch(datetime.now(UTC))
        word_changes: Counter[str] = Counter()
        try:
            with Transaction(self.db) as conn:
                for item in documents:
                    outcome = self._upsert_one(conn, item, now, word_changes)
                    {"inserted": inserted, "updated": updated, "unchanged": unchanged}[outcome].append(item.doc_id)
                _apply_word_changes(conn, word_changes)
                # In the documents' own transaction: stored and "to evaluate" are one fact.
                mark_in(conn, [*inserted, *updated])
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store {len(documents)} documents in {self.db.path}: {exc}") from exc
        return UpsertResult(inserted=inserted, updated=updated, unchanged=unchanged)

    @staticmethod
    def _upsert_one(conn: sqlite3.Connection, item: AnalyzedDocument, now: int, word_changes: Counter[str]) -> str:
        doc, analysis = item.document, item.analysis
        dumped = item.model_dump(mode="json")
        fingerprint_ = fingerprint(item, dumped)
        existing = conn.execute("SELECT rowid, fingerprint FROM documents WHERE doc_id = ?", (doc.doc_id,)).fetchone()
        if existing is not None and existing["fingerprint"] == fingerprint_:
            return "unchanged"
        values = (
            doc.source_id,
            doc.platform.value,
            doc.url,
            doc.author,
            fold_author(doc.author) if doc.author else None,
            _epoch(doc.published_at),
            _epoch(doc.fetched_at),
            now,
            analysis.sentiment.label.value,
            analysis.toxicity.label.value,
            analysis.misinformation.score,
            analysis.story_id,
            fingerprint_,
            orjson.dumps(dumped).decode("utf-8"),
        )
        if existing is None:
            cursor = conn.execute(
                """INSERT INTO documents (source_id, platform, url, author, author_folded, published_ts, fetched_ts,
                   stored_ts, sentiment, toxicity, misinformation, story_id, fingerprint, body, doc_id)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (*values, doc.doc_id),
            )
            rowid = cursor.lastrowid
            outcome = "inserted"
        else:
            rowid = existing["rowid"]
            conn.execute(
                """UPDATE documents SET source_id=?, platform=?, url=?, author=?, author_folded=?, published_ts=?,
                   fetched_ts=?, stored_ts=?, sentiment=?, toxicity=?, misinformation=?, story_id=?,
                   fingerprint=?, body=? WHERE doc_id=?""",
                (*values, doc.doc_id),
            )
            word_changes.subtract(_indexed_words(conn, rowid))
            conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM document_topics WHERE doc_rowid = ?", (rowid,))
            outcome = "updated"
        title, text = folded_words(doc.title), folded_words(doc.text)
        conn.execute(
            """INSERT INTO documents_fts (rowid, title_folded, text_folded, title_exact, text_exact)
               VALUES (?, ?, ?, ?, ?)""",
            (rowid, title, text, exact_words(doc.title), exact_words(doc.text)),
        )
        word_changes.update(set(f"{title} {text}".split()))
        conn.executemany(
            "INSERT OR IGNORE INTO document_topics (doc_rowid, topic) VALUES (?, ?)",
            [(rowid, topic) for topic in analysis.topics.labels],
        )
        return outcome

    def get(self, doc_id: str) -> AnalyzedDocument:
        row = self._execute("SELECT body FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no document with doc_id '{doc_id}'")
        return AnalyzedDocument.model_validate_json(row["body"])

    def get_many(self, doc_ids: Sequence[str]) -> list[AnalyzedDocument]:
        if not doc_ids:
            return []
        found: dict[str, AnalyzedDocument] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = list(doc_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._execute(f"SELECT doc_id, body FROM documents WHERE doc_id IN ({marks})", chunk):
                found[row["doc_id"]] = AnalyzedDocument.model_validate_json(row["body"])
        return [found[doc_id] for doc_id in doc_ids if doc_id in found]

    def search(self, request: SearchRequest) -> SearchPage:
        where = _Where(request.filter)
        direction = "DESC" if request.sort is SortOrder.NEWEST else "ASC"
        # One pass over the (index-covered) filter gives the page's rowids and, through the window
        # function, the total; only the page's own rows are then read in full.
        rows = self._execute(
            f"SELECT d.rowid AS id, count(*) OVER () AS total FROM documents d{where.sql} "
            f"ORDER BY d.published_ts {direction}, d.rowid {direction} LIMIT ? OFFSET ?",
            [*where.params, request.limit, request.offset],
        ).fetchall()
        if rows:
            total = int(rows[0]["total"])
        else:  # a page past the end still reports how many there are
            total = int(self._execute(f"SELECT count(*) FROM documents d{where.sql}", where.params).fetchone()[0])
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        bodies = (
            {
                row["rowid"]: row["body"]
                for row in self._execute(f"SELECT rowid, body FROM documents WHERE rowid IN ({marks})", ids)
            }
            if ids
            else {}
        )
        items = [AnalyzedDocument.model_validate_json(bodies[i]) for i in ids]
        return SearchPage(total=total, items=items)

    def count(self, document_filter: DocumentFilter) -> int:
        where = _Where(document_filter)
        return int(self._execute(f"SELECT count(*) FROM documents d{where.sql}", where.params).fetchone()[0])

    def count_by_time(
        self, document_filter: DocumentFilter, interval_seconds: int, tz_offset_seconds: int = 0
    ) -> list[TimeBucket]:
        if interval_seconds <= 0:
            raise StoreError("interval_seconds must be positive", retryable=False)
        where = _Where(document_filter)
        rows = self._execute(
            f"SELECT ((d.published_ts + ?) / ?) * ? - ? AS bucket, count(*) AS n FROM documents d{where.sql} "
            "GROUP BY bucket ORDER BY bucket",
            [tz_offset_seconds, interval_seconds, interval_seconds, tz_offset_seconds, *where.params],
        )
        return [TimeBucket(start=datetime.fromtimestamp(row["bucket"], UTC), count=row["n"]) for row in rows]

    def count_by_field(self, document_filter: DocumentFilter, field: CountField) -> dict[str, int]:
        where = _Where(document_filter)
        if field is CountField.TOPIC:
            sql = (
                f"SELECT t.topic AS value, count(*) AS n FROM documents d "
                f"JOIN document_topics t ON t.doc_rowid = d.rowid{where.sql} GROUP BY t.topic"
            )
        else:
            column = _FIELD_COLUMNS[field]
            sql = f"SELECT {column} AS value, count(*) AS n FROM documents d{where.sql} GROUP BY {column}"
        rows = self._execute(sql + " ORDER BY n DESC, value", where.params)
        return {row["value"]: row["n"] for row in rows}

    def significant_words(
        self, foreground: DocumentFilter, background: DocumentFilter | None = None, size: int = 10
    ) -> list[WordScore]:
        where = _Where(foreground)
        sample = self._execute(
            f"SELECT f.title_folded || ' ' || f.text_folded AS words FROM documents d "
            f"JOIN documents_fts f ON f.rowid = d.rowid{where.sql} LIMIT ?",
            [*where.params, SIGNIFICANT_SAMPLE],
        ).fetchall()
        frequency: Counter[str] = Counter()
        for row in sample:
            frequency.update(set(row["words"].split()))
        candidates = [(w, n) for w, n in frequency.most_common(SIGNIFICANT_CANDIDATES) if n >= MIN_SIGNIFICANT_COUNT]
        background_filter = background or DocumentFilter()
        background_total = self.count(background_filter)
        if background is None:
            # Whole-store background: the maintained per-word document counts, one indexed lookup.
            marks = ",".join("?" * len(candidates))
            rows = (
                self._execute(
                    f"SELECT word, documents FROM word_documents WHERE word IN ({marks})",
                    [word for word, _ in candidates],
                ).fetchall()
                if candidates
                else []
            )
            in_background = {row["word"]: row["documents"] for row in rows}
        else:
            in_background = {word: self.count(_with_word(background_filter, word)) for word, _ in candidates}
        scored = []
        for word, count in candidates:
            score = jlh_score(count, len(sample), in_background.get(word, 0), background_total)
            if score > 0:
                scored.append(
                    WordScore(
                        word=word, foreground_count=count, background_count=in_background[word], score=round(score, 6)
                    )
                )
        return sorted(scored, key=lambda w: (-w.score, w.word))[:size]

    def delete(self, doc_ids: Sequence[str]) -> int:
        deleted = 0
        word_changes: Counter[str] = Counter()
        with Transaction(self.db) as conn:
            for doc_id in doc_ids:
                row = conn.execute("SELECT rowid FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                if row is None:
                    continue
                word_changes.subtract(_indexed_words(conn, row["rowid"]))
                conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (row["rowid"],))
                conn.execute("DELETE FROM documents WHERE rowid = ?", (row["rowid"],))
                deleted += 1
            _apply_word_changes(conn, word_changes)
        return deleted

    def flush_pending(self) -> list[AnalyzedDocument]:
        """SQLite writes synchronously: nothing is ever pending."""
        return []

    def unevaluated(self, limit: int) -> list[str]:
        return self.marks.unevaluated(limit)

    def mark_evaluated(self, doc_ids: Sequence[str]) -> None:
        self.marks.clear(doc_ids)

    def close(self) -> None:
        """Nothing to release: the :class:`Database` belongs to whoever opened it."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.connection().execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"query failed on {self.db.path}: {exc}") from exc
