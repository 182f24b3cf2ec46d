"""A case's claim in the claim registry, and the spread of the claim after the official correction.

Registering puts the case's false claim and its correction into the registry the misinformation scorer
matches against (:mod:`monitor.claims.registry`). From the next batch on, posts repeating the claim score
high and carry the claim's id, so the per-claim alert and the case point at the same thing; posts relaying
the correction are linked too. The spread is counted from those links, per local day.

A claim is registered only once it has been verified (the case is past triage) and the correction is
recorded: the registry says "this is false, and here is the official answer". Editing the claim or the
correction of a registered case updates the registry; dismissing the case withdraws it.

Registering (and every edit of a registered claim) also links the documents already stored
(:mod:`monitor.claims.backfill`): the spread counts them at once, without a replay. After an edit, links
the new wording no longer supports are removed; withdrawing keeps the links made so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, tzinfo

from pydantic import BaseModel, ConfigDict, Field

from monitor.access.audit import Actor
from monitor.cases.model import FINAL_STATES, Case, CaseState, CaseStateError, TimelineKind
from monitor.cases.store import CaseStore
from monitor.claims.backfill import BackfillReport, Progress
from monitor.claims.registry import (
    CORRECTION,
    REPEAT,
    ClaimLink,
    ClaimRegistry,
    RegisteredClaim,
    case_claim_id,
)
from monitor.errors import InvalidInputError
from monitor.ingestion.scoring import Claim

MAX_KEYWORDS = 20
# The scorer needs some content words to match; the registry's own limit (see Claim.text).
MIN_CLAIM_CHARS = 10


class SpreadDay(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    day: date = Field(description="Local day (the service's time zone) the documents were published.")
    repeats: int = Field(description="Documents repeating the claim.")
    corrections: int = Field(description="Documents relaying the official correction.")


class ClaimSpread(BaseModel):
    """How the claim and its correction spread, from the documents linked since registration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    claim_id: str
    registered: RegisteredClaim | None = Field(description="Null while the claim is not registered.")
    corrected_at: datetime | None = Field(description="When the official correction was issued.")
    repeats: int
    corrections: int
    repeats_after_correction: int
    corrections_after_correction: int
    days: list[SpreadDay]


# Links the stored documents to a claim just registered (see monitor.claims.backfill.StoredClaimLinker).
ClaimLinker = Callable[[Claim, Progress | None], BackfillReport]


class CaseClaims:
    """Registration of a case's claim, and its spread.

    Args:
        store: The case store.
        registry: The claim registry.
        linker: Links already stored documents to a claim on registration; None links only what the
            pipeline stores from then on.
    """

    def __init__(self, store: CaseStore, registry: ClaimRegistry, linker: ClaimLinker | None = None) -> None:
        self.store = store
        self.registry = registry
        self.linker = linker

    def registered(self, case_id: str) -> RegisteredClaim | None:
        return self.registry.get(case_claim_id(self.store.get(case_id).case_id))

    def register(
        self,
        case_id: str,
        by: Actor,
        keywords: tuple[str, ...] | None = None,
        progress: Progress | None = None,
    ) -> RegisteredClaim:
        """Add the case's claim and correction to the registry (again, after an edit), and link the
        documents already stored to it.

        ``keywords`` are other phrasings of the claim that signal it on their own; None keeps the ones
        registered before. ``progress`` hears how the linking of stored documents goes when it is long.
        Raises :class:`CaseStateError` (409) when the case is not ready.
        """
        case = self.store.get(case_id)
        if case.state in FINAL_STATES:
            raise CaseStateError(f"case '{case_id}' is {case.state.value}: its claim can no longer be registered")
        if case.state is CaseState.TRIAGE:
            raise CaseStateError(
                f"case '{case_id}' is still in triage: verify the claim (move the case to verifying) "
                "before registering it as false"
            )
        claim = self._claim(case, keywords)
        registered = self.registry.register(case_id, claim, by)
        data: dict[str, object] = {"claim_id": claim.id, "claim": claim.text, "keywords": list(claim.keywords)}
        if self.linker is not None:
            report = self.linker(claim, progress)
            data["stored_documents"] = {
                "checked": report.checked,
                "repeats": report.repeats,
                "corrections": report.corrections,
                "unlinked": report.removed,
                "not_checked": max(0, report.candidates - report.checked) if report.truncated else 0,
            }
        self.store.note_event(case_id, by, TimelineKind.REGISTER, data)
        return registered

    def withdraw(self, case_id: str, by: Actor, why: str) -> RegisteredClaim:
        """Stop matching the case's claim; documents already linked stay linked."""
        claim_id = case_claim_id(self.store.get(case_id).case_id)
        current = self.registry.get(claim_id)
        if current is None or not current.active:
            raise CaseStateError(f"case '{case_id}' has no registered claim to withdraw")
        withdrawn = self.registry.withdraw(claim_id)
        assert withdrawn is not None  # it was registered a moment ago
        self.store.note_event(case_id, by, TimelineKind.WITHDRAW, {"claim_id": claim_id, "why": why})
        return withdrawn

    def follow(self, case: Case, by: Actor) -> None:
        """Keep the registry in step after the case changed: re-register edits, withdraw on dismissal."""
        current = self.registry.get(case_claim_id(case.case_id))
        if current is None or not current.active:
            return
        if case.state is CaseState.DISMISSED:
            self.withdraw(case.case_id, by, "case dismissed")
        elif self._claim(case, None) != current.claim:
            self.register(case.case_id, by)

    def check_edit(self, case_id: str, text: str) -> None:
        """Refuse (InvalidInputError, 422) a claim or statement too short for the registry while it is registered,
        before the case changes, so the case and the registry never disagree."""
        current = self.registry.get(case_claim_id(case_id))
        if current is not None and current.active and len(text.strip()) < MIN_CLAIM_CHARS:
            raise InvalidInputError(
                f"case '{case_id}' has a registered claim: its claim and correction need at least "
                f"{MIN_CLAIM_CHARS} characters (withdraw the registration first to shorten them)"
            )

    def spread(self, case_id: str, zone: tzinfo) -> ClaimSpread:
        """Repeats and corrections per local day, and how many came after the official correction."""
        case = self.store.get(case_id)
        claim_id = case_claim_id(case.case_id)
        corrected_at = case.correction.issued_at if case.correction is not None else None
        per_day: dict[date, Counter[str]] = {}
        totals: Counter[str] = Counter()
        after: Counter[str] = Counter()
        for kind, published_at in self.registry.link_times(claim_id):
            per_day.setdefault(published_at.astimezone(zone).date(), Counter())[kind] += 1
            totals[kind] += 1
            if corrected_at is not None and published_at >= corrected_at:
                after[kind] += 1
        return ClaimSpread(
            case_id=case.case_id,
            claim_id=claim_id,
            registered=self.registry.get(claim_id),
            corrected_at=corrected_at,
            repeats=totals[REPEAT],
            corrections=totals[CORRECTION],
            repeats_after_correction=after[REPEAT],
            corrections_after_correction=after[CORRECTION],
            days=[
                SpreadDay(day=day, repeats=counts[REPEAT], corrections=counts[CORRECTION])
                for day, counts in sorted(per_day.items())
            ],
        )

    def linked(self, case_id: str, *, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[ClaimLink]:
        """Documents linked to the case's claim, newest first."""
        claim_id = case_claim_id(self.store.get(case_id).case_id)
        return self.registry.links(claim_id, kind=kind, limit=limit, offset=offset)

    def _claim(self, case: Case, keywords: tuple[str, ...] | None) -> Claim:
        if case.claim is None or len(case.claim) < MIN_CLAIM_CHARS:
            raise CaseStateError(
                f"case '{case.case_id}' has no claim of at least {MIN_CLAIM_CHARS} characters to register: "
                "record it with PUT /cases/{id}/claim first"
            )
        if case.correction is None:
            raise CaseStateError(
                f"case '{case.case_id}' has no official correction yet: record it with PUT /cases/{{id}}/correction "
                "before registering the claim"
            )
        if keywords is None:
            previous = self.registry.get(case_claim_id(case.case_id))
            keywords = previous.claim.keywords if previous is not None else ()
        correction = case.correction
        if len(correction.statement) < MIN_CLAIM_CHARS:
            raise CaseStateError(
                f"case '{case.case_id}': the correction statement needs at least {MIN_CLAIM_CHARS} characters "
                "for the registry"
            )
        return Claim(
            id=case_claim_id(case.case_id),
            text=case.claim,
            correction=correction.statement,
            correction_url=str(correction.url),
            issued_by=correction.issued_by,
            corrected_at=correction.issued_at,
            keywords=tuple(dict.fromkeys(k.strip() for k in keywords if k.strip()))[:MAX_KEYWORDS],
        )
