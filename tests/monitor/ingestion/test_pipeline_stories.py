"""Story clustering inside the pipeline: copies share a story id that search and counts can use."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.context import Monitor
from monitor.ingestion.sources import Collected
from monitor.store.base import CountField, DocumentFilter, SearchRequest
from tests.monitor.ingestion.test_stories import ARTICLE, COPY_B, COPY_C, CORPUS, FB_REPOST, FB_UNACCENTED, OTHER_FLOOD


def test_copies_share_a_story_through_the_pipeline(monitor: Monitor) -> None:
    outcome = monitor.pipeline.process("test-import", Collected(documents=list(CORPUS)), datetime.now(UTC))
    assert outcome.counts.inserted == len(CORPUS)
    story = monitor.store.get(ARTICLE.doc_id).analysis.story_id
    assert story == ARTICLE.doc_id  # the first copy founds the story
    for copy in (COPY_B, COPY_C, FB_REPOST, FB_UNACCENTED):
        assert monitor.store.get(copy.doc_id).analysis.story_id == story
    assert monitor.store.get(OTHER_FLOOD.doc_id).analysis.story_id == OTHER_FLOOD.doc_id

    members = monitor.store.search(SearchRequest(filter=DocumentFilter(text=f"story:{story}")))
    assert members.total == 5
    assert monitor.store.count(DocumentFilter(story_ids=(story,))) == 5
    sizes = monitor.store.count_by_field(DocumentFilter(), CountField.STORY)
    assert sizes[story] == 5
    assert sorted(sizes.values()) == [1, 1, 1, 5]

    again = monitor.pipeline.process("test-import", Collected(documents=list(CORPUS)), datetime.now(UTC))
    assert again.counts.unchanged == len(CORPUS)  # the same story ids, so nothing changed
