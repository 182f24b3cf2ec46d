"""The SQLite tables of cases, their timeline, evidence and chain-of-custody log.

Cases live in the embedded database whatever the document backend (like alerts). The timeline and the
custody log are append-only: nothing in the code updates or deletes their rows.
"""

from __future__ import annotations

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS cases (
        case_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        state TEXT NOT NULL,
        priority TEXT NOT NULL,
        claim TEXT,
        correction TEXT,
        alert_id TEXT,
        assignee TEXT,
        assignee_id TEXT,
        opened_by TEXT NOT NULL,
        opened_ts REAL NOT NULL,
        updated_ts REAL NOT NULL,
        verified_ts REAL,
        responded_ts REAL,
        closed_ts REAL
    )""",
    "CREATE INDEX IF NOT EXISTS cases_state ON cases (state, opened_ts)",
    "CREATE INDEX IF NOT EXISTS cases_alert ON cases (alert_id)",
    """CREATE TABLE IF NOT EXISTS case_shares (
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        agency TEXT NOT NULL,
        shared_ts REAL NOT NULL,
        shared_by TEXT NOT NULL,
        PRIMARY KEY (case_id, agency)
    )""",
    "CREATE INDEX IF NOT EXISTS case_shares_agency ON case_shares (agency, case_id)",
    """CREATE TABLE IF NOT EXISTS case_comments (
        comment_id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        ts REAL NOT NULL,
        author TEXT NOT NULL,
        author_id TEXT,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_comments_case ON case_comments (case_id, comment_id)",
    """CREATE TABLE IF NOT EXISTS case_events (
        event_id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        ts REAL NOT NULL,
        actor TEXT NOT NULL,
        actor_id TEXT,
        kind TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_events_case ON case_events (case_id, event_id)",
    """CREATE TABLE IF NOT EXISTS case_evidence (
        evidence_id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        doc_id TEXT NOT NULL,
        url TEXT NOT NULL,
        captured_ts REAL NOT NULL,
        attached_ts REAL NOT NULL,
        attached_by TEXT NOT NULL,
        attached_by_id TEXT,
        raw_note TEXT,
        UNIQUE (case_id, doc_id)
    )""",
    """CREATE TABLE IF NOT EXISTS case_evidence_files (
        evidence_id TEXT NOT NULL REFERENCES case_evidence (evidence_id),
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (evidence_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS case_custody (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        case_id TEXT NOT NULL,
        evidence_id TEXT,
        actor TEXT NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_custody_case ON case_custody (case_id, entry_id)",
)
