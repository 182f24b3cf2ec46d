"""The document page: text, source, time, engagement, scores with their reasons, the story, linked claims,
the archived original, and the "correct this label" form (label history beside it).

The document is read as ``GET /documents/{doc_id}`` reads it (researchers through the privacy view,
:mod:`monitor.access.documents`); a correction goes through :func:`monitor.analytics.feedback.correct_label`,
as ``POST /documents/{doc_id}/labels`` does. The archived original is served as plain text in a sandbox,
never as a live page of our origin (it is a stranger's HTML).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import vocabulary
from api.console.web import HEADERS, PageError, Posted, Viewer, allow, monitor_of, redirect, render, router
from api.params import DocId
from api.sessions import SignedIn
from monitor.access.documents import corrector, privacy_for, visible
from monitor.access.roles import ARCHIVE_ROLES, DOCUMENT_ROLES, LABEL_ROLES
from monitor.analysis import AnalyzedDocument, SentimentLabel, ToxicityLabel
from monitor.analytics.feedback import FeedbackError, correct_label
from monitor.analytics.metrics import topic_labels
from monitor.cases.access import SEE_ROLES
from monitor.claims.registry import case_of_claim
from monitor.context import Monitor
from monitor.ingestion.originals import as_text, find_original
from monitor.ingestion.scoring import Claim
from monitor.store.base import DocumentFilter, SearchRequest, SortOrder

STORY_SHOWN = 20  # story members listed on the page (the count says how many there are)
TASK_NAMES = {"sentiment": "Sắc thái", "toxicity": "Độc hại", "topic": "Chủ đề", "misinformation": "Tin sai"}
MISINFORMATION_NAMES = {"reliable": "Đáng tin", "unreliable": "Không đáng tin (tin sai)"}
ORIGINAL_HEADERS = {
    **HEADERS,
    # A stranger's page, shown as text: no script, no style, no form, no frame, in a sandbox of its own.
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@dataclass(frozen=True)
class LinkedClaim:
    """A claim the document repeats or whose correction it relays, with the case that registered it."""

    claim_id: str
    kind: str
    claim: Claim | None
    case_id: str | None


def _label_options(topics: dict[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The correction form's choices, by task: ``task:label`` values under a Vietnamese heading."""
    return [
        ("Sắc thái", [(f"sentiment:{s.value}", vocabulary.label("sentiment", s)) for s in SentimentLabel]),
        ("Độc hại", [(f"toxicity:{t.value}", vocabulary.label("toxicity", t)) for t in ToxicityLabel]),
        ("Tin sai", [(f"misinformation:{value}", text) for value, text in MISINFORMATION_NAMES.items()]),
        ("Chủ đề", [(f"topic:{topic}", name) for topic, name in sorted(topics.items(), key=lambda p: p[1])]),
    ]


def _claims(monitor: Monitor, item: AnalyzedDocument) -> list[LinkedClaim]:
    known = {claim.id: claim for claim in monitor.claims.claims()}
    kinds: dict[str, str] = {}
    for claim_id in item.analysis.misinformation.claim_ids:
        kinds[claim_id] = "repeat"
    for claim_id in item.analysis.misinformation.corrected_claim_ids:
        kinds.setdefault(claim_id, "correction")
    for link in monitor.claims.links_of_document(item.doc_id):  # replies linked through their thread too
        kinds.setdefault(link.claim_id, link.kind)
    return [LinkedClaim(cid, kind, known.get(cid), case_of_claim(cid)) for cid, kind in kinds.items()]


def _story(monitor: Monitor, item: AnalyzedDocument) -> tuple[int, list[AnalyzedDocument]]:
    story_id = item.analysis.story_id
    if story_id is None:
        return 1, []
    members = monitor.store.search(
        SearchRequest(filter=DocumentFilter(story_ids=(story_id,)), limit=STORY_SHOWN + 1, sort=SortOrder.OLDEST)
    )
    others = [member for member in members.items if member.doc_id != item.doc_id][:STORY_SHOWN]
    return members.total, others


def _page(request: Request, found: SignedIn, doc_id: str, status_code: int = 200, error: str | None = None) -> Response:
    key = allow(found, DOCUMENT_ROLES)
    monitor = monitor_of(request)
    policy = privacy_for(key.role, request.app.state.pseudonymizer, monitor.store)
    stored = monitor.store.get(doc_id)
    story_size, story = _story(monitor, stored)
    source = monitor.source(stored.document.source_id)
    topics = topic_labels(monitor.settings.config_dir)
    role = found.user.role
    return render(
        request,
        "document.html",
        found,
        status_code,
        section="search",
        error=error,
        item=visible([stored], policy)[0],
        source=source.spec if source is not None else None,
        story_size=story_size,
        story=visible(story, policy),
        claims=_claims(monitor, stored),
        show_cases=role in SEE_ROLES,
        show_original=role in ARCHIVE_ROLES,
        can_correct=role in LABEL_ROLES,
        history=monitor.feedback.history(doc_id) if role in LABEL_ROLES else [],
        label_options=_label_options(topics),
        task_names=TASK_NAMES,
        misinformation_names=MISINFORMATION_NAMES,
        topic_names=topics,
        researcher_view=policy is not None,
    )


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, found: Viewer, doc_id: DocId) -> Response:
    """One document with everything the office knows about it."""
    return _page(request, found, doc_id)


@router.post("/documents/{doc_id}/labels")
def correct_document_label(request: Request, found: Viewer, form: Posted, doc_id: DocId) -> Response:
    """Record the right label (training feedback), as ``POST /documents/{doc_id}/labels`` does."""
    key = allow(found, LABEL_ROLES)
    monitor = monitor_of(request)
    task, _, label = form.get("correction").partition(":")
    try:
        if not task or not label:
            raise FeedbackError("no label was chosen")
        correct_label(monitor.store, monitor.feedback, doc_id, task, label, by=corrector(key), note=form.get("note"))
    except FeedbackError as exc:
        message = f"Chưa ghi nhận được nhãn ({exc.message}). Hãy chọn nhãn đúng trong danh sách rồi bấm “Ghi nhận”."
        return _page(request, found, doc_id, 422, message)
    return redirect(f"/console/documents/{doc_id}", done="label-corrected")


@router.get("/documents/{doc_id}/original")
def archived_original(request: Request, found: Viewer, doc_id: DocId) -> Response:
    """The archived raw item as plain text (never rendered as HTML here), for officers and admins."""
    allow(found, ARCHIVE_ROLES)
    monitor = monitor_of(request)
    item = monitor.store.get(doc_id)
    archive = monitor.cases.evidence.archive
    original = find_original(archive, item) if archive is not None else None
    if original is None:
        raise PageError(
            404,
            "Không có bản gốc đã lưu",
            "Kho lưu trữ không có phản hồi hay tệp nào chứa bài này (có thể đã quá hạn lưu, hoặc bài được nhập "
            "từ nguồn không lưu bản gốc). Nội dung bài vẫn xem được ở trang bài.",
        )
    return Response(as_text(original), media_type="text/plain; charset=utf-8", headers=ORIGINAL_HEADERS)
