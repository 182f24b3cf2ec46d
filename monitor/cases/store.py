"""The case store: open, move through the workflow, prioritise, assign, share, comment; every change
is written to the case's timeline in the same transaction as the change itself.

Times come from an injectable clock so service-level tests can set the hour by hand.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.access.audit import Actor
from monitor.cases.model import (
    FINAL_STATES,
    MAX_CLAIM_CHARS,
    MAX_COMMENT_CHARS,
    Case,
    CaseComment,
    CaseOpen,
    CasePriority,
    CaseQuery,
    CaseState,
    CaseStateError,
    Correction,
    TimelineEvent,
    TimelineKind,
    check_transition,
)
from monitor.cases.schema import SCHEMA
from monitor.db import Database, Transaction, datetime_from_ts, record_from_row
from monitor.errors import InvalidInputError, NotFoundError, StoreError
from monitor.records import utc_now

Clock = Callable[[], datetime]

_SELECT = (
    "SELECT c.*,"
    " (SELECT group_concat(agency, ',') FROM (SELECT agency FROM case_shares s"
    "   WHERE s.case_id = c.case_id ORDER BY agency)) AS agencies,"
    " (SELECT count(*) FROM case_evidence e WHERE e.case_id = c.case_id) AS evidence_count,"
    " (SELECT count(*) FROM case_comments m WHERE m.case_id = c.case_id) AS comment_count"
    " FROM cases c"
)


def write_event(
    conn: sqlite3.Connection,
    case_id: str,
    actor: Actor,
    kind: TimelineKind,
    at: float,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append a timeline event inside the caller's transaction (so it commits or rolls back with the change)."""
    conn.execute(
        """INSERT INTO case_events (case_id, ts, actor, actor_id, kind, from_state, to_state, detail)
           VALUES (?,?,?,?,?,?,?,?)""",
        (
            case_id,
            at,
            actor.name,
            actor.key_id,
            kind.value,
            from_state,
            to_state,
            json.dumps(detail or {}, ensure_ascii=False),
        ),
    )


def require_case(conn: sqlite3.Connection, case_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no case with id '{case_id}'")
    return row


def require_changeable(row: sqlite3.Row, what: str) -> CaseState:
    """The case's state, or CaseStateError if it is final (closed and dismissed cases are a record now)."""
    state = CaseState(row["state"])
    if state in FINAL_STATES:
        raise CaseStateError(f"case '{row['case_id']}' is {state.value}: its {what} can no longer change")
    return state


class CaseStore:
    """Cases in the embedded database."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        db.apply_schema(SCHEMA)

    def _now(self) -> float:
        return self.clock().timestamp()

    # -- opening and reading ---------------------------------------------------------------------

    def open(self, spec: CaseOpen, by: Actor) -> Case:
        """Open a case in triage (evidence is attached afterwards, by :class:`monitor.cases.Cases`)."""
        case_id = str(uuid.uuid4())
        now = self._now()
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """INSERT INTO cases (case_id, title, state, priority, claim, alert_id, opened_by, opened_ts,
                       updated_ts) VALUES (?,?,?,?,?,?,?,?,?)""",
                    (
                        case_id,
                        spec.title,
                        CaseState.TRIAGE.value,
                        spec.priority.value,
                        spec.claim,
                        spec.alert_id,
                        by.label,
                        now,
                        now,
                    ),
                )
                write_event(
                    conn,
                    case_id,
                    by,
                    TimelineKind.OPEN,
                    now,
                    to_state=CaseState.TRIAGE.value,
                    detail={"title": spec.title, "priority": spec.priority.value, "alert_id": spec.alert_id},
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open a case: {exc}") from exc
        return self.get(case_id)

    def get(self, case_id: str) -> Case:
        row = self.db.connection().execute(f"{_SELECT} WHERE c.case_id = ?", (case_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no case with id '{case_id}'")
        return _case_from_row(row)

    def search(self, request: CaseQuery) -> tuple[int, list[Case]]:
        """Cases matching ``request``, most recently opened first, and how many match in all."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("state", [s.value for s in request.states]),
            ("priority", [p.value for p in request.priorities]),
        ):
            if values:
                clauses.append(f"c.{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if request.assignee_id is not None:
            clauses.append("c.assignee_id = ?")
            params.append(request.assignee_id)
        if request.agency is not None:
            clauses.append("EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.case_id AND s.agency = ?)")
            params.append(request.agency)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        conn = self.db.connection()
        total = int(conn.execute(f"SELECT count(*) FROM cases c{where}", params).fetchone()[0])
        rows = conn.execute(
            f"{_SELECT}{where} ORDER BY c.opened_ts DESC, c.case_id LIMIT ? OFFSET ?",
            [*params, request.limit, request.offset],
        ).fetchall()
        return total, [_case_from_row(row) for row in rows]

    def open_cases(self) -> list[Case]:
        """Every case still being worked (for the deadline checks)."""
        rows = self.db.connection().execute(
            f"{_SELECT} WHERE c.state NOT IN (?, ?, ?) ORDER BY c.opened_ts",
            (CaseState.RESOLVED.value, CaseState.CLOSED.value, CaseState.DISMISSED.value),
        )
        return [_case_from_row(row) for row in rows]

    def is_shared_with(self, case_id: str, agency: str) -> bool:
        row = (
            self.db.connection()
            .execute("SELECT 1 FROM case_shares WHERE case_id = ? AND agency = ?", (case_id, agency))
            .fetchone()
        )
        return row is not None

    def timeline(self, case_id: str) -> list[TimelineEvent]:
        """Every event of a case, oldest first."""
        conn = self.db.connection()
        require_case(conn, case_id)
        rows = conn.execute("SELECT * FROM case_events WHERE case_id = ? ORDER BY event_id", (case_id,))
        return [record_from_row(TimelineEvent, row, at=row["ts"], detail=json.loads(row["detail"])) for row in rows]

    def comments(self, case_id: str) -> list[CaseComment]:
        conn = self.db.connection()
        require_case(conn, case_id)
        rows = conn.execute("SELECT * FROM case_comments WHERE case_id = ? ORDER BY comment_id", (case_id,))
        return [_comment_from_row(row) for row in rows]

    # -- the workflow ----------------------------------------------------------------------------

    def transition(self, case_id: str, target: CaseState, by: Actor, note: str | None = None) -> Case:
        """Move a case to ``target`` or raise :class:`CaseStateError` naming the moves allowed from here.

        Entering responding records the time verification ended, entering resolved the time of the
        official response; both feed the time-to-verify and time-to-respond reports.
        """
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            current = CaseState(row["state"])
            check_transition(case_id, current, target)
            now = self._now()
            stamp = {
                CaseState.RESPONDING: "verified_ts",
                CaseState.RESOLVED: "responded_ts",
                CaseState.CLOSED: "closed_ts",
                CaseState.DISMISSED: "closed_ts",
            }.get(target)
            extra = f", {stamp} = ?" if stamp else ""
            conn.execute(
                f"UPDATE cases SET state = ?, updated_ts = ?{extra} WHERE case_id = ?",
                (target.value, now, *((now,) if stamp else ()), case_id),
            )
            write_event(
                conn,
                case_id,
                by,
                TimelineKind.TRANSITION,
                now,
                from_state=current.value,
                to_state=target.value,
                detail={"note": note} if note else None,
            )
        return self.get(case_id)

    def note_event(self, case_id: str, by: Actor, kind: TimelineKind, detail: dict[str, Any]) -> None:
        """Append an event about something recorded elsewhere (the claim registry) to the case's timeline."""
        with Transaction(self.db) as conn:
            require_case(conn, case_id)
            write_event(conn, case_id, by, kind, self._now(), detail=detail)

    def set_priority(self, case_id: str, priority: CasePriority, by: Actor) -> Case:
        """Change the priority (the deadlines follow: they are computed from the current priority)."""
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            state = require_changeable(row, "priority")
            if row["priority"] != priority.value:
                now = self._now()
                conn.execute(
                    "UPDATE cases SET priority = ?, updated_ts = ? WHERE case_id = ?", (priority.value, now, case_id)
                )
                write_event(
                    conn,
                    case_id,
                    by,
                    TimelineKind.PRIORITY,
                    now,
                    from_state=state.value,
                    to_state=state.value,
                    detail={"from": row["priority"], "to": priority.value},
                )
        return self.get(case_id)

    def assign(self, case_id: str, assignee: Actor | None, by: Actor) -> Case:
        """Assign the case to an officer (``None`` unassigns). The caller checks the assignee's role."""
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            state = require_changeable(row, "assignee")
            label = assignee.label if assignee else None
            key_id = assignee.key_id if assignee else None
            if (row["assignee"], row["assignee_id"]) != (label, key_id):
                now = self._now()
                conn.execute(
                    "UPDATE cases SET assignee = ?, assignee_id = ?, updated_ts = ? WHERE case_id = ?",
                    (label, key_id, now, case_id),
                )
                write_event(
                    conn,
                    case_id,
                    by,
                    TimelineKind.ASSIGN,
                    now,
                    from_state=state.value,
                    to_state=state.value,
                    detail={"from": row["assignee"], "to": label, "assignee_id": key_id},
                )
        return self.get(case_id)

    def share(self, case_id: str, agency: str, by: Actor) -> Case:
        """Share with an agency (idempotent). Allowed in every state: agencies may ask for closed cases."""
        return self._change_sharing(case_id, agency, by, TimelineKind.SHARE)

    def unshare(self, case_id: str, agency: str, by: Actor) -> Case:
        """Stop sharing with an agency (idempotent); its liaisons no longer see the case."""
        return self._change_sharing(case_id, agency, by, TimelineKind.UNSHARE)

    def _change_sharing(self, case_id: str, agency: str, by: Actor, kind: TimelineKind) -> Case:
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            now = self._now()
            if kind is TimelineKind.SHARE:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO case_shares (case_id, agency, shared_ts, shared_by) VALUES (?,?,?,?)",
                    (case_id, agency, now, by.label),
                )
            else:
                cursor = conn.execute("DELETE FROM case_shares WHERE case_id = ? AND agency = ?", (case_id, agency))
            if cursor.rowcount:  # a repeated share or unshare changes nothing and is not an event
                conn.execute("UPDATE cases SET updated_ts = ? WHERE case_id = ?", (now, case_id))
                write_event(
                    conn,
                    case_id,
                    by,
                    kind,
                    now,
                    from_state=row["state"],
                    to_state=row["state"],
                    detail={"agency": agency},
                )
        return self.get(case_id)

    def comment(self, case_id: str, by: Actor, text: str) -> CaseComment:
        """Add a comment (also on closed cases: notes after the fact belong to the record)."""
        body = text.strip()
        if not body or len(body) > MAX_COMMENT_CHARS:
            raise InvalidInputError(f"a comment needs 1 to {MAX_COMMENT_CHARS} characters")
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            now = self._now()
            cursor = conn.execute(
                "INSERT INTO case_comments (case_id, ts, author, author_id, text) VALUES (?,?,?,?,?)",
                (case_id, now, by.name, by.key_id, body),
            )
            comment_id = int(cursor.lastrowid or 0)
            conn.execute("UPDATE cases SET updated_ts = ? WHERE case_id = ?", (now, case_id))
            write_event(
                conn,
                case_id,
                by,
                TimelineKind.COMMENT,
                now,
                from_state=row["state"],
                to_state=row["state"],
                detail={"comment_id": comment_id, "text": body},
            )
            created = conn.execute("SELECT * FROM case_comments WHERE comment_id = ?", (comment_id,)).fetchone()
        return _comment_from_row(created)

    def set_claim(self, case_id: str, claim: str, by: Actor) -> Case:
        """Record the false claim in a sentence (the previous wording stays in the timeline)."""
        sentence = claim.strip()
        if not sentence or len(sentence) > MAX_CLAIM_CHARS:
            raise InvalidInputError(f"a claim needs 1 to {MAX_CLAIM_CHARS} characters")
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            state = require_changeable(row, "claim")
            if row["claim"] != sentence:
                now = self._now()
                conn.execute("UPDATE cases SET claim = ?, updated_ts = ? WHERE case_id = ?", (sentence, now, case_id))
                write_event(
                    conn,
                    case_id,
                    by,
                    TimelineKind.CLAIM,
                    now,
                    from_state=state.value,
                    to_state=state.value,
                    detail={"from": row["claim"], "to": sentence},
                )
        return self.get(case_id)

    def set_correction(self, case_id: str, correction: Correction, by: Actor) -> Case:
        """Record the official correction (replacing an earlier one; the timeline keeps every version)."""
        body = correction.model_dump_json()
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            state = require_changeable(row, "correction")
            if row["correction"] != body:
                now = self._now()
                conn.execute("UPDATE cases SET correction = ?, updated_ts = ? WHERE case_id = ?", (body, now, case_id))
                write_event(
                    conn,
                    case_id,
                    by,
                    TimelineKind.CORRECTION,
                    now,
                    from_state=state.value,
                    to_state=state.value,
                    detail=correction.model_dump(mode="json"),
                )
        return self.get(case_id)


def _case_from_row(row: sqlite3.Row) -> Case:
    return Case(
        case_id=row["case_id"],
        title=row["title"],
        state=CaseState(row["state"]),
        priority=CasePriority(row["priority"]),
        claim=row["claim"],
        correction=Correction.model_validate_json(row["correction"]) if row["correction"] else None,
        alert_id=row["alert_id"],
        assignee=row["assignee"],
        assignee_id=row["assignee_id"],
        agencies=tuple(row["agencies"].split(",")) if row["agencies"] else (),
        opened_by=row["opened_by"],
        opened_at=datetime_from_ts(row["opened_ts"]),
        updated_at=datetime_from_ts(row["updated_ts"]),
        verified_at=datetime_from_ts(row["verified_ts"]),
        responded_at=datetime_from_ts(row["responded_ts"]),
        closed_at=datetime_from_ts(row["closed_ts"]),
        evidence_count=row["evidence_count"],
        comment_count=row["comment_count"],
    )


def _comment_from_row(row: sqlite3.Row) -> CaseComment:
    return CaseComment(
        comment_id=row["comment_id"],
        case_id=row["case_id"],
        at=row["ts"],
        author=row["author"],
        author_id=row["author_id"],
        text=row["text"],
    )
