"""Document search, fetch and counts."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import UNPROCESSABLE, CorrectLabels, MonitorDep, ReadDocuments, require, time_range
from api.params import LIMIT, OFFSET, DocId
from api.schemas.documents import DocumentPublic, document_public
from monitor.access.documents import corrector, privacy_for, search_filter, visible
from monitor.access.keys import ApiKey
from monitor.access.privacy import PrivacyPolicy
from monitor.access.roles import DOCUMENT_EXPORT_ROLES
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.analytics.feedback import FeedbackError, LabelCorrection
from monitor.analytics.feedback import correct_label as record_correction
from monitor.analytics.search_export import (
    CSV_MEDIA_TYPE,
    EXPORT_LIMIT,
    XLSX_MEDIA_TYPE,
    ExportFormat,
    SearchExport,
    export_filename,
    write_search_export,
)
from monitor.context import Monitor
from monitor.durations import parse_duration
from monitor.errors import NotFoundError
from monitor.records import Platform
from monitor.store.base import CountField, DocumentFilter, SearchRequest, SortOrder, TimeBucket, WordScore

router = APIRouter(prefix="/documents", tags=["documents"])


class DocumentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DocumentPublic]


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: Literal["sentiment", "topic", "toxicity", "misinformation"] = Field(description="Which score is wrong.")
    label: str = Field(min_length=1, max_length=64, description="The right label for that task.")
    note: str | None = Field(default=None, max_length=2000, description="Why, for the people who retrain.")


class FieldCounts(BaseModel):
    field: CountField
    total: int
    counts: dict[str, int]


class TimeCounts(BaseModel):
    interval: str
    timezone: str
    total: int
    buckets: list[TimeBucket]


def _for_role(items: list[AnalyzedDocument], key: ApiKey, request: Request) -> list[DocumentPublic]:
    """The public view of ``items``; researchers get the privacy view (:mod:`monitor.access.documents`)."""
    return [document_public(item) for item in visible(items, _privacy(key, request))]


def _privacy(key: ApiKey, request: Request) -> PrivacyPolicy | None:
    monitor: Monitor = request.app.state.monitor
    return privacy_for(key.role, request.app.state.pseudonymizer, monitor.store)


def _filter(
    monitor: MonitorDep,
    key: ReadDocuments,
    q: Annotated[
        str | None,
        Query(
            description='Search: words, "phrases", AND/OR/NOT, ( ), =exact, source: platform: topic: '
            "sentiment: author: since: until:"
        ),
    ] = None,
    exact_accents: Annotated[bool, Query(description="Match every word with its diacritics.")] = False,
    since: Annotated[datetime | None, Query(description="Published at or after (ISO-8601 with offset).")] = None,
    until: Annotated[datetime | None, Query(description="Published before (ISO-8601 with offset).")] = None,
    source: Annotated[list[str] | None, Query(description="Source id; repeat for several.")] = None,
    platform: Annotated[list[Platform] | None, Query(description="Platform; repeat for several.")] = None,
    sentiment: Annotated[list[SentimentLabel] | None, Query(description="Sentiment; repeat for several.")] = None,
    topic: Annotated[list[str] | None, Query(description="Topic; repeat for several.")] = None,
    min_misinformation: Annotated[
        float | None, Query(ge=0.0, le=1.0, description="Misinformation score at least this (0 to 1).")
    ] = None,
) -> DocumentFilter:
    start, end = time_range("since", since, "until", until)
    return search_filter(
        key.role,
        monitor.settings.timezone,
        q=q,
        exact_accents=exact_accents,
        since=start,
        until=end,
        sources=source or (),
        platforms=platform or (),
        sentiments=sentiment or (),
        topics=topic or (),
        min_misinformation=min_misinformation,
    )


FilterDep = Annotated[DocumentFilter, Depends(_filter)]


def export_headers(result: SearchExport, filename: str) -> dict[str, str]:
    """A download's headers: the file's name, and how many rows of how many matches (the cap)."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Export-Rows": str(result.rows),
        "X-Export-Total": str(result.total),
        "X-Content-Type-Options": "nosniff",
    }


@router.get("", summary="Search documents")
def search_documents(
    monitor: MonitorDep,
    key: ReadDocuments,
    request: Request,
    document_filter: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500, description=LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000, description=OFFSET)] = 0,
    sort: Annotated[SortOrder, Query(description="Order of the results.")] = SortOrder.NEWEST,
) -> DocumentPage:
    page = monitor.store.search(SearchRequest(filter=document_filter, limit=limit, offset=offset, sort=sort))
    return DocumentPage(total=page.total, limit=limit, offset=offset, items=_for_role(page.items, key, request))


@router.get("/counts", summary="Count documents by field or over time")
def count_documents(
    monitor: MonitorDep,
    key: ReadDocuments,
    document_filter: FilterDep,
    by: Annotated[str, Query(description="A field (source_id, platform, sentiment, toxicity, topic) or 'time'.")],
    interval: Annotated[str, Query(description="Bucket size when by=time: 1h, 6h, 1d...")] = "1d",
) -> FieldCounts | TimeCounts:
    if by == "time":
        try:
            seconds = parse_duration(interval)
        except ValueError as exc:
            raise HTTPException(UNPROCESSABLE, f"parameter 'interval': {exc}") from exc
        offset = monitor.settings.zone.utcoffset(datetime.now())
        buckets = monitor.store.count_by_time(document_filter, seconds, int(offset.total_seconds()) if offset else 0)
        return TimeCounts(
            interval=interval,
            timezone=monitor.settings.timezone,
            total=sum(b.count for b in buckets),
            buckets=buckets,
        )
    try:
        field = CountField(by)
    except ValueError:
        known = ", ".join([f.value for f in CountField] + ["time"])
        raise HTTPException(UNPROCESSABLE, f"parameter 'by': unknown field {by!r} (known: {known})") from None
    counts = monitor.store.count_by_field(document_filter, field)
    return FieldCounts(field=field, total=sum(counts.values()), counts=counts)


@router.get("/significant-words", summary="Words much more frequent in the selection than in all documents")
def significant_words(
    monitor: MonitorDep,
    key: ReadDocuments,
    document_filter: FilterDep,
    size: Annotated[int, Query(ge=1, le=100, description="How many words to return.")] = 20,
) -> list[WordScore]:
    return monitor.store.significant_words(document_filter, size=size)


@router.get(
    "/export",
    summary=f"The search result as CSV or XLSX (newest {EXPORT_LIMIT} documents at most)",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "The file; X-Export-Rows and X-Export-Total say whether the cap cut it.",
        }
    },
)
def export_documents(
    monitor: MonitorDep,
    key: Annotated[ApiKey, Depends(require(*DOCUMENT_EXPORT_ROLES))],
    request: Request,
    document_filter: FilterDep,
    file_format: Annotated[ExportFormat, Query(alias="format", description="csv (UTF-8 with BOM) or xlsx.")],
) -> Response:
    out = io.BytesIO()
    zone = monitor.settings.zone
    result = write_search_export(
        monitor.store,
        document_filter,
        out,
        file_format=file_format,
        privacy=_privacy(key, request),
        zone=zone,
        limit=EXPORT_LIMIT,
    )
    name = export_filename(file_format, datetime.now(UTC), zone)
    media = CSV_MEDIA_TYPE if file_format is ExportFormat.CSV else XLSX_MEDIA_TYPE
    return Response(out.getvalue(), media_type=media, headers=export_headers(result, name))


@router.get("/{doc_id}", summary="Fetch one document with its analysis")
def get_document(doc_id: DocId, monitor: MonitorDep, key: ReadDocuments, request: Request) -> DocumentPublic:
    return _for_role([monitor.store.get(doc_id)], key, request)[0]


@router.post(
    "/{doc_id}/labels",
    summary="Correct a document's label (stored as training feedback)",
    status_code=status.HTTP_201_CREATED,
)
def correct_label(doc_id: DocId, correction: Correction, monitor: MonitorDep, key: CorrectLabels) -> LabelCorrection:
    try:
        return record_correction(
            monitor.store,
            monitor.feedback,
            doc_id,
            correction.task,
            correction.label,
            by=corrector(key),
            note=correction.note,
        )
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.message) from exc
    except FeedbackError as exc:
        raise HTTPException(UNPROCESSABLE, f"label: {exc.message}") from exc


@router.get("/{doc_id}/labels", summary="The label corrections of a document, oldest first")
def label_history(doc_id: DocId, monitor: MonitorDep, key: CorrectLabels) -> list[LabelCorrection]:
    return monitor.feedback.history(doc_id)
