"""The audit log: every state change and comment on alerts, every silence created or ended (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import MonitorDep, ReadAuditLog, time_range
from api.params import LIMIT, OFFSET
from monitor.access.audit import AuditAction, AuditEntry, AuditObject, AuditQuery

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEntry]


@router.get("", summary="Audit log entries, newest first")
def list_audit(
    monitor: MonitorDep,
    key: ReadAuditLog,
    object_type: Annotated[AuditObject | None, Query(description="Only entries about this kind of object.")] = None,
    object_id: Annotated[str | None, Query(max_length=200, description="Only entries about this object id.")] = None,
    action: Annotated[list[AuditAction] | None, Query(description="Repeat for several.")] = None,
    actor_id: Annotated[str | None, Query(max_length=200, description="API key id of who acted.")] = None,
    since: Annotated[datetime | None, Query(description="At or after (ISO-8601 with offset).")] = None,
    until: Annotated[datetime | None, Query(description="Before (ISO-8601 with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description=LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description=OFFSET)] = 0,
) -> AuditPage:
    start, end = time_range("since", since, "until", until)
    total, items = monitor.alerts.audit.search(
        AuditQuery(
            object_type=object_type,
            object_id=object_id,
            actions=tuple(action or ()),
            actor_id=actor_id,
            since=start,
            until=end,
            limit=limit,
            offset=offset,
        )
    )
    return AuditPage(total=total, limit=limit, offset=offset, items=items)
