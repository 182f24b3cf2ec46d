"""The embedded SQLite database: one file, WAL mode, one connection per thread.

The API serves requests from a thread pool while the crawler writes, so every thread gets its own
connection (SQLite connections must not be shared across threads mid-transaction) and WAL lets readers
proceed while a writer commits. Schemas are applied with ``CREATE ... IF NOT EXISTS`` statements owned
by the module that uses the tables.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import BaseModel

from monitor.errors import StoreBusyError, StoreError
from monitor.files import private_dir, private_file

# SQLite checkpoints the WAL into the database file (and syncs it) once the WAL holds this many pages; its
# default of 1,000 (4 MB) meant a checkpoint nearly every crawl batch, since each batch dirties pages all
# over the story-band and full-text indexes (their keys are hashes and words, not in insertion order).
# Checkpointing less often writes a page that several batches changed once instead of once per batch:
# assigning 6,000 benchmark articles to stories in batches of 20 took a third less wall time and 14% less
# CPU (and ~40% less of both with the writer's larger cache below). The WAL grows to ~40 MB before that.
WAL_AUTOCHECKPOINT_PAGES = 10_000
# The page cache of the thread that writes the crawl's batches (see :meth:`Database.mark_writer_thread`).
# SQLite's default of 2 MB holds a small part of those indexes once a few thousand documents are stored;
# every insert then re-reads its path through the tree. Other threads keep the default: the API has many.
WRITER_CACHE_KIB = 65_536
# How long a statement waits for another connection's write lock before giving up: the crawler's writes
# wait long (a batch elsewhere finishes), callers that answer people set less with :func:`waiting_at_most`.
DEFAULT_BUSY_TIMEOUT_SECONDS = 30.0

# The wait of the current request or task, if it set one; contexts, not threads, because the API runs a
# request's dependencies and its endpoint on different pool threads.
_busy_timeout: ContextVar[float | None] = ContextVar("busy_timeout", default=None)

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


@contextlib.contextmanager
def waiting_at_most(seconds: float) -> Iterator[None]:
    """Within the block (and threads started from it), wait at most ``seconds`` for a locked database."""
    token = _busy_timeout.set(seconds)
    try:
        yield
    finally:
        _busy_timeout.reset(token)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says another connection holds a lock (SQLITE_BUSY or SQLITE_LOCKED)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


class BusyAwareConnection(sqlite3.Connection):
    """A connection whose "database is locked" errors are :class:`StoreBusyError` (retryable), for every store."""

    path: Path
    busy_timeout: float

    def _busy(self, exc: sqlite3.Error) -> StoreBusyError:
        return StoreBusyError(
            f"database {self.path} is busy: another connection holds its write lock "
            f"(waited {self.busy_timeout:g} s): {exc}",
        )

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise self._busy(exc) from exc
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise self._busy(exc) from exc
            raise

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise self._busy(exc) from exc
            raise

    def set_busy_timeout(self, seconds: float) -> None:
        super().execute(f"PRAGMA busy_timeout={round(seconds * 1000)}")
        self.busy_timeout = seconds


class Database:
    """A SQLite file shared by the embedded stores."""

    def __init__(self, path: Path | str, *, busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_timeout_seconds = busy_timeout_seconds
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            private_dir(self.path.parent)
            private_file(self.path)  # SQLite gives the -wal and -shm files the database file's mode
            conn = self.connection()
            conn.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}", retryable=False) from exc

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use.

        The connection waits for a locked database as long as the caller's context allows
        (:func:`waiting_at_most`), else ``busy_timeout_seconds``; past that its statements raise
        :class:`StoreBusyError`.
        """
        conn: BusyAwareConnection | None = getattr(self._local, "conn", None)
        wait = _busy_timeout.get()
        wait = self.busy_timeout_seconds if wait is None else wait
        if conn is None:
            # isolation_level=None: we open transactions explicitly with `with transaction(...)`.
            conn = sqlite3.connect(
                self.path, timeout=wait, isolation_level=None, check_same_thread=False, factory=BusyAwareConnection
            )
            conn.path = self.path
            conn.row_factory = sqlite3.Row
            conn.set_busy_timeout(wait)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            if getattr(self._local, "writer", False):
                conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        elif conn.busy_timeout != wait:
            conn.set_busy_timeout(wait)
        return conn

    def mark_writer_thread(self) -> None:
        """Give the calling thread's connection a large page cache: for the one thread writing in bulk.

        The cache only pays while the thread is the only writer: SQLite empties a connection's cache
        whenever another connection has written since.
        """
        self._local.writer = True
        self.connection().execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")

    def apply_schema(self, statements: Iterable[str]) -> None:
        """Run idempotent DDL statements in one transaction."""
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in statements:
                conn.execute(statement)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"cannot create tables in {self.path}: {exc}", retryable=False) from exc

    def close(self) -> None:
        """Close every connection this database opened (call once, at shutdown)."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class Transaction:
    """``with Transaction(db) as conn:`` — BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on error."""

    def __init__(self, db: Database) -> None:
        self._conn = db.connection()

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type:
            self._conn.execute("ROLLBACK")
            return
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:  # a failed COMMIT (e.g. busy) must not leave the transaction open
                self._conn.execute("ROLLBACK")
            raise


# -- rows and records -------------------------------------------------------------------------------
# Tables keep times as UTC epoch seconds (REAL) in ``*_ts`` columns: these are the only conversions.

RecordT = TypeVar("RecordT", bound=BaseModel)


@overload
def datetime_from_ts(value: float) -> datetime: ...
@overload
def datetime_from_ts(value: None) -> None: ...
@overload
def datetime_from_ts(value: float | None) -> datetime | None: ...
def datetime_from_ts(value: float | None) -> datetime | None:
    """A ``*_ts`` column as an aware UTC datetime (a NULL stays ``None``)."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def record_from_row(model: type[RecordT], row: sqlite3.Row, **values: Any) -> RecordT:
    """The record ``model`` of one row: columns named like its fields are copied, ``values`` gives the rest.

    ``values`` holds what is not a plain copy: a column stored under another name (``at=row["ts"]``),
    JSON text, an epoch timestamp. Validation converts the stored strings back to enums.
    """
    # A Row iterates over its values; its column names come from keys().
    data = {name: row[name] for name in row.keys() if name in model.model_fields}  # noqa: SIM118
    data.update(values)
    return model.model_validate(data)
