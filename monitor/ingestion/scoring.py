"""The contract between the pipeline and the NLP layer (which lives in ``models``).

An :class:`Analyzer` identifies languages and scores documents in batches. The built-in one uses
lexicons and keywords; trained models replace it through configuration, behind the same interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from monitor.analysis import Analysis
from monitor.ingestion.sources import Credibility
from monitor.records import Document, UtcDatetime


class Claim(BaseModel):
    """A checkable claim the office has verified as false, with the official correction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    text: str = Field(min_length=10, description="The false claim in one sentence.")
    correction: str = Field(min_length=10, description="The official correction in one sentence.")
    correction_url: str | None = None
    issued_by: str | None = None
    corrected_at: UtcDatetime | None = None
    keywords: tuple[str, ...] = Field(default=(), description="Extra phrases that signal the claim.")


@dataclass(frozen=True)
class AnalysisContext:
    """Configuration an analyzer is built from."""

    config_dir: Path
    source_credibility: Mapping[str, Credibility] = field(default_factory=dict)
    claims: Sequence[Claim] = ()


class Analyzer(Protocol):
    """Language identification and scoring, in batches."""

    def identify_languages(self, texts: Sequence[str]) -> list[str]:
        """ISO 639-1 code per text ("vi", "en"...), or "und" when unsure."""
        ...

    def analyze(self, documents: Sequence[Document]) -> list[Analysis]:
        """One :class:`Analysis` per document, in order."""
        ...


@runtime_checkable
class ClaimAware(Protocol):
    """An analyzer that takes a new claim registry while running.

    Cases register claims while the service runs; an analyzer without this method keeps the claims it
    was built with until the service restarts.
    """

    def use_claims(self, claims: Sequence[Claim]) -> None:
        """Match documents against ``claims`` (the whole registry) from now on."""
        ...
