"""Parameters several routes share, each described once for the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

AlertId = Annotated[str, Path(description="The alert's id (from GET /alerts).")]
CaseId = Annotated[str, Path(description="The case's id (from GET /cases).")]
DocId = Annotated[str, Path(description="The document's id (from GET /documents).")]
SilenceId = Annotated[str, Path(description="The silence's id (from GET /silences).")]
RuleId = Annotated[str, Path(description="The rule's id (from GET /rules).")]
EvidenceId = Annotated[str, Path(description="The evidence snapshot's id (from GET /cases/{case_id}/evidence).")]

LIMIT = "How many items to return at most."
OFFSET = "How many items to skip (for the next page: offset + limit)."
