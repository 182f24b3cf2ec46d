"""``trending_story``: a story cluster (``analysis.story_id``) gaining many members, from several sources, in
one window. One alert per story: each window it trends in adds its new members to the same alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from monitor.alerting.types import AlertCandidate
from monitor.durations import format_duration
from monitor.rules.base import Prepared
from monitor.rules.specs import TrendingStoryRuleSpec
from monitor.rules.windows import SelectedWindowEvaluator, WindowDetails, event_span, window_documents
from monitor.store.base import CountField, DocumentFilter


class TrendingStoryDetails(WindowDetails):
    """A ``trending_story`` alert: the story, its new members in the window and where they come from."""

    story_id: str
    new_members: int
    sources: dict[str, int] = Field(description="New members per source, by source id.")
    story_size: int = Field(description="The story's documents at the end of the window.")
    min_new_members: int
    min_sources: int


class TrendingStoryEvaluator(SelectedWindowEvaluator[TrendingStoryRuleSpec]):
    details_model = TrendingStoryDetails

    def touches(self, p: Prepared) -> bool:
        return p.item.analysis.story_id is not None and self.selection.matches(p)

    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        end = start + timedelta(seconds=self.rule.window)
        per_story = self.context.store.count_by_field(self.selection.filter(start, end), CountField.STORY)
        candidates: list[AlertCandidate] = []
        for story_id, new_members in sorted(per_story.items(), key=lambda pair: (-pair[1], str(pair[0]))):
            if new_members < self.rule.min_new_members:
                break  # sorted by count: the rest are smaller
            if story_id:  # documents without a story are counted under an empty value
                candidate = self._story(story_id, new_members, start, end)
                if candidate is not None:
                    candidates.append(candidate)
        return candidates

    def _story(self, story_id: str, new_members: int, start: datetime, end: datetime) -> AlertCandidate | None:
        rule, store = self.rule, self.context.store
        window_filter = self.selection.filter(start, end, story_ids=(story_id,))
        sources = store.count_by_field(window_filter, CountField.SOURCE)
        if len(sources) < rule.min_sources:
            return None
        # The story's size as it was at the end of the window, so a replay explains the same numbers.
        size = store.count(DocumentFilter(story_ids=(story_id,), until=end))
        items = window_documents(store, window_filter)
        first, last = event_span(items, start, end)
        span = format_duration(rule.window)
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=rule.severity,
            key=f"story:{story_id}",
            title=f"Câu chuyện lan nhanh '{rule.label}': {new_members} bài mới trong {span} từ {len(sources)} nguồn",
            summary=(
                f"Câu chuyện {story_id} có thêm {new_members} tài liệu trong {span} "
                f"từ {self.context.local_text(start)}, "
                f"từ {len(sources)} nguồn ({', '.join(sorted(sources))}); tổng cộng {size} tài liệu "
                f"(ngưỡng {rule.min_new_members} tài liệu mới từ {rule.min_sources} nguồn)."
            ),
            details=TrendingStoryDetails(
                **self.selection.window_details(start),
                story_id=story_id,
                new_members=new_members,
                sources=dict(sorted(sources.items())),
                story_size=size,
                min_new_members=rule.min_new_members,
                min_sources=rule.min_sources,
            ),
            doc_ids=tuple(item.doc_id for item in items),
            event_start=first,
            event_end=last,
        )
