"""Service health, the caller's identity and sources."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import KeyDep, MonitorDep, ReadSources
from monitor.access.keys import ApiKey
from monitor.errors import StoreError
from monitor.ingestion.source_views import SourceView, source_views
from monitor.store.base import DocumentFilter

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str  # "ok", or "degraded" when the document store cannot be reached
    documents: int | None
    storage_error: str | None = None
    sources: int
    failing_sources: list[str]
    time: datetime


@router.get("/health", summary="Liveness and a one-line summary (no key needed)")
def health(monitor: MonitorDep) -> Health:
    states = monitor.health.all()
    failing = sorted(s.source_id for s in states.values() if s.consecutive_failures)
    documents: int | None = None
    storage_error = None
    try:
        documents = monitor.store.count(DocumentFilter())
    except StoreError as exc:  # liveness must answer even when the search engine is down
        storage_error = exc.message
    return Health(
        status="ok" if storage_error is None else "degraded",
        documents=documents,
        storage_error=storage_error,
        sources=len(monitor.sources),
        failing_sources=failing,
        time=datetime.now().astimezone(),
    )


@router.get("/me", summary="The calling key's identity and role")
def me(key: KeyDep) -> ApiKey:
    return key


@router.get("/sources", summary="Configured sources with their health", tags=["sources"])
def sources(monitor: MonitorDep, key: ReadSources) -> list[SourceView]:
    return source_views(monitor)
