"""A case service over a real SQLite file, a real evidence folder and a real WARC archive, with a clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.access.audit import Actor
from monitor.alerting.store import AlertStore
from monitor.analysis import AnalyzedDocument
from monitor.cases import Cases, CaseState, open_cases
from monitor.claims.registry import ClaimRegistry
from monitor.db import Database
from monitor.ingestion.archive import RawArchive
from monitor.records import RawItem
from monitor.store.sqlite import SqliteDocumentStore
from tests.factories import analyzed, at

OFFICER = Actor(name="Cán bộ Trần Thị B", key_id="k-officer")
ADMIN = Actor(name="Quản trị", key_id="k-admin")

# The path from triage to each state through allowed moves only.
PATH_TO = {
    CaseState.TRIAGE: [],
    CaseState.VERIFYING: [CaseState.VERIFYING],
    CaseState.RESPONDING: [CaseState.VERIFYING, CaseState.RESPONDING],
    CaseState.RESOLVED: [CaseState.VERIFYING, CaseState.RESPONDING, CaseState.RESOLVED],
    CaseState.CLOSED: [CaseState.VERIFYING, CaseState.RESPONDING, CaseState.RESOLVED, CaseState.CLOSED],
    CaseState.DISMISSED: [CaseState.DISMISSED],
}


class Clock:
    """A hand-set clock: tests move it forward explicitly."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    cases: Cases
    documents: SqliteDocumentStore
    archive: RawArchive
    alerts: AlertStore
    clock: Clock
    data_dir: Path


def rumour(
    post_id: str = "p1", text: str = "Nước máy Thiện Tân bị nhiễm độc, mọi người đừng uống!"
) -> AnalyzedDocument:
    return analyzed(text, post_id=post_id, published=at("2026-10-20 19:00"), misinformation=0.9)


def build_world(tmp_path: Path, config_dir: Path | None = None) -> World:
    data_dir = tmp_path / "var"
    db = Database(data_dir / "monitor.sqlite3")
    documents = SqliteDocumentStore(db)
    archive = RawArchive(data_dir / "archive")
    alerts = AlertStore(db)
    clock = Clock(at("2026-10-20 20:00"))
    cases = open_cases(
        db,
        config_dir=config_dir or Path(__file__).resolve().parents[3] / "configs",
        data_dir=data_dir,
        documents=documents,
        archive=archive,
        alerts=alerts,
        claims=ClaimRegistry(db, [], clock),
        clock=clock,
    )
    return World(cases, documents, archive, alerts, clock, data_dir)


def store_with_raw(world: World, document: AnalyzedDocument) -> RawItem:
    """Store the document and archive a raw response for its URL, as the crawler would."""
    world.documents.upsert([document])
    raw = RawItem(
        source_id=document.document.source_id,
        url=document.document.url,
        fetched_at=document.document.fetched_at.replace(microsecond=0),
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=f"<html><body><p>{document.document.text}</p></body></html>".encode(),
    )
    world.archive.store([raw])
    return raw
