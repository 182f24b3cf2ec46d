"""Which stored documents still wait for their claim links and rules: a mark that survives a crash.

Storing a batch and evaluating it (claim links, per-document rules, the windows it touches) are separate
transactions, and with Elasticsearch separate systems. A process killed between the two left documents
that were stored but never evaluated; after a restart the crawl found them "unchanged" and skipped them,
so their alerts and claim links were lost for good. So every document a store reports inserted or updated
is marked here, in the same transaction as the document (SQLite) or before it is sent (Elasticsearch),
and the mark is removed only once the pipeline has evaluated the document. The pipeline evaluates what
is still marked before each batch and at the end of each cycle: a mark wins over "unchanged". Alerts and
claim links are keyed, so a document evaluated twice (killed after its alerts, before the mark was
removed) is counted once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from monitor.db import Database, Transaction
from monitor.errors import StoreError

SCHEMA = (
    # seq keeps the order the documents were stored in, so they are evaluated in the same order (the
    # grouping of a batch's alerts depends on it).
    """CREATE TABLE IF NOT EXISTS unevaluated_documents (
        seq INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL UNIQUE
    )""",
)


def mark_in(conn: sqlite3.Connection, doc_ids: Iterable[str]) -> list[str]:
    """Mark ``doc_ids`` inside the caller's transaction; return those that were not marked already."""
    added: list[str] = []
    for doc_id in doc_ids:
        if conn.execute("INSERT OR IGNORE INTO unevaluated_documents (doc_id) VALUES (?)", (doc_id,)).rowcount:
            added.append(doc_id)
    return added


class EvaluationMarks:
    """The marks, in the embedded database (whatever the document backend)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def mark(self, doc_ids: Sequence[str]) -> list[str]:
        """Mark ``doc_ids`` in a transaction of their own; return those that were not marked already."""
        try:
            with Transaction(self.db) as conn:
                return mark_in(conn, doc_ids)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot mark {len(doc_ids)} documents for evaluation in {self.db.path}: {exc}") from exc

    def unevaluated(self, limit: int) -> list[str]:
        """Up to ``limit`` marked doc_ids, in the order they were stored."""
        try:
            rows = self.db.connection().execute(
                "SELECT doc_id FROM unevaluated_documents ORDER BY seq LIMIT ?", (limit,)
            )
            return [row["doc_id"] for row in rows]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the documents awaiting evaluation in {self.db.path}: {exc}") from exc

    def clear(self, doc_ids: Sequence[str]) -> None:
        """Remove the marks of ``doc_ids`` (evaluated, or refused by the store)."""
        if not doc_ids:
            return
        try:
            with Transaction(self.db) as conn:
                conn.executemany("DELETE FROM unevaluated_documents WHERE doc_id = ?", [(d,) for d in doc_ids])
        except sqlite3.Error as exc:
            raise StoreError(f"cannot clear evaluation marks in {self.db.path}: {exc}") from exc
