"""Cases and rapid response (issue #7): the workflow, evidence with its chain of custody, deadlines.

:class:`Cases` puts the parts together: :class:`CaseStore` (states, priority, assignment, sharing,
comments, claim and correction, timeline), :class:`EvidenceLocker` (write-once snapshots and the custody
log) and the service levels of ``configs/cases.yaml`` (:func:`overdue`, :func:`breach_candidate`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from monitor.access.audit import SYSTEM, Actor
from monitor.alerting.store import AlertStore
from monitor.alerting.types import AlertCandidate
from monitor.cases.config import Agency, CasesConfig, ServiceLevel, load_cases_config
from monitor.cases.evidence import (
    CustodyAction,
    CustodyEntry,
    Evidence,
    EvidenceFile,
    EvidenceLocker,
    EvidenceTamperedError,
    EvidenceView,
    FileProblem,
    Verification,
)
from monitor.cases.model import (
    TRANSITIONS,
    Case,
    CaseComment,
    CaseOpen,
    CasePriority,
    CaseQuery,
    CaseState,
    CaseStateError,
    Correction,
    TimelineEvent,
    TimelineKind,
)
from monitor.cases.sla import Breach, ServiceRecord, SlaStage, breach_candidate, overdue, service_record
from monitor.cases.store import CaseStore, Clock
from monitor.claims.cases import CaseClaims, ClaimLinker, ClaimSpread, SpreadDay
from monitor.claims.registry import ClaimRegistry
from monitor.db import Database
from monitor.errors import NotFoundError
from monitor.ingestion.archive import RawArchive
from monitor.records import utc_now
from monitor.store.base import DocumentStore

__all__ = [
    "TRANSITIONS",
    "Agency",
    "Breach",
    "Case",
    "CaseClaims",
    "CaseComment",
    "CaseOpen",
    "CasePriority",
    "CaseQuery",
    "CaseState",
    "CaseStateError",
    "CaseStore",
    "Cases",
    "CasesConfig",
    "ClaimSpread",
    "Correction",
    "CustodyAction",
    "CustodyEntry",
    "Evidence",
    "EvidenceFile",
    "EvidenceLocker",
    "EvidenceTamperedError",
    "EvidenceView",
    "FileProblem",
    "ServiceLevel",
    "ServiceRecord",
    "SlaStage",
    "SpreadDay",
    "TimelineEvent",
    "TimelineKind",
    "Verification",
    "open_cases",
]

EVIDENCE_FOLDER = "evidence"
# Opening from an alert attaches its first documents; more can be attached one by one.
ALERT_DOCUMENTS_ATTACHED = 20


class Cases:
    """The case service used by the API, the scheduler and the CLI."""

    def __init__(
        self,
        store: CaseStore,
        evidence: EvidenceLocker,
        config: CasesConfig,
        alerts: AlertStore | None = None,
        claims: ClaimRegistry | None = None,
        *,
        linker: ClaimLinker | None = None,
    ) -> None:
        self.store = store
        self.evidence = evidence
        self.config = config
        self.alerts = alerts
        self.claims = CaseClaims(store, claims, linker) if claims is not None else None

    def transition(self, case_id: str, target: CaseState, by: Actor, note: str | None = None) -> Case:
        """Move the case (see :meth:`CaseStore.transition`); dismissing it withdraws its registered claim."""
        return self._followed(self.store.transition(case_id, target, by, note), by)

    def set_claim(self, case_id: str, claim: str, by: Actor) -> Case:
        """Record the claim; a registered claim is updated in the registry too."""
        if self.claims is not None:
            self.claims.check_edit(case_id, claim)
        return self._followed(self.store.set_claim(case_id, claim, by), by)

    def set_correction(self, case_id: str, correction: Correction, by: Actor) -> Case:
        """Record the correction; a registered claim is updated in the registry too."""
        if self.claims is not None:
            self.claims.check_edit(case_id, correction.statement)
        return self._followed(self.store.set_correction(case_id, correction, by), by)

    def _followed(self, case: Case, by: Actor) -> Case:
        if self.claims is not None:
            self.claims.follow(case, by)
        return case

    def open_case(self, spec: CaseOpen, by: Actor) -> tuple[Case, list[Evidence]]:
        """Open a case from an alert and/or documents, attaching the documents as evidence.

        Named documents must exist (404 naming the missing ones, before anything is written); an alert's
        documents no longer in the store are skipped, since the alert itself records them.
        """
        documents = self.evidence.documents
        explicit = list(dict.fromkeys(spec.doc_ids))
        found = {item.doc_id for item in documents.get_many(explicit)}
        missing = [doc_id for doc_id in explicit if doc_id not in found]
        if missing:
            raise NotFoundError(f"no document with id(s) {', '.join(repr(d) for d in missing)}")
        doc_ids = explicit
        if spec.alert_id is not None:
            if self.alerts is None:
                raise NotFoundError("cases are not connected to the alert store")
            alert = self.alerts.get(spec.alert_id)
            from_alert = list(alert.doc_ids[:ALERT_DOCUMENTS_ATTACHED])
            present = {item.doc_id for item in documents.get_many(from_alert)}
            doc_ids = list(dict.fromkeys([*explicit, *(d for d in from_alert if d in present)]))
        case = self.store.open(spec, by)
        attached = [self.evidence.attach(case.case_id, doc_id, by)[0] for doc_id in doc_ids]
        return self.store.get(case.case_id), attached

    def overdue(self, now: datetime) -> list[Breach]:
        """Every deadline missed at ``now`` by a case still being worked (see :mod:`monitor.cases.sla`)."""
        return overdue(self.store.open_cases(), self.config.service_levels, now)

    def breach_candidate(self, breach: Breach, now: datetime) -> AlertCandidate:
        """The alert for ``breach``, naming the case's evidence documents; record it with ``alerts.record``."""
        doc_ids = [e.doc_id for e in self.evidence.attached(breach.case_id)]
        return breach_candidate(breach, doc_ids, now)

    def service_record(self, case_id: str) -> ServiceRecord:
        """Time to verify and to respond of one case, and whether each met its deadline."""
        return service_record(self.store.get(case_id), self.config.service_levels)

    def verify_evidence(self, case_id: str, by: Actor = SYSTEM) -> Verification:
        """Re-hash the case's evidence files; the result names every missing, changed or unexpected file."""
        return self.evidence.verify(case_id, by)


def open_cases(
    db: Database,
    *,
    config_dir: Path,
    data_dir: Path,
    documents: DocumentStore,
    archive: RawArchive | None,
    alerts: AlertStore | None = None,
    claims: ClaimRegistry | None = None,
    linker: ClaimLinker | None = None,
    clock: Clock = utc_now,
) -> Cases:
    """Build the case service: configuration from ``config_dir``, evidence under ``data_dir/evidence``."""
    config = load_cases_config(config_dir)
    store = CaseStore(db, clock)
    locker = EvidenceLocker(db, data_dir / EVIDENCE_FOLDER, documents, archive, clock)
    return Cases(store, locker, config, alerts, claims, linker=linker)
