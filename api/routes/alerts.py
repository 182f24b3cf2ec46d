"""Alerts: list and filter, the live stream, detail with the triggering documents, and the workflow
(acknowledge, resolve, comment) with each alert's audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import ALERT_READERS, UNPROCESSABLE, ActOnAlerts, MonitorDep, ReadAlerts, actor, key_recheck, time_range
from api.params import LIMIT, OFFSET, AlertId
from api.responses import CONFLICT
from api.schemas.alerts import AlertPublic, alert_public
from api.sse import StreamFilter, alert_events, closing_event
from monitor.access.audit import AuditEntry
from monitor.alerting.types import AlertComment, AlertQuery, AlertSeverity, AlertState
from monitor.alerting.workflow import MAX_COMMENT_CHARS
from monitor.delivery import Delivery, DeliveryAttempt
from monitor.rules.catalog import AnyRuleSpec

router = APIRouter(prefix="/alerts", tags=["alerts"])

DOCUMENTS_IN_DETAIL = 50
MAX_OFFSET = 100_000


class AlertPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AlertPublic]


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
    alert: AlertPublic
    documents: list[AlertDocument]
    rule: AnyRuleSpec | None = Field(description="The rule as configured now (None if it was removed).")
    comments: list[AlertComment]


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000, description="How it was handled (kept in the audit log).")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a comment must not be blank")
        return value


@router.get("", summary="List alerts, newest event first")
def list_alerts(
    monitor: MonitorDep,
    key: ReadAlerts,
    state: Annotated[list[AlertState] | None, Query(description="Alert state; repeat for several.")] = None,
    severity: Annotated[list[AlertSeverity] | None, Query(description="Severity; repeat for several.")] = None,
    rule: Annotated[list[str] | None, Query(description="Rule id; repeat for several.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in the title or summary (accents optional).")
    ] = None,
    since: Annotated[datetime | None, Query(description="Created at or after (ISO-8601 with offset).")] = None,
    until: Annotated[datetime | None, Query(description="Created before (ISO-8601 with offset).")] = None,
    event_since: Annotated[
        datetime | None, Query(description="Event span ends at or after this (ISO-8601 with offset).")
    ] = None,
    event_until: Annotated[datetime | None, Query(description="Event span starts before this.")] = None,
    include_silenced: Annotated[bool, Query(description="Also list alerts muted by an active silence.")] = False,
    escalated: Annotated[bool | None, Query(description="Only escalated (true) or not escalated (false).")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description=LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description=OFFSET)] = 0,
) -> AlertPage:
    created_since, created_until = time_range("since", since, "until", until)
    events_since, events_until = time_range("event_since", event_since, "event_until", event_until)
    request = AlertQuery(
        states=tuple(state or ()),
        severities=tuple(severity or ()),
        rule_ids=tuple(rule or ()),
        since=created_since,
        until=created_until,
        event_since=events_since,
        event_until=events_until,
        text=q,
        include_silenced=include_silenced,
        escalated=escalated,
        limit=limit,
        offset=offset,
    )
    total, items = monitor.alerts.search(request)
    return AlertPage(total=total, limit=limit, offset=offset, items=[alert_public(alert) for alert in items])


def _resume_point(header: str | None, query: int | None, monitor: MonitorDep) -> int:
    if header is not None:
        value = header.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise HTTPException(
                UNPROCESSABLE, "header 'Last-Event-ID': expected the id of an event of this stream (an integer)"
            )
        return int(value)
    if query is not None:
        return query
    return monitor.alerts.last_seq()  # a fresh subscriber gets what happens from now on


@router.get(
    "/stream",
    summary="Live alert changes as Server-Sent Events",
    description="One `alert` event per new or changed alert (data: the alert as JSON, id: its change sequence), "
    "a `: heartbeat` comment when idle. Reconnect with `Last-Event-ID` (or `last_event_id`) to replay what "
    "changed since; without either, the stream starts at the present. The key is checked again while the "
    "stream is open: the stream ends with an `end` event (data: the reason) when the key is revoked, and "
    "when the server shuts down.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def stream_alerts(
    request: Request,
    monitor: MonitorDep,
    key: ReadAlerts,
    last_event_id_header: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, description="Resume after this event id (browsers send it)."),
    ] = None,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=10**18, description="Replay changes after this event id.")
    ] = None,
    severity: Annotated[list[AlertSeverity] | None, Query(description="Severity; repeat for several.")] = None,
    include_silenced: Annotated[bool, Query(description="Also stream alerts muted by an active silence.")] = False,
) -> StreamingResponse:
    after = _resume_point(last_event_id_header, last_event_id, monitor)
    api = monitor.settings.api
    events = alert_events(
        monitor.alerts,
        after,
        StreamFilter(include_silenced=include_silenced, severities=frozenset(severity or ())),
        poll_seconds=api.stream_poll_seconds,
        heartbeat_seconds=api.stream_heartbeat_seconds,
        key_check=key_recheck(request, monitor, ALERT_READERS),
        key_check_seconds=api.stream_key_check_seconds,
        closing=closing_event(request.app.state),
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},  # nginx must not buffer the stream
    )


@router.get("/{alert_id}", summary="One alert with the documents that triggered it, its rule and comments")
def get_alert(alert_id: AlertId, monitor: MonitorDep, key: ReadAlerts) -> AlertDetail:
    alert = monitor.alerts.get(alert_id)
    documents = monitor.store.get_many(list(alert.doc_ids[:DOCUMENTS_IN_DETAIL]))
    rule = next((r for r in monitor.rules if r.id == alert.rule_id), None)
    return AlertDetail(
        alert=alert_public(alert),
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
        rule=rule,
        comments=monitor.alerts.comments(alert_id),
    )


@router.post("/{alert_id}/acknowledge", summary="Acknowledge a new alert (409 if resolved)", responses=CONFLICT)
def acknowledge_alert(alert_id: AlertId, monitor: MonitorDep, key: ActOnAlerts) -> AlertPublic:
    return alert_public(monitor.alerts.acknowledge(alert_id, by=actor(key)))


@router.post(
    "/{alert_id}/resolve", summary="Resolve a new or acknowledged alert (409 if already resolved)", responses=CONFLICT
)
def resolve_alert(
    alert_id: AlertId,
    monitor: MonitorDep,
    key: ActOnAlerts,
    body: Annotated[ResolveRequest | None, Body()] = None,
) -> AlertPublic:
    return alert_public(monitor.alerts.resolve(alert_id, by=actor(key), note=body.note if body else None))


@router.post("/{alert_id}/comments", summary="Comment on an alert", status_code=status.HTTP_201_CREATED)
def add_comment(alert_id: AlertId, comment: CommentCreate, monitor: MonitorDep, key: ActOnAlerts) -> AlertComment:
    return monitor.alerts.comment(alert_id, by=actor(key), text=comment.text)


@router.get("/{alert_id}/comments", summary="An alert's comments, oldest first")
def list_comments(alert_id: AlertId, monitor: MonitorDep, key: ReadAlerts) -> list[AlertComment]:
    return monitor.alerts.comments(alert_id)


@router.get("/{alert_id}/audit", summary="An alert's audit trail: every state change and comment, oldest first")
def alert_audit(alert_id: AlertId, monitor: MonitorDep, key: ReadAlerts) -> list[AuditEntry]:
    return monitor.alerts.trail(alert_id)


class DeliveryStatus(BaseModel):
    """Where an alert was sent: one row per channel and trigger, and every attempt."""

    deliveries: list[Delivery]
    log: list[DeliveryAttempt]


class Requeued(BaseModel):
    requeued: int


@router.get("/{alert_id}/deliveries", summary="Where an alert was delivered, with every attempt and its outcome")
def alert_deliveries(alert_id: AlertId, monitor: MonitorDep, key: ReadAlerts) -> DeliveryStatus:
    monitor.alerts.get(alert_id)  # 404 for an unknown alert, not an empty list
    return DeliveryStatus(deliveries=monitor.delivery.deliveries_for(alert_id), log=monitor.delivery.log_for(alert_id))


@router.post("/{alert_id}/deliveries/retry", summary="Send an alert's failed deliveries again (all or one channel)")
def retry_deliveries(
    alert_id: AlertId,
    monitor: MonitorDep,
    key: ActOnAlerts,
    channel: Annotated[str | None, Query(max_length=64, description="Only this channel id.")] = None,
) -> Requeued:
    monitor.alerts.get(alert_id)
    return Requeued(requeued=monitor.delivery.retry(alert_id, channel_id=channel, by=actor(key).label))
