"""Officers' label corrections: stored with who and when, exported as training data.

A correction says "this document's <task> label is really <label>". Every correction is kept (an audit
trail); the newest one per document and task is what ``monitor models export-feedback`` writes, in the
labelled-JSONL schema the trainer reads (``text``, ``label``), so a model can be retrained on the
office's own judgements.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from monitor.analysis import SentimentLabel, ToxicityLabel
from monitor.db import Database, Transaction
from monitor.errors import MonitorError, NotFoundError, StoreError
from monitor.records import UtcDatetime, utc_now
from monitor.store.base import DocumentStore

# The labels a correction may use per task; topics are the operator's own ids (any slug).
TASK_LABELS: dict[str, frozenset[str] | None] = {
    "sentiment": frozenset(label.value for label in SentimentLabel),
    "toxicity": frozenset(label.value for label in ToxicityLabel),
    "misinformation": frozenset({"reliable", "unreliable"}),
    "topic": None,
}
NOTE_MAX_CHARS = 2000
_TOPIC_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS label_feedback (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL,
        task TEXT NOT NULL,
        label TEXT NOT NULL,
        note TEXT,
        corrected_by TEXT NOT NULL,
        corrected_ts REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS label_feedback_task ON label_feedback (task, doc_id, id)",
)


class FeedbackError(MonitorError):
    """A correction names an unknown task or a label the task does not have."""


class LabelCorrection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str
    task: str
    label: str
    note: str | None = Field(default=None, max_length=NOTE_MAX_CHARS)
    corrected_by: str
    corrected_at: UtcDatetime


def check_label(task: str, label: str) -> None:
    """Raise :class:`FeedbackError` unless ``label`` is a label of ``task``."""
    if task not in TASK_LABELS:
        raise FeedbackError(f"unknown task '{task}' (known: {', '.join(sorted(TASK_LABELS))})")
    allowed = TASK_LABELS[task]
    if allowed is None:
        if not _TOPIC_LABEL.match(label):
            raise FeedbackError(f"'{label}' is not a topic id (letters, digits, '_', '.', ':' or '-')")
    elif label not in allowed:
        raise FeedbackError(f"'{label}' is not a {task} label (allowed: {', '.join(sorted(allowed))})")


def correct_label(
    store: DocumentStore, feedback: FeedbackStore, doc_id: str, task: str, label: str, *, by: str, note: str | None
) -> LabelCorrection:
    """Record that ``doc_id``'s ``task`` label is really ``label``: the one path of the API and the console.

    Raises:
        NotFoundError: No stored document has this id (a correction of nothing would train on nothing).
        FeedbackError: The task or the label is unknown, or the note is too long.
    """
    store.get(doc_id)
    note = note or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise FeedbackError(f"the note has {len(note)} characters; at most {NOTE_MAX_CHARS} are kept")
    return feedback.add(doc_id, task, label, by=by, note=note)


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def add(self, doc_id: str, task: str, label: str, by: str, note: str | None = None) -> LabelCorrection:
        check_label(task, label)
        now = utc_now()
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """INSERT INTO label_feedback (doc_id, task, label, note, corrected_by, corrected_ts)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    (doc_id, task, label, note, by, now.timestamp()),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store the correction of {doc_id}: {exc}") from exc
        return LabelCorrection(doc_id=doc_id, task=task, label=label, note=note, corrected_by=by, corrected_at=now)

    def history(self, doc_id: str) -> list[LabelCorrection]:
        """Every correction of one document, oldest first."""
        rows = self.db.connection().execute("SELECT * FROM label_feedback WHERE doc_id = ? ORDER BY id", (doc_id,))
        return [_from_row(row) for row in rows]

    def latest(self, task: str) -> Iterator[LabelCorrection]:
        """The newest correction per document for ``task``, in document order of first correction."""
        if task not in TASK_LABELS:
            raise NotFoundError(f"unknown task '{task}' (known: {', '.join(sorted(TASK_LABELS))})")
        rows = self.db.connection().execute(
            """SELECT * FROM label_feedback WHERE id IN (
                   SELECT max(id) FROM label_feedback WHERE task = ? GROUP BY doc_id
               ) ORDER BY id""",
            (task,),
        )
        for row in rows:
            yield _from_row(row)


def _from_row(row: sqlite3.Row) -> LabelCorrection:
    return LabelCorrection(
        doc_id=row["doc_id"],
        task=row["task"],
        label=row["label"],
        note=row["note"],
        corrected_by=row["corrected_by"],
        corrected_at=datetime.fromtimestamp(row["corrected_ts"], UTC),
    )


class ExportedExample(BaseModel):
    """One line of the exported training JSONL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    label: str
    corrected_at: UtcDatetime


def training_examples(feedback: FeedbackStore, store: DocumentStore, task: str) -> Iterator[ExportedExample | str]:
    """The newest correction of every document for ``task`` with the document's text.

    Yields the doc_id (a string) instead when the document is no longer in the store (retention), so the
    caller can count what it skipped.
    """
    for correction in feedback.latest(task):
        try:
            document = store.get(correction.doc_id).document
        except NotFoundError:
            yield correction.doc_id
            continue
        yield ExportedExample(
            id=correction.doc_id, text=document.content, label=correction.label, corrected_at=correction.corrected_at
        )
