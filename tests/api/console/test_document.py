"""The console's document page over the crawled sample corpus: what each role sees (reasons, pseudonyms),
the story, the linked claims, the archived original served as inert text, and the label correction form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from api.console import vocabulary
from api.console.reasons import reason_text
from api.console.web import number
from monitor.access.keys import Role
from monitor.analysis import Reason
from monitor.context import Monitor
from monitor.records import Platform, doc_id_for_post
from tests.api.console.corpus import PEOPLE, crawled_monitor, signed_in_as
from tests.factories import analyzed, at

RUMOUR = doc_id_for_post(Platform.FACEBOOK, "fb_1039")  # "CHIA SẺ GẤP!!! ... Nhà máy nước Thiện Tân"
RUMOUR_AUTHOR = "Hương Thu Nguyễn"
CORRECTION = doc_id_for_post(Platform.FACEBOOK, "fb_1049")  # "ĐÃ CÓ THÔNG BÁO CHÍNH THỨC"
CLAIM_TEXT_START = "Nước máy"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    with crawled_monitor(tmp_path_factory.mktemp("document")) as monitor:
        yield monitor


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER])
def test_officers_see_the_document_its_reasons_and_its_claim(corpus: Monitor, role: Role) -> None:
    with signed_in_as(corpus, role) as (client, _):
        page = client.get(f"/console/documents/{RUMOUR}")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    stored = corpus.store.get(RUMOUR)
    assert stored.document.text.splitlines()[0] in text
    assert f'<dd id="doc-author">{RUMOUR_AUTHOR}</dd>' in text
    source = corpus.source(stored.document.source_id)
    assert source is not None
    credibility = vocabulary.label("credibility", source.spec.credibility)
    assert f'<dd id="doc-source">{source.spec.label} <span class="muted">({credibility})</span></dd>' in text
    assert f"Chia sẻ {number(stored.document.engagement.shares)}" in text
    for score in ("sentiment", "toxicity", "misinformation", "topics"):
        assert f'id="score-{score}"' in page.text
    misinformation = stored.analysis.misinformation
    assert misinformation.reasons, "the sample rumour is scored with reasons"
    assert 'id="reasons-misinformation"' in page.text
    for reason in misinformation.reasons:
        assert html.escape(reason_text(reason), quote=False) in text  # each in Vietnamese
    claim = next(c for c in corpus.claims.claims() if c.id in misinformation.claim_ids)
    assert 'id="claims"' in page.text
    assert claim.text in text
    assert "Lặp lại nội dung sai" in text
    assert 'id="original-link"' in page.text
    assert 'id="label-form"' in page.text
    assert 'id="no-history"' in page.text


def test_a_correction_is_listed_as_relaying_the_official_correction(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        page = client.get(f"/console/documents/{CORRECTION}")
    assert page.status_code == 200
    assert "Đưa tin đính chính" in page.text


def test_a_researcher_reads_pseudonyms_without_the_original_or_the_label_form(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.RESEARCHER) as (client, token):
        page = client.get(f"/console/documents/{RUMOUR}")
        original = client.get(f"/console/documents/{RUMOUR}/original")
        label = client.post(
            f"/console/documents/{RUMOUR}/labels", data={"csrf_token": token, "correction": "sentiment:positive"}
        )
    assert page.status_code == 200
    assert RUMOUR_AUTHOR not in html.unescape(page.text)
    assert re.search(r'<dd id="doc-author">anon-[0-9a-f]{12}</dd>', page.text)
    assert 'id="privacy-note"' in page.text
    assert "ẩn để bảo vệ tác giả" in page.text  # a social post's URL leads to its author
    assert 'id="original-link"' not in page.text
    assert 'id="label-form"' not in page.text
    assert original.status_code == 403
    assert label.status_code == 403
    assert corpus.feedback.history(RUMOUR) == []


def test_a_liaison_and_an_unknown_document_get_pages(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.LIAISON) as (client, _):
        refused = client.get(f"/console/documents/{RUMOUR}")
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        missing = client.get("/console/documents/00000000-0000-5000-8000-000000000000")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert missing.status_code == 404
    assert "Không tìm thấy" in missing.text


def test_the_story_lists_the_copies_and_reposts(corpus: Monitor) -> None:
    story = "story-phuoc-tan"
    first = analyzed(
        "Xã Phước Tân cúp nước từ 8 giờ đến 17 giờ ngày 5/11 để sửa đường ống.",
        post_id="story-1",
        published=at("2026-11-04 08:00"),
        story_id=story,
    )
    repost = analyzed(
        "Xã Phước Tân cúp nước từ 8 giờ đến 17 giờ ngày 5/11 để sửa đường ống. Bà con trữ nước nhé!",
        post_id="story-2",
        published=at("2026-11-04 09:30"),
        story_id=story,
    )
    corpus.store.upsert([first, repost])
    try:
        with signed_in_as(corpus, Role.OFFICER) as (client, _):
            page = client.get(f"/console/documents/{repost.doc_id}")
            alone = client.get(f"/console/documents/{RUMOUR}")
        assert "Câu chuyện có 2 bài" in page.text
        assert f'href="/console/documents/{first.doc_id}"' in page.text
        assert "04/11/2026 08:00" in page.text
        assert 'id="no-story"' in alone.text
    finally:
        corpus.store.delete([first.doc_id, repost.doc_id])


def test_reasons_without_detail_say_so(corpus: Monitor) -> None:
    plain = analyzed(
        "Đường Võ Thị Sáu đã thông xe.",
        post_id="no-reasons",
        published=at("2026-11-04 10:00"),
        reasons=(
            Reason(kind="source_credibility", detail="source rated", weight=0.2, ref="mau-mxh"),
            Reason(kind="new_kind_of_evidence", detail="a kind the console has no words for yet", weight=0.1),
        ),
    )
    corpus.store.upsert([plain])
    try:
        with signed_in_as(corpus, Role.OFFICER) as (client, _):
            page = client.get(f"/console/documents/{plain.doc_id}").text
        assert "Mô hình không nêu lý do cho điểm này." in page  # sentiment and toxicity have none here
        assert "Nguồn “mau-mxh” theo đánh giá của người vận hành: điểm được điều chỉnh" in page
        assert "a kind the console has no words for yet" in page  # an unknown kind keeps its own detail
        assert 'id="no-claims"' in page
    finally:
        corpus.store.delete([plain.doc_id])


def test_the_archived_original_is_inert_text(corpus: Monitor) -> None:
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        response = client.get(f"/console/documents/{RUMOUR}/original")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    stored = corpus.store.get(RUMOUR).document
    assert stored.url in response.text
    assert response.text.startswith("# Bản gốc đã lưu: tệp/nguồn cấp chứa bài")


def test_a_document_with_nothing_archived_says_so(corpus: Monitor) -> None:
    imported = analyzed("Nhập tay: đường Đồng Khởi ngập 30 cm.", post_id="manual-1", published=at("2026-11-04 11:00"))
    corpus.store.upsert([imported])
    try:
        with signed_in_as(corpus, Role.OFFICER) as (client, _):
            response = client.get(f"/console/documents/{imported.doc_id}/original")
        assert response.status_code == 404
        assert "Không có bản gốc đã lưu" in response.text
    finally:
        corpus.store.delete([imported.doc_id])


# --- correcting a label ------------------------------------------------------------------------------------


def test_an_officer_corrects_a_label_and_sees_it_in_the_history(corpus: Monitor) -> None:
    target = doc_id_for_post(Platform.FACEBOOK, "fb_1040")
    with signed_in_as(corpus, Role.OFFICER) as (client, token):
        response = client.post(
            f"/console/documents/{target}/labels",
            data={"csrf_token": token, "correction": "sentiment:negative", "note": "Bài hoảng sợ, không trung tính"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/console/documents/{target}?done=label-corrected"
        page = client.get(response.headers["location"]).text
    history = corpus.feedback.history(target)
    assert [(h.task, h.label, h.note) for h in history] == [("sentiment", "negative", "Bài hoảng sợ, không trung tính")]
    assert re.fullmatch(rf"{PEOPLE[Role.OFFICER]} \(user:[^)]+\)", history[0].corrected_by)  # the person, as in the API
    assert 'id="notice"' in page
    assert "Đã ghi nhận nhãn đúng" in page
    assert 'id="label-history"' in page
    assert "Sắc thái</strong> →\n      Tiêu cực" in page
    assert "Bài hoảng sợ, không trung tính" in page


@pytest.mark.parametrize("token", [None, "forged"])
def test_the_label_form_needs_the_csrf_token(corpus: Monitor, token: str | None) -> None:
    target = doc_id_for_post(Platform.FACEBOOK, "fb_1043")
    with signed_in_as(corpus, Role.OFFICER) as (client, _):
        data = {"correction": "toxicity:hate"} | ({"csrf_token": token} if token else {})
        response = client.post(f"/console/documents/{target}/labels", data=data)
    assert response.status_code == 403
    assert "Biểu mẫu bị từ chối" in response.text
    assert corpus.feedback.history(target) == []


@pytest.mark.parametrize(
    ("correction", "said"),
    [("sentiment:furious", "'furious' is not a sentiment label"), ("", "no label was chosen")],
)
def test_a_wrong_label_shows_the_form_again_with_the_reason(corpus: Monitor, correction: str, said: str) -> None:
    target = doc_id_for_post(Platform.FACEBOOK, "fb_1047")
    with signed_in_as(corpus, Role.ADMIN) as (client, token):
        response = client.post(
            f"/console/documents/{target}/labels", data={"csrf_token": token, "correction": correction}
        )
    assert response.status_code == 422
    assert said in html.unescape(response.text)
    assert 'id="label-form"' in response.text
    assert corpus.feedback.history(target) == []


def test_the_console_and_the_api_record_the_same_correction(corpus: Monitor) -> None:
    target = doc_id_for_post(Platform.FACEBOOK, "fb_1045")
    with signed_in_as(corpus, Role.OFFICER) as (client, token):
        data = {"csrf_token": token, "correction": "topic:environment_disasters"}
        assert client.post(f"/console/documents/{target}/labels", data=data).status_code == 303
        api = client.get(f"/documents/{target}/labels").json()
    assert [(c["task"], c["label"]) for c in api] == [("topic", "environment_disasters")]
