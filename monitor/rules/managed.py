"""Rules created through the API, kept in the database beside the reviewed files in ``configs/rules/``.

The YAML files stay the baseline (reviewed, versioned, commented); officers' administrators add, change
and remove rules at run time through the API, and those live here with an audit entry for every change.
A rule id is unique across both: a file rule cannot be changed or shadowed through the API. A version
counter lets every process running the rules (the crawler, the API) notice a change and reload.
"""

from __future__ import annotations

import json
import logging
import sqlite3

from pydantic import ValidationError

from monitor.access.audit import Actor, AuditAction, AuditObject, write_entry
from monitor.db import Database, Transaction
from monitor.errors import ConflictError, MonitorError, NotFoundError, StoreError
from monitor.records import utc_now
from monitor.rules.catalog import rule_spec_class
from monitor.rules.specs import STORED_AS_IS, RuleSpec

log = logging.getLogger(__name__)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS managed_rules (
        rule_id TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_ts REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS managed_rules_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    )""",
    "INSERT OR IGNORE INTO managed_rules_version (id, version) VALUES (1, 0)",
)


class RuleConflictError(ConflictError):
    """A rule id already taken (by a file rule, or by an API rule when creating)."""


class ManagedRules:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def version(self) -> int:
        row = self.db.connection().execute("SELECT version FROM managed_rules_version WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def list(self) -> list[RuleSpec]:
        """The rules that validate; one saved by an older version that no longer does is logged, not run."""
        rows = self.db.connection().execute("SELECT rule_id, spec FROM managed_rules ORDER BY rule_id")
        rules = []
        for rule_id, spec in rows:
            try:
                rules.append(_parse(spec))
            except (ValidationError, MonitorError) as exc:  # e.g. a query the stricter parser now refuses
                log.warning(
                    "rule '%s' (saved through the API) is no longer valid and does not run; replace it with "
                    "PUT /rules/%s or delete it: %s",
                    rule_id,
                    rule_id,
                    exc,
                )
        return rules

    def create(self, rule: RuleSpec, by: Actor) -> RuleSpec:
        return self._write(rule, by, creating=True)

    def replace(self, rule: RuleSpec, by: Actor) -> RuleSpec:
        return self._write(rule, by, creating=False)

    def delete(self, rule_id: str, by: Actor) -> RuleSpec:
        try:
            with Transaction(self.db) as conn:
                row = conn.execute("SELECT spec FROM managed_rules WHERE rule_id = ?", (rule_id,)).fetchone()
                if row is None:
                    raise NotFoundError(f"no rule with id '{rule_id}' was created through the API")
                conn.execute("DELETE FROM managed_rules WHERE rule_id = ?", (rule_id,))
                conn.execute("UPDATE managed_rules_version SET version = version + 1 WHERE id = 1")
                write_entry(conn, by, AuditAction.RULE_DELETE, AuditObject.RULE, rule_id, detail=json.loads(row[0]))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot delete rule '{rule_id}': {exc}") from exc
        return _parse(row[0], check_query=False)

    def _write(self, rule: RuleSpec, by: Actor, *, creating: bool) -> RuleSpec:
        spec = rule.model_dump_json()
        try:
            with Transaction(self.db) as conn:
                exists = conn.execute("SELECT 1 FROM managed_rules WHERE rule_id = ?", (rule.id,)).fetchone()
                if creating and exists:
                    raise RuleConflictError(f"a rule with id '{rule.id}' already exists; replace it with PUT")
                if not creating and not exists:
                    raise NotFoundError(f"no rule with id '{rule.id}' was created through the API")
                conn.execute(
                    """INSERT INTO managed_rules (rule_id, spec, updated_by, updated_ts) VALUES (?, ?, ?, ?)
                       ON CONFLICT (rule_id) DO UPDATE SET spec = excluded.spec, updated_by = excluded.updated_by,
                       updated_ts = excluded.updated_ts""",
                    (rule.id, spec, by.label, utc_now().timestamp()),
                )
                conn.execute("UPDATE managed_rules_version SET version = version + 1 WHERE id = 1")
                action = AuditAction.RULE_CREATE if creating else AuditAction.RULE_UPDATE
                write_entry(conn, by, action, AuditObject.RULE, rule.id, detail=json.loads(spec))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save rule '{rule.id}': {exc}") from exc
        return rule


def _parse(spec: str, *, check_query: bool = True) -> RuleSpec:
    data = json.loads(spec)
    # The query unchecked only to report a deleted rule as it was saved, even one the parser now refuses.
    context = None if check_query else {STORED_AS_IS: True}
    return rule_spec_class(str(data["type"])).model_validate(data, context=context)
