"""The claim registry the misinformation scorer matches against: the reviewed file plus claims from cases.

``configs/claims.yaml`` holds claims the office reviewed before start-up. A case registers its claim and
official correction while the service runs; those live in SQLite (table ``registered_claims``) so every
process (the crawler, the API) sees them. Each write bumps a revision number; the pipeline compares
revisions before each batch and hands the whole registry to the scoring workers when it changed.

After storing documents the pipeline links each one to the claims it repeats or whose correction it
relays (table ``claim_links``), which is what a case's spread is counted from. A claim registered (or
edited) later is linked to the documents already stored by :mod:`monitor.claims.backfill`, through
:meth:`ClaimRegistry.relink`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from monitor.access.audit import Actor
from monitor.analysis import AnalyzedDocument
from monitor.db import Database, Transaction, datetime_from_ts, record_from_row
from monitor.errors import InvalidInputError, StoreError
from monitor.ingestion.scoring import Claim
from monitor.records import UtcDatetime, utc_now

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS registered_claims (
        claim_id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        claim TEXT NOT NULL,
        registered_ts REAL NOT NULL,
        registered_by TEXT NOT NULL,
        withdrawn_ts REAL,
        revision INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS registered_claims_case ON registered_claims (case_id)",
    """CREATE TABLE IF NOT EXISTS claim_links (
        claim_id TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        published_ts REAL NOT NULL,
        linked_ts REAL NOT NULL,
        PRIMARY KEY (claim_id, doc_id)
    )""",
    "CREATE INDEX IF NOT EXISTS claim_links_time ON claim_links (claim_id, published_ts)",
    "CREATE INDEX IF NOT EXISTS claim_links_doc ON claim_links (doc_id)",  # a document's page lists its links
)

Clock = Callable[[], datetime]

CASE_CLAIM_PREFIX = "case-"
REPEAT = "repeat"
CORRECTION = "correction"


def case_claim_id(case_id: str) -> str:
    """The registry id of a case's claim (case ids are UUIDs, so this fits the claim id pattern)."""
    return f"{CASE_CLAIM_PREFIX}{case_id.lower()}"


def case_of_claim(claim_id: str) -> str | None:
    """The case that registered ``claim_id``, or None for a claim from claims.yaml."""
    return claim_id.removeprefix(CASE_CLAIM_PREFIX) if claim_id.startswith(CASE_CLAIM_PREFIX) else None


class RegisteredClaim(BaseModel):
    """A claim a case put in the registry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim: Claim
    case_id: str
    registered_at: UtcDatetime
    registered_by: str
    withdrawn_at: UtcDatetime | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ClaimLink(BaseModel):
    """A stored document that repeats a claim (``repeat``) or relays its correction (``correction``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: str
    doc_id: str
    kind: str
    source_id: str
    published_at: UtcDatetime
    linked_at: UtcDatetime


@dataclass(frozen=True)
class RelinkCounts:
    """What :meth:`ClaimRegistry.relink` left for one claim among the documents it was given."""

    repeats: int
    corrections: int
    removed: int


class ClaimRegistry:
    """The file's claims and the cases' claims, with the links from documents to them."""

    def __init__(self, db: Database, file_claims: Sequence[Claim], clock: Clock = utc_now) -> None:
        self.db = db
        self.file_claims = tuple(file_claims)
        self.clock = clock
        db.apply_schema(SCHEMA)

    # -- the registry -----------------------------------------------------------------------------

    def revision(self) -> int:
        """Grows with every registration or withdrawal (one indexed read; the pipeline asks per batch)."""
        row = self.db.connection().execute("SELECT coalesce(max(revision), 0) FROM registered_claims").fetchone()
        return int(row[0])

    def claims(self) -> list[Claim]:
        """Every active claim: the file's first, then the cases' in registration order."""
        rows = self.db.connection().execute(
            "SELECT claim FROM registered_claims WHERE withdrawn_ts IS NULL ORDER BY registered_ts, claim_id"
        )
        return [*self.file_claims, *(Claim.model_validate_json(row["claim"]) for row in rows)]

    def register(self, case_id: str, claim: Claim, by: Actor) -> RegisteredClaim:
        """Put (or update) a case's claim in the registry; a withdrawn one becomes active again."""
        if any(existing.id == claim.id for existing in self.file_claims):
            raise InvalidInputError(f"claim id '{claim.id}' is already used in claims.yaml")
        now = self.clock().timestamp()
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """INSERT INTO registered_claims
                       (claim_id, case_id, claim, registered_ts, registered_by, withdrawn_ts, revision)
                       VALUES (?, ?, ?, ?, ?, NULL, (SELECT coalesce(max(revision), 0) + 1 FROM registered_claims))
                       ON CONFLICT (claim_id) DO UPDATE SET claim = excluded.claim,
                         registered_ts = excluded.registered_ts, registered_by = excluded.registered_by,
                         withdrawn_ts = NULL, revision = excluded.revision""",
                    (claim.id, case_id, claim.model_dump_json(), now, by.label),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot register claim '{claim.id}': {exc}") from exc
        registered = self.get(claim.id)
        assert registered is not None  # just written
        return registered

    def withdraw(self, claim_id: str) -> RegisteredClaim | None:
        """Stop matching a case's claim (its links stay); None if it was never registered."""
        now = self.clock().timestamp()
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """UPDATE registered_claims SET withdrawn_ts = ?,
                       revision = (SELECT max(revision) + 1 FROM registered_claims)
                       WHERE claim_id = ? AND withdrawn_ts IS NULL""",
                    (now, claim_id),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot withdraw claim '{claim_id}': {exc}") from exc
        return self.get(claim_id)

    def get(self, claim_id: str) -> RegisteredClaim | None:
        row = self.db.connection().execute("SELECT * FROM registered_claims WHERE claim_id = ?", (claim_id,)).fetchone()
        return None if row is None else _registered_from_row(row)

    def registered(self) -> list[RegisteredClaim]:
        """Every claim cases registered, withdrawn ones included, oldest first."""
        rows = self.db.connection().execute("SELECT * FROM registered_claims ORDER BY registered_ts, claim_id")
        return [_registered_from_row(row) for row in rows]

    # -- links from documents ---------------------------------------------------------------------

    def link(self, documents: Sequence[AnalyzedDocument]) -> int:
        """Record which claims each document repeats or relays the correction of; returns the links written.

        Besides what the scorer found, a reply that cites a denial ("tin giả", "đã có thông báo chính
        thức") without naming the claim relays the correction of the claims its parent is linked to: in a
        thread under a rumour, that is what the reply answers. A document scored again (an edited article)
        keeps one link per claim, with its latest kind.
        """
        now = self.clock().timestamp()
        direct = [_link_row(claim_id, item, kind, now) for item in documents for claim_id, kind in _direct(item)]
        replies = [item for item in documents if _denying_reply(item)]
        if not direct and not replies:
            return 0
        try:
            with Transaction(self.db) as conn:
                conn.executemany(_UPSERT, direct)
                # After the direct links, so a parent stored in the same batch is already linked.
                threaded = [
                    _link_row(parent["claim_id"], item, CORRECTION, now)
                    for item in replies
                    for parent in conn.execute(
                        "SELECT claim_id FROM claim_links WHERE doc_id = ?", (item.document.parent_id,)
                    )
                ]
                conn.executemany(_UPSERT, threaded)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot link documents to claims: {exc}") from exc
        return len(direct) + len(threaded)

    def relink(self, claim_id: str, documents: Sequence[AnalyzedDocument]) -> RelinkCounts:
        """Make ``documents``' links to ``claim_id`` what their (fresh) analyses say, by the rule of :meth:`link`.

        For this claim only: links are added or their kind updated, and a document the claim no longer
        matches loses its link (a denying reply keeps it while its parent stays linked). Other claims'
        links are left alone. Used when a claim is registered or edited after the documents were stored.
        """
        now = self.clock().timestamp()
        direct = [
            _link_row(claim_id, item, kind, now)
            for item in documents
            for linked, kind in _direct(item)
            if linked == claim_id
        ]
        matched = {row[1] for row in direct}
        replies = [item for item in documents if item.doc_id not in matched and _denying_reply(item)]
        delete = "DELETE FROM claim_links WHERE claim_id = ? AND doc_id = ?"
        try:
            with Transaction(self.db) as conn:
                # Unmatched documents first, so a reply is judged by its parent's link as it now stands.
                reply_ids = {item.doc_id for item in replies}
                unmatched = [item.doc_id for item in documents if item.doc_id not in matched | reply_ids]
                removed = sum(conn.execute(delete, (claim_id, doc_id)).rowcount for doc_id in unmatched)
                conn.executemany(_UPSERT, direct)
                threaded = [
                    _link_row(claim_id, item, CORRECTION, now)
                    for item in replies
                    if conn.execute(
                        "SELECT 1 FROM claim_links WHERE claim_id = ? AND doc_id = ?",
                        (claim_id, item.document.parent_id),
                    ).fetchone()
                ]
                conn.executemany(_UPSERT, threaded)
                orphaned = reply_ids - {row[1] for row in threaded}
                removed += sum(conn.execute(delete, (claim_id, doc_id)).rowcount for doc_id in orphaned)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot link stored documents to claim '{claim_id}': {exc}") from exc
        kinds = [row[2] for row in (*direct, *threaded)]
        return RelinkCounts(repeats=kinds.count(REPEAT), corrections=kinds.count(CORRECTION), removed=removed)

    def linked_doc_ids(self, claim_id: str) -> list[str]:
        """Ids of the documents linked to ``claim_id``."""
        rows = self.db.connection().execute("SELECT doc_id FROM claim_links WHERE claim_id = ?", (claim_id,))
        return [row["doc_id"] for row in rows]

    def links(self, claim_id: str, *, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[ClaimLink]:
        """Linked documents of one claim, newest published first."""
        sql = "SELECT * FROM claim_links WHERE claim_id = ?"
        params: list[object] = [claim_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY published_ts DESC, doc_id LIMIT ? OFFSET ?"
        rows = self.db.connection().execute(sql, [*params, limit, offset])
        return [_link_of_row(row) for row in rows]

    def links_of_document(self, doc_id: str) -> list[ClaimLink]:
        """The claims one document is linked to (as a repeat or a correction), oldest link first."""
        rows = self.db.connection().execute(
            "SELECT * FROM claim_links WHERE doc_id = ? ORDER BY linked_ts, claim_id", (doc_id,)
        )
        return [_link_of_row(row) for row in rows]

    def link_times(self, claim_id: str) -> Iterable[tuple[str, datetime]]:
        """``(kind, published_at)`` of every link, oldest first, read lazily (a cursor, not a list)."""
        rows = self.db.connection().execute(
            "SELECT kind, published_ts FROM claim_links WHERE claim_id = ? ORDER BY published_ts", (claim_id,)
        )
        return ((row["kind"], datetime_from_ts(row["published_ts"])) for row in rows)


_UPSERT = """INSERT INTO claim_links (claim_id, doc_id, kind, source_id, published_ts, linked_ts)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (claim_id, doc_id) DO UPDATE SET kind = excluded.kind, published_ts = excluded.published_ts"""


def _direct(item: AnalyzedDocument) -> list[tuple[str, str]]:
    """``(claim id, kind)`` of every claim the scorer says the document repeats or relays the correction of."""
    score = item.analysis.misinformation
    return [(claim_id, REPEAT) for claim_id in score.claim_ids] + [
        (claim_id, CORRECTION) for claim_id in score.corrected_claim_ids
    ]


def _link_row(claim_id: str, item: AnalyzedDocument, kind: str, now: float) -> tuple[str, str, str, str, float, float]:
    return (claim_id, item.doc_id, kind, item.document.source_id, item.document.published_at.timestamp(), now)


def _denying_reply(item: AnalyzedDocument) -> bool:
    """A reply citing a denial or correction that the scorer tied to no claim by its own wording."""
    score = item.analysis.misinformation
    return (
        item.document.parent_id is not None
        and not score.claim_ids
        and not score.corrected_claim_ids
        and any(reason.kind == "cites_correction" for reason in score.reasons)
    )


def _registered_from_row(row: sqlite3.Row) -> RegisteredClaim:
    return RegisteredClaim(
        claim=Claim.model_validate_json(row["claim"]),
        case_id=row["case_id"],
        registered_at=datetime_from_ts(row["registered_ts"]),
        registered_by=row["registered_by"],
        withdrawn_at=datetime_from_ts(row["withdrawn_ts"]),
    )


def _link_of_row(row: sqlite3.Row) -> ClaimLink:
    return record_from_row(
        ClaimLink, row, published_at=datetime_from_ts(row["published_ts"]), linked_at=datetime_from_ts(row["linked_ts"])
    )
