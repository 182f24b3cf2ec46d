"""What a ``watch`` alert's details say: the episode's evidence and, per document, why it matched."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from monitor.alerting.details import AlertDetails


class WatchEvidence(AlertDetails):
    """What the episode's documents add up to, and the step of the evidence ladder that set the severity."""

    documents: int
    outlets: list[str] = Field(description="Distinct 'source/platform' pairs the documents come from.")
    sources: list[str]
    authors: int = Field(description="Distinct authors named (a count: details hold no profiles).")
    engagement: int = Field(description="Likes, comments and shares summed over the documents.")
    severity_because: str | dict[str, Any] = Field(
        description="The evidence step reached (as in the rule), or the rule's base severity."
    )


class WatchMatchDetails(AlertDetails):
    """One document's match: the phrase, where it was found, its context and the conditions that held."""

    # 'in' is the stored key; Python code says found_in.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    doc_id: str
    phrase: str
    found_in: str = Field(alias="in", description="'title' or 'text'.")
    word: int = Field(description="Index of the phrase's first word.")
    context: str
    conditions: dict[str, Any]


class WatchDetails(WatchEvidence):
    """A ``watch`` alert: the query and conditions, the episode's span, its evidence, the first matches."""

    query: str
    conditions: dict[str, Any] = Field(description="The rule's context conditions that are set.")
    matched_terms: list[str]
    window_start: str
    window_end: str
    group_window: str
    first_published: str
    last_published: str
    matches: list[WatchMatchDetails]
