"""The claim registry on a real SQLite file: revisions, links (direct and through threads), and the pipeline
picking up a claim registered by another process's connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.access.audit import Actor
from monitor.analysis import Analysis, AnalyzedDocument, Reason
from monitor.claims.backfill import StoredClaimLinker, candidate_query
from monitor.claims.registry import CORRECTION, REPEAT, ClaimRegistry
from monitor.context import Monitor
from monitor.db import Database
from monitor.errors import InvalidInputError
from monitor.ingestion.scoring import Claim
from monitor.ingestion.sources import Collected
from monitor.query import MAX_QUERY_LENGTH, parse
from monitor.records import Document, Platform, doc_id_for_post
from tests.factories import analyzed, at

OFFICER = Actor(name="Cán bộ Trần Thị B", key_id="k-officer")
FILE_CLAIM = Claim(
    id="thien-tan-tap-water-poisoned",
    text="Nước máy từ Nhà máy nước Thiện Tân bị nhiễm độc, người dân không được dùng nước máy.",
    correction="Nước máy đạt QCVN 01-1:2018/BYT, thông tin nhiễm độc là sai sự thật.",
)
DAM = Claim(
    id="case-dam",
    text="Hồ Trị An sắp vỡ đập, người dân hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay.",
    correction="Công ty Thủy điện Trị An khẳng định đập an toàn, thông tin vỡ đập là sai sự thật.",
    keywords=("trị an vỡ đập", "vỡ đập trị an"),
)
DENIAL = Reason(kind="cites_correction", ref="tin giả", weight=0.8, detail="cites a denial")


@pytest.fixture
def registry(tmp_path: Path) -> ClaimRegistry:
    return ClaimRegistry(Database(tmp_path / "monitor.sqlite3"), [FILE_CLAIM])


def test_registration_bumps_the_revision_and_joins_the_file_claims(registry: ClaimRegistry) -> None:
    assert registry.revision() == 0
    assert registry.claims() == [FILE_CLAIM]
    registered = registry.register("c-1", DAM, OFFICER)
    assert registered.active
    assert registered.case_id == "c-1"
    assert registered.registered_by == OFFICER.label
    first = registry.revision()
    assert first > 0
    assert registry.claims() == [FILE_CLAIM, DAM]
    edited = DAM.model_copy(update={"keywords": ("đập trị an bị nứt",)})
    registry.register("c-1", edited, OFFICER)
    assert registry.revision() > first
    assert registry.claims() == [FILE_CLAIM, edited]
    withdrawn = registry.withdraw(DAM.id)
    assert withdrawn is not None
    assert not withdrawn.active
    assert registry.claims() == [FILE_CLAIM]
    assert registry.withdraw("case-unknown") is None
    registry.register("c-1", edited, OFFICER)  # registered again: active again
    assert registry.claims() == [FILE_CLAIM, edited]
    assert [r.claim.id for r in registry.registered()] == [DAM.id]


def test_a_case_cannot_take_an_id_from_claims_yaml(registry: ClaimRegistry) -> None:
    with pytest.raises(InvalidInputError, match=r"already used in claims\.yaml"):
        registry.register("c-1", FILE_CLAIM, OFFICER)
    assert registry.revision() == 0


def test_links_record_repeats_and_corrections_once_per_document(registry: ClaimRegistry) -> None:
    repeat = analyzed("Trị An sắp vỡ đập!!!", post_id="r1", published=at("2026-11-05 21:00"), claim_ids=(DAM.id,))
    relay = analyzed(
        "Đập Trị An an toàn, tin vỡ đập là tin giả",
        post_id="c1",
        published=at("2026-11-06 08:00"),
        corrected_claim_ids=(DAM.id,),
    )
    unrelated = analyzed("Biên Hòa mưa lớn chiều nay", post_id="u1", published=at("2026-11-06 09:00"))
    assert registry.link([repeat, relay, unrelated]) == 2
    links = registry.links(DAM.id)
    assert [(link.doc_id, link.kind) for link in links] == [(relay.doc_id, CORRECTION), (repeat.doc_id, REPEAT)]
    assert [link.doc_id for link in registry.links(DAM.id, kind=REPEAT)] == [repeat.doc_id]
    # Seen again after an edit turned it into a correction: still one link, with the new kind.
    edited = analyzed(
        "Đính chính: Trị An không vỡ đập", post_id="r1", published=at("2026-11-05 21:00"), corrected_claim_ids=(DAM.id,)
    )
    registry.link([edited])
    assert [(link.doc_id, link.kind) for link in registry.links(DAM.id)] == [
        (relay.doc_id, CORRECTION),
        (repeat.doc_id, CORRECTION),
    ]
    times = list(registry.link_times(DAM.id))
    assert [published for _, published in times] == sorted(published for _, published in times)


def test_a_reply_denying_the_rumour_relays_the_correction_of_its_parents_claim(registry: ClaimRegistry) -> None:
    parent = analyzed("Trị An sắp vỡ đập!!!", post_id="p1", published=at("2026-11-05 21:00"), claim_ids=(DAM.id,))
    # In the same batch as its parent: "fake news, folks" names neither the claim nor the statement.
    reply = analyzed(
        "Tin giả đó mn ơi, đừng share nữa 🙏",
        post_id="p2",
        published=at("2026-11-05 22:00"),
        reasons=(DENIAL,),
        parent_post_id="p1",
    )
    assert registry.link([parent, reply]) == 2
    # In a later batch, and a reply that does not deny anything.
    later = analyzed(
        "tin gia thoi, so y te bac bo roi",
        post_id="p3",
        published=at("2026-11-06 07:00"),
        reasons=(DENIAL,),
        parent_post_id="p1",
    )
    chatter = analyzed("hóng quá mn ơi", post_id="p4", published=at("2026-11-06 07:30"), parent_post_id="p1")
    orphan = analyzed(
        "Tin giả!", post_id="p5", published=at("2026-11-06 07:40"), reasons=(DENIAL,), parent_post_id="p9"
    )
    assert registry.link([later, chatter, orphan]) == 1
    kinds = {link.doc_id: link.kind for link in registry.links(DAM.id)}
    assert kinds == {parent.doc_id: REPEAT, reply.doc_id: CORRECTION, later.doc_id: CORRECTION}


def _post(post_id: str, text: str, published: datetime) -> Document:
    return Document(
        doc_id=doc_id_for_post(Platform.FACEBOOK, post_id),
        source_id="sample-social",
        platform=Platform.FACEBOOK,
        url=f"https://facebook.example/posts/{post_id}",
        text=text,
        published_at=published,
        fetched_at=datetime.now(UTC),
    )


def test_the_pipeline_scores_with_a_claim_another_process_registered(monitor: Monitor) -> None:
    # The API runs in another process: its own connection to the same file.
    api_side = ClaimRegistry(Database(monitor.settings.sqlite_path), [])
    rumour = "Nghe nói hồ Trị An sắp vỡ đập, hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay, chia sẻ gấp!!!"
    published = at("2026-11-05 21:00")

    def run(post_id: str) -> Document:
        document = _post(post_id, rumour, published + timedelta(minutes=len(post_id)))
        outcome = monitor.pipeline.process("sample-social", Collected(documents=[document]), datetime.now(UTC))
        assert outcome.counts.inserted == 1
        return document

    before = run("b")
    api_side.register("c-dam", DAM, OFFICER)
    after = run("after")
    [stored_before, stored_after] = monitor.store.get_many([before.doc_id, after.doc_id])
    assert DAM.id not in stored_before.analysis.misinformation.claim_ids
    assert stored_after.analysis.misinformation.claim_ids == (DAM.id,)
    assert [link.doc_id for link in api_side.links(DAM.id)] == [after.doc_id]
    api_side.withdraw(DAM.id)
    withdrawn = run("withdrawn")
    [stored] = monitor.store.get_many([withdrawn.doc_id])
    assert DAM.id not in stored.analysis.misinformation.claim_ids


def test_relink_adds_and_removes_the_links_of_one_claim_only(registry: ClaimRegistry) -> None:
    both = analyzed("Trị An vỡ đập, nước máy nhiễm độc", post_id="r1", published=at("2026-11-05 21:00"))
    parent = analyzed("Trị An sắp vỡ đập!!!", post_id="p1", published=at("2026-11-05 21:10"), claim_ids=(DAM.id,))
    reply = analyzed(
        "Tin giả đó mn ơi", post_id="p2", published=at("2026-11-05 22:00"), reasons=(DENIAL,), parent_post_id="p1"
    )
    registry.link([both.model_copy(update={"analysis": _claims(both, FILE_CLAIM.id, DAM.id)}), parent, reply])
    # The claim was edited: scored again, neither post repeats it any more.
    counts = registry.relink(
        DAM.id,
        [
            both.model_copy(update={"analysis": _claims(both, FILE_CLAIM.id)}),
            analyzed("Trị An sắp vỡ đập!!!", post_id="p1", published=at("2026-11-05 21:10")),
            reply,
        ],
    )
    assert (counts.repeats, counts.corrections, counts.removed) == (0, 0, 3)  # the reply followed its parent
    assert registry.linked_doc_ids(DAM.id) == []
    assert registry.linked_doc_ids(FILE_CLAIM.id) == [both.doc_id]  # another claim's link is left alone
    # Edited back: the post and, through it, the reply are linked again.
    counts = registry.relink(DAM.id, [parent, reply])
    assert (counts.repeats, counts.corrections, counts.removed) == (1, 1, 0)
    assert {link.doc_id: link.kind for link in registry.links(DAM.id)} == {
        parent.doc_id: REPEAT,
        reply.doc_id: CORRECTION,
    }


def _claims(item: AnalyzedDocument, *claim_ids: str) -> Analysis:
    misinformation = item.analysis.misinformation.model_copy(update={"claim_ids": claim_ids})
    return item.analysis.model_copy(update={"misinformation": misinformation})


def test_the_candidate_query_leaves_out_words_most_documents_hold() -> None:
    query = candidate_query(DAM, frequency=lambda word: 0.6 if word in {"nguoi", "dan", "la"} else 0.01)
    terms = query.split(" OR ")
    assert '"tri an vo dap"' in terms  # keyword phrases are kept whatever their frequency
    assert '"dap"' in terms
    assert not {'"nguoi"', '"dan"', '"la"'} & set(terms)
    assert {'"nguoi"', '"dan"'} <= set(candidate_query(DAM).split(" OR "))


def test_the_candidate_query_of_a_long_claim_stays_a_valid_search() -> None:
    long_keywords = tuple(f"nước máy khu phố {n} nhiễm hóa chất độc hại theo lời đồn trên mạng" for n in range(80))
    claim = Claim(id="case-long", text=DAM.text, correction=DAM.correction, keywords=long_keywords)
    query = candidate_query(claim)
    assert len(query) <= MAX_QUERY_LENGTH
    parse(query)  # within every limit of the query language: no QueryError
    assert '"nuoc may khu pho 0 nhiem hoa chat doc hai theo loi don tren mang"' in query.split(" OR ")


def test_registering_links_stored_repeats_newest_first_within_the_bound(monitor: Monitor) -> None:
    rumours = [
        analyzed(
            f"Nghe nói hồ Trị An sắp vỡ đập, hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay (tin {i})",
            post_id=f"dam-{i}",
            published=at("2026-11-05 21:00") + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    unrelated = analyzed("Giá xăng giảm từ chiều hôm qua", post_id="xang", published=at("2026-11-05 22:00"))
    monitor.store.upsert([*rumours, unrelated])
    monitor.claims.register("c-dam", DAM, OFFICER)
    report = StoredClaimLinker(monitor.claims, monitor.store, monitor.workers, max_candidates=3)(DAM)
    assert (report.candidates, report.checked, report.repeats, report.truncated) == (5, 3, 3, True)
    assert set(monitor.claims.linked_doc_ids(DAM.id)) == {r.doc_id for r in rumours[2:]}  # the newest three
    report = StoredClaimLinker(monitor.claims, monitor.store, monitor.workers)(DAM)
    assert (report.candidates, report.checked, report.repeats, report.truncated) == (5, 5, 5, False)
