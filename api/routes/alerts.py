"""Alerts: list and filter, detail with the triggering documents, acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from api.deps import ActOnAlerts, MonitorDep, ReadAlerts, aware
from monitor.alerts import Alert, AlertQuery, AlertState
from monitor.errors import NotFoundError
from monitor.rules.specs import AlertSeverity

router = APIRouter(prefix="/alerts", tags=["alerts"])

DOCUMENTS_IN_DETAIL = 50


class AlertPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Alert]


class AlertDocument(BaseModel):
    doc_id: str
    url: str
    source_id: str
    platform: str
    title: str
    excerpt: str
    published_at: datetime
    sentiment: str
    misinformation: float


class AlertDetail(BaseModel):
    alert: Alert
    documents: list[AlertDocument]


@router.get("", summary="List alerts, newest event first")
def list_alerts(
    monitor: MonitorDep,
    key: ReadAlerts,
    state: Annotated[list[AlertState] | None, Query()] = None,
    severity: Annotated[list[AlertSeverity] | None, Query()] = None,
    rule: Annotated[list[str] | None, Query(description="Rule id; repeat for several.")] = None,
    since: Annotated[datetime | None, Query(description="Created at or after (ISO-8601 with offset).")] = None,
    until: Annotated[datetime | None, Query(description="Created before (ISO-8601 with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPage:
    request = AlertQuery(
        states=tuple(state or ()),
        severities=tuple(severity or ()),
        rule_ids=tuple(rule or ()),
        since=aware("since", since),
        until=aware("until", until),
        limit=limit,
        offset=offset,
    )
    total, items = monitor.alerts.search(request)
    return AlertPage(total=total, limit=limit, offset=offset, items=items)


def _get(monitor: MonitorDep, alert_id: str) -> Alert:
    try:
        return monitor.alerts.get(alert_id)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.message) from exc


@router.get("/{alert_id}", summary="One alert with the documents that triggered it")
def get_alert(alert_id: str, monitor: MonitorDep, key: ReadAlerts) -> AlertDetail:
    alert = _get(monitor, alert_id)
    documents = monitor.store.get_many(list(alert.doc_ids[:DOCUMENTS_IN_DETAIL]))
    return AlertDetail(
        alert=alert,
        documents=[
            AlertDocument(
                doc_id=item.doc_id,
                url=item.document.url,
                source_id=item.document.source_id,
                platform=item.document.platform.value,
                title=item.document.title,
                excerpt=item.document.text[:280],
                published_at=item.document.published_at,
                sentiment=item.analysis.sentiment.label.value,
                misinformation=item.analysis.misinformation.score,
            )
            for item in documents
        ],
    )


@router.post("/{alert_id}/acknowledge", summary="Acknowledge an alert")
def acknowledge_alert(alert_id: str, monitor: MonitorDep, key: ActOnAlerts) -> Alert:
    try:
        return monitor.alerts.acknowledge(alert_id, by=f"{key.name} ({key.key_id})")
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.message) from exc
