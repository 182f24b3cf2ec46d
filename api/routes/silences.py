"""Silences: administrators mute matching alerts for a while; officers see which silences are in force."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from api.deps import ManageSilences, MonitorDep, ReadSilences, actor
from api.params import LIMIT, OFFSET, SilenceId
from monitor.alerting.silences import Silence, SilenceCreate, SilenceState

router = APIRouter(prefix="/silences", tags=["silences"])


class SilencePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Silence]


@router.get("", summary="List silences, newest first")
def list_silences(
    monitor: MonitorDep,
    key: ReadSilences,
    state: Annotated[SilenceState | None, Query(description="Only silences in this state now.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description=LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000, description=OFFSET)] = 0,
) -> SilencePage:
    total, items = monitor.alerts.silences.search(state, limit=limit, offset=offset)
    return SilencePage(total=total, limit=limit, offset=offset, items=items)


@router.post(
    "",
    summary="Create a silence (matching alerts are still recorded, marked silenced)",
    status_code=status.HTTP_201_CREATED,
)
def create_silence(spec: SilenceCreate, monitor: MonitorDep, key: ManageSilences) -> Silence:
    return monitor.alerts.create_silence(spec, by=actor(key))


@router.get("/{silence_id}", summary="One silence")
def get_silence(silence_id: SilenceId, monitor: MonitorDep, key: ReadSilences) -> Silence:
    return monitor.alerts.silences.get(silence_id)


@router.delete("/{silence_id}", summary="End a silence now (it stays listed as expired)")
def delete_silence(silence_id: SilenceId, monitor: MonitorDep, key: ManageSilences) -> Silence:
    return monitor.alerts.delete_silence(silence_id, by=actor(key))
